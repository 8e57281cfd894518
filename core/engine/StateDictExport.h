#pragma once
// A trained network's weights as a PyTorch state_dict: a pickled {name: tensor} dict with the CRD
// code base's parameter names, so `model.load_state_dict(torch.load(path))` works in Python.
#include <torch/nn/module.h>

#include <string>

namespace distillery::engine {

// Throws std::runtime_error when the file cannot be written.
void exportStateDict(const torch::nn::Module& module, const std::string& path);

}  // namespace distillery::engine
