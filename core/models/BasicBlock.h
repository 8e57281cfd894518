#pragma once
// The residual block of the CIFAR ResNets, as in RepDistiller's models/resnet.py (BasicBlock):
// conv3x3-bn-relu-conv3x3-bn, plus the shortcut (1x1 conv + bn when the stride or width changes), relu.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <ATen/ATen.h>

#include <cstdint>

#include "models/BlockOutput.h"
#include "models/FoldableBatchNorm.h"

namespace distillery::models {

class BasicBlock : public torch::nn::Module {
public:
    BasicBlock(int64_t inPlanes, int64_t planes, int64_t stride);

    BlockOutput forward(const at::Tensor& x);

private:
    // Parameter names as RepDistiller's: conv1, bn1, conv2, bn2, downsample.0 (conv), downsample.1 (bn).
    torch::nn::Conv2d conv1_{nullptr};
    FoldableBatchNorm2d bn1_{nullptr};
    torch::nn::Conv2d conv2_{nullptr};
    FoldableBatchNorm2d bn2_{nullptr};
    torch::nn::Sequential downsample_{nullptr};
};

}  // namespace distillery::models
