#include "methods/ChannelTransform.h"

#include <torch/torch.h>

#include <utility>

#include "methods/StatisticsTransfer.h"

namespace distillery::methods {

ChannelTransformImpl::ChannelTransformImpl(int64_t inChannels, int64_t inStride, int64_t outChannels,
                                           int64_t outStride, int64_t hidden)
    : inChannels_(inChannels), hidden_(hidden > 0 ? hidden : outChannels), outChannels_(outChannels) {
    TORCH_CHECK(hidden >= 0, "ChannelTransform: negative hidden width ", hidden);
    namespace nn = torch::nn;
    // The first convolution is the Connector's for these shapes (1×1, strided 3×3 or transposed, by the
    // stride ratio), taken without its BN and ReLU: the paper's MLP has no normalisation.
    ConnectorImpl shaped(inChannels, inStride, hidden_, outStride);
    kind_ = shaped.kind();
    factor_ = shaped.factor();
    if (kind_ == ConnectorImpl::Kind::Transposed)
        firstTransposed = register_module("first", shaped.deconv);
    else
        first = register_module("first", shaped.conv);
    second = register_module("second", nn::Conv2d(nn::Conv2dOptions(hidden_, outChannels, 1)));
}

at::Tensor ChannelTransformImpl::forward(const at::Tensor& studentMap) {
    const auto h = kind_ == ConnectorImpl::Kind::Transposed ? firstTransposed->forward(studentMap)
                                                            : first->forward(studentMap);
    return second->forward(torch::relu(h));
}

std::string ChannelTransformImpl::describe() const {
    const std::string r = std::to_string(factor_), k = std::to_string(2 * factor_);
    const std::string firstConv = kind_ == ConnectorImpl::Kind::Strided      ? "3×3 conv stride " + r
                                  : kind_ == ConnectorImpl::Kind::Transposed ? k + "×" + k + " transposed conv stride " + r
                                                                             : "1×1 conv";
    return firstConv + " → ReLU → 1×1 conv (" + std::to_string(inChannels_) + "→" + std::to_string(hidden_) + "→" +
           std::to_string(outChannels_) + ")";
}

namespace {
// g(F_s) and F_t (detached) at a common spatial size.
std::pair<at::Tensor, at::Tensor> alignedMaps(ChannelTransform& transform, const at::Tensor& studentMap,
                                              const at::Tensor& teacherMap) {
    return alignSpatial(transform->forward(studentMap), teacherMap.detach());
}
}  // namespace

at::Tensor channelTransformLoss(ChannelTransform& transform, const at::Tensor& studentMap, const at::Tensor& teacherMap) {
    const auto [s, t] = alignedMaps(transform, studentMap, teacherMap);
    return (s - t).pow(2).sum() / double(s.size(0));
}

// ---- the channel method ------------------------------------------------------------------------

ChannelTransformDistiller::ChannelTransformDistiller(double alpha, int64_t studentStage, int64_t teacherStage,
                                                     int64_t studentChannels, int64_t studentStride,
                                                     int64_t teacherChannels, int64_t teacherStride, int64_t hidden)
    : alpha_(alpha), studentStage_(studentStage), teacherStage_(teacherStage) {
    transform_ = register_module(
        "transform", ChannelTransform(studentChannels, studentStride, teacherChannels, teacherStride, hidden));
}

std::pair<const at::Tensor&, const at::Tensor&> ChannelTransformDistiller::spotMaps(
    const models::FeatureSet& student, const models::FeatureSet& teacher) const {
    TORCH_CHECK(studentStage_ < int64_t(student.stages.size()) && teacherStage_ < int64_t(teacher.stages.size()),
                "channel: features lack student stage ", studentStage_, " or teacher stage ", teacherStage_);
    return {student.stages[size_t(studentStage_)], teacher.stages[size_t(teacherStage_)]};
}

std::vector<LossTerm> ChannelTransformDistiller::losses(const StepInputs& inputs) {
    auto terms = spotTerms(inputs);
    lastTeacherMean_ = lastTeacherStd_ = lastStudentMean_ = lastStudentStd_ = lastAlignmentError_ = at::Tensor();
    if (inputs.collectDiagnostics) {
        // A second, gradient-free transform: diagnostics are rare, and the loss stays one definition.
        torch::NoGradGuard noGrad;
        const auto [studentMap, teacherMap] = spotMaps(inputs.student, *inputs.teacher);
        const auto [transformed, teacherAligned] = alignedMaps(transform_, studentMap.detach(), teacherMap);
        lastTeacherMean_ = teacherAligned.mean({0, 2, 3});
        lastTeacherStd_ = teacherAligned.std({0, 2, 3}, /*unbiased=*/false);
        lastStudentMean_ = transformed.mean({0, 2, 3});
        lastStudentStd_ = transformed.std({0, 2, 3}, /*unbiased=*/false);
        lastAlignmentError_ = (transformed - teacherAligned).pow(2).mean({0, 2, 3});
    }
    return terms;
}

at::Tensor ChannelTransformDistiller::spotLoss(size_t spot, const models::FeatureSet& student,
                                               const models::FeatureSet& teacher) {
    TORCH_CHECK(spot == 0, "channel: no spot ", spot, " (it distils at one)");
    const auto [studentMap, teacherMap] = spotMaps(student, teacher);
    return alpha_ * channelTransformLoss(transform_, studentMap, teacherMap);
}

Diagnostics ChannelTransformDistiller::diagnostics() {
    Diagnostics out;
    if (!lastTeacherMean_.defined()) return out;
    out.channelStats = channelStatRows(ownSpots().front().name, lastTeacherMean_, lastTeacherStd_, lastStudentMean_,
                                       lastStudentStd_);
    const auto error = lastAlignmentError_.to(at::kCPU, at::kDouble);
    for (auto& row : out.channelStats) row.alignmentError = error[row.channel].item<double>();
    return out;
}

std::shared_ptr<Distiller> makeChannelTransform(const MethodBuild& build) {
    auto& teacher = stagedTeacher(build);
    auto& student = build.student;
    const auto& method = build.method;
    const int64_t studentStages = student.numStages(), teacherStages = teacher.numStages();
    const int64_t given = chosenStudentStage(method, student);
    const int64_t s = given < 0 ? studentStages - 1 : given;
    const int64_t t = given < 0 ? teacherStages - 1 : stageAtDepth(s, studentStages, teacherStages);
    return std::make_shared<ChannelTransformDistiller>(method.param("alpha"), s, t, student.stageChannels(s),
                                                       student.stageStride(s), teacher.stageChannels(t),
                                                       teacher.stageStride(t), int64_t(method.param("hidden")));
}

}  // namespace distillery::methods
