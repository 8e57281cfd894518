#include "models/ShuffleV1Bottleneck.h"

#include <torch/torch.h>

#include "models/ChannelShuffle.h"

namespace distillery::models {

namespace nn = torch::nn;

ShuffleV1Bottleneck::ShuffleV1Bottleneck(int64_t inPlanes, int64_t outPlanes, int64_t stride, int64_t groups,
                                         int64_t firstGroups)
    : stride_(stride), firstGroups_(firstGroups) {
    const int64_t mid = outPlanes / 4;
    conv1_ = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(inPlanes, mid, 1).groups(firstGroups).bias(false)));
    bn1_ = register_module("bn1", FoldableBatchNorm2d(mid));
    conv2_ = register_module(
        "conv2", nn::Conv2d(nn::Conv2dOptions(mid, mid, 3).stride(stride).padding(1).groups(mid).bias(false)));
    bn2_ = register_module("bn2", FoldableBatchNorm2d(mid));
    conv3_ = register_module("conv3", nn::Conv2d(nn::Conv2dOptions(mid, outPlanes, 1).groups(groups).bias(false)));
    bn3_ = register_module("bn3", FoldableBatchNorm2d(outPlanes));
}

BlockOutput ShuffleV1Bottleneck::forward(const at::Tensor& x) {
    at::Tensor out = at::relu(bn1_->forward(conv1_->forward(x)));
    out = channelShuffle(out, firstGroups_);
    out = at::relu(bn2_->forward(conv2_->forward(out)));
    out = bn3_->forward(conv3_->forward(out));
    const at::Tensor pre = stride_ == 2
                               ? at::cat({out, at::avg_pool2d(x, {3, 3}, {2, 2}, {1, 1})}, 1)
                               : out + x;
    return {at::relu(pre), pre};
}

}  // namespace distillery::models
