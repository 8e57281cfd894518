#include "store/Store.h"

#include <sqlite3.h>

#include <cmath>
#include <set>

#include "store/Statement.h"

// What engines write: checkpoint rows, batches of metrics and diagnostics (one transaction each), and the
// StoreWriter that buffers them.

namespace distillery::store {

namespace {
void (*beforeCommitHook)() = nullptr;
}

void Store::setBeforeCommitHook(void (*hook)()) { beforeCommitHook = hook; }

int64_t Store::addCheckpoint(const CheckpointRow& c) {
    Transaction transaction(db_);
    {
        Statement replaced(db_, "DELETE FROM checkpoints WHERE run_id = ? AND kind = ? AND (kind != 'periodic' OR epoch = ?)");
        replaced.bind(1, c.runId).bind(2, c.kind).bind(3, c.epoch);
        replaced.run();
    }
    Statement s(db_, "INSERT INTO checkpoints (run_id, step, epoch, path, kind, metric, created_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, c.runId).bind(2, c.step).bind(3, c.epoch).bind(4, c.path).bind(5, c.kind).bind(6, c.metric);
    s.bind(7, c.createdAt > 0 ? c.createdAt : nowSeconds());
    s.run();
    const int64_t id = sqlite3_last_insert_rowid(db_);
    transaction.commit();
    return id;
}

BatchResult Store::writeBatch(const RowBatch& batch) {
    const auto& [metrics, gates, gateClasses, channelStats, pathWeights, events, confusion, classAgreement] = batch;
    BatchResult result;
    auto finite = [](std::initializer_list<double> values) {
        for (double v : values)
            if (!std::isfinite(v)) return false;
        return true;
    };
    Transaction transaction(db_);
    if (!metrics.empty()) {
        // A step is normally new; one written again (an engine repeating a step the store already
        // holds) replaces the old value, and its key's summary is then rebuilt from the table, since
        // a running min, max and count cannot take a value back.
        Statement insert(db_, "INSERT OR IGNORE INTO metrics (run_id, key, step, epoch, value, wall) VALUES (?, ?, ?, ?, ?, ?)");
        Statement replace(db_, "UPDATE metrics SET epoch = ?4, value = ?5, wall = ?6 WHERE run_id = ?1 AND key = ?2 "
                               "AND step = ?3");
        // Right-hand sides see the old row, so last_value compares against the old last_step.
        Statement summarise(db_,
                            "INSERT INTO run_summary (run_id, key, last_step, last_value, min_value, max_value, count) "
                            "VALUES (?1, ?2, ?3, ?4, ?4, ?4, 1) ON CONFLICT (run_id, key) DO UPDATE SET "
                            "last_value = CASE WHEN excluded.last_step >= last_step THEN excluded.last_value "
                            "ELSE last_value END, last_step = max(last_step, excluded.last_step), "
                            "min_value = min(min_value, excluded.min_value), "
                            "max_value = max(max_value, excluded.max_value), count = count + 1");
        std::set<std::pair<int64_t, std::string>> rewritten;
        for (const auto& p : metrics) {
            if (!std::isfinite(p.value)) {   // the engine reports a non-finite loss itself
                ++result.skippedMetrics;
                continue;
            }
            insert.bind(1, p.runId).bind(2, p.key).bind(3, p.step).bind(4, p.epoch).bind(5, p.value);
            insert.bind(6, p.wallTime);
            insert.run();
            if (sqlite3_changes(db_) == 0) {
                replace.bind(1, p.runId).bind(2, p.key).bind(3, p.step).bind(4, p.epoch).bind(5, p.value);
                replace.bind(6, p.wallTime);
                replace.run();
                rewritten.emplace(p.runId, p.key);
                continue;
            }
            summarise.bind(1, p.runId).bind(2, p.key).bind(3, p.step).bind(4, p.value);
            summarise.run();
        }
        for (const auto& [runId, key] : rewritten) recomputeSummary(runId, key);
    }
    if (!gates.empty()) {
        Statement s(db_, "INSERT OR REPLACE INTO gates (run_id, step, spot, open_rate) VALUES (?, ?, ?, ?)");
        for (const auto& g : gates) {
            if (!finite({g.openRate})) {
                ++result.skippedDiagnostics;
                continue;
            }
            s.bind(1, g.runId).bind(2, g.step).bind(3, g.spot).bind(4, g.openRate);
            s.run();
        }
    }
    if (!gateClasses.empty()) {
        Statement s(db_, "INSERT OR REPLACE INTO gate_classes (run_id, step, spot, class, open_rate) "
                         "VALUES (?, ?, ?, ?, ?)");
        for (const auto& g : gateClasses) {
            if (!finite({g.openRate})) {
                ++result.skippedDiagnostics;
                continue;
            }
            s.bind(1, g.runId).bind(2, g.step).bind(3, g.spot).bind(4, g.classIndex).bind(5, g.openRate);
            s.run();
        }
    }
    if (!channelStats.empty()) {
        Statement s(db_, "INSERT OR REPLACE INTO channel_stats (run_id, step, spot, channel, teacher_mean, "
                         "teacher_std, student_mean, student_std, alignment_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
        for (const auto& c : channelStats) {
            if (!finite({c.teacherMean, c.teacherStd, c.studentMean, c.studentStd, c.alignmentError.value_or(0)})) {
                ++result.skippedDiagnostics;
                continue;
            }
            s.bind(1, c.runId).bind(2, c.step).bind(3, c.spot).bind(4, c.channel).bind(5, c.teacherMean);
            s.bind(6, c.teacherStd).bind(7, c.studentMean).bind(8, c.studentStd).bind(9, c.alignmentError);
            s.run();
        }
    }
    if (!pathWeights.empty()) {
        Statement s(db_, "INSERT OR REPLACE INTO path_weights (run_id, step, path, weight, raw_loss) "
                         "VALUES (?, ?, ?, ?, ?)");
        for (const auto& w : pathWeights) {
            if (!finite({w.weight, w.rawLoss})) {
                ++result.skippedDiagnostics;
                continue;
            }
            s.bind(1, w.runId).bind(2, w.step).bind(3, w.path).bind(4, w.weight).bind(5, w.rawLoss);
            s.run();
        }
    }
    if (!events.empty()) {
        Statement s(db_, "INSERT INTO events (run_id, time, level, message, step) VALUES (?, ?, ?, ?, ?)");
        for (const auto& e : events) {
            s.bind(1, e.runId).bind(2, e.time).bind(3, e.level).bind(4, e.message).bind(5, e.step);
            s.run();
        }
    }
    if (!confusion.empty()) {
        Statement s(db_, "INSERT OR REPLACE INTO confusion (run_id, step, split, model, actual, predicted, count) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)");
        for (const auto& c : confusion) {
            s.bind(1, c.runId).bind(2, c.step).bind(3, c.split).bind(4, c.model).bind(5, c.actual);
            s.bind(6, c.predicted).bind(7, c.count);
            s.run();
        }
    }
    if (!classAgreement.empty()) {
        Statement s(db_, "INSERT OR REPLACE INTO class_agreement (run_id, step, split, class_index, agree, total) "
                         "VALUES (?, ?, ?, ?, ?, ?)");
        for (const auto& a : classAgreement) {
            s.bind(1, a.runId).bind(2, a.step).bind(3, a.split).bind(4, a.classIndex).bind(5, a.agree);
            s.bind(6, a.total);
            s.run();
        }
    }
    if (beforeCommitHook) beforeCommitHook();
    transaction.commit();
    return result;
}

// ---- StoreWriter -----------------------------------------------------------------------------

StoreWriter::StoreWriter(Store& store, double flushIntervalSeconds, size_t maxBuffered)
    : store_(store), interval_(flushIntervalSeconds), maxBuffered_(maxBuffered) {}

StoreWriter::~StoreWriter() {
    try {
        flush();
    } catch (...) {
        // Destructors must not throw; a failed final flush was already reported by the caller's flush().
    }
}

void StoreWriter::noteAdded() {
    if (oldest_ < 0) oldest_ = nowSeconds();
    if (buffered() >= maxBuffered_) flush();
}

void StoreWriter::add(MetricPoint point) {
    batch_.metrics.push_back(std::move(point));
    noteAdded();
}
void StoreWriter::add(GateRow row) {
    batch_.gates.push_back(std::move(row));
    noteAdded();
}
void StoreWriter::add(GateClassRow row) {
    batch_.gateClasses.push_back(std::move(row));
    noteAdded();
}
void StoreWriter::add(ChannelStatRow row) {
    batch_.channelStats.push_back(std::move(row));
    noteAdded();
}
void StoreWriter::add(PathWeightRow row) {
    batch_.pathWeights.push_back(std::move(row));
    noteAdded();
}
void StoreWriter::add(ConfusionCell cell) {
    batch_.confusion.push_back(std::move(cell));
    noteAdded();
}
void StoreWriter::add(ClassAgreementRow row) {
    batch_.classAgreement.push_back(std::move(row));
    noteAdded();
}
void StoreWriter::addEvent(int64_t runId, const std::string& level, const std::string& message,
                           std::optional<int64_t> step) {
    batch_.events.push_back({0, runId, nowSeconds(), level, message, step});
    noteAdded();
}

size_t StoreWriter::buffered() const { return batch_.size(); }

void StoreWriter::flush() {
    if (batch_.size() == 0) return;
    const BatchResult result = store_.writeBatch(batch_);   // on failure the rows stay buffered for the next try
    skipped_.skippedMetrics += result.skippedMetrics;
    skipped_.skippedDiagnostics += result.skippedDiagnostics;
    batch_.clear();
    oldest_ = -1;
}

void StoreWriter::discard() {
    batch_.clear();
    oldest_ = -1;
}

void StoreWriter::flushIfDue() {
    if (oldest_ < 0 || nowSeconds() - oldest_ < interval_) return;
    try {
        flush();
    } catch (const StoreError& e) {
        // A store busy beyond the busy timeout keeps the rows for the next try; only a store that stays
        // busy for minutes, or any other failure, stops the run.
        const std::string what = e.what();
        const bool busy = what.find("locked") != std::string::npos || what.find("busy") != std::string::npos;
        if (!busy || nowSeconds() - oldest_ > 5 * 60.0) throw;
    }
}

}  // namespace distillery::store
