#include "methods/FitNet.h"

#include <torch/torch.h>

#include "spec/FieldError.h"

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

at::Tensor FitNet::spotLoss(size_t, const models::FeatureSet& student, const models::FeatureSet& teacher) {
    TORCH_CHECK(studentStage_ < int64_t(student.stages.size()) && teacherStage_ < int64_t(teacher.stages.size()),
                "fitnet: features lack student stage ", studentStage_, " or teacher stage ", teacherStage_);
    return beta_ * hintLoss(connector_, student.stages[studentStage_], teacher.stages[teacherStage_]);
}

std::shared_ptr<Distiller> makeFitNet(const MethodBuild& build) {
    auto& teacher = stagedTeacher(build);
    auto& student = build.student;
    const int64_t stages = student.numStages();
    const auto given = int64_t(build.method.param("stage"));
    const int64_t s = given < 0 ? (stages - 1) / 2 : given;
    if (s >= stages)
        throw spec::FieldError("method.stage", "fitnet.stage: " + std::to_string(s) + " but the student has " +
                                                   std::to_string(stages) + " stages");
    const int64_t t = stageAtDepth(s, stages, teacher.numStages());
    return std::make_shared<FitNet>(build.method.param("beta"), s, t, student.stageChannels(s), student.stageStride(s),
                                    teacher.stageChannels(t), teacher.stageStride(t));
}

}  // namespace distillery::methods
