#pragma once
// Channel-wise feature transformation (METHODS.md `channel`): a small MLP g of 1×1 convolutions on the
// student's map, trained so that g(F_s) matches the teacher's map channel by channel. PointwiseTransform
// is the channel method's g, with its ablations; ChannelTransform, whose first convolution follows the
// Connector's stride rule, is the multi-path method's channel path.
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
#include "methods/StatisticsTransfer.h"

namespace distillery::methods {

// multipath's channel path (DistillationPath): g(F_s) = first conv from the student's (channels, stride)
// to hidden channels at the teacher's stride (1×1, or strided 3×3 / transposed as Connector chooses),
// then ReLU, then conv1x1 hidden→teacher channels. hidden 0 = the teacher's channels.
class ChannelTransformImpl : public torch::nn::Module {
public:
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

// The channel method's g and its ablations, all position-wise (1×1 kernels only):
//   Mlp      conv1x1 (C_s→hidden) → ReLU → conv1x1 (hidden→C_t), the paper's MLP;
//   Linear   one conv1x1 C_s→C_t, no ReLU;
//   Conv1x1  FitNet's connector at equal strides: conv1x1 + BN + ReLU;
//   Identity no transform (C_s must equal C_t).
enum class PointwiseKind { Mlp, Linear, Conv1x1, Identity };
PointwiseKind pointwiseKindFromName(const std::string& name);   // "mlp" | "linear" | "conv1x1" | "none"

class PointwiseTransformImpl : public torch::nn::Module {
public:
    // hidden 0 = the teacher's channels (Mlp only).
    PointwiseTransformImpl(PointwiseKind kind, int64_t inChannels, int64_t outChannels, int64_t hidden);
    at::Tensor forward(const at::Tensor& x);
    std::string describe() const;   // e.g. "1×1 conv → ReLU → 1×1 conv (64→64→256)"
    PointwiseKind kind() const { return kind_; }

    torch::nn::Conv2d first{nullptr}, second{nullptr};   // Mlp: both; Linear: first
    Connector connector{nullptr};                         // Conv1x1

private:
    PointwiseKind kind_;
    int64_t inChannels_, hidden_, outChannels_;
};
TORCH_MODULE(PointwiseTransform);

// A map brought to h×w without learned weights, so that g stays channel-wise whatever the strides:
// adaptive average pooling along a dimension where the map is larger, then bilinear interpolation
// (align_corners false) where it is smaller.
at::Tensor resizeSpatial(const at::Tensor& map, int64_t height, int64_t width);

struct ChannelTransformOptions {
    enum class Reduction { Sum, Mean };
    PointwiseKind kind = PointwiseKind::Mlp;
    int64_t hidden = 0;
    Reduction reduction = Reduction::Sum;   // Σ over C·H·W per sample, batch mean; or mean over all
    bool preReluTarget = false;             // the teacher's stage output before its final ReLU
};

// channel: CE + alpha·Σ_k L_k, L_k = Σ(g_k(resize(F_s^k)) − F_t^j)²/B (or its mean) at each spot; the
// student's map is resized to the teacher's, never the teacher's target.
class ChannelTransformDistiller : public Distiller {
public:
    ChannelTransformDistiller(double alpha, ChannelTransformOptions options, std::vector<StatisticsSpot> spots);
    std::string name() const override { return "channel"; }
    bool needsTeacher() const override { return true; }
    bool needsFeatures() const override { return true; }
    std::vector<LossTerm> losses(const StepInputs& inputs) override;
    // Per spot and teacher channel: mean and std (over batch and positions) of the target and of g(F_s),
    // with g's alignment error; per spot the scalars channel/loss, channel/align_error (mean of
    // (g(F_s) − F_t)²) and, where the channels agree, channel/align_error_raw (the same without g).
    Diagnostics diagnostics() override;
    at::Tensor spotLoss(size_t spot, const models::FeatureSet& student, const models::FeatureSet& teacher) override;
    int64_t minSpotSamples() const override;   // conv1x1's BN needs two samples on a 1×1 map

    const std::vector<StatisticsSpot>& channelSpots() const { return spots_; }
    PointwiseTransform transform(size_t spot = 0) const { return transforms_.at(spot); }

protected:
    std::vector<Spot> ownSpots() const override;

private:
    struct SpotMaps {
        at::Tensor resized, transformed, target;   // the student's map at the target's size, g of it, F_t
    };
    SpotMaps spotMaps(size_t spot, const models::FeatureSet& student, const models::FeatureSet& teacher);
    at::Tensor unweightedLoss(const SpotMaps& maps) const;
    std::string spotName(size_t spot) const { return "stage " + std::to_string(spots_.at(spot).studentStage + 1); }

    double alpha_;
    ChannelTransformOptions options_;
    std::vector<StatisticsSpot> spots_;
    std::vector<PointwiseTransform> transforms_;
    Diagnostics last_;   // filled only by a losses() call collecting diagnostics
};

// channel from its declared parameters: no stage given = the last stages of both nets; else each
// chosen student stage with the teacher stage at the same relative depth. Throws spec::FieldError at
// method.transform for `none` where channel counts differ.
std::shared_ptr<Distiller> makeChannelTransform(const MethodBuild& build);

}  // namespace distillery::methods
