#include "store/Results.h"

#include <algorithm>
#include <stdexcept>

#include "store/Store.h"

namespace distillery::store {

namespace {
std::string lastPart(const std::string& key) {
    const size_t slash = key.rfind('/');
    return slash == std::string::npos ? key : key.substr(slash + 1);
}

bool hasPart(const std::string& key, const std::string& part) {
    size_t start = 0;
    while (start <= key.size()) {
        const size_t end = std::min(key.find('/', start), key.size());
        if (key.compare(start, end - start, part) == 0 && end - start == part.size()) return true;
        start = end + 1;
    }
    return false;
}
}  // namespace

MetricKind metricKind(const std::string& key) {
    const std::string last = lastPart(key);
    // A loss term is a loss whatever its name: "train/loss/<term>".
    if (hasPart(key, "loss")) return MetricKind::Loss;
    if (last.find("acc") != std::string::npos || last.find("agree") != std::string::npos) return MetricKind::Accuracy;
    if (last.find("loss") != std::string::npos) return MetricKind::Loss;
    return MetricKind::Other;
}

bool higherIsBetter(const std::string& key) { return metricKind(key) == MetricKind::Accuracy; }

double MetricSummary::best() const { return higherIsBetter(key) ? maxValue : minValue; }

ValidationSelection selectByValidation(const std::vector<MetricPoint>& val, const std::vector<MetricPoint>& test) {
    ValidationSelection result;
    for (const MetricPoint& point : val) {
        // Strictly greater: on a tie the earliest step wins, as in experiments/results_table.py.
        if (!result.bestVal || point.value > *result.bestVal) {
            result.bestVal = point.value;
            result.bestValStep = point.step;
        }
    }
    if (!test.empty()) result.lastTest = test.back().value;
    if (result.bestValStep)
        for (const MetricPoint& point : test)
            if (point.step == *result.bestValStep) result.testAtBestVal = point.value;
    return result;
}

ValidationSelection selectByValidation(const Store& store, int64_t runId) {
    return selectByValidation(store.metrics(runId, metric::kValAcc1), store.metrics(runId, metric::kTestAcc1));
}

std::string checkpointKindName(CheckpointKind kind) {
    switch (kind) {
    case CheckpointKind::Last: return "last";
    case CheckpointKind::Best: return "best";
    case CheckpointKind::Periodic: return "periodic";
    }
    return "last";
}

CheckpointKind checkpointKindFromName(const std::string& name) {
    for (CheckpointKind kind : {CheckpointKind::Last, CheckpointKind::Best, CheckpointKind::Periodic})
        if (checkpointKindName(kind) == name) return kind;
    throw std::invalid_argument("unknown checkpoint kind \"" + name + "\"; known: last, best, periodic");
}

std::optional<CheckpointRow> findCheckpoint(const std::vector<CheckpointRow>& rows, CheckpointKind kind) {
    std::optional<CheckpointRow> found;
    for (const CheckpointRow& row : rows)
        if (row.kind == checkpointKindName(kind) && (!found || row.step >= found->step)) found = row;
    return found;
}

}  // namespace distillery::store
