#include "engine/Precision.h"

#include <torch/cuda.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace distillery::engine {

bool cpuComputesBf16() {
    static const bool has = [] {
        std::ifstream cpuinfo("/proc/cpuinfo");
        std::string line;
        while (std::getline(cpuinfo, line)) {
            if (line.rfind("flags", 0) != 0) continue;
            std::istringstream flags(line);
            std::string flag;
            while (flags >> flag)
                if (flag == "avx512_bf16" || flag == "amx_bf16") return true;
            return false;
        }
        return false;
    }();
    return has;
}

namespace {

// Ampere (compute capability 8.0) and later compute bfloat16 natively.
bool cudaComputesBf16() {
    return torch::cuda::is_available() && at::detail::getCUDAHooks().getNumGPUs() > 0 &&
           at::detail::getCUDAHooks().supportsBFloat16ConvolutionWithCuDNNv8();
}

Precision lowPrecision(const std::string& name, at::ScalarType type) {
    Precision p;
    p.name = name;
    p.computeType = type;
    p.channelsLast = true;
    return p;
}

}  // namespace

namespace {

// fp32 in the layout the device's convolutions run fastest in: oneDNN's channels-last on a CPU (a
// resnet32x4 -> resnet8x4 KD step ran 16% faster than in NCHW, docs/performance.md); NCHW on CUDA,
// where channels-last pays only with tensor cores, i.e. in the low precisions.
Precision fullPrecision(bool cuda) {
    Precision p;
    p.channelsLast = !cuda;
    return p;
}

}  // namespace

Precision resolvePrecision(const std::string& requested, const c10::Device& device) {
    const bool cuda = device.is_cuda();
    const bool bf16Native = cuda ? cudaComputesBf16() : cpuComputesBf16();
    if (requested == "fp32") return fullPrecision(cuda);
    if (requested == "auto") return bf16Native ? lowPrecision("bf16", at::kBFloat16) : fullPrecision(cuda);
    if (requested == "bf16") {
        if (cuda && !bf16Native)
            throw std::runtime_error("precision: this GPU does not compute bf16 (it needs compute capability 8.0 or "
                                     "later); set \"precision\": \"fp16\" or \"fp32\"");
        // A CPU without native bf16 still runs it, emulated and slower than fp32: allowed, since the
        // user asked for it, but "auto" would not choose it.
        return lowPrecision("bf16", at::kBFloat16);
    }
    if (requested == "fp16") {
        if (!cuda)
            throw std::runtime_error("precision: fp16 is for CUDA devices (LibTorch's CPU autocast computes bf16 "
                                     "only); set \"precision\": \"bf16\" or \"auto\" for a CPU");
        return lowPrecision("fp16", at::kHalf);
    }
    throw std::runtime_error("precision: must be fp32, bf16, fp16 or auto, got \"" + requested + "\"");
}

void toChannelsLast(torch::nn::Module& module) {
    torch::NoGradGuard noGrad;
    for (auto& parameter : module.parameters())
        if (parameter.dim() == 4) parameter.set_data(parameter.contiguous(at::MemoryFormat::ChannelsLast));
    for (auto& buffer : module.buffers())
        if (buffer.dim() == 4) buffer.set_data(buffer.contiguous(at::MemoryFormat::ChannelsLast));
}

at::Tensor inComputeLayout(const at::Tensor& images, const Precision& precision) {
    return precision.channelsLast && images.dim() == 4 ? images.contiguous(at::MemoryFormat::ChannelsLast) : images;
}

models::FeatureSet inFloat32(models::FeatureSet features) {
    const auto toFloat = [](at::Tensor& t) {
        if (t.defined() && t.scalar_type() != at::kFloat) t = t.to(at::kFloat);
    };
    toFloat(features.stem);
    for (auto& t : features.stages) toFloat(t);
    for (auto& t : features.preReLU) toFloat(t);
    toFloat(features.pooled);
    toFloat(features.logits);
    return features;
}

LossScaler::LossScaler(const c10::Device& device, double initialScale, int64_t growthInterval)
    : scale_(at::full({1}, initialScale, at::TensorOptions().dtype(at::kFloat).device(device))),
      growthTracker_(at::zeros({1}, at::TensorOptions().dtype(at::kInt).device(device))),
      foundInf_(at::zeros({1}, at::TensorOptions().dtype(at::kFloat).device(device))),
      growthInterval_(growthInterval) {}

bool LossScaler::unscale(const std::vector<at::Tensor>& parameters) {
    std::vector<at::Tensor> grads;
    for (const auto& p : parameters)
        if (p.grad().defined()) grads.push_back(p.grad());
    foundInf_.zero_();
    at::_amp_foreach_non_finite_check_and_unscale_(grads, foundInf_, scale_.reciprocal());
    at::_amp_update_scale_(scale_, growthTracker_, foundInf_, 2.0, 0.5, growthInterval_);
    return foundInf_.item<float>() == 0.0f;
}


}  // namespace distillery::engine
