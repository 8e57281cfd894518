#include "models/TinyCnn.h"

#include <torch/torch.h>

#include <stdexcept>
#include <string>

#include "models/WeightInit.h"

namespace distillery::models {

namespace nn = torch::nn;

namespace {
constexpr int64_t kChannels[2] = {8, 16};
constexpr int64_t kStrides[2] = {1, 2};
}  // namespace

TinyCnn::TinyCnn(int64_t inChannels, int64_t numClasses) {
    if (inChannels < 1 || numClasses < 1) {
        throw std::invalid_argument("TinyCnn: input channels and classes must be positive, got " +
                                    std::to_string(inChannels) + " and " + std::to_string(numClasses));
    }
    conv1_ = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(inChannels, 8, 3).padding(1).bias(false)));
    bn1_ = register_module("bn1", FoldableBatchNorm2d(8));
    int64_t in = 8;
    for (int s = 0; s < 2; ++s) {
        // Named layer1.conv / layer1.bn, layer2.conv / layer2.bn.
        auto layer = std::make_shared<nn::Module>();
        stageConv_[s] = layer->register_module(
            "conv", nn::Conv2d(nn::Conv2dOptions(in, kChannels[s], 3).stride(kStrides[s]).padding(1).bias(false)));
        stageBn_[s] = layer->register_module("bn", FoldableBatchNorm2d(kChannels[s]));
        register_module("layer" + std::to_string(s + 1), layer);
        in = kChannels[s];
    }
    fc_ = register_module("fc", nn::Linear(16, numClasses));

    initialiseWeights(*this, LinearInit::Default);   // as the CIFAR ResNets
    setLayout({{kChannels[0], 1}, {kChannels[1], 2}}, numClasses);
}

at::Tensor TinyCnn::stem(const at::Tensor& image) { return at::relu(bn1_->forward(conv1_->forward(image))); }

at::Tensor TinyCnn::runStage(int64_t stage, const at::Tensor& x, at::Tensor* preReLU) {
    at::Tensor pre = stageBn_[stage]->forward(stageConv_[stage]->forward(x));
    if (preReLU) *preReLU = pre;
    return at::relu(pre);
}

at::Tensor TinyCnn::classifier(const at::Tensor& pooled) { return fc_->forward(pooled); }

}  // namespace distillery::models
