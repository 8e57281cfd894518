#include "models/TorchvisionResNet.h"

#include <torch/torch.h>

#include <stdexcept>
#include <string>

#include "models/WeightInit.h"

namespace distillery::models {

namespace nn = torch::nn;

namespace {
constexpr int64_t kPlanes[4] = {64, 128, 256, 512};
}

TorchvisionResNet::TorchvisionResNet(Block block, const std::array<int64_t, 4>& blocksPerStage, int64_t inChannels,
                                     int64_t numClasses, Stem stem)
    : stemKind_(stem) {
    for (int64_t n : blocksPerStage) {
        if (n < 1) throw std::invalid_argument("TorchvisionResNet: every stage needs at least one block");
    }
    if (inChannels < 1 || numClasses < 1) {
        throw std::invalid_argument("TorchvisionResNet: input channels and classes must be positive, got " +
                                    std::to_string(inChannels) + " and " + std::to_string(numClasses));
    }
    // resnetv2.py's CIFAR stem: Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False).
    const bool cifar = stem == Stem::Cifar;
    conv1_ = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(inChannels, 64, cifar ? 3 : 7)
                                                     .stride(cifar ? 1 : 2)
                                                     .padding(cifar ? 1 : 3)
                                                     .bias(false)));
    bn1_ = register_module("bn1", FoldableBatchNorm2d(64));
    const int64_t expansion = block == Block::Bottleneck ? Bottleneck::kExpansion : 1;
    int64_t inPlanes = 64;
    for (int64_t s = 0; s < 4; ++s) {
        nn::ModuleList layer;
        std::vector<std::shared_ptr<BasicBlock>> basic;
        std::vector<std::shared_ptr<Bottleneck>> bottleneck;
        for (int64_t b = 0; b < blocksPerStage[s]; ++b) {
            const int64_t stride = b == 0 && s > 0 ? 2 : 1;
            if (block == Block::Basic) {
                basic.push_back(std::make_shared<BasicBlock>(inPlanes, kPlanes[s], stride));
                layer->push_back(basic.back());
            } else {
                bottleneck.push_back(std::make_shared<Bottleneck>(inPlanes, kPlanes[s], stride));
                layer->push_back(bottleneck.back());
            }
            inPlanes = kPlanes[s] * expansion;
        }
        register_module("layer" + std::to_string(s + 1), layer);
        basicStages_.push_back(std::move(basic));
        bottleneckStages_.push_back(std::move(bottleneck));
    }
    fc_ = register_module("fc", nn::Linear(inPlanes, numClasses));
    initialiseWeights(*this, LinearInit::Default);
    const int64_t first = cifar ? 1 : 4;   // the first stage's stride
    setLayout({{kPlanes[0] * expansion, first},
               {kPlanes[1] * expansion, 2 * first},
               {kPlanes[2] * expansion, 4 * first},
               {kPlanes[3] * expansion, 8 * first}},
              numClasses);
}

at::Tensor TorchvisionResNet::stem(const at::Tensor& image) {
    const at::Tensor h = at::relu(bn1_->forward(conv1_->forward(image)));
    return stemKind_ == Stem::Cifar ? h : at::max_pool2d(h, {3, 3}, {2, 2}, {1, 1});
}

at::Tensor TorchvisionResNet::runStage(int64_t stage, const at::Tensor& x, at::Tensor* preReLU) {
    // A stage holds basic blocks (resnet18/34) or bottlenecks (resnet50); the other list is empty.
    return runBlocks(bottleneckStages_[stage], runBlocks(basicStages_[stage], x, preReLU), preReLU);
}

at::Tensor TorchvisionResNet::classifier(const at::Tensor& pooled) { return fc_->forward(pooled); }

}  // namespace distillery::models
