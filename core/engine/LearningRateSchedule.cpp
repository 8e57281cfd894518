#include "engine/LearningRateSchedule.h"

#include <algorithm>
#include <cmath>

namespace distillery::engine {

LearningRateSchedule::LearningRateSchedule(const spec::OptimSpec& optim, const spec::ScheduleSpec& schedule,
                                           int64_t stepsPerEpoch, int64_t epochs)
    : base_(optim.lr),
      schedule_(schedule),
      stepsPerEpoch_(std::max<int64_t>(1, stepsPerEpoch)),
      totalSteps_(std::max<int64_t>(1, stepsPerEpoch * epochs)),
      warmupSteps_(static_cast<int64_t>(std::llround(schedule.warmupEpochs * stepsPerEpoch))) {}

double LearningRateSchedule::at(int64_t step) const {
    if (step < warmupSteps_) return base_ * double(step + 1) / double(warmupSteps_);
    if (schedule_.name == "multistep") {
        const int64_t epoch = step / stepsPerEpoch_;
        double lr = base_;
        for (int64_t milestone : schedule_.milestones)
            if (epoch >= milestone) lr *= schedule_.gamma;
        return lr;
    }
    if (schedule_.name == "cosine") {
        // Anneals over the steps after the warm-up, reaching min_lr at the last step.
        const double span = std::max<int64_t>(1, totalSteps_ - warmupSteps_ - 1);
        const double progress = std::min(1.0, double(step - warmupSteps_) / span);
        return schedule_.minLr + (base_ - schedule_.minLr) * 0.5 * (1.0 + std::cos(M_PI * progress));
    }
    return base_;
}

}  // namespace distillery::engine
