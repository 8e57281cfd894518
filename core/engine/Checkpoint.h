#pragma once
// Checkpoints: the student, the method's own modules, the optimiser, the augmentation RNG and the
// position in training, in one LibTorch archive, sealed and written atomically (CheckpointFile.h).
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
    int64_t skippedSteps = 0;       // steps skipped for a non-finite loss (on_nonfinite: skip_step)
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

// The checkpoint as the bytes of a file (CheckpointFile.h: an archive sealed with a CRC trailer).
std::string checkpointBytes(const TrainingState& state, const TrainingPosition& position);
// Writes the checkpoint atomically, keeping the file it replaces as "<path>.prev".
void saveCheckpoint(const std::string& path, const TrainingState& state, const TrainingPosition& position);
// Throws CheckpointError when the file is missing, cut short or damaged, naming it.
TrainingPosition loadCheckpoint(const std::string& path, const TrainingState& state, const c10::Device& device);

// Loads only the student weights of a checkpoint into `module` (e.g. a teacher). Every parameter and
// buffer must be present with the same shape; otherwise the error names the tensor, both shapes and
// `what` (e.g. "teacher (run 3)").
void loadModuleWeights(torch::nn::Module& module, const std::string& path, const std::string& what);

// The position a checkpoint file holds, without loading any module; throws CheckpointError.
TrainingPosition readCheckpointPosition(const std::string& path);

}  // namespace distillery::engine
