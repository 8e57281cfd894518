#include "engine/OptimizerFactory.h"

#include <torch/torch.h>

#include <stdexcept>

#include "spec/Catalog.h"

namespace distillery::engine {

namespace {

using OptimizerBuilder = std::unique_ptr<torch::optim::Optimizer> (*)(const spec::OptimSpec&, std::vector<at::Tensor>);

std::unique_ptr<torch::optim::Optimizer> makeSgd(const spec::OptimSpec& spec, std::vector<at::Tensor> parameters) {
    return std::make_unique<torch::optim::SGD>(std::move(parameters), torch::optim::SGDOptions(spec.lr)
                                                                          .momentum(spec.momentum)
                                                                          .weight_decay(spec.weightDecay)
                                                                          .nesterov(spec.nesterov));
}

std::unique_ptr<torch::optim::Optimizer> makeAdamW(const spec::OptimSpec& spec, std::vector<at::Tensor> parameters) {
    return std::make_unique<torch::optim::AdamW>(std::move(parameters), torch::optim::AdamWOptions(spec.lr)
                                                                            .betas({spec.beta1, spec.beta2})
                                                                            .eps(spec.eps)
                                                                            .weight_decay(spec.weightDecay));
}

struct OptimizerRow {
    const char* name;
    OptimizerBuilder build;
};

const OptimizerRow kOptimizers[] = {{"sgd", makeSgd}, {"adamw", makeAdamW}};

}  // namespace

std::unique_ptr<torch::optim::Optimizer> makeOptimizer(const spec::OptimSpec& spec,
                                                       std::vector<at::Tensor> parameters) {
    for (const OptimizerRow& row : kOptimizers)
        if (spec.name == row.name) return row.build(spec, std::move(parameters));
    throw std::invalid_argument("unknown optimiser \"" + spec.name + "\"; known: " + spec::joinNames(optimizerNames()));
}

void setLearningRate(torch::optim::Optimizer& optimizer, double lr) {
    for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

std::vector<std::string> optimizerNames() {
    std::vector<std::string> names;
    for (const OptimizerRow& row : kOptimizers) names.emplace_back(row.name);
    return names;
}

}  // namespace distillery::engine
