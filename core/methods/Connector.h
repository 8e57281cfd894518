#pragma once
// Shared plumbing for feature methods: the Connector that maps a student feature map onto a teacher's
// (FitNet's regressor r, SAKD's adaptors), the relative-depth rule that pairs stages of nets with
// different stage counts, and the spatial alignment of two maps of different sizes.
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "models/FoldableBatchNorm.h"

namespace distillery::methods {

// conv + BN + ReLU from a student map (C_s channels, total stride s_s) to a teacher map (C_t, s_t),
// as RepDistiller's ConvReg, but chosen from the nets' declared strides instead of a probe forward:
//   s_t == s_s          → 1×1 conv
//   s_t == r·s_s, r ≥ 2 → 3×3 conv, stride r, padding 1   (the student's map is r× larger; r = 2 is ConvReg's case)
//   s_s == r·s_t, r ≥ 2 → transposed 2r×2r conv, stride r, padding r/2 (r = 2: ConvReg's 4×4 stride 2)
//   otherwise (strides not integer multiples, e.g. a TorchScript teacher's estimated strides) → 1×1 conv.
// Odd input sizes (28×28 images) can leave the output one pixel off the teacher's map: callers align
// the two with alignSpatial() after the connector.
class ConnectorImpl : public torch::nn::Module {
public:
    enum class Kind { Pointwise, Strided, Transposed };

    ConnectorImpl(int64_t inChannels, int64_t inStride, int64_t outChannels, int64_t outStride);
    at::Tensor forward(const at::Tensor& x);

    Kind kind() const { return kind_; }
    int64_t factor() const { return factor_; }   // r above; 1 for the 1×1 conv
    std::string describe() const;                // "1×1 conv + BN + ReLU", "3×3 conv stride 2 + BN + ReLU", …
    // The convolution as a module: conv (Pointwise, Strided) or deconv (Transposed) is set.
    torch::nn::Conv2d conv{nullptr};
    torch::nn::ConvTranspose2d deconv{nullptr};
    models::FoldableBatchNorm2d bn{nullptr};

private:
    Kind kind_ = Kind::Pointwise;
    int64_t factor_ = 1;
};
TORCH_MODULE(Connector);

// The official code's adaptation layer for its NST and FeatureMap paths (multipath), also adain's
// and stat_l2's projection: conv 1×1 without bias
// (Kaiming-normal, fan_out) + BN, no ReLU, from the student's channels to the teacher's. Unlike a
// Connector it keeps negative values and the student's spatial size.
class ChannelProjectionImpl : public torch::nn::Module {
public:
    ChannelProjectionImpl(int64_t inChannels, int64_t outChannels);
    at::Tensor forward(const at::Tensor& x);
    std::string describe() const { return "1×1 conv (no bias) + BN"; }

    torch::nn::Conv2d conv{nullptr};
    models::FoldableBatchNorm2d bn{nullptr};
};
TORCH_MODULE(ChannelProjection);

// Pairs stages of nets with different stage counts by relative depth: of `count` spots, spot k
// (0-based) sits at stage round((k+1)·stages/count) − 1 of a net with `stages` stages, i.e. at the
// stage that ends the same fraction of the net. With count == stages this is the identity; the last
// spot is always the last stage. Example: 3 spots on a 4-stage net → stages 0, 2, 3.
int64_t stageAtDepth(int64_t spot, int64_t count, int64_t stages);

// Brings two N×C×H×W maps to a common spatial size by adaptive average pooling the larger one (per
// dimension) down to the smaller: the rule AT uses (RepDistiller pools the larger student map), and
// FitNet's fallback when the connector output is a pixel off the teacher's map. Channels untouched.
std::pair<at::Tensor, at::Tensor> alignSpatial(const at::Tensor& a, const at::Tensor& b);

}  // namespace distillery::methods
