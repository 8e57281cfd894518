#include "methods/ProbabilisticTransfer.h"

#include <torch/torch.h>

namespace distillery::methods {
namespace {
constexpr double kEps = 1e-7;

at::Tensor conditional(const at::Tensor& f) {
    const auto flat = f.reshape({f.size(0), -1});
    const auto unit = flat / (flat.pow(2).sum(1, true).sqrt() + kEps);
    const auto k = (unit.mm(unit.t()) + 1.0) / 2.0;
    return k / k.sum(1, true);
}
}  // namespace

ProbabilisticTransfer::ProbabilisticTransfer(double beta) : beta_(beta) {}

at::Tensor ProbabilisticTransfer::pktLoss(const at::Tensor& student, const at::Tensor& teacher) {
    const auto ps = conditional(student);
    const auto pt = conditional(teacher.detach());
    return (pt * torch::log((pt + kEps) / (ps + kEps))).mean();
}

at::Tensor ProbabilisticTransfer::spotLoss(size_t, const models::FeatureSet& student,
                                          const models::FeatureSet& teacher) {
    return beta_ * pktLoss(student.pooled, teacher.pooled);
}

std::shared_ptr<Distiller> makeProbabilisticTransfer(const MethodBuild& build) {
    return std::make_shared<ProbabilisticTransfer>(build.method.param("beta"));
}

}  // namespace distillery::methods
