#pragma once
// What a residual-style block returns, and running a stage made of such blocks.
#include <ATen/ATen.h>

#include <memory>
#include <vector>

namespace distillery::models {

struct BlockOutput {
    at::Tensor out;       // after the block's final ReLU
    at::Tensor preReLU;   // the same output before that ReLU (the sum, or the concatenation)
};

// Runs the blocks in order; when preReLU is given it receives the last block's pre-activation.
template <typename Block>
at::Tensor runBlocks(const std::vector<std::shared_ptr<Block>>& blocks, const at::Tensor& x, at::Tensor* preReLU) {
    at::Tensor h = x;
    for (const auto& block : blocks) {
        BlockOutput o = block->forward(h);
        h = o.out;
        if (preReLU) *preReLU = o.preReLU;
    }
    return h;
}

}  // namespace distillery::models
