#pragma once
// The Trainer runs one run of the store from its spec: data, student, teacher, method, SGD with a
// multistep schedule, evaluation on the validation split and the test set every epoch, checkpoints,
// heartbeat and metrics into the store, progress to a sink. One Trainer per process.
#include <atomic>
#include <cstdint>
#include <string>

#include "engine/Progress.h"
#include "spec/RunSpec.h"
#include "store/Store.h"

namespace distillery::engine {

enum class Outcome { Finished, Killed, Failed };

struct TrainerOptions {
    std::string checkpointDir;      // "" = beside the store: <store>.checkpoints/run-<id>/
    ProgressSink* progress = nullptr;
    bool resume = false;            // continue from the run's last checkpoint
    double progressIntervalSeconds = 1.0;
};

class Trainer {
public:
    Trainer(store::Store& store, int64_t runId, spec::RunSpec spec, TrainerOptions options);
    ~Trainer();

    // Trains to the end, or until stop is requested (→ checkpoint, Killed), or until an error
    // (→ the run is marked failed with the message; everything written before stays). Never throws
    // for errors a user can cause.
    Outcome run();
    const std::string& error() const { return error_; }

    // Async-signal-safe: called from a SIGTERM/SIGINT handler.
    static void requestStop();
    static bool stopRequested();
    static void clearStop();

    static std::string defaultCheckpointDir(const std::string& storePath, int64_t runId);

private:
    struct State;
    Outcome train();
    store::Store& store_;
    int64_t runId_;
    spec::RunSpec spec_;
    TrainerOptions options_;
    std::string error_;
    static std::atomic<bool> stop_;
};

}  // namespace distillery::engine
