#pragma once
// Finds the first step at which a loss term became NaN or infinite without stopping the device at
// every step: the check runs on the device, and the host reads its result at log points only.
#include <ATen/ATen.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "methods/Distiller.h"

namespace distillery::engine {

class NonFiniteWatch {
public:
    // Remembers, per term and for the total, the first step whose value is not finite.
    void observe(const std::vector<methods::LossTerm>& terms, const at::Tensor& total, int64_t step);
    // Synchronises with the device. "the loss term kd became nan at step 37 (ce too)"; empty when every
    // observed value was finite.
    std::optional<std::string> firstProblem() const;
    void reset();

    // The terms whose value is not finite now (synchronises): for a step about to be skipped.
    static std::vector<std::string> nonFiniteTerms(const std::vector<methods::LossTerm>& terms, const at::Tensor& total);

private:
    std::vector<std::string> names_;   // the terms, then "total"
    at::Tensor firstStep_;             // int64 per name, -1 while finite
    at::Tensor firstValue_;            // the value at that step
};

}  // namespace distillery::engine
