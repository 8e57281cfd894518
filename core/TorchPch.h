#pragma once
// Precompiled for every translation unit of distillery_engine and the targets that reuse it.
#include <torch/torch.h>

// Most engine sources also read or write specs and log.
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
