#include "methods/FitNet.h"

#include <torch/torch.h>

namespace distillery::methods {

FitNet::FitNet(double beta, int64_t studentStage, int64_t teacherStage, int64_t studentChannels,
               int64_t studentStride, int64_t teacherChannels, int64_t teacherStride)
    : beta_(beta), studentStage_(studentStage), teacherStage_(teacherStage) {
    connector_ = register_module("connector", Connector(studentChannels, studentStride, teacherChannels, teacherStride));
}

at::Tensor FitNet::hintLoss(Connector& connector, const at::Tensor& studentMap, const at::Tensor& teacherMap) {
    const auto [s, t] = alignSpatial(connector->forward(studentMap), teacherMap.detach());
    return torch::mse_loss(s, t);
}

std::vector<LossTerm> FitNet::losses(const StepInputs& inputs) {
    TORCH_CHECK(inputs.teacher, "fitnet needs a teacher");
    const auto& s = inputs.student.stages;
    const auto& t = inputs.teacher->stages;
    TORCH_CHECK(studentStage_ < int64_t(s.size()) && teacherStage_ < int64_t(t.size()),
                "fitnet: features lack student stage ", studentStage_, " or teacher stage ", teacherStage_);
    std::vector<LossTerm> terms{{"ce", labelLoss(inputs.student.logits, inputs.labels)},
                                {"feat", beta_ * hintLoss(connector_, s[studentStage_], t[teacherStage_])}};
    appendKd(terms, inputs);
    return terms;
}

}  // namespace distillery::methods
