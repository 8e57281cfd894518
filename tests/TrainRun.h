#pragma once
// Trains run `id` of a store with the engine's Trainer, as the engine program would, for the engine suites.
// progressIntervalSeconds 0 reports every step, so a test's ProgressSink can stop the run at a chosen step.
#include <QtGlobal>

#include <cstdint>
#include <string>

#include "engine/Trainer.h"
#include "spec/RunSpec.h"
#include "store/Store.h"

namespace distillery::testing {

// error: the trainer's error when given; otherwise a failed run's error is printed as a warning.
inline engine::Outcome train(store::Store& db, int64_t id, const spec::RunSpec& spec,
                             engine::ProgressSink* sink = nullptr, bool resume = false, std::string* error = nullptr) {
    engine::TrainerOptions options;
    options.progress = sink;
    options.resume = resume;
    options.progressIntervalSeconds = 0;
    engine::Trainer trainer(db, id, spec, options);
    const auto outcome = trainer.run();
    if (error) *error = trainer.error();
    else if (outcome == engine::Outcome::Failed) qWarning("run %s: %s", spec.name.c_str(), trainer.error().c_str());
    return outcome;
}

}  // namespace distillery::testing
