#pragma once
// A tiny two-stage CNN for fast tests and demos (about 2k parameters):
//   stem    conv3x3(in→8) + bn + relu
//   stage 0 conv3x3(8→8)  + bn + relu, stride 1
//   stage 1 conv3x3(8→16, stride 2) + bn + relu
//   head    global average pool + linear(16→classes)
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <ATen/ATen.h>

#include <cstdint>

#include "models/FoldableBatchNorm.h"
#include "models/StagedNet.h"

namespace distillery::models {

class TinyCnn : public StagedNet {
public:
    TinyCnn(int64_t inChannels, int64_t numClasses);

private:
    at::Tensor stem(const at::Tensor& image) override;
    at::Tensor runStage(int64_t stage, const at::Tensor& x, at::Tensor* preReLU) override;
    at::Tensor classifier(const at::Tensor& pooled) override;

    torch::nn::Conv2d conv1_{nullptr};
    FoldableBatchNorm2d bn1_{nullptr};
    torch::nn::Conv2d stageConv_[2] = {nullptr, nullptr};
    FoldableBatchNorm2d stageBn_[2] = {nullptr, nullptr};
    torch::nn::Linear fc_{nullptr};
};

}  // namespace distillery::models
