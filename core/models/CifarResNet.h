#pragma once
// The CIFAR-style ResNets of RepDistiller (HobbitLong/RepDistiller, models/resnet.py), the widths and
// depths the CRD code base compares: resnet8/14/20/32/44/56/110 (filters 16,16,32,64) and
// resnet8x4/32x4 (filters 32,64,128,256). Stem conv3x3 + bn + relu, three stages of (depth-2)/6
// BasicBlocks with strides 1, 2, 2, head global average pool + linear. RepDistiller pools with
// AvgPool2d(8), which assumes 32×32 inputs; here the pool is adaptive, identical at 32×32 and valid
// for any input size (28×28 Fashion-MNIST included). The stem takes any channel count.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "models/BasicBlock.h"
#include "models/FoldableBatchNorm.h"
#include "models/StagedNet.h"

namespace distillery::models {

class CifarResNet : public StagedNet {
public:
    // depth = 6n + 2; numFilters = {stem, stage 1, stage 2, stage 3}.
    CifarResNet(int64_t depth, const std::array<int64_t, 4>& numFilters, int64_t inChannels, int64_t numClasses);

private:
    at::Tensor stem(const at::Tensor& image) override;
    // preReLU (if given) receives the stage's last block output before its final ReLU.
    at::Tensor runStage(int64_t stage, const at::Tensor& x, at::Tensor* preReLU) override;
    at::Tensor classifier(const at::Tensor& pooled) override;

    // Parameter names as RepDistiller's: conv1, bn1, layer1.0.conv1, …, layer3.N.bn2, fc.
    torch::nn::Conv2d conv1_{nullptr};
    FoldableBatchNorm2d bn1_{nullptr};
    std::vector<std::vector<std::shared_ptr<BasicBlock>>> stages_;
    torch::nn::Linear fc_{nullptr};
};

}  // namespace distillery::models
