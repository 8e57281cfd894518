#pragma once
// The learning rate at every optimiser step: an optional linear warm-up, then multistep decay,
// cosine annealing, or a constant rate. Torch-free, so it is cheap to test exhaustively.
#include <cstdint>
#include <string>
#include <vector>

#include "spec/RunSpec.h"

namespace distillery::engine {

class LearningRateSchedule {
public:
    // Throws std::invalid_argument, listing the known schedules, for a schedule name the table lacks.
    LearningRateSchedule(const spec::OptimSpec& optim, const spec::ScheduleSpec& schedule, int64_t stepsPerEpoch,
                         int64_t epochs);
    // The rate for the update of 0-based global step `step`.
    double at(int64_t step) const;

    // What a schedule's rate after the warm-up is computed from.
    struct Shape {
        double base = 0;                // the optimiser's lr
        spec::ScheduleSpec schedule;
        int64_t stepsPerEpoch = 1;
        int64_t totalSteps = 1;
        int64_t warmupSteps = 0;
    };
    using AfterWarmup = double (*)(const Shape& shape, int64_t step);

private:
    Shape shape_;
    AfterWarmup afterWarmup_;
};

// The schedule table's names, in its order (the spec's schedule.name accepts exactly these).
std::vector<std::string> scheduleNames();

}  // namespace distillery::engine
