#include "methods/VariationalInformation.h"

#include <torch/torch.h>

#include <cmath>

#include "methods/Connector.h"
#include "methods/NeuronSelectivity.h"

namespace distillery::methods {

namespace {
torch::nn::Conv2d conv1x1(int64_t in, int64_t out) {
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).bias(false));
}
}  // namespace

VariationalInformation::VariationalInformation(double beta, double initVariance, const std::vector<SpotShape>& spots)
    : beta_(beta), shapes_(spots) {
    // VIDLoss: np.log(np.exp(init_pred_var - eps) - 1.0), the softplus inverse of init_pred_var − eps.
    const double initLogScale = std::log(std::expm1(initVariance - kEps));
    for (size_t k = 0; k < spots.size(); ++k) {
        const auto& s = spots[k];
        const std::string suffix = std::to_string(s.studentStage + 1);
        regressors_.push_back(
            register_module("regressor" + suffix,
                            torch::nn::Sequential(conv1x1(s.studentChannels, s.teacherChannels), torch::nn::ReLU(),
                                                  conv1x1(s.teacherChannels, s.teacherChannels), torch::nn::ReLU(),
                                                  conv1x1(s.teacherChannels, s.teacherChannels))));
        logScales_.push_back(
            register_parameter("log_scale" + suffix, torch::full({s.teacherChannels}, initLogScale, torch::kFloat)));
    }
}

at::Tensor VariationalInformation::variance(size_t spot) const {
    // VIDLoss.forward: torch.log(1.0 + torch.exp(self.log_scale)) + self.eps.
    return torch::log(1.0 + torch::exp(logScales_.at(spot))) + kEps;
}

at::Tensor VariationalInformation::spotLoss(size_t spot, const models::FeatureSet& student,
                                            const models::FeatureSet& teacher) {
    const SpotShape& shape = shapes_.at(spot);
    const int64_t i = shape.studentStage, j = shape.teacherStage;
    TORCH_CHECK(i < int64_t(student.stages.size()) && j < int64_t(teacher.stages.size()),
                "vid: features lack stage pair (", i, ", ", j, ")");
    const auto [input, target] = alignSpatial(student.stages[i], teacher.stages[j].detach());
    const auto mean = regressors_[spot]->forward(input);
    const auto var = variance(spot).view({1, -1, 1, 1});
    const auto negativeLogLikelihood = 0.5 * ((mean - target).pow(2) / var + torch::log(var));
    return beta_ * negativeLogLikelihood.mean();
}

std::vector<Spot> VariationalInformation::ownSpots() const {
    std::vector<Spot> spots;
    for (const auto& s : shapes_)
        spots.push_back({"stage " + std::to_string(s.studentStage + 1), s.studentStage, s.teacherStage,
                         "1×1 conv regressor to " + std::to_string(s.teacherChannels) +
                             " channels with a learnt variance per channel"});
    return spots;
}

std::shared_ptr<Distiller> makeVariationalInformation(const MethodBuild& build) {
    auto& teacher = stagedTeacher(build);
    std::vector<VariationalInformation::SpotShape> shapes;
    for (const auto& [s, t] : everyStagePair(build.student.numStages(), teacher.numStages()))
        shapes.push_back({s, t, build.student.stageChannels(s), teacher.stageChannels(t)});
    return std::make_shared<VariationalInformation>(build.method.param("beta"), build.method.param("init_var"), shapes);
}

}  // namespace distillery::methods
