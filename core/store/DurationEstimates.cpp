#include "store/DurationEstimates.h"

#include <algorithm>
#include <map>
#include <set>

namespace distillery::store {

void DurationEstimates::clear() {
    byPair_.clear();
    all_ = Durations();
}

void DurationEstimates::add(const RunRow& row) {
    if (row.status != RunStatus::Finished || !row.startedAt || !row.finishedAt) return;
    const double seconds = *row.finishedAt - *row.startedAt;
    if (seconds < 0) return;
    Durations& pair = byPair_[{row.method, row.student}];
    pair.total += seconds;
    ++pair.count;
    all_.total += seconds;
    ++all_.count;
}

std::optional<double> DurationEstimates::estimate(const std::string& method, const std::string& student) const {
    const auto pair = byPair_.find({method, student});
    if (pair != byPair_.end() && pair->second.count > 0) return pair->second.total / pair->second.count;
    if (all_.count > 0) return all_.total / all_.count;
    return std::nullopt;
}

std::optional<double> DurationEstimates::remaining(const std::string& method, const std::string& student,
                                                   double done) const {
    const std::optional<double> duration = estimate(method, student);
    if (!duration) return std::nullopt;
    return *duration * (1.0 - std::clamp(done, 0.0, 1.0));
}

std::optional<double> replayQueue(const std::vector<std::pair<int64_t, double>>& training,
                                  std::vector<WaitingRun> waiting, int slots) {
    std::multimap<double, int64_t> ends;   // runs training in the replay, by the time they end
    for (const auto& [runId, left] : training) ends.emplace(left, runId);
    std::set<int64_t> ended;
    double now = 0, last = 0;
    for (;;) {
        // After lowering the slots more runs may train than there are slots: none starts then.
        for (auto it = waiting.begin(); it != waiting.end() && static_cast<int>(ends.size()) < slots;) {
            if (it->teacher == 0 || ended.count(it->teacher)) {
                ends.emplace(now + it->duration, it->runId);
                it = waiting.erase(it);
            } else {
                ++it;
            }
        }
        if (ends.empty()) break;   // the rest waits for a teacher that is not replayed
        now = ends.begin()->first;
        ended.insert(ends.begin()->second);
        ends.erase(ends.begin());
        last = std::max(last, now);
    }
    if (ended.empty()) return std::nullopt;   // runs wait for each other: no end in sight
    return last;
}

}  // namespace distillery::store
