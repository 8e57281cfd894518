#pragma once
// MobileNetV2's inverted residual block as in RepDistiller's models/mobilenetv2.py: 1x1 expansion
// (×expandRatio) + bn + relu, depthwise 3x3 (stride) + bn + relu, 1x1 linear projection + bn, plus the
// identity when stride is 1 and the width is unchanged. No activation at the end (linear bottleneck).
// Unlike torchvision, the expansion conv is kept even when expandRatio is 1, as RepDistiller does.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <ATen/ATen.h>

#include <cstdint>

namespace distillery::models {

class InvertedResidual : public torch::nn::Module {
public:
    InvertedResidual(int64_t inPlanes, int64_t outPlanes, int64_t stride, int64_t expandRatio);

    at::Tensor forward(const at::Tensor& x);

private:
    bool useResidual_;
    // Parameter names as RepDistiller's: conv.0 (pw), conv.1, conv.3 (dw), conv.4, conv.6 (pw-linear), conv.7.
    torch::nn::Sequential conv_{nullptr};
};

}  // namespace distillery::models
