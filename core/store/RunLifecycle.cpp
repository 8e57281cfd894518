#include "store/RunLifecycle.h"

#include <filesystem>
#include <system_error>

#include "store/Results.h"

namespace distillery::store {

namespace {

std::string runLabel(int64_t runId) { return "Run " + std::to_string(runId); }

std::string notInStore(int64_t runId, const std::string& storePath) {
    return runLabel(runId) + " is not in " + storePath + " (deleted?).";
}

}  // namespace

bool endedEarly(RunStatus status) { return status == RunStatus::Killed || status == RunStatus::Failed; }

std::string resumeCheckpointPath(const std::vector<CheckpointRow>& checkpoints) {
    const auto last = findCheckpoint(checkpoints, CheckpointKind::Last);
    return last ? last->path : std::string();
}

std::string notQueuedHereReason(int64_t runId, const std::optional<RunRow>& row, const std::string& storePath) {
    if (!row) return notInStore(runId, storePath);
    if (row->status == RunStatus::Running) {
        const std::string pid = row->pid ? std::to_string(*row->pid) : std::string("unknown");
        const std::string host = row->host.empty() ? std::string("an unknown host") : row->host;
        return runLabel(runId) + " is trained by another process (pid " + pid + " on " + host +
               "), not by this window. Stop it where it runs, e.g. kill -TERM " + pid + " on " + host + ".";
    }
    return runLabel(runId) + " is already " + statusName(row->status) + ".";
}

std::optional<std::string> cancelRefusal(int64_t runId, const std::optional<RunRow>& row, const std::string& storePath) {
    if (row && row->status == RunStatus::Queued) return std::nullopt;
    return notQueuedHereReason(runId, row, storePath);
}

std::optional<std::string> resumeRefusal(int64_t runId, const std::optional<RunRow>& row,
                                         const std::vector<CheckpointRow>& checkpoints, const std::string& storePath) {
    if (!row) return notInStore(runId, storePath);
    switch (row->status) {
        case RunStatus::Finished:
            return runLabel(runId) + " has finished: there is nothing left to resume. To train it again, duplicate it "
                                     "as a new run.";
        case RunStatus::Queued:
            return runLabel(runId) + " is queued and has not started: there is nothing to resume yet; it trains from "
                                     "the beginning when it starts.";
        case RunStatus::Running: return notQueuedHereReason(runId, row, storePath);
        case RunStatus::Pruned:
            return runLabel(runId) + " was pruned by its study's early-stopping rule (" + row->error +
                   "); a pruned run is final. To train it to the end, duplicate it as a new run.";
        case RunStatus::Killed:
        case RunStatus::Failed: break;
    }
    const std::string from = resumeCheckpointPath(checkpoints);
    if (from.empty())
        return runLabel(runId) + " has no checkpoint to resume from: it stopped before the engine saved one (at the "
                                 "end of every epoch, and when a run is cancelled). Retry it to train it from the "
                                 "beginning.";
    std::error_code error;
    if (!std::filesystem::exists(from, error))
        return "The checkpoint of run " + std::to_string(runId) + ", " + from + ", is missing (moved or deleted?). Put "
               "it back to resume the run, or retry the run to train it from the beginning.";
    return std::nullopt;
}

std::optional<std::string> retryRefusal(int64_t runId, const std::optional<RunRow>& row, const std::string& storePath) {
    if (!row) return notInStore(runId, storePath);
    if (endedEarly(row->status)) return std::nullopt;
    if (row->status == RunStatus::Finished)
        return runLabel(runId) + " has finished; retry is for failed or killed runs. To train it again, duplicate it "
                                 "as a new run.";
    if (row->status == RunStatus::Queued)
        return runLabel(runId) + " is queued already: it trains when a slot frees.";
    if (row->status == RunStatus::Pruned)
        return runLabel(runId) + " was pruned by its study's early-stopping rule; a pruned run is final. To train it "
                                 "again, duplicate it as a new run.";
    return notQueuedHereReason(runId, row, storePath);
}

std::optional<std::string> reclaimRefusal(const RunRow& row, const std::string& storePath) {
    if (row.status != RunStatus::Finished && row.status != RunStatus::Queued && row.status != RunStatus::Pruned)
        return std::nullopt;
    const std::string id = std::to_string(row.id);
    return "run " + id + " is " + statusName(row.status) +
           ": only killed or failed runs (or a running run whose engine died) can be resumed or retried" +
           (row.status == RunStatus::Queued ? "; start it with: distillery-engine run --db " + storePath + " --run " + id
                                            : std::string());
}

}  // namespace distillery::store
