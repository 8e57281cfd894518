#include "methods/Connector.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace distillery::methods {

ConnectorImpl::ConnectorImpl(int64_t inChannels, int64_t inStride, int64_t outChannels, int64_t outStride) {
    TORCH_CHECK(inChannels > 0 && outChannels > 0 && inStride > 0 && outStride > 0, "Connector: bad shape (",
                inChannels, ", stride ", inStride, ") -> (", outChannels, ", stride ", outStride, ")");
    namespace nn = torch::nn;
    if (outStride > inStride && outStride % inStride == 0) {
        kind_ = Kind::Strided;
        factor_ = outStride / inStride;
        conv = register_module("conv", nn::Conv2d(nn::Conv2dOptions(inChannels, outChannels, 3).stride(factor_).padding(1)));
    } else if (inStride > outStride && inStride % outStride == 0) {
        kind_ = Kind::Transposed;
        factor_ = inStride / outStride;
        // Output size (H−1)·r − 2·(r/2) + 2r = r·H for even r (all zoo strides are powers of two).
        deconv = register_module("deconv", nn::ConvTranspose2d(nn::ConvTranspose2dOptions(inChannels, outChannels, 2 * factor_)
                                                                   .stride(factor_)
                                                                   .padding(factor_ / 2)));
    } else {
        kind_ = Kind::Pointwise;
        conv = register_module("conv", nn::Conv2d(nn::Conv2dOptions(inChannels, outChannels, 1)));
    }
    bn = register_module("bn", models::FoldableBatchNorm2d(outChannels));
}

at::Tensor ConnectorImpl::forward(const at::Tensor& x) {
    const at::Tensor y = kind_ == Kind::Transposed ? deconv->forward(x) : conv->forward(x);
    return torch::relu(bn->forward(y));
}

ChannelProjectionImpl::ChannelProjectionImpl(int64_t inChannels, int64_t outChannels) {
    namespace nn = torch::nn;
    conv = register_module("conv", nn::Conv2d(nn::Conv2dOptions(inChannels, outChannels, 1).bias(false)));
    bn = register_module("bn", models::FoldableBatchNorm2d(outChannels));
    torch::NoGradGuard noGrad;
    nn::init::kaiming_normal_(conv->weight, 0, torch::kFanOut, torch::kReLU);
}

at::Tensor ChannelProjectionImpl::forward(const at::Tensor& x) { return bn->forward(conv->forward(x)); }

int64_t stageAtDepth(int64_t spot, int64_t count, int64_t stages) {
    TORCH_CHECK(count > 0 && stages > 0 && spot >= 0 && spot < count, "stageAtDepth: spot ", spot, " of ", count,
                " on ", stages, " stages");
    const auto stage = int64_t(std::llround(double(spot + 1) * double(stages) / double(count))) - 1;
    return std::clamp<int64_t>(stage, 0, stages - 1);
}

std::pair<at::Tensor, at::Tensor> alignSpatial(const at::Tensor& a, const at::Tensor& b) {
    TORCH_CHECK(a.dim() == 4 && b.dim() == 4, "alignSpatial: expects N×C×H×W maps");
    const int64_t h = std::min(a.size(2), b.size(2)), w = std::min(a.size(3), b.size(3));
    const auto fit = [&](const at::Tensor& t) {
        return t.size(2) == h && t.size(3) == w ? t : at::adaptive_avg_pool2d(t, {h, w});
    };
    return {fit(a), fit(b)};
}

std::string ConnectorImpl::describe() const {
    const std::string r = std::to_string(factor_);
    switch (kind_) {
    case Kind::Strided: return "3×3 conv stride " + r + " + BN + ReLU";
    case Kind::Transposed: return std::to_string(2 * factor_) + "×" + std::to_string(2 * factor_) +
                                  " transposed conv stride " + r + " + BN + ReLU";
    case Kind::Pointwise: break;
    }
    return "1×1 conv + BN + ReLU";
}

}  // namespace distillery::methods
