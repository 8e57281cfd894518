#pragma once
// Precompiled for every translation unit of distillery_engine and the targets that reuse it.
#include <torch/torch.h>
