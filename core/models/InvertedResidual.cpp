#include "models/InvertedResidual.h"

#include <torch/torch.h>

#include "models/FoldableBatchNorm.h"

namespace distillery::models {

namespace nn = torch::nn;

InvertedResidual::InvertedResidual(int64_t inPlanes, int64_t outPlanes, int64_t stride, int64_t expandRatio)
    : useResidual_(stride == 1 && inPlanes == outPlanes) {
    const int64_t hidden = inPlanes * expandRatio;
    conv_ = register_module(
        "conv", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(inPlanes, hidden, 1).bias(false)), FoldableBatchNorm2d(hidden),
                               nn::ReLU(),
                               nn::Conv2d(nn::Conv2dOptions(hidden, hidden, 3)
                                              .stride(stride)
                                              .padding(1)
                                              .groups(hidden)
                                              .bias(false)),
                               FoldableBatchNorm2d(hidden), nn::ReLU(),
                               nn::Conv2d(nn::Conv2dOptions(hidden, outPlanes, 1).bias(false)),
                               FoldableBatchNorm2d(outPlanes)));
}

at::Tensor InvertedResidual::forward(const at::Tensor& x) {
    const at::Tensor out = conv_->forward(x);
    return useResidual_ ? x + out : out;
}

}  // namespace distillery::models
