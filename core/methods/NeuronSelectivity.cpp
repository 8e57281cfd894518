#include "methods/NeuronSelectivity.h"

#include <torch/torch.h>

#include <algorithm>

#include "methods/Connector.h"

namespace distillery::methods {

namespace {
namespace F = torch::nn::functional;

// B×C×(H·W), each channel L2-normalised over its H·W values (F.normalize(dim=2)).
at::Tensor channelVectors(const at::Tensor& map) {
    return F::normalize(map.flatten(2), F::NormalizeFuncOptions().p(2).dim(2));
}

// RepDistiller's poly_kernel(a, b) = ((a.unsqueeze(1) * b.unsqueeze(2)).sum(-1))²: every channel of
// a against every channel of b. Its mean is symmetric in a and b, so a batched product serves.
at::Tensor polynomialKernel(const at::Tensor& a, const at::Tensor& b) {
    return torch::bmm(a, b.transpose(1, 2)).pow(2);
}
}  // namespace

NeuronSelectivity::NeuronSelectivity(double beta, std::vector<std::pair<int64_t, int64_t>> pairs)
    : beta_(beta), pairs_(std::move(pairs)) {}

at::Tensor NeuronSelectivity::polynomialMmd(const at::Tensor& studentMap, const at::Tensor& teacherMap) {
    const auto [s, t] = alignSpatial(studentMap, teacherMap.detach());
    const auto fs = channelVectors(s), ft = channelVectors(t);
    return polynomialKernel(ft, ft).mean().detach() + polynomialKernel(fs, fs).mean() -
           2 * polynomialKernel(fs, ft).mean();
}

at::Tensor NeuronSelectivity::gramMse(const at::Tensor& studentMap, const at::Tensor& teacherMap) {
    const auto [s, t] = alignSpatial(studentMap, teacherMap.detach());
    const auto gram = [](const at::Tensor& map) {
        const auto f = channelVectors(map);
        return torch::bmm(f, f.transpose(1, 2));
    };
    return torch::mse_loss(gram(s), gram(t));
}

at::Tensor NeuronSelectivity::spotLoss(size_t spot, const models::FeatureSet& student,
                                       const models::FeatureSet& teacher) {
    const auto [i, j] = pairs_.at(spot);
    TORCH_CHECK(i < int64_t(student.stages.size()) && j < int64_t(teacher.stages.size()),
                "nst: features lack stage pair (", i, ", ", j, ")");
    return beta_ * polynomialMmd(student.stages[i], teacher.stages[j]);
}

std::vector<Spot> NeuronSelectivity::ownSpots() const {
    std::vector<Spot> spots;
    for (const auto& [student, teacher] : pairs_)
        spots.push_back({"stage " + std::to_string(student + 1), student, teacher,
                         "channel-normalised maps, the larger pooled to the smaller size"});
    return spots;
}

std::vector<std::pair<int64_t, int64_t>> everyStagePair(int64_t studentStages, int64_t teacherStages) {
    const int64_t count = std::min(studentStages, teacherStages);
    std::vector<std::pair<int64_t, int64_t>> pairs;
    for (int64_t k = 0; k < count; ++k)
        pairs.emplace_back(stageAtDepth(k, count, studentStages), stageAtDepth(k, count, teacherStages));
    return pairs;
}

std::shared_ptr<Distiller> makeNeuronSelectivity(const MethodBuild& build) {
    auto& teacher = stagedTeacher(build);
    return std::make_shared<NeuronSelectivity>(build.method.param("beta"),
                                               everyStagePair(build.student.numStages(), teacher.numStages()));
}

}  // namespace distillery::methods
