#include "methods/RelationalKd.h"

#include <torch/torch.h>

namespace distillery::methods {
namespace {
namespace F = torch::nn::functional;

// Pairwise Euclidean distances through ‖a‖² + ‖b‖² − 2a·b clamped at 1e-12 (no NaN gradient at 0),
// diagonal set to exactly 0, as RepDistiller's pdist.
at::Tensor pairwiseDistance(const at::Tensor& e) {
    const auto square = e.pow(2).sum(1);
    const auto d = (square.unsqueeze(1) + square.unsqueeze(0) - 2 * e.mm(e.t())).clamp_min(1e-12).sqrt();
    return d * (1 - torch::eye(e.size(0), e.options()));
}

at::Tensor normalisedDistance(const at::Tensor& e) {
    const auto d = pairwiseDistance(e);
    return d / d.masked_select(d > 0).mean();
}

at::Tensor angles(const at::Tensor& e) {
    const auto diff = F::normalize(e.unsqueeze(0) - e.unsqueeze(1), F::NormalizeFuncOptions().p(2).dim(2));
    return torch::bmm(diff, diff.transpose(1, 2)).reshape({-1});
}

at::Tensor flat(const at::Tensor& f) { return f.reshape({f.size(0), -1}); }
}  // namespace

RelationalKd::RelationalKd(double beta, double distanceWeight, double angleWeight)
    : beta_(beta), distanceWeight_(distanceWeight), angleWeight_(angleWeight) {}

at::Tensor RelationalKd::distanceLoss(const at::Tensor& student, const at::Tensor& teacher) {
    at::Tensor target;
    {
        torch::NoGradGuard noGrad;
        target = normalisedDistance(flat(teacher));
    }
    return F::smooth_l1_loss(normalisedDistance(flat(student)), target);
}

at::Tensor RelationalKd::angleLoss(const at::Tensor& student, const at::Tensor& teacher) {
    at::Tensor target;
    {
        torch::NoGradGuard noGrad;
        target = angles(flat(teacher));
    }
    return F::smooth_l1_loss(angles(flat(student)), target);
}

at::Tensor RelationalKd::spotLoss(size_t, const models::FeatureSet& student, const models::FeatureSet& teacher) {
    const auto& s = student.pooled;
    const auto& t = teacher.pooled;
    return beta_ * (distanceWeight_ * distanceLoss(s, t) + angleWeight_ * angleLoss(s, t));
}

std::shared_ptr<Distiller> makeRelationalKd(const MethodBuild& build) {
    const auto& m = build.method;
    return std::make_shared<RelationalKd>(m.param("beta"), m.param("w_d"), m.param("w_a"));
}

}  // namespace distillery::methods
