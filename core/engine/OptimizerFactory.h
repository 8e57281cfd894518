#pragma once
#include <torch/optim/optimizer.h>

#include <memory>
#include <vector>

#include "spec/RunSpec.h"

namespace distillery::engine {

// SGD (momentum, nesterov, L2 weight decay) or AdamW (decoupled weight decay), as the spec says.
std::unique_ptr<torch::optim::Optimizer> makeOptimizer(const spec::OptimSpec& spec, std::vector<at::Tensor> parameters);
void setLearningRate(torch::optim::Optimizer& optimizer, double lr);

}  // namespace distillery::engine
