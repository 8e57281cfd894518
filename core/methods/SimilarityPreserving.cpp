#include "methods/SimilarityPreserving.h"

#include <torch/torch.h>

namespace distillery::methods {

SimilarityPreserving::SimilarityPreserving(double beta) : beta_(beta) {}

at::Tensor SimilarityPreserving::similarityLoss(const at::Tensor& studentMap, const at::Tensor& teacherMap) {
    namespace F = torch::nn::functional;
    const int64_t b = studentMap.size(0);
    const auto gram = [b](const at::Tensor& f) {
        const auto flat = f.reshape({b, -1});
        return F::normalize(flat.mm(flat.t()), F::NormalizeFuncOptions().p(2).dim(1));
    };
    const auto diff = gram(teacherMap.detach()) - gram(studentMap);
    return diff.pow(2).sum() / double(b * b);
}

at::Tensor SimilarityPreserving::spotLoss(size_t, const models::FeatureSet& student,
                                         const models::FeatureSet& teacher) {
    TORCH_CHECK(!student.stages.empty() && !teacher.stages.empty(), "sp: features lack stages");
    return beta_ * similarityLoss(student.stages.back(), teacher.stages.back());
}

std::shared_ptr<Distiller> makeSimilarityPreserving(const MethodBuild& build) {
    return std::make_shared<SimilarityPreserving>(build.method.param("beta"));
}

}  // namespace distillery::methods
