#include "models/CifarResNet.h"

#include <torch/torch.h>

#include <stdexcept>
#include <string>

#include "models/WeightInit.h"

namespace distillery::models {

namespace nn = torch::nn;

CifarResNet::CifarResNet(int64_t depth, const std::array<int64_t, 4>& numFilters, int64_t inChannels,
                         int64_t numClasses) {
    if (depth < 8 || (depth - 2) % 6 != 0) {
        throw std::invalid_argument("CifarResNet: depth must be 6n+2 with n >= 1, got " + std::to_string(depth));
    }
    if (inChannels < 1 || numClasses < 1) {
        throw std::invalid_argument("CifarResNet: input channels and classes must be positive, got " +
                                    std::to_string(inChannels) + " and " + std::to_string(numClasses));
    }
    const int64_t blocksPerStage = (depth - 2) / 6;

    conv1_ = register_module(
        "conv1", nn::Conv2d(nn::Conv2dOptions(inChannels, numFilters[0], 3).padding(1).bias(false)));
    bn1_ = register_module("bn1", FoldableBatchNorm2d(numFilters[0]));
    int64_t inPlanes = numFilters[0];
    for (int64_t s = 0; s < 3; ++s) {
        const int64_t planes = numFilters[s + 1];
        nn::ModuleList layer;
        std::vector<std::shared_ptr<BasicBlock>> blocks;
        for (int64_t b = 0; b < blocksPerStage; ++b) {
            auto block = std::make_shared<BasicBlock>(inPlanes, planes, b == 0 && s > 0 ? 2 : 1);
            layer->push_back(block);
            blocks.push_back(block);
            inPlanes = planes;
        }
        register_module("layer" + std::to_string(s + 1), layer);
        stages_.push_back(std::move(blocks));
    }
    fc_ = register_module("fc", nn::Linear(numFilters[3], numClasses));

    // RepDistiller's initialisation: Kaiming normal (fan_out, relu) for convolutions, BN weight 1 and
    // bias 0. The linear layer keeps PyTorch's default initialisation, as there.
    initialiseWeights(*this, LinearInit::Default);
    setLayout({{numFilters[1], 1}, {numFilters[2], 2}, {numFilters[3], 4}}, numClasses);
}

at::Tensor CifarResNet::stem(const at::Tensor& image) { return at::relu(bn1_->forward(conv1_->forward(image))); }

at::Tensor CifarResNet::runStage(int64_t stage, const at::Tensor& x, at::Tensor* preReLU) {
    return runBlocks(stages_[stage], x, preReLU);
}

at::Tensor CifarResNet::classifier(const at::Tensor& pooled) { return fc_->forward(pooled); }

}  // namespace distillery::models
