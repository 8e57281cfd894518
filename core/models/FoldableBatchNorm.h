#pragma once
// Batch norm that can be merged into the convolution it follows, for a frozen network's inference.
//
// In eval mode a batch norm is a per-channel affine map, y = γ(x − μ)/√(σ² + ε) + β, so the
// convolution before it can compute it: its weight scaled by γ/√(σ² + ε) per output channel, its bias
// (b − μ)·γ/√(σ² + ε) + β. The frozen teacher then skips a pass over every feature map (DESIGN.md:
// the teacher's forward is most of a KD step). The zoo uses this norm wherever a norm follows a
// convolution, and registers it right after that convolution; pre-activation norms (WRN's) stay
// plain BatchNorm2d, as no convolution computes right before them.
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <ATen/ATen.h>

#include <cstdint>
#include <memory>

namespace distillery::models {

// Sums a tensor over the processes training a run together, differentiably (the gradient of each
// process's input is the sum of every process's output gradient): synchronised batch norm's
// statistics. The engine implements it with c10d; models only see this interface.
class BatchStatisticsSum {
public:
    virtual ~BatchStatisticsSum() = default;
    virtual at::Tensor sum(const at::Tensor& local) = 0;
};

// PyTorch's BatchNorm2d (same parameters, buffers and names, so checkpoints load either way), plus the
// fold. Its own module rather than a subclass of LibTorch's: that one's vtable cannot be linked from
// outside libtorch.
class FoldableBatchNorm2dImpl : public torch::nn::Module {
public:
    explicit FoldableBatchNorm2dImpl(int64_t channels, double eps = 1e-5, double momentum = 0.1);

    // Normalises with batch statistics in training (and updates the running ones), with the running
    // ones in eval mode; once folded, the input passes through, as the convolution before has
    // already applied the norm.
    at::Tensor forward(const at::Tensor& input);
    bool folded() const { return folded_; }
    // Moves this norm's eval-mode map into conv's weight and bias; the norm then passes through.
    void foldInto(torch::nn::Conv2dImpl& conv);

    // In training, normalise with the statistics of every process's batch (null: this process's own).
    void synchronise(std::shared_ptr<BatchStatisticsSum> sum) { sync_ = std::move(sum); }

    at::Tensor weight, bias, running_mean, running_var, num_batches_tracked;

private:
    at::Tensor synchronisedForward(const at::Tensor& input);

    std::shared_ptr<BatchStatisticsSum> sync_;
    int64_t channels_;
    double eps_, momentum_;
    bool folded_ = false;
};
TORCH_MODULE(FoldableBatchNorm2d);

// Folds every FoldableBatchNorm2d of the network into the Conv2d registered just before it in the
// same parent module, and returns how many it folded. Only for a frozen network in eval mode: the
// folded norms no longer normalise with batch statistics, so training the network afterwards is wrong.
// Throws std::logic_error when a foldable norm does not follow a convolution of its width (a zoo
// model that breaks the registration rule above).
int64_t foldBatchNorm(torch::nn::Module& net);

// Gives every FoldableBatchNorm2d of the network the cross-process sum, and returns how many. Throws
// std::invalid_argument naming a plain BatchNorm2d (WRN's pre-activation norms), which it cannot synchronise.
int64_t synchroniseBatchNorms(torch::nn::Module& net, const std::shared_ptr<BatchStatisticsSum>& sum);

}  // namespace distillery::models
