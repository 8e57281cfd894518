#pragma once
// What may happen to a run next, judged from its row in the store: the rules behind Cancel, Resume
// and Retry for a process that neither trains nor queues the run itself (the GUI's run queue asks
// them after its own questions about the runs it trains or holds), and the engine's resume/retry.
//
// Each refusal is the sentence shown to the user, in English, naming the run and saying what to do
// instead; nothing when the action is allowed. No Qt, no torch: the GUI and the engine both link it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/StoreTypes.h"

namespace distillery::store {

// Killed or failed: the run ended before its last epoch, so it can be resumed or retried.
bool endedEarly(RunStatus status);

// The checkpoint a resume continues from: the newest "last" checkpoint of the run; "" when none.
std::string resumeCheckpointPath(const std::vector<CheckpointRow>& checkpoints);

// Why a run that this process neither trains nor queues cannot be cancelled: gone from the store,
// trained by another process (with how to stop it there), or ended already.
std::string notQueuedHereReason(int64_t runId, const std::optional<RunRow>& row, const std::string& storePath);

// A queued run can be cancelled (it is marked killed); anything else: notQueuedHereReason.
std::optional<std::string> cancelRefusal(int64_t runId, const std::optional<RunRow>& row, const std::string& storePath);

// A killed or failed run with a "last" checkpoint whose file exists can be resumed.
std::optional<std::string> resumeRefusal(int64_t runId, const std::optional<RunRow>& row,
                                         const std::vector<CheckpointRow>& checkpoints, const std::string& storePath);

// A killed or failed run can be retried: queued again, to train from the beginning.
std::optional<std::string> retryRefusal(int64_t runId, const std::optional<RunRow>& row, const std::string& storePath);

// The engine's `resume`/`retry` take over a killed or failed run, or a running one whose engine died
// (Store::reclaimRun decides that under its lock). A finished or queued run is refused with the
// engine's wording (a queued one with the command that starts it).
std::optional<std::string> reclaimRefusal(const RunRow& row, const std::string& storePath);

}  // namespace distillery::store
