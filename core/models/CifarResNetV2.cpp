#include "models/CifarResNetV2.h"

#include <torch/torch.h>

#include <stdexcept>
#include <string>

#include "models/WeightInit.h"

namespace distillery::models {

namespace nn = torch::nn;

namespace {
constexpr int64_t kPlanes[4] = {64, 128, 256, 512};
}

CifarResNetV2::CifarResNetV2(Block block, const std::array<int64_t, 4>& blocksPerStage, int64_t inChannels,
                             int64_t numClasses) {
    for (int64_t n : blocksPerStage) {
        if (n < 1) throw std::invalid_argument("CifarResNetV2: every stage needs at least one block");
    }
    if (inChannels < 1 || numClasses < 1) {
        throw std::invalid_argument("CifarResNetV2: input channels and classes must be positive, got " +
                                    std::to_string(inChannels) + " and " + std::to_string(numClasses));
    }
    // resnetv2.py: conv1 = Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False), no max-pool.
    conv1_ = register_module("conv1",
                             nn::Conv2d(nn::Conv2dOptions(inChannels, 64, 3).stride(1).padding(1).bias(false)));
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
    setLayout({{kPlanes[0] * expansion, 1},
               {kPlanes[1] * expansion, 2},
               {kPlanes[2] * expansion, 4},
               {kPlanes[3] * expansion, 8}},
              numClasses);
}

at::Tensor CifarResNetV2::stem(const at::Tensor& image) { return at::relu(bn1_->forward(conv1_->forward(image))); }

at::Tensor CifarResNetV2::runStage(int64_t stage, const at::Tensor& x, at::Tensor* preReLU) {
    return runBlocks(bottleneckStages_[stage], runBlocks(basicStages_[stage], x, preReLU), preReLU);
}

at::Tensor CifarResNetV2::classifier(const at::Tensor& pooled) { return fc_->forward(pooled); }

}  // namespace distillery::models
