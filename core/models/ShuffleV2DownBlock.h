#pragma once
// ShuffleNet v2's downsampling unit as in RepDistiller's models/ShuffleNetv2.py (DownBlock): two
// branches on the whole input, each halving the resolution and producing outChannels/2 channels —
// left: depthwise 3x3/2 + bn, 1x1 + bn + relu; right: 1x1 + bn + relu, depthwise 3x3/2 + bn, 1x1 + bn
// + relu — concatenated and shuffled in 2 groups.
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <ATen/ATen.h>

#include <cstdint>

#include "models/FoldableBatchNorm.h"

namespace distillery::models {

class ShuffleV2DownBlock : public torch::nn::Module {
public:
    ShuffleV2DownBlock(int64_t inChannels, int64_t outChannels);

    at::Tensor forward(const at::Tensor& x);

private:
    // Parameter names as RepDistiller's: conv1..conv5, bn1..bn5 (1, 2 left branch; 3, 4, 5 right).
    torch::nn::Conv2d conv1_{nullptr};
    FoldableBatchNorm2d bn1_{nullptr};
    torch::nn::Conv2d conv2_{nullptr};
    FoldableBatchNorm2d bn2_{nullptr};
    torch::nn::Conv2d conv3_{nullptr};
    FoldableBatchNorm2d bn3_{nullptr};
    torch::nn::Conv2d conv4_{nullptr};
    FoldableBatchNorm2d bn4_{nullptr};
    torch::nn::Conv2d conv5_{nullptr};
    FoldableBatchNorm2d bn5_{nullptr};
};

}  // namespace distillery::models
