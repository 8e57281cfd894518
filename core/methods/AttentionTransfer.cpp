#include "methods/AttentionTransfer.h"

#include <torch/torch.h>

#include <algorithm>

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

at::Tensor AttentionTransfer::spotLoss(size_t spot, const models::FeatureSet& student,
                                      const models::FeatureSet& teacher) {
    const auto [i, j] = pairs_.at(spot);
    TORCH_CHECK(i < int64_t(student.stages.size()) && j < int64_t(teacher.stages.size()),
                "at: features lack stage pair (", i, ", ", j, ")");
    return beta_ * pairLoss(student.stages[i], teacher.stages[j], p_);
}

std::shared_ptr<Distiller> makeAttentionTransfer(const MethodBuild& build) {
    auto& teacher = stagedTeacher(build);
    const int64_t studentStages = build.student.numStages(), teacherStages = teacher.numStages();
    const int64_t spots = std::min(studentStages, teacherStages);
    std::vector<std::pair<int64_t, int64_t>> pairs;
    for (int64_t k = 0; k < spots; ++k)
        pairs.emplace_back(stageAtDepth(k, spots, studentStages), stageAtDepth(k, spots, teacherStages));
    return std::make_shared<AttentionTransfer>(build.method.param("beta"), build.method.param("p"), std::move(pairs));
}

}  // namespace distillery::methods
