#pragma once
#include <c10/core/Device.h>

#include <string>

namespace distillery::engine {

// "auto" → the first CUDA device when LibTorch has one, else the CPU; "cpu"; "cuda"; "cuda:N".
// Throws std::runtime_error saying what to write instead when the device is not available.
c10::Device resolveDevice(const std::string& name);

}  // namespace distillery::engine
