#pragma once
// The learning rate at every optimiser step: an optional linear warm-up, then multistep decay,
// cosine annealing, or a constant rate. Torch-free, so it is cheap to test exhaustively.
#include <cstdint>

#include "spec/RunSpec.h"

namespace distillery::engine {

class LearningRateSchedule {
public:
    LearningRateSchedule(const spec::OptimSpec& optim, const spec::ScheduleSpec& schedule, int64_t stepsPerEpoch,
                         int64_t epochs);
    // The rate for the update of 0-based global step `step`.
    double at(int64_t step) const;

private:
    double base_;
    spec::ScheduleSpec schedule_;
    int64_t stepsPerEpoch_;
    int64_t totalSteps_;
    int64_t warmupSteps_;
};

}  // namespace distillery::engine
