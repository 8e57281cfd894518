#pragma once
#include <c10/core/Device.h>

#include <string>

namespace distillery::engine {

// "auto" → a CUDA device when LibTorch has one, else the CPU; "cpu"; "cuda"; "cuda:N".
// "auto" and "cuda" name this process's device: the first, or with setLocalProcessIndex the index-th
// modulo the devices it sees. Throws std::runtime_error saying what to write instead when the device
// is not available.
c10::Device resolveDevice(const std::string& name);

// This process's index among the processes of one run on its machine (a data-parallel run: rank on
// one machine, SLURM_LOCALID under srun), so that each takes a GPU of its own, as torchrun's
// LOCAL_RANK does. Set before the run's set-up; 0 by default.
void setLocalProcessIndex(int index);

}  // namespace distillery::engine
