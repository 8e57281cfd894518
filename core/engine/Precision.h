#pragma once
// The arithmetic a run computes in, and the pieces that apply it: autocast around the forward
// passes, channels-last tensors, outputs back in float32 for the losses, and loss scaling for fp16.
//
// Weights, gradients, optimiser state and every loss stay float32; only the networks' forward
// passes (and so their backward) run in bf16/fp16 under autocast, which picks per operation
// (convolutions and matrix products in the low precision, reductions and normalisation in float32).
#include <string>

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include "models/Autocast.h"
#include "models/StagedNet.h"

namespace distillery::engine {

struct Precision {
    std::string name = "fp32";               // what the run computes in: fp32, bf16 or fp16
    at::ScalarType computeType = at::kFloat;
    bool channelsLast = false;               // images and convolution weights in NHWC: oneDNN's fast layout
                                             // on a CPU, cuDNN's for the low precisions
    bool autocast() const { return computeType != at::kFloat; }
    bool scalesLoss() const { return computeType == at::kHalf; }   // fp16 gradients underflow without it
    std::string memoryFormat() const { return channelsLast ? "channels_last" : "contiguous"; }
};

// Whether this CPU computes bfloat16 natively (AVX-512 BF16 or AMX); read once from /proc/cpuinfo.
bool cpuComputesBf16();

// "fp32", "bf16", "fp16" or "auto" for the device. Throws std::runtime_error, naming the spec field and
// what to write instead, for a precision the device cannot compute (fp16 on a CPU, bf16 on a GPU
// without it).
Precision resolvePrecision(const std::string& requested, const c10::Device& device);

// Puts the module's 4-D parameters and buffers (convolution weights) in the channels-last layout.
void toChannelsLast(torch::nn::Module& module);
// The images in the layout the precision computes in.
at::Tensor inComputeLayout(const at::Tensor& images, const Precision& precision);
// Every tensor of the feature set in float32: autocast outputs are bf16/fp16, the losses are not.
// Autograd flows through the casts.
models::FeatureSet inFloat32(models::FeatureSet features);

// Dynamic loss scaling for fp16 (CUDA): the loss is multiplied by a large scale before backward, the
// gradients are divided by it before the optimiser step, and a step whose gradients overflowed is
// skipped while the scale halves; after growthInterval good steps the scale doubles. The checks run
// on the device (one host read per step, to skip the step, as PyTorch's GradScaler does).
class LossScaler {
public:
    explicit LossScaler(const c10::Device& device, double initialScale = 65536.0, int64_t growthInterval = 2000);
    at::Tensor scale(const at::Tensor& loss) const { return loss * scale_; }
    // Unscales the gradients in place; false when they overflowed (skip the optimiser step).
    bool unscale(const std::vector<at::Tensor>& parameters);

private:
    at::Tensor scale_, growthTracker_, foundInf_;
    int64_t growthInterval_;
};

}  // namespace distillery::engine
