#pragma once
// ShuffleNet v1's unit as in RepDistiller's models/ShuffleNetv1.py (Bottleneck): grouped 1x1 conv to
// outPlanes/4 + bn + relu, channel shuffle, depthwise 3x3 (stride) + bn + relu, grouped 1x1 conv + bn.
// Stride 1: add the input, then relu. Stride 2: concatenate the 3x3/2 average-pooled input (so the
// unit's output width is outPlanes + inPlanes), then relu.
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <ATen/ATen.h>

#include <cstdint>

#include "models/BlockOutput.h"
#include "models/FoldableBatchNorm.h"

namespace distillery::models {

class ShuffleV1Bottleneck : public torch::nn::Module {
public:
    // firstGroups: the groups of the first 1x1 conv (RepDistiller uses 1 on the 24-channel stem output).
    ShuffleV1Bottleneck(int64_t inPlanes, int64_t outPlanes, int64_t stride, int64_t groups, int64_t firstGroups);

    BlockOutput forward(const at::Tensor& x);

private:
    int64_t stride_;
    int64_t firstGroups_;
    // Parameter names as RepDistiller's: conv1, bn1, conv2, bn2, conv3, bn3.
    torch::nn::Conv2d conv1_{nullptr};
    FoldableBatchNorm2d bn1_{nullptr};
    torch::nn::Conv2d conv2_{nullptr};
    FoldableBatchNorm2d bn2_{nullptr};
    torch::nn::Conv2d conv3_{nullptr};
    FoldableBatchNorm2d bn3_{nullptr};
};

}  // namespace distillery::models
