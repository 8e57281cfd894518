#include "models/WideResNet.h"

#include <torch/torch.h>

#include <array>
#include <stdexcept>
#include <string>

#include "models/WeightInit.h"

namespace distillery::models {

namespace nn = torch::nn;

WideResNet::WideResNet(int64_t depth, int64_t widenFactor, int64_t inChannels, int64_t numClasses) {
    if (depth < 10 || (depth - 4) % 6 != 0) {
        throw std::invalid_argument("WideResNet: depth must be 6n+4 with n >= 1, got " + std::to_string(depth));
    }
    if (widenFactor < 1) {
        throw std::invalid_argument("WideResNet: widen factor must be positive, got " + std::to_string(widenFactor));
    }
    if (inChannels < 1 || numClasses < 1) {
        throw std::invalid_argument("WideResNet: input channels and classes must be positive, got " +
                                    std::to_string(inChannels) + " and " + std::to_string(numClasses));
    }
    const int64_t blocksPerStage = (depth - 4) / 6;
    const std::array<int64_t, 3> stageWidths{16 * widenFactor, 32 * widenFactor, 64 * widenFactor};

    conv1_ = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(inChannels, 16, 3).padding(1).bias(false)));
    int64_t inPlanes = 16;
    for (int64_t s = 0; s < 3; ++s) {
        // RepDistiller wraps each stage's blocks as NetworkBlock.layer (a Sequential): blockK.layer.i.
        auto networkBlock = std::make_shared<nn::Module>();
        nn::ModuleList layer;
        std::vector<std::shared_ptr<WideBasicBlock>> blocks;
        for (int64_t b = 0; b < blocksPerStage; ++b) {
            auto block = std::make_shared<WideBasicBlock>(inPlanes, stageWidths[s], b == 0 && s > 0 ? 2 : 1);
            layer->push_back(block);
            blocks.push_back(block);
            inPlanes = stageWidths[s];
        }
        networkBlock->register_module("layer", layer);
        register_module("block" + std::to_string(s + 1), networkBlock);
        stages_.push_back(std::move(blocks));
    }
    bn1_ = register_module("bn1", nn::BatchNorm2d(stageWidths[2]));
    fc_ = register_module("fc", nn::Linear(stageWidths[2], numClasses));
    initialiseWeights(*this, LinearInit::ZeroBias);
    setLayout({{stageWidths[0], 1}, {stageWidths[1], 2}, {stageWidths[2], 4}}, numClasses);
}

at::Tensor WideResNet::stem(const at::Tensor& image) { return conv1_->forward(image); }

at::Tensor WideResNet::runStage(int64_t stage, const at::Tensor& x, at::Tensor* preReLU) {
    at::Tensor h = x;
    for (auto& block : stages_[stage]) h = block->forward(h);
    if (stage < 2) {
        if (preReLU) *preReLU = h;
        return h;
    }
    const at::Tensor pre = bn1_->forward(h);
    if (preReLU) *preReLU = pre;
    return at::relu(pre);
}

at::Tensor WideResNet::classifier(const at::Tensor& pooled) { return fc_->forward(pooled); }

}  // namespace distillery::models
