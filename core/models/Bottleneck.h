#pragma once
// torchvision's ResNet bottleneck (models/resnet.py, Bottleneck; "ResNet v1.5": the stride sits on
// the 3x3 conv): conv1x1-bn-relu, conv3x3(stride)-bn-relu, conv1x1 to 4·planes-bn, plus the shortcut
// (1x1 conv + bn when the stride or width changes), relu.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <ATen/ATen.h>

#include <cstdint>

#include "models/BlockOutput.h"
#include "models/FoldableBatchNorm.h"

namespace distillery::models {

class Bottleneck : public torch::nn::Module {
public:
    static constexpr int64_t kExpansion = 4;

    Bottleneck(int64_t inPlanes, int64_t planes, int64_t stride);

    BlockOutput forward(const at::Tensor& x);

private:
    // Parameter names and order as torchvision's: conv1, bn1, conv2, bn2, conv3, bn3, downsample.0, downsample.1.
    torch::nn::Conv2d conv1_{nullptr};
    FoldableBatchNorm2d bn1_{nullptr};
    torch::nn::Conv2d conv2_{nullptr};
    FoldableBatchNorm2d bn2_{nullptr};
    torch::nn::Conv2d conv3_{nullptr};
    FoldableBatchNorm2d bn3_{nullptr};
    torch::nn::Sequential downsample_{nullptr};
};

}  // namespace distillery::models
