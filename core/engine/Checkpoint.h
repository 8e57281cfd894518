#pragma once
// Checkpoints: the student, the method's own modules, the optimiser, the augmentation RNG and the
// position in training, in one LibTorch archive, written atomically (temp file + rename).
#include <ATen/core/Generator.h>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <cstdint>
#include <limits>
#include <string>

#include "engine/LogWindow.h"

namespace distillery::engine {

struct TrainingPosition {
    int64_t epoch = 0;              // epochs completed
    int64_t batchInEpoch = 0;       // batches of the current epoch completed
    int64_t step = 0;               // optimiser steps completed
    double bestValAcc = -std::numeric_limits<double>::infinity();
    double wallTime = 0;            // seconds of training so far
};

// Everything a run needs to continue exactly where it stopped.
struct TrainingState {
    torch::nn::Module& student;
    torch::nn::Module& distiller;
    torch::optim::Optimizer& optimizer;
    torch::optim::Optimizer* methodOptimizer;   // a method's own optimiser (SAKD's agent), or nullptr
    at::Generator& augmentGenerator;
    LogWindow& window;
};

void saveCheckpoint(const std::string& path, const TrainingState& state, const TrainingPosition& position);
TrainingPosition loadCheckpoint(const std::string& path, const TrainingState& state, const c10::Device& device);

// Loads only the student weights of a checkpoint into `module` (e.g. a teacher). Every parameter and
// buffer must be present with the same shape; otherwise the error names the tensor, both shapes and
// `what` (e.g. "teacher (run 3)").
void loadModuleWeights(torch::nn::Module& module, const std::string& path, const std::string& what);

}  // namespace distillery::engine
