#pragma once
// The wide ResNets of RepDistiller (HobbitLong/RepDistiller, models/wrn.py): wrn_16_2 and wrn_40_2.
// Depth 6n+4, widths 16·k, 32·k, 64·k. Stem: one conv3x3 (no bn/relu: the blocks are pre-activation).
// Stages: block1, block2, block3 (n WideBasicBlocks each, strides 1, 2, 2). The network's final
// bn1 + relu, which RepDistiller applies before pooling, belongs to the last stage, so that head()
// is only pool + fc as for every StagedNet.
//
// preReLU: stages 0 and 1 end in a residual sum with no activation, so their preReLU is the stage
// output itself; stage 2's is bn1's output, before the final relu.
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "models/StagedNet.h"
#include "models/WideBasicBlock.h"

namespace distillery::models {

class WideResNet : public StagedNet {
public:
    WideResNet(int64_t depth, int64_t widenFactor, int64_t inChannels, int64_t numClasses);

private:
    at::Tensor stem(const at::Tensor& image) override;
    at::Tensor runStage(int64_t stage, const at::Tensor& x, at::Tensor* preReLU) override;
    at::Tensor classifier(const at::Tensor& pooled) override;

    // Parameter names as RepDistiller's: conv1, block1.layer.0.bn1, …, block3.layer.N.conv2, bn1, fc.
    torch::nn::Conv2d conv1_{nullptr};
    std::vector<std::vector<std::shared_ptr<WideBasicBlock>>> stages_;
    torch::nn::BatchNorm2d bn1_{nullptr};
    torch::nn::Linear fc_{nullptr};
};

}  // namespace distillery::models
