#pragma once
// ShuffleNet's channel shuffle (RepDistiller's ShuffleBlock): view the channels as groups × C/groups,
// transpose to C/groups × groups, flatten back, so the next grouped convolution sees every group.
#include <ATen/ATen.h>

#include <cstdint>

namespace distillery::models {

at::Tensor channelShuffle(const at::Tensor& x, int64_t groups);

}  // namespace distillery::models
