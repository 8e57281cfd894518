#include "models/ShuffleV2Block.h"

#include <torch/torch.h>

#include "models/ChannelShuffle.h"

namespace distillery::models {

namespace nn = torch::nn;

ShuffleV2Block::ShuffleV2Block(int64_t channels) : split_(channels / 2) {
    const int64_t c = split_;
    conv1_ = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(c, c, 1).bias(false)));
    bn1_ = register_module("bn1", FoldableBatchNorm2d(c));
    conv2_ = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(c, c, 3).padding(1).groups(c).bias(false)));
    bn2_ = register_module("bn2", FoldableBatchNorm2d(c));
    conv3_ = register_module("conv3", nn::Conv2d(nn::Conv2dOptions(c, c, 1).bias(false)));
    bn3_ = register_module("bn3", FoldableBatchNorm2d(c));
}

at::Tensor ShuffleV2Block::forward(const at::Tensor& x, at::Tensor* preReLU) {
    const at::Tensor x1 = x.narrow(1, 0, split_);
    const at::Tensor x2 = x.narrow(1, split_, x.size(1) - split_);
    at::Tensor branch = at::relu(bn1_->forward(conv1_->forward(x2)));
    branch = bn2_->forward(conv2_->forward(branch));
    const at::Tensor pre = bn3_->forward(conv3_->forward(branch));
    if (preReLU) *preReLU = channelShuffle(at::cat({x1, pre}, 1), 2);
    return channelShuffle(at::cat({x1, at::relu(pre)}, 1), 2);
}

}  // namespace distillery::models
