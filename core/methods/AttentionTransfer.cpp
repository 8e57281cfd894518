#include "methods/AttentionTransfer.h"

#include <torch/torch.h>

#include "methods/Connector.h"

namespace distillery::methods {

AttentionTransfer::AttentionTransfer(double beta, double p, std::vector<std::pair<int64_t, int64_t>> pairs)
    : beta_(beta), p_(p), pairs_(std::move(pairs)) {}

at::Tensor AttentionTransfer::attention(const at::Tensor& feature, double p) {
    namespace F = torch::nn::functional;
    const auto a = feature.pow(p).mean(1).reshape({feature.size(0), -1});
    return F::normalize(a, F::NormalizeFuncOptions().p(2).dim(1));
}

at::Tensor AttentionTransfer::pairLoss(const at::Tensor& studentMap, const at::Tensor& teacherMap, double p) {
    const auto [s, t] = alignSpatial(studentMap, teacherMap.detach());
    return (attention(s, p) - attention(t, p)).pow(2).mean();
}

std::vector<LossTerm> AttentionTransfer::losses(const StepInputs& inputs) {
    TORCH_CHECK(inputs.teacher, "at needs a teacher");
    const auto& s = inputs.student.stages;
    const auto& t = inputs.teacher->stages;
    at::Tensor sum;
    for (const auto& [i, j] : pairs_) {
        TORCH_CHECK(i < int64_t(s.size()) && j < int64_t(t.size()), "at: features lack stage pair (", i, ", ", j, ")");
        const auto l = pairLoss(s[i], t[j], p_);
        sum = sum.defined() ? sum + l : l;
    }
    std::vector<LossTerm> terms{{"ce", labelLoss(inputs.student.logits, inputs.labels)}, {"feat", beta_ * sum}};
    appendKd(terms, inputs);
    return terms;
}

}  // namespace distillery::methods
