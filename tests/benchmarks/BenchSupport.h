#pragma once
// What the benchmark programs share: timing the Trainer's optimiser steps from its progress reports,
// and a teacher checkpoint to distil from.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "engine/Trainer.h"
#include "spec/RunQueue.h"
#include "spec/RunSpec.h"
#include "store/Store.h"

namespace distillery::bench {

using Clock = std::chrono::steady_clock;

// Times the optimiser steps after the warm-up, from the trainer's per-step progress reports.
class StepClock : public engine::ProgressSink {
public:
    explicit StepClock(int64_t warmup) : warmup_(warmup) {}
    void report(const engine::Progress& p) override {
        if (p.phase != "train") return;
        if (p.step == warmup_) start_ = Clock::now();
        if (p.step > warmup_) {
            end_ = Clock::now();
            measured_ = p.step - warmup_;
        }
    }
    double seconds() const { return std::chrono::duration<double>(end_ - start_).count(); }
    int64_t measuredSteps() const { return measured_; }

private:
    int64_t warmup_, measured_ = 0;
    Clock::time_point start_, end_;
};

// Reads "--name value" pairs into the integers named; other arguments are ignored.
inline void readIntFlags(int argc, char** argv, const std::map<std::string, int*>& flags) {
    for (int i = 1; i + 1 < argc; i += 2) {
        const auto flag = flags.find(argv[i]);
        if (flag != flags.end()) *flag->second = std::atoi(argv[i + 1]);
    }
}

// "--name value" for a text flag, or the fallback.
inline std::string textFlag(int argc, char** argv, const std::string& name, const std::string& fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (argv[i] == name) return argv[i + 1];
    return fallback;
}

inline spec::RunSpec parsedSpec(const nlohmann::json& node) {
    auto parsed = spec::parseRunSpec(node);
    if (!parsed.ok()) {
        std::fprintf(stderr, "benchmark spec invalid:\n%s", parsed.errorText().c_str());
        std::exit(1);
    }
    return *parsed.spec;
}

// Runs the spec as a new run of the store; the seconds per optimiser step after `warmup` steps. A run
// that fails ends the benchmark, or with orNan gives NaN (said on stderr).
inline double secondsPerStep(store::Store& db, const spec::RunSpec& spec, int64_t warmup, bool orNan = false) {
    const int64_t id = spec::queueRun(db, spec);
    db.claimRun(id, 0, "bench", spec.device);
    StepClock clock(warmup);
    engine::TrainerOptions options;
    options.progress = &clock;
    options.progressIntervalSeconds = 0;
    options.cacheTeacherOutputs = false;   // a step's cost with the teacher's forward pass in it, at any epoch
    engine::Trainer trainer(db, id, spec, options);
    if (trainer.run() != engine::Outcome::Finished) {
        std::fprintf(stderr, "the benchmark run %s failed: %s\n", spec.name.c_str(), trainer.error().c_str());
        if (orNan) return std::nan("");
        std::exit(1);
    }
    return clock.seconds() / double(clock.measuredSteps());
}

// An untrained teacher of `model`, written by a 1-step run on `data`; its run id.
inline int64_t teacherRun(store::Store& db, const nlohmann::json& data, const std::string& model, int threads,
                          int batch, const std::string& device = "cpu") {
    const auto spec = parsedSpec({{"name", "bench-teacher-" + model}, {"data", data}, {"student", {{"model", model}}},
                                  {"epochs", 1}, {"batch_size", batch}, {"max_steps_per_epoch", 1},
                                  {"threads", threads}, {"device", device}});
    const int64_t id = spec::queueRun(db, spec);
    db.claimRun(id, 0, "bench", device);
    engine::Trainer(db, id, spec, {}).run();
    return id;
}

}  // namespace distillery::bench
