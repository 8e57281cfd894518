#pragma once
// The Trainer runs one run of the store from its spec: data, student, teacher, method, SGD with a
// multistep schedule, evaluation on the validation split and the test set every epoch, checkpoints,
// heartbeat and metrics into the store, progress to a sink. One Trainer per process.
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/OwnerHeartbeat.h"
#include "engine/Progress.h"
#include "spec/RunSpec.h"
#include "store/Store.h"

namespace distillery::engine {

struct TrainingPosition;
enum class Outcome { Finished, Killed, Failed };

struct TrainerOptions {
    std::string checkpointDir;      // "" = beside the store: <store>.checkpoints/run-<id>/
    ProgressSink* progress = nullptr;
    // Continue from the run's last checkpoint that verifies (or from the beginning when it has none).
    // Without it the run starts from the beginning: rows and checkpoint files of earlier attempts go.
    bool resume = false;
    double progressIntervalSeconds = 1.0;
    int64_t threads = 0;            // intra-op threads when the spec leaves threads at 0 (its share of the cores); 0 = all
    // The engine that claimed the run (pid, host). With it, the trainer stops without writing as soon as
    // the store says the run is no longer this engine's. Empty: no such check (in-process tests).
    std::optional<EngineOwner> owner;
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
    // The newest checkpoint of the run that verifies; "" when none does. Why others failed goes to rejected.
    std::string resumeCheckpoint(const std::string& lastPath, std::vector<std::string>& rejected) const;
    void startAfresh(store::StoreWriter& writer);
    void reconcileCheckpointRows(const std::string& from, const std::string& lastPath, const std::string& bestPath,
                                 const TrainingPosition& position);
    store::Store& store_;
    int64_t runId_;
    spec::RunSpec spec_;
    TrainerOptions options_;
    std::string error_;
    static std::atomic<bool> stop_;
};

}  // namespace distillery::engine
