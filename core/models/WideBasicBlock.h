#pragma once
// The pre-activation block of the wide ResNets, as in RepDistiller's models/wrn.py (BasicBlock):
// bn-relu-conv3x3-bn-relu-conv3x3 plus the shortcut, with no activation after the sum. When the width
// changes, the shortcut is a 1x1 convolution of the *activated* input (relu(bn1(x))); otherwise it is
// the raw input. Dropout is left out: the CRD models use a drop rate of 0.
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <ATen/ATen.h>

#include <cstdint>

namespace distillery::models {

class WideBasicBlock : public torch::nn::Module {
public:
    WideBasicBlock(int64_t inPlanes, int64_t outPlanes, int64_t stride);

    at::Tensor forward(const at::Tensor& x);

private:
    // Parameter names and order as RepDistiller's: bn1, conv1, bn2, conv2, convShortcut.
    torch::nn::BatchNorm2d bn1_{nullptr};
    torch::nn::Conv2d conv1_{nullptr};
    torch::nn::BatchNorm2d bn2_{nullptr};
    torch::nn::Conv2d conv2_{nullptr};
    torch::nn::Conv2d convShortcut_{nullptr};
};

}  // namespace distillery::models
