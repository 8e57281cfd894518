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

std::vector<LossTerm> SimilarityPreserving::losses(const StepInputs& inputs) {
    TORCH_CHECK(inputs.teacher, "sp needs a teacher");
    TORCH_CHECK(!inputs.student.stages.empty() && !inputs.teacher->stages.empty(), "sp: features lack stages");
    std::vector<LossTerm> terms{
        {"ce", labelLoss(inputs.student.logits, inputs.labels)},
        {"feat", beta_ * similarityLoss(inputs.student.stages.back(), inputs.teacher->stages.back())}};
    appendKd(terms, inputs);
    return terms;
}

}  // namespace distillery::methods
