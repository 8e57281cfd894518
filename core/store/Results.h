#pragma once
// What the store's numbers mean, in one place: the metric keys the trainer writes, which keys are
// accuracies (better high) and which losses, the result a paper reports (the test accuracy at the
// epoch of best validation accuracy), and the kinds of checkpoint a run keeps. The engine's summary,
// the report, the comparison, the plots and the queue all read them here. No SQLite, torch or Qt.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/StoreTypes.h"

namespace distillery::store {

class Store;

namespace metric {
// Written at the end of every epoch, for "val" (when the run has a validation split) and "test".
inline const std::string kValAcc1 = "val/acc1";
inline const std::string kTestAcc1 = "test/acc1";
inline std::string evaluation(const std::string& split, const std::string& what) { return split + "/" + what; }
// Written every logging window.
inline const std::string kTrainLoss = "train/loss";          // the total; its terms are train/loss/<term>
inline const std::string kTrainAcc1 = "train/acc1";
inline const std::string kLearningRate = "lr";
inline const std::string kSkippedSteps = "train/skipped_steps";
inline std::string trainLossTerm(const std::string& term) { return kTrainLoss + "/" + term; }
inline const std::string kEpochTime = "epoch_time";          // wall time at the epoch's end, seconds
// What a method reports about itself at the diagnostics cadence (methods::DiagnosticScalar).
inline std::string diagnostic(const std::string& key) { return "diag/" + key; }
}  // namespace metric

// Accuracies (and top-1 agreement with the teacher) are percentages, better high; losses better low;
// anything else (lr, epoch_time, skipped steps) has no direction a table should mark.
enum class MetricKind { Accuracy, Loss, Other };
// By the key's parts: a part "loss" makes a loss (a loss term is a loss whatever its name); else
// "acc" or "agree" in its last part an accuracy, "loss" in it a loss.
MetricKind metricKind(const std::string& key);
// Accuracies are better high, everything else (losses, errors) low.
bool higherIsBetter(const std::string& key);

// The numbers a paper reports for one run, selected on the validation split.
struct ValidationSelection {
    std::optional<double> bestVal;           // the highest val/acc1
    std::optional<int64_t> bestValStep;      // the earliest step where val/acc1 is at its best
    std::optional<double> testAtBestVal;     // test/acc1 logged at that very step (the selected model's)
    std::optional<double> lastTest;          // the last test/acc1
};
// val and test in step order, as Store::metrics returns them. A test accuracy logged at another step
// than the best validation is another model's: then testAtBestVal is empty rather than borrowed.
ValidationSelection selectByValidation(const std::vector<MetricPoint>& val, const std::vector<MetricPoint>& test);
// The same for one run of a store: every val/acc1 and test/acc1 point (one per epoch, so few).
ValidationSelection selectByValidation(const Store& store, int64_t runId);

// The checkpoints a run keeps: one "last" (where a resume continues) and one "best" (the model
// selected on validation, which students load as their teacher), and with checkpoint_every one
// "periodic" per chosen epoch. The store's column holds the name.
enum class CheckpointKind { Last, Best, Periodic };
std::string checkpointKindName(CheckpointKind kind);
// Throws std::invalid_argument for an unknown name.
CheckpointKind checkpointKindFromName(const std::string& name);
// The row of that kind with the highest step; empty when the run has none.
std::optional<CheckpointRow> findCheckpoint(const std::vector<CheckpointRow>& rows, CheckpointKind kind);

}  // namespace distillery::store
