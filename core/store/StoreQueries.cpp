#include "store/Store.h"

#include <sqlite3.h>

#include <filesystem>

#include "store/Statement.h"

// The store's queries: metrics, diagnostics, checkpoints, events and their summaries.

namespace distillery::store {

namespace {

MetricSummary readSummary(const Statement& s) {
    MetricSummary m;
    m.runId = s.int64(0);
    m.key = s.text(1);
    m.lastStep = s.int64(2);
    m.lastValue = s.real(3);
    m.minValue = s.real(4);
    m.maxValue = s.real(5);
    m.count = s.int64(6);
    return m;
}

}  // namespace

// ---- metrics ---------------------------------------------------------------------------------

std::vector<std::string> Store::metricKeys(int64_t runId) const {
    Statement s(db_, "SELECT key FROM run_summary WHERE run_id = ? ORDER BY key");
    s.bind(1, runId);
    std::vector<std::string> keys;
    while (s.step()) keys.push_back(s.text(0));
    return keys;
}

std::vector<MetricSummary> Store::summaries(int64_t runId) const {
    Statement s(db_, "SELECT run_id, key, last_step, last_value, min_value, max_value, count "
                     "FROM run_summary WHERE run_id = ? ORDER BY key");
    s.bind(1, runId);
    std::vector<MetricSummary> rows;
    while (s.step()) rows.push_back(readSummary(s));
    return rows;
}

std::optional<MetricSummary> Store::summary(int64_t runId, const std::string& key) const {
    Statement s(db_, "SELECT run_id, key, last_step, last_value, min_value, max_value, count "
                     "FROM run_summary WHERE run_id = ? AND key = ?");
    s.bind(1, runId).bind(2, key);
    if (!s.step()) return std::nullopt;
    return readSummary(s);
}

int64_t Store::metricCount(int64_t runId, const std::string& key) const {
    Statement s(db_, "SELECT count(*) FROM metrics WHERE run_id = ? AND key = ?");
    s.bind(1, runId).bind(2, key);
    s.step();
    return s.int64(0);
}

std::vector<MetricPoint> Store::metrics(int64_t runId, const std::string& key, int64_t afterStep,
                                        int64_t maxPoints) const {
    std::vector<MetricPoint> points;
    auto collect = [&](Statement& s) {
        while (s.step()) {
            MetricPoint p;
            p.runId = runId;
            p.key = key;
            p.step = s.int64(0);
            p.value = s.real(1);
            p.epoch = s.real(2);
            p.wallTime = s.real(3);
            points.push_back(std::move(p));
        }
    };

    int64_t count = 0, first = 0, last = 0;
    if (maxPoints > 0) {
        Statement range(db_, "SELECT count(*), min(step), max(step) FROM metrics WHERE run_id = ? AND key = ? "
                             "AND step > ?");
        range.bind(1, runId).bind(2, key).bind(3, afterStep);
        range.step();
        count = range.int64(0);
        first = range.int64(1);
        last = range.int64(2);
    }
    if (maxPoints <= 0 || count <= maxPoints) {
        Statement s(db_, "SELECT step, value, epoch, wall FROM metrics WHERE run_id = ? AND key = ? AND step > ? "
                         "ORDER BY step");
        s.bind(1, runId).bind(2, key).bind(3, afterStep);
        collect(s);
        return points;
    }
    // Down-sample in SQL: maxPoints/2 buckets of equal step width, each giving its min and its max
    // (SQLite returns the row's other columns alongside a bare min()/max()), so spikes survive.
    const int64_t buckets = std::max<int64_t>(1, maxPoints / 2);
    Statement s(db_,
                "WITH b AS (SELECT step, value, epoch, wall, ((step - ?4) * ?5) / (?6 - ?4 + 1) AS bucket "
                "           FROM metrics WHERE run_id = ?1 AND key = ?2 AND step > ?3) "
                "SELECT step, min(value), epoch, wall FROM b GROUP BY bucket "
                "UNION SELECT step, max(value), epoch, wall FROM b GROUP BY bucket ORDER BY 1");
    s.bind(1, runId).bind(2, key).bind(3, afterStep).bind(4, first).bind(5, buckets).bind(6, last);
    collect(s);
    return points;
}

// ---- diagnostics, checkpoints, events ----------------------------------------------------------

std::vector<GateRow> Store::gates(int64_t runId, int64_t afterStep) const {
    Statement s(db_, "SELECT step, spot, open_rate FROM gates WHERE run_id = ? AND step > ? ORDER BY step, spot");
    s.bind(1, runId).bind(2, afterStep);
    std::vector<GateRow> rows;
    while (s.step()) rows.push_back({runId, s.int64(0), s.text(1), s.real(2)});
    return rows;
}

std::vector<GateClassRow> Store::gateClasses(int64_t runId, int64_t step) const {
    Statement s(db_, "SELECT spot, class, open_rate FROM gate_classes WHERE run_id = ? AND step = ? "
                     "ORDER BY spot, class");
    s.bind(1, runId).bind(2, step);
    std::vector<GateClassRow> rows;
    while (s.step()) rows.push_back({runId, step, s.text(0), s.int64(1), s.real(2)});
    return rows;
}

std::vector<ChannelStatRow> Store::channelStats(int64_t runId, const std::string& spot, int64_t step) const {
    Statement s(db_, "SELECT channel, teacher_mean, teacher_std, student_mean, student_std, alignment_error "
                     "FROM channel_stats WHERE run_id = ? AND spot = ? AND step = ? ORDER BY channel");
    s.bind(1, runId).bind(2, spot).bind(3, step);
    std::vector<ChannelStatRow> rows;
    while (s.step())
        rows.push_back({runId, step, spot, s.int64(0), s.real(1), s.real(2), s.real(3), s.real(4), s.optionalReal(5)});
    return rows;
}

std::vector<PathWeightRow> Store::pathWeights(int64_t runId, int64_t afterStep) const {
    Statement s(db_, "SELECT step, path, weight, raw_loss FROM path_weights WHERE run_id = ? AND step > ? "
                     "ORDER BY step, path");
    s.bind(1, runId).bind(2, afterStep);
    std::vector<PathWeightRow> rows;
    while (s.step()) rows.push_back({runId, s.int64(0), s.text(1), s.real(2), s.real(3)});
    return rows;
}

std::vector<CheckpointRow> Store::checkpoints(int64_t runId) const {
    Statement s(db_, "SELECT id, step, epoch, path, kind, metric, created_at FROM checkpoints WHERE run_id = ? "
                     "ORDER BY id");
    s.bind(1, runId);
    std::vector<CheckpointRow> rows;
    while (s.step())
        rows.push_back({s.int64(0), runId, s.int64(1), s.int64(2), locateCheckpoint(s.text(3)), s.text(4), s.real(5),
                        s.real(6)});
    return rows;
}

std::string Store::locateCheckpoint(const std::string& recorded) const {
    namespace fs = std::filesystem;
    std::error_code error;
    if (fs::exists(recorded, error)) return recorded;
    // Checkpoints live in <store>.checkpoints/ beside the store. A store that was moved or copied
    // with that folder, or a path recorded relative to another working directory, is found there.
    const std::string marker = ".checkpoints/";
    const size_t at = recorded.rfind(marker);
    if (at == std::string::npos) return recorded;
    const std::string storeName = fs::path(recorded.substr(0, at)).filename().string();
    const fs::path beside = fs::absolute(path_, error).parent_path() / (storeName + recorded.substr(at));
    return fs::exists(beside, error) ? beside.string() : recorded;
}

std::vector<EventRow> Store::events(int64_t runId, int64_t afterId) const {
    // A file of schema 3 opened read-only has no step column yet.
    Statement s(db_, openedVersion_ >= 4
                         ? "SELECT id, time, level, message, step FROM events WHERE run_id = ? AND id > ? ORDER BY id"
                         : "SELECT id, time, level, message, NULL FROM events WHERE run_id = ? AND id > ? ORDER BY id");
    s.bind(1, runId).bind(2, afterId);
    std::vector<EventRow> rows;
    while (s.step()) rows.push_back({s.int64(0), runId, s.real(1), s.text(2), s.text(3), s.optionalInt64(4)});
    return rows;
}

// ---- diagnostics summaries -------------------------------------------------------------------
// DISTINCT over a primary-key prefix would visit every row of the run (a long run holds millions
// of channel rows); the recursive queries below instead seek from one distinct value to the next
// in the key order, one index probe per value returned.

DiagnosticPresence Store::diagnosticPresence(int64_t runId) const {
    Statement s(db_, "SELECT EXISTS (SELECT 1 FROM gates WHERE run_id = ?1), "
                     "EXISTS (SELECT 1 FROM gate_classes WHERE run_id = ?1), "
                     "EXISTS (SELECT 1 FROM channel_stats WHERE run_id = ?1), "
                     "EXISTS (SELECT 1 FROM path_weights WHERE run_id = ?1), "
                     "EXISTS (SELECT 1 FROM events WHERE run_id = ?1)");
    s.bind(1, runId);
    s.step();
    DiagnosticPresence presence;
    presence.gates = s.int64(0) != 0;
    presence.gateClasses = s.int64(1) != 0;
    presence.channelStats = s.int64(2) != 0;
    presence.pathWeights = s.int64(3) != 0;
    presence.events = s.int64(4) != 0;
    return presence;
}

std::vector<int64_t> Store::gateClassSteps(int64_t runId, int64_t afterStep) const {
    Statement s(db_, "WITH RECURSIVE steps(step) AS ("
                     "  SELECT (SELECT min(step) FROM gate_classes WHERE run_id = ?1 AND step > ?2) "
                     "  UNION ALL "
                     "  SELECT (SELECT min(step) FROM gate_classes WHERE run_id = ?1 AND step > steps.step) "
                     "  FROM steps WHERE steps.step IS NOT NULL) "
                     "SELECT step FROM steps WHERE step IS NOT NULL");
    s.bind(1, runId).bind(2, afterStep);
    std::vector<int64_t> steps;
    while (s.step()) steps.push_back(s.int64(0));
    return steps;
}

std::vector<std::string> Store::channelSpots(int64_t runId) const {
    Statement s(db_, "WITH RECURSIVE spots(spot) AS ("
                     "  SELECT (SELECT min(spot) FROM channel_stats WHERE run_id = ?1) "
                     "  UNION ALL "
                     "  SELECT (SELECT min(spot) FROM channel_stats WHERE run_id = ?1 AND spot > spots.spot) "
                     "  FROM spots WHERE spots.spot IS NOT NULL) "
                     "SELECT spot FROM spots WHERE spot IS NOT NULL");
    s.bind(1, runId);
    std::vector<std::string> spots;
    while (s.step()) spots.push_back(s.text(0));
    return spots;
}

std::vector<int64_t> Store::channelStatSteps(int64_t runId, const std::string& spot, int64_t afterStep) const {
    Statement s(db_, "WITH RECURSIVE steps(step) AS ("
                     "  SELECT (SELECT min(step) FROM channel_stats WHERE run_id = ?1 AND spot = ?2 AND step > ?3) "
                     "  UNION ALL "
                     "  SELECT (SELECT min(step) FROM channel_stats WHERE run_id = ?1 AND spot = ?2 "
                     "          AND step > steps.step) "
                     "  FROM steps WHERE steps.step IS NOT NULL) "
                     "SELECT step FROM steps WHERE step IS NOT NULL");
    s.bind(1, runId).bind(2, spot).bind(3, afterStep);
    std::vector<int64_t> steps;
    while (s.step()) steps.push_back(s.int64(0));
    return steps;
}

std::vector<ChannelDistanceRow> Store::channelDistances(int64_t runId, const std::string& spot,
                                                        int64_t afterStep) const {
    // avg() skips NULLs, so the alignment error averages only the channels that measured it.
    Statement s(db_, "SELECT step, avg(abs(student_mean - teacher_mean)), avg(abs(student_std - teacher_std)), "
                     "avg(alignment_error), count(*) FROM channel_stats WHERE run_id = ? AND spot = ? AND step > ? "
                     "GROUP BY step ORDER BY step");
    s.bind(1, runId).bind(2, spot).bind(3, afterStep);
    std::vector<ChannelDistanceRow> rows;
    while (s.step()) rows.push_back({s.int64(0), s.real(1), s.real(2), s.optionalReal(3), s.int64(4)});
    return rows;
}

}  // namespace distillery::store
