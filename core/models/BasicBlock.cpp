#include "models/BasicBlock.h"

#include <torch/torch.h>

namespace distillery::models {

namespace nn = torch::nn;

BasicBlock::BasicBlock(int64_t inPlanes, int64_t planes, int64_t stride) {
    conv1_ = register_module(
        "conv1", nn::Conv2d(nn::Conv2dOptions(inPlanes, planes, 3).stride(stride).padding(1).bias(false)));
    bn1_ = register_module("bn1", FoldableBatchNorm2d(planes));
    conv2_ = register_module(
        "conv2", nn::Conv2d(nn::Conv2dOptions(planes, planes, 3).stride(1).padding(1).bias(false)));
    bn2_ = register_module("bn2", FoldableBatchNorm2d(planes));
    if (stride != 1 || inPlanes != planes) {
        downsample_ = register_module(
            "downsample",
            nn::Sequential(nn::Conv2d(nn::Conv2dOptions(inPlanes, planes, 1).stride(stride).bias(false)),
                           FoldableBatchNorm2d(planes)));
    }
}

BlockOutput BasicBlock::forward(const at::Tensor& x) {
    at::Tensor out = at::relu(bn1_->forward(conv1_->forward(x)));
    out = bn2_->forward(conv2_->forward(out));
    at::Tensor preReLU = out + (downsample_ ? downsample_->forward(x) : x);
    return {at::relu(preReLU), preReLU};
}

}  // namespace distillery::models
