#include "methods/CorrelationCongruence.h"

#include <torch/torch.h>

namespace distillery::methods {

CorrelationCongruence::CorrelationCongruence(double beta, int64_t studentDim, int64_t teacherDim, int64_t featDim)
    : beta_(beta), featDim_(featDim) {
    embedStudent_ = register_module("embed_s", torch::nn::Linear(studentDim, featDim));
    embedTeacher_ = register_module("embed_t", torch::nn::Linear(teacherDim, featDim));
}

at::Tensor CorrelationCongruence::correlationLoss(const at::Tensor& studentEmbedding,
                                                  const at::Tensor& teacherEmbedding) {
    const int64_t batch = studentEmbedding.size(0);
    TORCH_CHECK(batch >= 2, "cc: the correlation loss compares consecutive samples and needs at least 2, got ", batch);
    const auto delta = (studentEmbedding - teacherEmbedding).abs();
    return (delta.narrow(0, 0, batch - 1) * delta.narrow(0, 1, batch - 1)).sum(1).mean();
}

at::Tensor CorrelationCongruence::spotLoss(size_t, const models::FeatureSet& student,
                                           const models::FeatureSet& teacher) {
    const int64_t batch = student.pooled.size(0);
    const auto es = embedStudent_->forward(student.pooled.reshape({batch, -1}));
    const auto et = embedTeacher_->forward(teacher.pooled.detach().reshape({batch, -1}));
    return beta_ * correlationLoss(es, et);
}

std::shared_ptr<Distiller> makeCorrelationCongruence(const MethodBuild& build) {
    auto& teacher = stagedTeacher(build);
    return std::make_shared<CorrelationCongruence>(
        build.method.param("beta"), build.student.stageChannels(build.student.numStages() - 1),
        teacher.stageChannels(teacher.numStages() - 1), int64_t(build.method.param("feat_dim")));
}

}  // namespace distillery::methods
