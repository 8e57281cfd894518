#pragma once
// The Trainer runs one run of the store from its spec: set-up (TrainingSetup: data, student, teacher,
// method, the spec's optimiser and schedule), a resume from the newest checkpoint that verifies, the
// training steps, evaluation on the validation split and the test set at every epoch's end, sealed
// checkpoints, the heartbeat, and everything measured into the store (MetricsRecorder) and to a
// progress sink. One Trainer per process.
#include <ATen/core/Tensor.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/OwnerHeartbeat.h"
#include "engine/Progress.h"
#include "spec/RunSpec.h"
#include "store/Store.h"

namespace distillery::data {
class EpochBatches;
}

namespace distillery::engine {

class DataParallel;

struct TrainingPosition;
// Pruned: stopped by its study's early-stopping rule (spec/StudyQueue.h) after an epoch's checkpoint.
enum class Outcome { Finished, Killed, Failed, Pruned };

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
    // One of several processes training the run together (DataParallel.h); null: this process alone.
    DataParallel* parallel = nullptr;
    // Where a teacher named by run is looked up; null: the run's own store. A worker process writes a
    // scratch store of its own and looks its teacher up in the run's.
    const store::Store* teacherStore = nullptr;
    // Reuse the frozen teacher's outputs of an image seen before, where TeacherOutputCache.h allows it. The
    // numbers are the same either way; false runs the teacher at every step (its cost measured, the
    // cache's sameness checked).
    bool cacheTeacherOutputs = true;
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
    struct Session;   // what one call of train() holds: its set-up, position, progress and recorder
    Outcome train();
    // Continues from the newest checkpoint that verifies, or starts afresh (rows and files of earlier
    // attempts removed), as options_.resume and the checkpoints say.
    void resumeOrStartAfresh(Session& session);
    // One optimiser step (or a skipped one) on batch b of the epoch (the next of `batches`); then the logging
    // window, the progress report and a checkpoint_minutes checkpoint when due.
    void trainStep(Session& session, int64_t epoch, int64_t b, data::EpochBatches& batches);
    // Sets up the cache of the teacher's outputs (TeacherOutputCache.h) when the run can use it, and says so.
    void startTeacherOutputCache(Session& session);
    // An image folder's files found bad since the last call (data.on_bad_image: skip): one warning event each.
    void noteBadImages(Session& session);
    void endLogWindow(Session& session, int64_t epoch, int64_t b, double lr);
    // Evaluates, logs the epoch and writes its checkpoints. With a study's early-stopping rule, the
    // reason to stop here when the rule says so.
    // Of several processes, rank 0 evaluates and decides for all; the others keep their checkpoint.
    std::optional<std::string> endEpoch(Session& session, int64_t epoch);
    std::optional<std::string> evaluateEpoch(Session& session, int64_t epoch);
    // The run stopped by its study's rule: the run marked pruned with the reason.
    Outcome pruneHere(Session& session, const std::string& reason);
    // A requested stop: checkpoint, the run marked killed.
    Outcome stopHere(Session& session, int64_t epoch, int64_t b);
    void saveLast(Session& session, int64_t epoch, int64_t batchInEpoch);
    std::string checkpointHere(Session& session, int64_t epoch, int64_t batchInEpoch);
    void checkOwnership(Session& session);
    void report(Session& session);
    // The newest checkpoint of the run that verifies; "" when none does. Why others failed goes to rejected.
    std::string resumeCheckpoint(const std::string& lastPath, std::vector<std::string>& rejected) const;
    void startAfresh(Session& session);
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
