#include "models/MobileNetV2.h"

#include <torch/torch.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "models/WeightInit.h"

namespace distillery::models {

namespace nn = torch::nn;

namespace {

struct GroupSetting {
    bool expands;   // false: expansion 1 (the first group), true: the network's expand ratio
    int64_t channels, blocks, stride;
};
constexpr GroupSetting kGroups[7] = {{false, 16, 1, 1}, {true, 24, 2, 1},  {true, 32, 3, 2}, {true, 64, 4, 2},
                                     {true, 96, 3, 1},  {true, 160, 3, 2}, {true, 320, 1, 1}};
// The block groups each stage runs: {first, last}.
constexpr int64_t kStageGroups[4][2] = {{0, 1}, {2, 2}, {3, 4}, {5, 6}};
constexpr int64_t kStageStrides[4] = {2, 4, 8, 16};

// Python's int(c * width_mult): truncation.
int64_t scaled(int64_t channels, double multiplier) { return static_cast<int64_t>(channels * multiplier); }

}  // namespace

MobileNetV2::MobileNetV2(int64_t expandRatio, double widthMultiplier, int64_t inChannels, int64_t numClasses) {
    if (expandRatio < 1 || !(widthMultiplier > 0) || scaled(16, widthMultiplier) < 1) {
        throw std::invalid_argument("MobileNetV2: expand ratio must be >= 1 and the width multiplier at least "
                                    "1/16, got " + std::to_string(expandRatio) + " and " +
                                    std::to_string(widthMultiplier));
    }
    if (inChannels < 1 || numClasses < 1) {
        throw std::invalid_argument("MobileNetV2: input channels and classes must be positive, got " +
                                    std::to_string(inChannels) + " and " + std::to_string(numClasses));
    }
    int64_t in = scaled(32, widthMultiplier);
    conv1_ = register_module("conv1", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(inChannels, in, 3)
                                                                     .stride(2)
                                                                     .padding(1)
                                                                     .bias(false)),
                                                      FoldableBatchNorm2d(in), nn::ReLU()));
    nn::ModuleList blocks;
    for (const GroupSetting& g : kGroups) {
        const int64_t out = scaled(g.channels, widthMultiplier);
        nn::ModuleList group;   // a Sequential in RepDistiller: same names (blocks.G.i)
        std::vector<std::shared_ptr<InvertedResidual>> typed;
        for (int64_t i = 0; i < g.blocks; ++i) {
            const int64_t stride = i == 0 ? g.stride : 1;
            auto block = std::make_shared<InvertedResidual>(in, out, stride, g.expands ? expandRatio : 1);
            group->push_back(block);
            typed.push_back(block);
            in = out;
        }
        blocks->push_back(group);
        groups_.push_back(std::move(typed));
    }
    register_module("blocks", blocks);

    const int64_t lastChannels = widthMultiplier > 1.0 ? scaled(1280, widthMultiplier) : 1280;
    lastConv_ = nn::Conv2d(nn::Conv2dOptions(in, lastChannels, 1).bias(false));
    lastBn_ = FoldableBatchNorm2d(lastChannels);
    register_module("conv2", nn::Sequential(lastConv_, lastBn_, nn::ReLU()));
    classifier_ = register_module("classifier", nn::Sequential(nn::Linear(lastChannels, numClasses)));

    initialiseWeights(*this, LinearInit::Normal001);

    // Stages 0-2 end with their last block group's width; stage 3 with conv2's.
    std::vector<StageLayout> layout;
    for (int64_t s = 0; s < 3; ++s) {
        layout.push_back({scaled(kGroups[kStageGroups[s][1]].channels, widthMultiplier), kStageStrides[s]});
    }
    layout.push_back({lastChannels, kStageStrides[3]});
    setLayout(std::move(layout), numClasses);
}

at::Tensor MobileNetV2::stem(const at::Tensor& image) { return conv1_->forward(image); }

at::Tensor MobileNetV2::runStage(int64_t stage, const at::Tensor& x, at::Tensor* preReLU) {
    at::Tensor h = x;
    for (int64_t g = kStageGroups[stage][0]; g <= kStageGroups[stage][1]; ++g) {
        for (auto& block : groups_[g]) h = block->forward(h);
    }
    if (stage < 3) {
        if (preReLU) *preReLU = h;
        return h;
    }
    const at::Tensor pre = lastBn_->forward(lastConv_->forward(h));
    if (preReLU) *preReLU = pre;
    return at::relu(pre);
}

at::Tensor MobileNetV2::classifier(const at::Tensor& pooled) { return classifier_->forward(pooled); }

}  // namespace distillery::models
