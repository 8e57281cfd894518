#include "models/ShuffleNetV2.h"

#include <torch/torch.h>

#include <stdexcept>
#include <string>

namespace distillery::models {

namespace nn = torch::nn;

namespace {
constexpr int64_t kStemWidth = 24;
}

ShuffleNetV2::ShuffleNetV2(const std::array<int64_t, 4>& outChannels, const std::array<int64_t, 3>& numBlocks,
                           int64_t inChannels, int64_t numClasses) {
    for (int64_t s = 0; s < 3; ++s) {
        if (numBlocks[s] < 1 || outChannels[s] < 2 || outChannels[s] % 2 != 0) {
            throw std::invalid_argument("ShuffleNetV2: every stage needs basic units and an even width");
        }
    }
    if (inChannels < 1 || numClasses < 1) {
        throw std::invalid_argument("ShuffleNetV2: input channels and classes must be positive, got " +
                                    std::to_string(inChannels) + " and " + std::to_string(numClasses));
    }
    conv1_ = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(inChannels, kStemWidth, 1).bias(false)));
    bn1_ = register_module("bn1", FoldableBatchNorm2d(kStemWidth));
    int64_t in = kStemWidth;
    for (int64_t s = 0; s < 3; ++s) {
        nn::ModuleList layer;
        auto down = std::make_shared<ShuffleV2DownBlock>(in, outChannels[s]);
        layer->push_back(down);
        down_.push_back(down);
        std::vector<std::shared_ptr<ShuffleV2Block>> units;
        for (int64_t b = 0; b < numBlocks[s]; ++b) {
            auto unit = std::make_shared<ShuffleV2Block>(outChannels[s]);
            layer->push_back(unit);
            units.push_back(unit);
        }
        register_module("layer" + std::to_string(s + 1), layer);
        units_.push_back(std::move(units));
        in = outChannels[s];
    }
    conv2_ = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(in, outChannels[3], 1).bias(false)));
    bn2_ = register_module("bn2", FoldableBatchNorm2d(outChannels[3]));
    linear_ = register_module("linear", nn::Linear(outChannels[3], numClasses));
    // RepDistiller leaves ShuffleNet v2 with PyTorch's default initialisation, as LibTorch's.
    // The last stage ends with conv2, so its width is the final 1x1 conv's.
    setLayout({{outChannels[0], 2}, {outChannels[1], 4}, {outChannels[3], 8}}, numClasses);
}

at::Tensor ShuffleNetV2::stem(const at::Tensor& image) { return at::relu(bn1_->forward(conv1_->forward(image))); }

at::Tensor ShuffleNetV2::runStage(int64_t stage, const at::Tensor& x, at::Tensor* preReLU) {
    at::Tensor h = down_[stage]->forward(x);
    auto& units = units_[stage];
    for (size_t i = 0; i < units.size(); ++i) {
        const bool last = i + 1 == units.size();
        h = units[i]->forward(h, last && stage < 2 ? preReLU : nullptr);
    }
    if (stage < 2) return h;
    const at::Tensor pre = bn2_->forward(conv2_->forward(h));
    if (preReLU) *preReLU = pre;
    return at::relu(pre);
}

at::Tensor ShuffleNetV2::classifier(const at::Tensor& pooled) { return linear_->forward(pooled); }

}  // namespace distillery::models
