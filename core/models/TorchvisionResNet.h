#pragma once
// ResNets in torchvision's layout (models/resnet.py): stages layer1..layer4 of 64, 128, 256, 512
// planes × the block's expansion (BasicBlock, or Bottleneck with the stride on the 3x3 conv); head
// global average pool + fc. Parameter names as torchvision's: conv1, bn1, layer1.0.conv1, …,
// layer4.N.bn2/bn3, downsample.0/1, fc. The stem takes any channel count. Two stems:
// - ImageNet: conv7x7/2 + bn + relu + maxpool 3x3/2, stages at strides 4, 8, 16, 32 (resnet18/34/50,
//   RepDistiller's ImageNet experiments). Small inputs work: 28 px gives 7, 4, 2, 1 pixels per side.
// - Cifar: conv3x3/1 + bn + relu, no max-pool, stages at strides 1, 2, 4, 8: the CRD code base's
//   models/resnetv2.py (ResNet18/34/50; SAKD pairs its ResNet50 with MobileNetV2 and vgg8), which names
//   downsample "shortcut" and fc "linear", and Adaptive Distillation's mmcls ResNet_CIFAR (depth 18, 50,
//   style "pytorch"), the same network layer for layer (mmcls also zeroes each block's last BN weight;
//   not done here).
// Initialisation as both: Kaiming normal (fan_out, relu) convolutions, BN 1/0, default linear.
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

class TorchvisionResNet : public StagedNet {
public:
    enum class Block { Basic, Bottleneck };
    enum class Stem { ImageNet, Cifar };

    TorchvisionResNet(Block block, const std::array<int64_t, 4>& blocksPerStage, int64_t inChannels,
                      int64_t numClasses, Stem stem = Stem::ImageNet);

private:
    at::Tensor stem(const at::Tensor& image) override;
    at::Tensor runStage(int64_t stage, const at::Tensor& x, at::Tensor* preReLU) override;
    at::Tensor classifier(const at::Tensor& pooled) override;

    Stem stemKind_;
    torch::nn::Conv2d conv1_{nullptr};
    FoldableBatchNorm2d bn1_{nullptr};
    // One of the two is filled, by the block type.
    std::vector<std::vector<std::shared_ptr<BasicBlock>>> basicStages_;
    std::vector<std::vector<std::shared_ptr<Bottleneck>>> bottleneckStages_;
    torch::nn::Linear fc_{nullptr};
};

}  // namespace distillery::models
