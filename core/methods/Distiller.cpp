#include "methods/Distiller.h"

#include <torch/torch.h>

#include <stdexcept>

#include "methods/CrossEntropy.h"
#include "methods/HintonKd.h"
#include "spec/Catalog.h"

namespace distillery::methods {

at::Tensor Distiller::labelLoss(const at::Tensor& logits, const at::Tensor& labels) const {
    namespace F = torch::nn::functional;
    return F::cross_entropy(logits, labels, F::CrossEntropyFuncOptions().label_smoothing(labelSmoothing_));
}

std::shared_ptr<Distiller> createDistiller(const spec::MethodSpec& method, models::StagedNet* /*teacher*/,
                                           models::StagedNet& /*student*/) {
    if (method.name == "ce") return std::make_shared<CrossEntropy>();
    if (method.name == "kd")
        return std::make_shared<HintonKd>(method.param("T"), method.param("gamma"), method.param("alpha"));
    std::vector<std::string> known;
    for (const auto& m : spec::methodCatalog()) known.push_back(m.name);
    throw std::invalid_argument("unknown method \"" + method.name + "\"; known: " + spec::joinNames(known));
}

}  // namespace distillery::methods
