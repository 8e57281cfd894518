#pragma once
// The ImageNet-style ResNets in torchvision's layout (models/resnet.py), which RepDistiller's
// ImageNet experiments use: resnet18/34 (BasicBlock, 2-2-2-2 / 3-4-6-3) and resnet50 (Bottleneck,
// 3-4-6-3). Stem conv7x7/2 + bn + relu + maxpool 3x3/2; stages layer1..layer4 (64, 128, 256, 512
// planes × the block's expansion; strides 4, 8, 16, 32); head global average pool + fc. The stem
// takes any channel count. Small inputs work: 28 px gives 7, 4, 2, 1 pixels per stage side.
//
// preReLU: each stage's last block output before its final relu (the residual sum).
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "models/BasicBlock.h"
#include "models/Bottleneck.h"
#include "models/FoldableBatchNorm.h"
#include "models/StagedNet.h"

namespace distillery::models {

class ImageNetResNet : public StagedNet {
public:
    enum class Block { Basic, Bottleneck };

    ImageNetResNet(Block block, const std::array<int64_t, 4>& blocksPerStage, int64_t inChannels, int64_t numClasses);

private:
    at::Tensor stem(const at::Tensor& image) override;
    at::Tensor runStage(int64_t stage, const at::Tensor& x, at::Tensor* preReLU) override;
    at::Tensor classifier(const at::Tensor& pooled) override;

    // Parameter names as torchvision's: conv1, bn1, layer1.0.conv1, …, layer4.N.bn2/bn3, fc.
    torch::nn::Conv2d conv1_{nullptr};
    FoldableBatchNorm2d bn1_{nullptr};
    // One of the two is filled, by the block type.
    std::vector<std::vector<std::shared_ptr<BasicBlock>>> basicStages_;
    std::vector<std::vector<std::shared_ptr<Bottleneck>>> bottleneckStages_;
    torch::nn::Linear fc_{nullptr};
};

}  // namespace distillery::models
