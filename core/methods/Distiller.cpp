#include "methods/Distiller.h"

#include <torch/torch.h>

#include <stdexcept>

#include "methods/HintonKd.h"
#include "spec/FieldError.h"

namespace distillery::methods {

at::Tensor Distiller::labelLoss(const at::Tensor& logits, const at::Tensor& labels) const {
    namespace F = torch::nn::functional;
    return F::cross_entropy(logits, labels, F::CrossEntropyFuncOptions().label_smoothing(labelSmoothing_));
}

std::vector<Spot> Distiller::spots() const {
    std::vector<Spot> all = ownSpots();
    if (kdAlpha_ > 0) all.push_back({"logits", Spot::kLogits, Spot::kLogits, ""});
    return all;
}

at::Tensor Distiller::spotLoss(size_t, const models::FeatureSet&, const models::FeatureSet&) {
    throw std::invalid_argument("method " + name() + " cannot be gated by sakd: it has no per-spot loss");
}

std::vector<LossTerm> Distiller::spotTerms(const StepInputs& inputs) {
    TORCH_CHECK(inputs.teacher, name(), " needs a teacher");
    at::Tensor feat;
    const size_t count = ownSpots().size();
    for (size_t k = 0; k < count; ++k) {
        const at::Tensor l = spotLoss(k, inputs.student, *inputs.teacher);
        feat = feat.defined() ? feat + l : l;
    }
    std::vector<LossTerm> terms{{"ce", labelLoss(inputs.student.logits, inputs.labels)}, {"feat", feat}};
    appendKd(terms, inputs);
    return terms;
}

void Distiller::appendKd(std::vector<LossTerm>& terms, const StepInputs& inputs) const {
    if (kdAlpha_ <= 0 || !inputs.teacher) return;
    terms.push_back({"kd", kdAlpha_ * HintonKd::klDivergence(inputs.student.logits, inputs.teacher->logits.detach(),
                                                             kdTemperature_)});
}

models::StagedNet& stagedTeacher(const MethodBuild& build) {
    if (!build.teacher || build.teacher->numStages() == 0)
        throw spec::FieldError("method.name", "method " + build.method.name +
                                                  " distils stage features: it needs a teacher with stages");
    return *build.teacher;
}

}  // namespace distillery::methods
