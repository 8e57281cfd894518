#include "models/Bottleneck.h"

#include <torch/torch.h>

namespace distillery::models {

namespace nn = torch::nn;

Bottleneck::Bottleneck(int64_t inPlanes, int64_t planes, int64_t stride) {
    const int64_t outPlanes = planes * kExpansion;
    conv1_ = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(inPlanes, planes, 1).bias(false)));
    bn1_ = register_module("bn1", FoldableBatchNorm2d(planes));
    conv2_ = register_module(
        "conv2", nn::Conv2d(nn::Conv2dOptions(planes, planes, 3).stride(stride).padding(1).bias(false)));
    bn2_ = register_module("bn2", FoldableBatchNorm2d(planes));
    conv3_ = register_module("conv3", nn::Conv2d(nn::Conv2dOptions(planes, outPlanes, 1).bias(false)));
    bn3_ = register_module("bn3", FoldableBatchNorm2d(outPlanes));
    if (stride != 1 || inPlanes != outPlanes) {
        downsample_ = register_module(
            "downsample",
            nn::Sequential(nn::Conv2d(nn::Conv2dOptions(inPlanes, outPlanes, 1).stride(stride).bias(false)),
                           FoldableBatchNorm2d(outPlanes)));
    }
}

BlockOutput Bottleneck::forward(const at::Tensor& x) {
    at::Tensor out = at::relu(bn1_->forward(conv1_->forward(x)));
    out = at::relu(bn2_->forward(conv2_->forward(out)));
    out = bn3_->forward(conv3_->forward(out));
    const at::Tensor preReLU = out + (downsample_ ? downsample_->forward(x) : x);
    return {at::relu(preReLU), preReLU};
}

}  // namespace distillery::models
