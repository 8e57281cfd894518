#include "models/ChannelShuffle.h"

namespace distillery::models {

at::Tensor channelShuffle(const at::Tensor& x, int64_t groups) {
    if (groups == 1) return x;
    const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    return x.view({n, groups, c / groups, h, w}).permute({0, 2, 1, 3, 4}).reshape({n, c, h, w});
}

}  // namespace distillery::models
