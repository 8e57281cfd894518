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
    return torch::batch_norm(input, weight, bias, running_mean, running_var, is_training(), momentum_, eps_,
                             at::globalContext().userEnabledCuDNN());
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

}  // namespace distillery::models
