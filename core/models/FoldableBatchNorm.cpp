#include "models/FoldableBatchNorm.h"

#include <torch/nn/modules/conv.h>
#include <torch/torch.h>

#include <stdexcept>
#include <string>

namespace distillery::models {

FoldableBatchNorm2dImpl::FoldableBatchNorm2dImpl(int64_t channels, double eps, double momentum)
    : channels_(channels), eps_(eps), momentum_(momentum) {
    weight = register_parameter("weight", torch::ones({channels}));
    bias = register_parameter("bias", torch::zeros({channels}));
    running_mean = register_buffer("running_mean", torch::zeros({channels}));
    running_var = register_buffer("running_var", torch::ones({channels}));
    num_batches_tracked = register_buffer("num_batches_tracked", torch::zeros({}, torch::kLong));
}

at::Tensor FoldableBatchNorm2dImpl::forward(const at::Tensor& input) {
    if (folded_) {
        // The fold used the running statistics; training would need the batch's.
        TORCH_CHECK(!is_training(), "BatchNorm2d: this norm is folded into its convolution, for inference only; "
                                    "a folded network cannot train");
        return input;
    }
    TORCH_CHECK(input.dim() == 4, "BatchNorm2d: expected a 4-D input, got ", input.dim(), "-D");
    if (is_training()) {
        torch::NoGradGuard noGrad;
        num_batches_tracked.add_(1);
    }
    if (is_training() && sync_) return synchronisedForward(input);
    return torch::batch_norm(input, weight, bias, running_mean, running_var, is_training(), momentum_, eps_,
                             at::globalContext().userEnabledCuDNN());
}

// Batch norm over the union of the processes' batches: per channel, the sums of x and x² and the count
// are summed over the processes (differentiably), giving the mean and the biased variance the
// normalisation uses; the running variance takes the unbiased one, as torch's batch_norm does.
at::Tensor FoldableBatchNorm2dImpl::synchronisedForward(const at::Tensor& input) {
    const at::Tensor x = input.to(at::kFloat);
    const int64_t c = channels_;
    const double localCount = double(x.numel() / c);
    // The sums in float64: E[x²] − E[x]² in float32 loses the variance's low digits, which a
    // single process's batch_norm (Welford) keeps.
    const at::Tensor wide = x.to(at::kDouble);
    const at::Tensor local =
        at::cat({wide.sum({0, 2, 3}), wide.square().sum({0, 2, 3}), at::full({1}, localCount, wide.options())});
    const at::Tensor total = sync_->sum(local);
    const at::Tensor count = total.narrow(0, 2 * c, 1);
    const at::Tensor mean64 = total.narrow(0, 0, c) / count;
    const at::Tensor mean = mean64.to(at::kFloat);
    const at::Tensor variance = (total.narrow(0, c, c) / count - mean64.square()).clamp_min(0).to(at::kFloat);
    {
        torch::NoGradGuard noGrad;   // on the device: no host synchronisation
        running_mean.mul_(1 - momentum_).add_(mean.detach(), momentum_);
        const at::Tensor n = count.to(at::kFloat);
        running_var.mul_(1 - momentum_).add_(variance.detach() * n / (n - 1).clamp_min(1), momentum_);
    }
    const at::Tensor scale = (variance + eps_).rsqrt() * weight;
    const at::Tensor y = (x - mean.view({1, c, 1, 1})) * scale.view({1, c, 1, 1}) + bias.view({1, c, 1, 1});
    return y.to(input.scalar_type());
}

void FoldableBatchNorm2dImpl::foldInto(torch::nn::Conv2dImpl& conv) {
    if (folded_) throw std::logic_error("foldBatchNorm: this batch norm is already folded");
    if (conv.options.out_channels() != channels_)
        throw std::logic_error("foldBatchNorm: a batch norm of " + std::to_string(channels_) +
                               " channels follows a convolution of " + std::to_string(conv.options.out_channels()));
    torch::NoGradGuard noGrad;
    const at::Tensor scale = running_var.add(eps_).rsqrt() * weight;
    conv.weight.mul_(scale.reshape({-1, 1, 1, 1}));   // in place: keeps the parameter and its memory format
    const at::Tensor foldedBias = ((conv.bias.defined() ? conv.bias : at::zeros_like(running_mean)) - running_mean) * scale + bias;
    if (conv.bias.defined()) {
        conv.bias.copy_(foldedBias);
    } else {
        // A convolution built without a bias has an undefined one registered; its forward reads the member.
        conv.bias = foldedBias.to(conv.weight.dtype());
    }
    folded_ = true;
}

int64_t foldBatchNorm(torch::nn::Module& net) {
    int64_t folded = 0;
    for (const auto& item : net.named_modules()) {
        std::shared_ptr<torch::nn::Module> previous;
        for (const auto& child : item.value()->named_children()) {
            if (auto* norm = child.value()->as<FoldableBatchNorm2dImpl>(); norm && !norm->folded()) {
                auto* conv = previous ? previous->as<torch::nn::Conv2dImpl>() : nullptr;
                const std::string where = (item.key().empty() ? "" : item.key() + ".") + child.key();
                if (!conv) throw std::logic_error("foldBatchNorm: batch norm " + where + " does not follow a convolution");
                norm->foldInto(*conv);
                ++folded;
            }
            previous = child.value();
        }
    }
    return folded;
}

int64_t synchroniseBatchNorms(torch::nn::Module& net, const std::shared_ptr<BatchStatisticsSum>& sum) {
    int64_t count = 0;
    for (const auto& item : net.named_modules()) {
        if (auto* norm = item.value()->as<FoldableBatchNorm2dImpl>()) {
            norm->synchronise(sum);
            ++count;
        } else if (item.value()->as<torch::nn::BatchNorm2dImpl>()) {
            throw std::invalid_argument("distributed.sync_batch_norm: the batch norm " + item.key() +
                                        " (a pre-activation norm, as WRN has) cannot be synchronised; turn "
                                        "sync_batch_norm off or train a network without such norms");
        }
    }
    return count;
}

}  // namespace distillery::models
