#include "models/WideBasicBlock.h"

#include <torch/torch.h>

namespace distillery::models {

namespace nn = torch::nn;

WideBasicBlock::WideBasicBlock(int64_t inPlanes, int64_t outPlanes, int64_t stride) {
    bn1_ = register_module("bn1", nn::BatchNorm2d(inPlanes));
    conv1_ = register_module(
        "conv1", nn::Conv2d(nn::Conv2dOptions(inPlanes, outPlanes, 3).stride(stride).padding(1).bias(false)));
    bn2_ = register_module("bn2", nn::BatchNorm2d(outPlanes));
    conv2_ = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(outPlanes, outPlanes, 3).padding(1).bias(false)));
    if (inPlanes != outPlanes) {
        convShortcut_ = register_module(
            "convShortcut", nn::Conv2d(nn::Conv2dOptions(inPlanes, outPlanes, 1).stride(stride).bias(false)));
    }
}

at::Tensor WideBasicBlock::forward(const at::Tensor& x) {
    const at::Tensor activated = at::relu(bn1_->forward(x));
    const at::Tensor out = conv2_->forward(at::relu(bn2_->forward(conv1_->forward(activated))));
    return out + (convShortcut_ ? convShortcut_->forward(activated) : x);
}

}  // namespace distillery::models
