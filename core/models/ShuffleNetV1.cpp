#include "models/ShuffleNetV1.h"

#include <torch/torch.h>

#include <stdexcept>
#include <string>

namespace distillery::models {

namespace nn = torch::nn;

namespace {
constexpr int64_t kStemWidth = 24;
}

ShuffleNetV1::ShuffleNetV1(const std::array<int64_t, 3>& outPlanes, const std::array<int64_t, 3>& numBlocks,
                           int64_t groups, int64_t inChannels, int64_t numClasses) {
    if (inChannels < 1 || numClasses < 1) {
        throw std::invalid_argument("ShuffleNetV1: input channels and classes must be positive, got " +
                                    std::to_string(inChannels) + " and " + std::to_string(numClasses));
    }
    int64_t previous = kStemWidth;
    for (int64_t s = 0; s < 3; ++s) {
        if (numBlocks[s] < 1 || outPlanes[s] <= previous || groups < 1) {
            throw std::invalid_argument("ShuffleNetV1: every stage needs units, wider than the one before, and groups "
                                        ">= 1");
        }
        previous = outPlanes[s];
    }
    conv1_ = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(inChannels, kStemWidth, 1).bias(false)));
    bn1_ = register_module("bn1", FoldableBatchNorm2d(kStemWidth));
    int64_t inPlanes = kStemWidth;
    for (int64_t s = 0; s < 3; ++s) {
        nn::ModuleList layer;
        std::vector<std::shared_ptr<ShuffleV1Bottleneck>> blocks;
        for (int64_t b = 0; b < numBlocks[s]; ++b) {
            // The stride-2 opening unit concatenates its input, so its convolutions add only the rest.
            const int64_t convOut = b == 0 ? outPlanes[s] - inPlanes : outPlanes[s];
            // ShuffleNet does not group the first 1x1 conv on the narrow stem output (RepDistiller: in == 24).
            const int64_t firstGroups = inPlanes == kStemWidth ? 1 : groups;
            auto block = std::make_shared<ShuffleV1Bottleneck>(inPlanes, convOut, b == 0 ? 2 : 1, groups, firstGroups);
            layer->push_back(block);
            blocks.push_back(block);
            inPlanes = outPlanes[s];
        }
        register_module("layer" + std::to_string(s + 1), layer);
        stages_.push_back(std::move(blocks));
    }
    linear_ = register_module("linear", nn::Linear(outPlanes[2], numClasses));
    // RepDistiller leaves ShuffleNet v1 with PyTorch's default initialisation, as LibTorch's.
    setLayout({{outPlanes[0], 2}, {outPlanes[1], 4}, {outPlanes[2], 8}}, numClasses);
}

at::Tensor ShuffleNetV1::stem(const at::Tensor& image) { return at::relu(bn1_->forward(conv1_->forward(image))); }

at::Tensor ShuffleNetV1::runStage(int64_t stage, const at::Tensor& x, at::Tensor* preReLU) {
    return runBlocks(stages_[stage], x, preReLU);
}

at::Tensor ShuffleNetV1::classifier(const at::Tensor& pooled) { return linear_->forward(pooled); }

}  // namespace distillery::models
