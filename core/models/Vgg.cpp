#include "models/Vgg.h"

#include <torch/torch.h>

#include <stdexcept>
#include <string>

#include "models/FoldableBatchNorm.h"
#include "models/WeightInit.h"

namespace distillery::models {

namespace nn = torch::nn;

namespace {

// conv-bn-relu per width, without the last relu (RepDistiller's _make_layers drops it: layers[:-1]).
nn::Sequential makeBlock(const std::vector<int64_t>& widths, int64_t inChannels) {
    nn::Sequential block;
    for (size_t i = 0; i < widths.size(); ++i) {
        block->push_back(nn::Conv2d(nn::Conv2dOptions(inChannels, widths[i], 3).padding(1)));
        block->push_back(FoldableBatchNorm2d(widths[i]));
        if (i + 1 < widths.size()) block->push_back(nn::ReLU());
        inChannels = widths[i];
    }
    return block;
}

}  // namespace

Vgg::Vgg(const Config& config, int64_t inChannels, int64_t numClasses) {
    for (const auto& widths : config) {
        if (widths.empty()) throw std::invalid_argument("Vgg: every block needs at least one convolution");
    }
    if (inChannels < 1 || numClasses < 1) {
        throw std::invalid_argument("Vgg: input channels and classes must be positive, got " +
                                    std::to_string(inChannels) + " and " + std::to_string(numClasses));
    }
    int64_t in = inChannels;
    for (size_t b = 0; b < blocks_.size(); ++b) {
        blocks_[b] = register_module("block" + std::to_string(b), makeBlock(config[b], in));
        in = config[b].back();
    }
    classifier_ = register_module("classifier", nn::Linear(in, numClasses));
    initialiseWeights(*this, LinearInit::Normal001);
    // Strides 2, 4, 8, 8: no pool before block4.
    setLayout({{config[1].back(), 2}, {config[2].back(), 4}, {config[3].back(), 8}, {config[4].back(), 8}},
              numClasses);
}

at::Tensor Vgg::stem(const at::Tensor& image) { return at::relu(blocks_[0]->forward(image)); }

at::Tensor Vgg::runStage(int64_t stage, const at::Tensor& x, at::Tensor* preReLU) {
    const at::Tensor in = stage < 3 ? at::max_pool2d(x, {2, 2}, {2, 2}) : x;
    const at::Tensor pre = blocks_[stage + 1]->forward(in);
    if (preReLU) *preReLU = pre;
    return at::relu(pre);
}

at::Tensor Vgg::classifier(const at::Tensor& pooled) { return classifier_->forward(pooled); }

}  // namespace distillery::models
