#pragma once
// ShuffleNet v2's basic unit as in RepDistiller's models/ShuffleNetv2.py (BasicBlock): split the
// channels in halves x1, x2; x2 goes through 1x1 conv + bn + relu, depthwise 3x3 + bn, 1x1 conv + bn
// + relu; concatenate [x1, branch] and shuffle the channels in 2 groups. Width and size unchanged.
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <ATen/ATen.h>

#include <cstdint>

#include "models/FoldableBatchNorm.h"

namespace distillery::models {

class ShuffleV2Block : public torch::nn::Module {
public:
    explicit ShuffleV2Block(int64_t channels);

    // preReLU (if given) receives shuffle([x1, branch before its last relu]): RepDistiller's preact
    // feature, shuffled like the output so the channels line up. x1 comes out of earlier relus, so
    // relu(preReLU) is the output.
    at::Tensor forward(const at::Tensor& x, at::Tensor* preReLU = nullptr);

private:
    int64_t split_;
    // Parameter names as RepDistiller's: conv1, bn1, conv2, bn2, conv3, bn3.
    torch::nn::Conv2d conv1_{nullptr};
    FoldableBatchNorm2d bn1_{nullptr};
    torch::nn::Conv2d conv2_{nullptr};
    FoldableBatchNorm2d bn2_{nullptr};
    torch::nn::Conv2d conv3_{nullptr};
    FoldableBatchNorm2d bn3_{nullptr};
};

}  // namespace distillery::models
