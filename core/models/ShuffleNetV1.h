#pragma once
// ShuffleNet v1 as in RepDistiller (HobbitLong/RepDistiller, models/ShuffleNetv1.py, ShuffleV1):
// out_planes 240/480/960, 4/8/4 units, 3 groups. Stem conv1x1 (in→24) + bn + relu, at full
// resolution as RepDistiller adapts it to 32-px inputs; three stages layer1..layer3, each opening with
// a stride-2 unit that concatenates its pooled input; global average pool; Linear ("linear").
//
// Stages = layer1, layer2, layer3 (strides 2, 4, 8), RepDistiller's f1..f3. Every stage ends in a
// relu; preReLU is its last unit's sum before that relu (RepDistiller's preact features).
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "models/FoldableBatchNorm.h"
#include "models/ShuffleV1Bottleneck.h"
#include "models/StagedNet.h"

namespace distillery::models {

class ShuffleNetV1 : public StagedNet {
public:
    ShuffleNetV1(const std::array<int64_t, 3>& outPlanes, const std::array<int64_t, 3>& numBlocks, int64_t groups,
                 int64_t inChannels, int64_t numClasses);

private:
    at::Tensor stem(const at::Tensor& image) override;
    at::Tensor runStage(int64_t stage, const at::Tensor& x, at::Tensor* preReLU) override;
    at::Tensor classifier(const at::Tensor& pooled) override;

    // Parameter names as RepDistiller's: conv1, bn1, layer1.0.conv1, …, layer3.N.bn3, linear.
    torch::nn::Conv2d conv1_{nullptr};
    FoldableBatchNorm2d bn1_{nullptr};
    std::vector<std::vector<std::shared_ptr<ShuffleV1Bottleneck>>> stages_;
    torch::nn::Linear linear_{nullptr};
};

}  // namespace distillery::models
