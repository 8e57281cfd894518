#pragma once
// How long runs take, learned from the store's finished runs, and when a queue of runs ends: the
// arithmetic behind the run queue's "time left" and "queue ETA". No Qt, no SQLite: rows in, seconds out.
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/StoreTypes.h"

namespace distillery::store {

class DurationEstimates {
public:
    void clear();
    // Counts a finished run with both times (wall time finished_at - started_at); ignores the rest.
    void add(const RunRow& row);
    // Mean wall time of the finished runs of this method and student; of all finished runs when none
    // matches; empty when no run has finished.
    std::optional<double> estimate(const std::string& method, const std::string& student) const;
    // What is left of such a run when the share `done` (0..1) of it is done.
    std::optional<double> remaining(const std::string& method, const std::string& student, double done) const;

private:
    struct Durations {
        double total = 0;
        int count = 0;
    };
    std::map<std::pair<std::string, std::string>, Durations> byPair_;   // (method, student)
    Durations all_;
};

// One run of a queue replay (replayQueue): a run that waits for a slot, and maybe for its teacher.
struct WaitingRun {
    int64_t runId = 0;
    int64_t teacher = 0;   // 0: waits for no teacher; else starts only after that run has ended
    double duration = 0;   // seconds it trains once started
};

// Seconds until the last run ends when `slots` runs train at once: the runs training now end after
// their seconds left; whenever slots are free, the oldest waiting runs whose teacher has ended (or
// that wait for none) take them. A waiting run whose teacher is neither training nor waiting here
// never starts and is left out. Empty when no run ends at all (they wait for each other).
std::optional<double> replayQueue(const std::vector<std::pair<int64_t, double>>& training,
                                  std::vector<WaitingRun> waiting, int slots);

}  // namespace distillery::store
