#pragma once
// The VGGs of RepDistiller (HobbitLong/RepDistiller, models/vgg.py, with batch norm): vgg8 (cfg 'S'),
// vgg11 ('A'), vgg13 ('B'). Five blocks block0..block4 of conv3x3(+bias)-bn-relu, the last relu of
// each block applied outside it (so the block's output is the pre-activation), max-pools pool0..pool2
// between them, global average pool and classifier Linear(512, classes); no fully connected stack.
//
// Stages, chosen to be exactly RepDistiller's feature list [f0, f1, f2, f3, f4] (and its
// get_bn_before_relu: the last bn of block1..block4), so feature-based methods hint at the same places:
//   stem    relu(block0)                         f0, stride 1
//   stage 0 pool0 + block1 + relu                f1, stride 2
//   stage 1 pool1 + block2 + relu                f2, stride 4
//   stage 2 pool2 + block3 + relu                f3, stride 8
//   stage 3 block4 + relu                        f4, stride 8
// RepDistiller applies pool3 before block4 only for 64-px inputs (Tiny-ImageNet); for CIFAR-sized
// inputs it does not, and neither does this model, at any input size, so that the stage strides are
// fixed. Pools have no parameters, so the counts and names are RepDistiller's either way. Max-pools
// round down: 28-px inputs give 28, 14, 7, 3, 3.
//
// preReLU: each stage's block output (its last bn), before the relu.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <vector>

#include "models/StagedNet.h"

namespace distillery::models {

class Vgg : public StagedNet {
public:
    // The conv widths of block0..block4, e.g. {{64}, {128}, {256}, {512}, {512}} for vgg8.
    using Config = std::array<std::vector<int64_t>, 5>;

    Vgg(const Config& config, int64_t inChannels, int64_t numClasses);

private:
    at::Tensor stem(const at::Tensor& image) override;
    at::Tensor runStage(int64_t stage, const at::Tensor& x, at::Tensor* preReLU) override;
    at::Tensor classifier(const at::Tensor& pooled) override;

    // Parameter names as RepDistiller's: block0.0 (conv), block0.1 (bn), [block0.3, block0.4, …], …, classifier.
    std::array<torch::nn::Sequential, 5> blocks_{nullptr, nullptr, nullptr, nullptr, nullptr};
    torch::nn::Linear classifier_{nullptr};
};

}  // namespace distillery::models
