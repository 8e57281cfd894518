#include "models/ShuffleV2DownBlock.h"

#include <torch/torch.h>

#include "models/ChannelShuffle.h"

namespace distillery::models {

namespace nn = torch::nn;

ShuffleV2DownBlock::ShuffleV2DownBlock(int64_t inChannels, int64_t outChannels) {
    const int64_t mid = outChannels / 2;
    auto depthwise = [](int64_t channels) {
        return nn::Conv2d(nn::Conv2dOptions(channels, channels, 3).stride(2).padding(1).groups(channels).bias(false));
    };
    auto pointwise = [](int64_t in, int64_t out) { return nn::Conv2d(nn::Conv2dOptions(in, out, 1).bias(false)); };
    conv1_ = register_module("conv1", depthwise(inChannels));
    bn1_ = register_module("bn1", FoldableBatchNorm2d(inChannels));
    conv2_ = register_module("conv2", pointwise(inChannels, mid));
    bn2_ = register_module("bn2", FoldableBatchNorm2d(mid));
    conv3_ = register_module("conv3", pointwise(inChannels, mid));
    bn3_ = register_module("bn3", FoldableBatchNorm2d(mid));
    conv4_ = register_module("conv4", depthwise(mid));
    bn4_ = register_module("bn4", FoldableBatchNorm2d(mid));
    conv5_ = register_module("conv5", pointwise(mid, mid));
    bn5_ = register_module("bn5", FoldableBatchNorm2d(mid));
}

at::Tensor ShuffleV2DownBlock::forward(const at::Tensor& x) {
    at::Tensor left = bn1_->forward(conv1_->forward(x));
    left = at::relu(bn2_->forward(conv2_->forward(left)));
    at::Tensor right = at::relu(bn3_->forward(conv3_->forward(x)));
    right = bn4_->forward(conv4_->forward(right));
    right = at::relu(bn5_->forward(conv5_->forward(right)));
    return channelShuffle(at::cat({left, right}, 1), 2);
}

}  // namespace distillery::models
