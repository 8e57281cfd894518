#include "engine/OptimizerFactory.h"

#include <torch/torch.h>

namespace distillery::engine {

std::unique_ptr<torch::optim::Optimizer> makeOptimizer(const spec::OptimSpec& spec, std::vector<at::Tensor> parameters) {
    if (spec.name == "adamw")
        return std::make_unique<torch::optim::AdamW>(
            std::move(parameters), torch::optim::AdamWOptions(spec.lr)
                                       .betas({spec.beta1, spec.beta2})
                                       .eps(spec.eps)
                                       .weight_decay(spec.weightDecay));
    return std::make_unique<torch::optim::SGD>(std::move(parameters), torch::optim::SGDOptions(spec.lr)
                                                                          .momentum(spec.momentum)
                                                                          .weight_decay(spec.weightDecay)
                                                                          .nesterov(spec.nesterov));
}

void setLearningRate(torch::optim::Optimizer& optimizer, double lr) {
    for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

}  // namespace distillery::engine
