#include "methods/Dkd.h"

#include <torch/torch.h>

#include <algorithm>

namespace distillery::methods {

Dkd::Dkd(double alpha, double beta, double temperature, double warmup, double ceWeight)
    : alpha_(alpha), beta_(beta), temperature_(temperature), warmup_(warmup), ceWeight_(ceWeight) {}

namespace {
// Σ target·(log target − logInput) over everything, divided by the batch: F.kl_div(sum)/B, with
// 0·log 0 = 0 as PyTorch's kl_div.
at::Tensor klSumOverBatch(const at::Tensor& logInput, const at::Tensor& target) {
    return (torch::xlogy(target, target) - target * logInput).sum() / logInput.size(0);
}
}  // namespace

std::pair<at::Tensor, at::Tensor> Dkd::parts(const at::Tensor& studentLogits, const at::Tensor& teacherLogits,
                                             const at::Tensor& labels, double temperature) {
    const auto zs = studentLogits.to(at::kFloat) / temperature;
    const auto zt = teacherLogits.to(at::kFloat) / temperature;
    const auto gt = torch::zeros_like(zs).scatter_(1, labels.reshape({-1, 1}), 1.0);   // 1 at the target class
    const double t2 = temperature * temperature;

    // TCKD: binary distributions [p_target, p_rest] (mdistiller's cat_mask).
    auto binary = [&](const at::Tensor& p) {
        return torch::cat({(p * gt).sum(1, true), (p * (1 - gt)).sum(1, true)}, 1);
    };
    const auto bs = binary(torch::softmax(zs, 1));
    const auto bt = binary(torch::softmax(zt, 1));
    const auto tckd = klSumOverBatch(torch::log(bs), bt) * t2;

    // NCKD: the target logit pushed down by 1000 before the softmax, so only the other classes count.
    const auto nckd = klSumOverBatch(torch::log_softmax(zs - 1000.0 * gt, 1), torch::softmax(zt - 1000.0 * gt, 1)) * t2;
    return {tckd, nckd};
}

double Dkd::warmupFactor(int64_t epoch) const {
    if (warmup_ <= 0) return 1.0;
    return std::min(double(epoch + 1) / warmup_, 1.0);
}

std::vector<LossTerm> Dkd::losses(const StepInputs& inputs) {
    const auto& student = inputs.student.logits;
    const auto [tckd, nckd] = parts(student, inputs.teacher->logits.detach(), inputs.labels, temperature_);
    const double w = warmupFactor(inputs.epoch);
    return {{"ce", ceWeight_ * labelLoss(student, inputs.labels)},
            {"tckd", (w * alpha_) * tckd},
            {"nckd", (w * beta_) * nckd}};
}

std::shared_ptr<Distiller> makeDkd(const MethodBuild& build) {
    const auto& m = build.method;
    return std::make_shared<Dkd>(m.param("alpha"), m.param("beta"), m.param("T"), m.param("warmup"),
                                 m.param("ce_weight"));
}

}  // namespace distillery::methods
