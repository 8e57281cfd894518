#pragma once
// The CIFAR ResNets with ImageNet widths of the CRD code base (HobbitLong/RepDistiller
// models/resnetv2.py, ResNet18/34/50; SAKD copies the file unchanged), which SAKD pairs with
// MobileNetV2 and vgg8: torchvision's stages (64, 128, 256, 512 planes × the block's expansion;
// BasicBlock or Bottleneck with the stride on the 3x3 conv) behind a CIFAR stem, conv3x3/1 + bn + relu
// and no max-pool, so the stages run at strides 1, 2, 4, 8; head adaptive average pool + linear.
// Adaptive Distillation's ResNet_CIFAR (mmcls, depth 18 and 50, style "pytorch") is the same network
// layer for layer. The stem takes any channel count.
//
// Parameter names follow torchvision and mmcls (downsample.0/1, fc), which resnetv2.py calls shortcut
// and linear; the layers and their registration order are the same. Initialisation as resnetv2.py:
// Kaiming normal (fan_out) convolutions, BN 1/0, default linear (mmcls additionally zeroes the last BN
// weight of each block; not done here).
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

class CifarResNetV2 : public StagedNet {
public:
    enum class Block { Basic, Bottleneck };

    CifarResNetV2(Block block, const std::array<int64_t, 4>& blocksPerStage, int64_t inChannels, int64_t numClasses);

private:
    at::Tensor stem(const at::Tensor& image) override;
    at::Tensor runStage(int64_t stage, const at::Tensor& x, at::Tensor* preReLU) override;
    at::Tensor classifier(const at::Tensor& pooled) override;

    torch::nn::Conv2d conv1_{nullptr};
    FoldableBatchNorm2d bn1_{nullptr};
    // One of the two is filled, by the block type.
    std::vector<std::vector<std::shared_ptr<BasicBlock>>> basicStages_;
    std::vector<std::vector<std::shared_ptr<Bottleneck>>> bottleneckStages_;
    torch::nn::Linear fc_{nullptr};
};

}  // namespace distillery::models
