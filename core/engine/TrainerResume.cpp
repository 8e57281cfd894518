#include <torch/torch.h>

#include <filesystem>
#include <set>

#include "engine/CheckpointFile.h"
#include "engine/TrainingSession.h"
#include "store/Results.h"

// The trainer's resume: which checkpoint a resumed run continues from, and what an attempt that
// starts afresh removes.

namespace distillery::engine {

namespace fs = std::filesystem;

std::string Trainer::resumeCheckpoint(const std::string& lastPath, std::vector<std::string>& rejected) const {
    // The newest first: this run's last.pt, the one it replaced, then what the store records (a
    // checkpoint folder given on an earlier command line, or a store moved with its checkpoints).
    std::vector<std::string> candidates = {lastPath, previousCheckpointPath(lastPath)};
    for (const auto& c : store_.checkpoints(runId_))
        if (c.kind == store::checkpointKindName(store::CheckpointKind::Last)) {
            candidates.push_back(c.path);
            candidates.push_back(previousCheckpointPath(c.path));
        }
    std::set<std::string> tried;
    for (const auto& candidate : candidates) {
        if (!tried.insert(candidate).second || !fs::exists(candidate)) continue;
        try {
            readCheckpointFile(candidate);
            return candidate;
        } catch (const CheckpointError& e) {
            rejected.push_back(e.what());
        }
    }
    return {};
}

void Trainer::startAfresh(Session& s) {
    store::StoreWriter& writer = s.recorder.writer();
    // Rows and files of earlier attempts would otherwise mix with this one's, and a later resume
    // could continue from a checkpoint of an attempt that no longer counts.
    const store::DiscardedRows discarded = store_.discardAfter(runId_, -1);
    std::error_code error;
    size_t files = 0;
    for (const auto& entry : fs::directory_iterator(options_.checkpointDir, error))
        if (entry.path().extension() == ".pt" || entry.path().extension() == ".prev" ||
            entry.path().extension() == ".damaged")
            files += fs::remove(entry.path(), error) ? 1 : 0;
    if (discarded.total() > 0 || files > 0)
        writer.addEvent(runId_, "info", "starting from the beginning: removed " + std::to_string(discarded.total()) +
                                            " rows and " + std::to_string(files) + " checkpoint files of earlier attempts");
    // After the files of earlier attempts are gone: a resume continues from its checkpoint instead.
    const std::string init = initialiseStudent(spec_, s.setup);
    if (!init.empty()) s.recorder.log("info", init);
}

void Trainer::reconcileCheckpointRows(const std::string& from, const std::string& lastPath, const std::string& bestPath,
                                      const TrainingPosition& position) {
    std::error_code error;
    if (from != lastPath && fs::exists(lastPath, error)) {
        // last.pt failed verification: set it aside, so that the next checkpoint does not keep it as
        // the previous one in place of the good file this resume continues from.
        fs::rename(lastPath, lastPath + ".damaged", error);
    }
    // A kill can fall between writing a checkpoint file and recording it: the files are the truth.
    store_.addCheckpoint({0, runId_, position.step, position.epoch, from,
                         store::checkpointKindName(store::CheckpointKind::Last), position.bestValAcc, 0});
    // best.pt ahead of the resume point belongs to the discarded attempt: the one it replaced is the
    // best as of the checkpoint (the attempt, computed again, writes the same best.pt again).
    const auto bestStep = verifiedCheckpointStep(bestPath);
    if (bestStep && *bestStep > position.step) {
        const std::string previous = previousCheckpointPath(bestPath);
        const auto previousStep = verifiedCheckpointStep(previous);
        if (previousStep && *previousStep <= position.step) fs::rename(previous, bestPath, error);
        else fs::remove(bestPath, error);
    }
    if (verifiedCheckpointStep(bestPath)) {
        const TrainingPosition best = readCheckpointPosition(bestPath);
        store_.addCheckpoint({0, runId_, best.step, best.epoch, bestPath,
                             store::checkpointKindName(store::CheckpointKind::Best), best.bestValAcc, 0});
    }
}

void Trainer::resumeOrStartAfresh(Session& s) {
    fs::create_directories(options_.checkpointDir);
    if (!options_.resume) {
        startAfresh(s);
        return;
    }
    std::vector<std::string> rejected;
    const std::string from = resumeCheckpoint(s.lastPath, rejected);
    for (const auto& why : rejected) s.recorder.log("warn", why + "; looking for an older checkpoint");
    if (from.empty()) {
        s.recorder.log("warn", "run " + std::to_string(runId_) + " has no usable checkpoint yet: training it again "
                               "from the beginning");
        startAfresh(s);
        return;
    }
    s.position = loadCheckpoint(from, s.trainingState, s.setup.device);
    s.recorder.setWallOffset(s.position.wallTime);
    const store::DiscardedRows discarded = store_.discardAfter(runId_, s.position.step);
    reconcileCheckpointRows(from, s.lastPath, s.bestPath, s.position);
    s.recorder.log("info", "resumed from " + from + " at epoch " + std::to_string(s.position.epoch + 1) + ", step " +
                               std::to_string(s.position.step) +
                               (discarded.total() > 0 ? "; removed " + std::to_string(discarded.total()) +
                                                            " rows the interrupted attempt wrote after that step"
                                                      : std::string()));
}

}  // namespace distillery::engine
