#pragma once
// A study in the store: its runs queued under its name (once: queueing the same study file again
// reuses the runs it already has), and the early-stopping rule the trainer applies to its runs.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spec/Study.h"
#include "store/Store.h"

namespace distillery::spec {

struct QueuedStudy {
    int64_t studyId = 0;
    std::vector<int64_t> runIds;    // one per plan.runs, in its order
    size_t reused = 0;              // runs the store already had from an earlier queueing of the same study
};

// Records the study and queues its runs. When the store already has a study of that name from the
// same study file, nothing new is queued: its runs (matched by name) are returned, so running a
// study again continues it. A study of that name from another file is a FieldError at "study".
QueuedStudy queueStudy(store::Store& store, const StudyPlan& plan);

// The early-stopping rule that applies to a run: its study's, for a student run of a study whose
// rule is not "none"; nothing otherwise (and for a study file the store cannot parse any more).
struct StudyStopping {
    EarlyStopping rule;
    int64_t studyId = 0;
    std::string studyName;
};
std::optional<StudyStopping> studyStopping(const store::Store& store, int64_t runId);

// The median stopping rule at the end of `epoch` (1-based): a run whose validation accuracy there is
// below the median of the finished runs' at the same epoch stops, once the grace epochs are over and
// at least rule.minRuns runs count. The reason, in words, when it stops; nothing when it goes on.
std::optional<std::string> medianStopReason(const StudyStopping& stopping, int64_t epoch, double valAcc,
                                            std::vector<double> finishedAtEpoch);

}  // namespace distillery::spec
