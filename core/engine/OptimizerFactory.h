#pragma once
#include <torch/optim/optimizer.h>

#include <memory>
#include <string>
#include <vector>

#include "spec/RunSpec.h"

namespace distillery::engine {

// SGD (momentum, nesterov, L2 weight decay) or AdamW (decoupled weight decay), as the spec says.
// An optimiser name the table does not hold throws std::invalid_argument listing the known ones.
std::unique_ptr<torch::optim::Optimizer> makeOptimizer(const spec::OptimSpec& spec, std::vector<at::Tensor> parameters);
void setLearningRate(torch::optim::Optimizer& optimizer, double lr);

// The optimiser table's names, in its order (the spec's optim.name accepts exactly these).
std::vector<std::string> optimizerNames();

}  // namespace distillery::engine
