#pragma once
// ShuffleNet v2 as in RepDistiller (HobbitLong/RepDistiller, models/ShuffleNetv2.py, ShuffleV2 =
// net_size 1): out_channels 116/232/464/1024, 3/7/3 basic units. Stem conv1x1 (in→24) + bn + relu at
// full resolution (RepDistiller's 32-px adaptation: no stem max-pool); three stages layer1..layer3,
// each a down-sampling unit followed by the basic units; conv1x1 to 1024 + bn + relu; global average
// pool; Linear ("linear").
//
// Stages = layer1, layer2, layer3 (strides 2, 4, 8), RepDistiller's f1..f3; the final conv2 + bn2 +
// relu belongs to the last stage, so that head() is pool + linear only.
// preReLU: stages 0 and 1 end in a shuffled concatenation whose second half has just been through a
// relu (and whose first half is the output of earlier relus): their preReLU is the same
// concatenation with that half taken before its relu — RepDistiller's preact feature, shuffled like
// the output — so relu(preReLU) equals the stage output. Stage 2's preReLU is bn2's output.
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "models/FoldableBatchNorm.h"
#include "models/ShuffleV2Block.h"
#include "models/ShuffleV2DownBlock.h"
#include "models/StagedNet.h"

namespace distillery::models {

class ShuffleNetV2 : public StagedNet {
public:
    // outChannels: the three stages' widths and the final 1x1 conv's.
    ShuffleNetV2(const std::array<int64_t, 4>& outChannels, const std::array<int64_t, 3>& numBlocks,
                 int64_t inChannels, int64_t numClasses);

private:
    at::Tensor stem(const at::Tensor& image) override;
    at::Tensor runStage(int64_t stage, const at::Tensor& x, at::Tensor* preReLU) override;
    at::Tensor classifier(const at::Tensor& pooled) override;

    // Parameter names as RepDistiller's: conv1, bn1, layerK.0 (down unit), layerK.i (basic units),
    // conv2, bn2, linear.
    torch::nn::Conv2d conv1_{nullptr};
    FoldableBatchNorm2d bn1_{nullptr};
    std::vector<std::shared_ptr<ShuffleV2DownBlock>> down_;
    std::vector<std::vector<std::shared_ptr<ShuffleV2Block>>> units_;
    torch::nn::Conv2d conv2_{nullptr};
    FoldableBatchNorm2d bn2_{nullptr};
    torch::nn::Linear linear_{nullptr};
};

}  // namespace distillery::models
