#pragma once
// Channel-wise feature transformation (METHODS.md `channel`): a small MLP g on the student's map,
// trained so that g(F_s) matches the teacher's map channel by channel. The module is reused by the
// multi-path method for its channel path; ChannelTransformDistiller is the stand-alone method.
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "methods/Connector.h"
#include "methods/Distiller.h"

namespace distillery::methods {

class ChannelTransformImpl : public torch::nn::Module {
public:
    // g(F_s): first a conv from the student's (channels, stride) to hidden channels at the teacher's stride
    // (1x1, or strided 3x3 / transposed as Connector chooses), then ReLU, then conv1x1 hidden→teacher channels.
    // hidden 0 = the teacher's channels.
    ChannelTransformImpl(int64_t inChannels, int64_t inStride, int64_t outChannels, int64_t outStride, int64_t hidden);
    at::Tensor forward(const at::Tensor& studentMap);
    std::string describe() const;   // e.g. "1×1 conv → ReLU → 1×1 conv (64→64→256)"

    // The first convolution: conv (1×1 or strided 3×3) or deconv (transposed) is set, as in Connector.
    torch::nn::Conv2d first{nullptr};
    torch::nn::ConvTranspose2d firstTransposed{nullptr};
    torch::nn::Conv2d second{nullptr};

private:
    ConnectorImpl::Kind kind_ = ConnectorImpl::Kind::Pointwise;
    int64_t factor_ = 1;
    int64_t inChannels_ = 0, hidden_ = 0, outChannels_ = 0;
};
TORCH_MODULE(ChannelTransform);

// Σ (g(F_s) − F_t)² / B, unweighted; the two maps spatially aligned with alignSpatial; teacher detached.
at::Tensor channelTransformLoss(ChannelTransform& transform, const at::Tensor& studentMap, const at::Tensor& teacherMap);

// channel: CE + alpha·Σ(g(F_s^k) − F_t^j)²/B at one pair of stages (METHODS.md `channel`).
class ChannelTransformDistiller : public Distiller {
public:
    ChannelTransformDistiller(double alpha, int64_t studentStage, int64_t teacherStage, int64_t studentChannels,
                              int64_t studentStride, int64_t teacherChannels, int64_t teacherStride, int64_t hidden);
    std::string name() const override { return "channel"; }
    bool needsTeacher() const override { return true; }
    bool needsFeatures() const override { return true; }
    std::vector<LossTerm> losses(const StepInputs& inputs) override;
    // Per teacher channel: mean and std (over batch and positions) of the teacher's map and of g(F_s).
    Diagnostics diagnostics() override;
    at::Tensor spotLoss(size_t spot, const models::FeatureSet& student, const models::FeatureSet& teacher) override;

    int64_t studentStage() const { return studentStage_; }
    int64_t teacherStage() const { return teacherStage_; }
    ChannelTransform transform() const { return transform_; }

protected:
    std::vector<Spot> ownSpots() const override {
        return {{"stage " + std::to_string(studentStage_ + 1), studentStage_, teacherStage_, transform_->describe()}};
    }

private:
    // The student's and the teacher's map at the spot.
    std::pair<const at::Tensor&, const at::Tensor&> spotMaps(const models::FeatureSet& student,
                                                              const models::FeatureSet& teacher) const;

    double alpha_;
    int64_t studentStage_, teacherStage_;
    ChannelTransform transform_{nullptr};
    at::Tensor lastTeacherMean_, lastTeacherStd_, lastStudentMean_, lastStudentStd_;   // per channel, detached
    at::Tensor lastAlignmentError_;   // per teacher channel: mean of (g(F_s) − F_t)² over batch and pixels
};

// channel from its declared parameters: stage -1 = the last stages of both nets; k = student stage k
// with the teacher stage at the same relative depth.
std::shared_ptr<Distiller> makeChannelTransform(const MethodBuild& build);

}  // namespace distillery::methods
