#include "engine/LearningRateSchedule.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "spec/Catalog.h"

namespace distillery::engine {

namespace {

using Shape = LearningRateSchedule::Shape;

// lr · gamma^(milestones passed), by epoch.
double multistep(const Shape& shape, int64_t step) {
    const int64_t epoch = step / shape.stepsPerEpoch;
    double lr = shape.base;
    for (int64_t milestone : shape.schedule.milestones)
        if (epoch >= milestone) lr *= shape.schedule.gamma;
    return lr;
}

// Anneals over the steps after the warm-up, reaching min_lr at the last step.
double cosine(const Shape& shape, int64_t step) {
    const double span = std::max<int64_t>(1, shape.totalSteps - shape.warmupSteps - 1);
    const double progress = std::min(1.0, double(step - shape.warmupSteps) / span);
    const double minLr = shape.schedule.minLr;
    return minLr + (shape.base - minLr) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

double constant(const Shape& shape, int64_t) { return shape.base; }

struct ScheduleRow {
    const char* name;
    LearningRateSchedule::AfterWarmup rate;
};

const ScheduleRow kSchedules[] = {{"multistep", multistep}, {"cosine", cosine}, {"constant", constant}};

LearningRateSchedule::AfterWarmup findSchedule(const std::string& name) {
    for (const ScheduleRow& row : kSchedules)
        if (name == row.name) return row.rate;
    throw std::invalid_argument("unknown schedule \"" + name + "\"; known: " + spec::joinNames(scheduleNames()));
}

}  // namespace

LearningRateSchedule::LearningRateSchedule(const spec::OptimSpec& optim, const spec::ScheduleSpec& schedule,
                                           int64_t stepsPerEpoch, int64_t epochs)
    : shape_{optim.lr, schedule, std::max<int64_t>(1, stepsPerEpoch), std::max<int64_t>(1, stepsPerEpoch * epochs),
             static_cast<int64_t>(std::llround(schedule.warmupEpochs * stepsPerEpoch))},
      afterWarmup_(findSchedule(schedule.name)) {}

double LearningRateSchedule::at(int64_t step) const {
    if (step < shape_.warmupSteps) return shape_.base * double(step + 1) / double(shape_.warmupSteps);
    return afterWarmup_(shape_, step);
}

std::vector<std::string> scheduleNames() {
    std::vector<std::string> names;
    for (const ScheduleRow& row : kSchedules) names.emplace_back(row.name);
    return names;
}

}  // namespace distillery::engine
