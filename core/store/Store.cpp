#include "store/Store.h"

#include <sqlite3.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include <signal.h>
#include <unistd.h>

#include "store/Schema.h"
#include "store/Statement.h"

namespace distillery::store {

namespace {

// Writers hold the lock for a batch of a few thousand rows (milliseconds to ~0.1 s); readers never
// block writers in WAL mode. bench_store_stress measured the longest wait at 0.6 s with 4 writers and
// 2.5 s with 8: waiting costs nothing, a "database is locked" would fail a run, so wait up to as long
// as a heartbeat may be late.
constexpr int kBusyTimeoutMs = 60000;

std::string newUuid() {
    std::random_device device;
    std::mt19937_64 generator((static_cast<uint64_t>(device()) << 32) ^ device() ^
                              static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
    const uint64_t hi = generator(), lo = generator();
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%016llx%016llx", static_cast<unsigned long long>(hi),
                  static_cast<unsigned long long>(lo));
    return buffer;
}

const char* kRunColumns =
    "id, uuid, name, status, created_at, started_at, finished_at, heartbeat, spec, teacher, student, method, "
    "dataset, seed, device, host, pid, error, progress, threads, precision, memory_format";
// A file of schema 2 opened read-only (not migrated) has no threads/precision/memory_format yet.
const char* kRunColumnsVersion2 =
    "id, uuid, name, status, created_at, started_at, finished_at, heartbeat, spec, teacher, student, method, "
    "dataset, seed, device, host, pid, error, progress, 0, '', ''";

RunRow readRun(const Statement& s) {
    RunRow r;
    r.id = s.int64(0);
    r.uuid = s.text(1);
    r.name = s.text(2);
    r.status = runStatusFromString(s.text(3));
    r.createdAt = s.real(4);
    r.startedAt = s.optionalReal(5);
    r.finishedAt = s.optionalReal(6);
    r.heartbeat = s.optionalReal(7);
    r.specJson = s.text(8);
    r.teacher = s.text(9);
    r.student = s.text(10);
    r.method = s.text(11);
    r.dataset = s.text(12);
    r.seed = s.int64(13);
    r.device = s.text(14);
    r.host = s.text(15);
    r.pid = s.optionalInt64(16);
    r.error = s.text(17);
    r.progress = s.real(18);
    r.threads = s.int64(19);
    r.precision = s.text(20);
    r.memoryFormat = s.text(21);
    return r;
}

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

double nowSeconds() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string hostName() {
    char buffer[256] = {0};
    gethostname(buffer, sizeof buffer - 1);
    return buffer;
}

namespace {
// When the process started, in seconds since the epoch, from /proc (Linux); empty elsewhere.
std::optional<double> processStartTime(int64_t pid) {
    std::ifstream statFile("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    if (!std::getline(statFile, stat)) return std::nullopt;
    // Field 22 (starttime, clock ticks after boot) follows the command name, which may hold spaces.
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    for (int i = 3; i <= 22 && fields >> field; ++i) {
        if (i != 22) continue;
        std::ifstream bootFile("/proc/stat");
        std::string line;
        while (std::getline(bootFile, line))
            if (line.rfind("btime ", 0) == 0)
                return std::stod(line.substr(6)) + std::stod(field) / double(sysconf(_SC_CLK_TCK));
    }
    return std::nullopt;
}
}  // namespace

bool engineAlive(const std::string& host, std::optional<int64_t> pid, std::optional<double> heartbeat,
                 double staleSeconds) {
    const double lastSign = heartbeat.value_or(0);
    if (host != hostName()) return nowSeconds() - lastSign < staleSeconds;
    if (!pid || *pid <= 0) return nowSeconds() - lastSign < staleSeconds;
    // kill(pid, 0) only asks whether the process exists (EPERM: it does, under another user).
    if (::kill(static_cast<pid_t>(*pid), 0) != 0 && errno == ESRCH) return false;
    const auto started = processStartTime(*pid);
    // A process that started after the engine's last heartbeat is another program with a reused pid.
    // (Clock ticks are coarse: allow a second.)
    return !(started && heartbeat && *started > *heartbeat + 1.0);
}

std::string statusName(RunStatus status) {
    switch (status) {
    case RunStatus::Queued: return "queued";
    case RunStatus::Running: return "running";
    case RunStatus::Finished: return "finished";
    case RunStatus::Failed: return "failed";
    case RunStatus::Killed: return "killed";
    }
    return "failed";
}

RunStatus runStatusFromString(const std::string& name) {
    if (name == "queued") return RunStatus::Queued;
    if (name == "running") return RunStatus::Running;
    if (name == "finished") return RunStatus::Finished;
    if (name == "failed") return RunStatus::Failed;
    if (name == "killed") return RunStatus::Killed;
    throw std::invalid_argument("unknown run status \"" + name +
                                "\"; known: queued, running, finished, failed, killed");
}

bool MetricSummary::higherIsBetter(const std::string& key) {
    return key.find("acc") != std::string::npos || key.find("agree") != std::string::npos;
}

// ---- connection ------------------------------------------------------------------------------

Store::Store(const std::string& path, bool readOnly) : path_(path) {
    const int flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
        const std::string reason = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        db_ = nullptr;
        throw StoreError("cannot open results store '" + path + "': " + reason +
                         (readOnly ? " (does the file exist?)" : " (is the folder writable?)"));
    }
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    try {
        execute(db_, "PRAGMA foreign_keys = ON");
        if (!readOnly) {
            // journal_mode answers with a row; a file that is not a database fails here.
            {
                Statement wal(db_, "PRAGMA journal_mode = WAL");
                wal.step();
            }
            execute(db_, "PRAGMA synchronous = NORMAL");
            migrate();
        } else if (schemaVersion() > kSchemaVersion) {
            throw StoreError("results store '" + path + "' has schema version " + std::to_string(schemaVersion()) +
                             ", newer than this program's " + std::to_string(kSchemaVersion) +
                             "; open it with a newer Distillery");
        }
        openedVersion_ = schemaVersion();
    } catch (...) {
        sqlite3_close(db_);
        db_ = nullptr;
        throw;
    }
}

Store::~Store() {
    if (db_) sqlite3_close(db_);
}

Store::Store(Store&& other) noexcept
    : path_(std::move(other.path_)), db_(other.db_), openedVersion_(other.openedVersion_) {
    other.db_ = nullptr;
}

Store& Store::operator=(Store&& other) noexcept {
    if (this != &other) {
        if (db_) sqlite3_close(db_);
        path_ = std::move(other.path_);
        db_ = other.db_;
        openedVersion_ = other.openedVersion_;
        other.db_ = nullptr;
    }
    return *this;
}

const char* Store::runColumns() const { return openedVersion_ >= 3 ? kRunColumns : kRunColumnsVersion2; }

int Store::schemaVersion() const {
    Statement s(db_, "PRAGMA user_version");
    s.step();
    return static_cast<int>(s.int64(0));
}

void Store::migrate() {
    const auto& steps = migrations();
    Transaction transaction(db_);   // IMMEDIATE: two processes opening a new file migrate once
    const int version = schemaVersion();
    if (version > static_cast<int>(steps.size()))
        throw StoreError("results store '" + path_ + "' has schema version " + std::to_string(version) +
                         ", newer than this program's " + std::to_string(steps.size()) +
                         "; open it with a newer Distillery");
    for (int v = version; v < static_cast<int>(steps.size()); ++v) {
        execute(db_, steps[static_cast<size_t>(v)]);
        execute(db_, ("PRAGMA user_version = " + std::to_string(v + 1)).c_str());
    }
    transaction.commit();
}

// ---- runs ------------------------------------------------------------------------------------

int64_t Store::insertRun(const NewRun& run) {
    Statement s(db_,
                "INSERT INTO runs (uuid, name, status, created_at, spec, teacher, student, method, dataset, seed) "
                "VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, newUuid()).bind(2, run.name).bind(3, nowSeconds()).bind(4, run.specJson).bind(5, run.teacher);
    s.bind(6, run.student).bind(7, run.method).bind(8, run.dataset).bind(9, run.seed);
    s.run();
    return sqlite3_last_insert_rowid(db_);
}

bool Store::claimRun(int64_t runId, int64_t pid, const std::string& host, const std::string& device) {
    Statement s(db_,
                "UPDATE runs SET status = 'running', started_at = ?1, heartbeat = ?1, pid = ?2, host = ?3, "
                "device = ?4, error = '' WHERE id = ?5 AND status = 'queued'");
    s.bind(1, nowSeconds()).bind(2, pid).bind(3, host).bind(4, device).bind(5, runId);
    s.run();
    return sqlite3_changes(db_) == 1;
}

Claim Store::reclaimRun(int64_t runId, int64_t pid, const std::string& host, const std::string& device,
                        double staleSeconds) {
    Claim claim;
    // IMMEDIATE: the check and the update are one step, so of two engines asking at once one wins.
    Transaction transaction(db_);
    const auto row = run(runId);
    if (!row) {
        claim.refusal = "there is no run " + std::to_string(runId) + " in " + path_;
        return claim;
    }
    const std::string id = std::to_string(runId);
    if (row->status == RunStatus::Finished || row->status == RunStatus::Queued) {
        claim.refusal = "run " + id + " is " + statusName(row->status) + ": only killed or failed runs (or a running run "
                        "whose engine died) can be resumed or retried" +
                        (row->status == RunStatus::Queued ? "; start it with: distillery-engine run --db " + path_ +
                                                                " --run " + id
                                                          : std::string());
        return claim;
    }
    const std::string owner = "pid " + (row->pid ? std::to_string(*row->pid) : std::string("?")) + " on " +
                              (row->host.empty() ? std::string("an unknown host") : row->host);
    if (row->status == RunStatus::Running) {
        if (engineAlive(row->host, row->pid, row->heartbeat, staleSeconds)) {
            const double age = nowSeconds() - row->heartbeat.value_or(0);
            char ago[32];
            std::snprintf(ago, sizeof ago, "%.0f s", age);
            claim.refusal = "run " + id + " is being trained by the engine " + owner + " (last heartbeat " + ago +
                            " ago); stop that engine first (SIGTERM checkpoints it), or, if it is on another machine "
                            "that is gone, wait until its heartbeat is " +
                            std::to_string(static_cast<int>(staleSeconds)) + " s old";
            return claim;
        }
        claim.previousEngine = owner;
    }
    Statement s(db_,
                "UPDATE runs SET status = 'running', heartbeat = ?1, pid = ?2, host = ?3, device = ?4, "
                "error = '', finished_at = NULL, started_at = coalesce(started_at, ?1) WHERE id = ?5");
    s.bind(1, nowSeconds()).bind(2, pid).bind(3, host).bind(4, device).bind(5, runId);
    s.run();
    transaction.commit();
    claim.claimed = true;
    return claim;
}

bool Store::heartbeat(int64_t runId, double progress, int64_t pid, const std::string& host) {
    Statement s(db_, "UPDATE runs SET heartbeat = ?, progress = ? WHERE id = ? AND status = 'running' AND pid = ? "
                     "AND host = ?");
    s.bind(1, nowSeconds()).bind(2, progress).bind(3, runId).bind(4, pid).bind(5, host);
    s.run();
    return sqlite3_changes(db_) == 1;
}

void Store::heartbeat(int64_t runId, double progress) {
    Statement s(db_, "UPDATE runs SET heartbeat = ?, progress = ? WHERE id = ?");
    s.bind(1, nowSeconds()).bind(2, progress).bind(3, runId);
    s.run();
}

void Store::setRunTeacher(int64_t runId, const std::string& teacher) {
    Statement s(db_, "UPDATE runs SET teacher = ? WHERE id = ?");
    s.bind(1, teacher).bind(2, runId);
    s.run();
}

void Store::setRunEnvironment(int64_t runId, int64_t threads, const std::string& precision,
                              const std::string& memoryFormat) {
    Statement s(db_, "UPDATE runs SET threads = ?, precision = ?, memory_format = ? WHERE id = ?");
    s.bind(1, threads).bind(2, precision).bind(3, memoryFormat).bind(4, runId);
    s.run();
}

void Store::finishRun(int64_t runId, RunStatus status, const std::string& error) {
    Statement s(db_, "UPDATE runs SET status = ?, finished_at = ?, heartbeat = ?, error = ?, "
                     "progress = CASE WHEN ? = 'finished' THEN 1 ELSE progress END WHERE id = ?");
    const double now = nowSeconds();
    s.bind(1, statusName(status)).bind(2, now).bind(3, now).bind(4, error).bind(5, statusName(status)).bind(6, runId);
    s.run();
}

bool Store::requeueRun(int64_t runId) {
    Transaction transaction(db_);
    Statement s(db_, "UPDATE runs SET status = 'queued', error = '', pid = NULL, finished_at = NULL, started_at = NULL, "
                     "progress = 0 WHERE id = ? AND status IN ('failed', 'killed')");
    s.bind(1, runId);
    s.run();
    if (sqlite3_changes(db_) != 1) return false;
    discardAfterInTransaction(runId, -1);
    transaction.commit();
    return true;
}

DiscardedRows Store::discardAfter(int64_t runId, int64_t step) {
    Transaction transaction(db_);
    const DiscardedRows discarded = discardAfterInTransaction(runId, step);
    transaction.commit();
    return discarded;
}

DiscardedRows Store::discardAfterInTransaction(int64_t runId, int64_t step) {
    DiscardedRows discarded;
    auto remove = [&](const char* sql) {
        Statement s(db_, sql);
        s.bind(1, runId).bind(2, step);
        s.run();
        return static_cast<int64_t>(sqlite3_changes(db_));
    };
    discarded.metrics = remove("DELETE FROM metrics WHERE run_id = ? AND step > ?");
    discarded.diagnostics = remove("DELETE FROM gates WHERE run_id = ? AND step > ?") +
                            remove("DELETE FROM gate_classes WHERE run_id = ? AND step > ?") +
                            remove("DELETE FROM channel_stats WHERE run_id = ? AND step > ?") +
                            remove("DELETE FROM path_weights WHERE run_id = ? AND step > ?");
    discarded.events = remove("DELETE FROM events WHERE run_id = ? AND step IS NOT NULL AND step > ?");
    discarded.checkpoints = remove("DELETE FROM checkpoints WHERE run_id = ? AND step > ?");
    recomputeSummaries(runId);
    return discarded;
}

void Store::recomputeSummaries(int64_t runId) {
    {
        Statement s(db_, "DELETE FROM run_summary WHERE run_id = ?");
        s.bind(1, runId);
        s.run();
    }
    recomputeSummary(runId, std::nullopt);
}

// run_summary rows of one key (or of every key) of a run, as the metrics table implies them.
void Store::recomputeSummary(int64_t runId, const std::optional<std::string>& key) {
    Statement s(db_, "INSERT OR REPLACE INTO run_summary (run_id, key, last_step, last_value, min_value, max_value, "
                     "count) SELECT m.run_id, m.key, max(m.step), "
                     "(SELECT value FROM metrics l WHERE l.run_id = m.run_id AND l.key = m.key ORDER BY step DESC LIMIT 1), "
                     "min(m.value), max(m.value), count(*) FROM metrics m WHERE m.run_id = ?1 AND (?2 IS NULL OR m.key = ?2) "
                     "GROUP BY m.run_id, m.key");
    s.bind(1, runId).bind(2, key);
    s.run();
}

bool Store::cancelQueuedRun(int64_t runId, const std::string& reason) {
    Statement s(db_, "UPDATE runs SET status = 'killed', finished_at = ?1, heartbeat = ?1, error = ?2 "
                     "WHERE id = ?3 AND status = 'queued'");
    s.bind(1, nowSeconds()).bind(2, reason).bind(3, runId);
    s.run();
    return sqlite3_changes(db_) == 1;
}

std::vector<int64_t> Store::failOrphanedRuns(const std::string& host, double staleSeconds) {
    std::vector<std::pair<int64_t, int64_t>> candidates;   // run id, pid
    {
        Statement s(db_, "SELECT id, pid FROM runs WHERE status = 'running' AND host = ? AND pid IS NOT NULL "
                         "AND coalesce(heartbeat, 0) < ?");
        s.bind(1, host).bind(2, nowSeconds() - staleSeconds);
        while (s.step()) candidates.emplace_back(s.int64(0), s.int64(1));
    }
    std::vector<int64_t> failed;
    for (const auto& [runId, pid] : candidates) {
        const auto row = run(runId);
        if (!row || engineAlive(host, pid, row->heartbeat, staleSeconds)) continue;
        Statement s(db_, "UPDATE runs SET status = 'failed', finished_at = ?1, error = ?2 "
                         "WHERE id = ?3 AND status = 'running'");
        s.bind(1, nowSeconds())
            .bind(2, "the engine (pid " + std::to_string(pid) + " on " + host +
                         ") stopped without finishing the run; continue it from its last checkpoint with: "
                         "distillery-engine resume --db " + path_ + " --run " + std::to_string(runId))
            .bind(3, runId);
        s.run();
        if (sqlite3_changes(db_) == 1) failed.push_back(runId);
    }
    return failed;
}

void Store::deleteRun(int64_t runId) {
    Statement s(db_, "DELETE FROM runs WHERE id = ?");   // ON DELETE CASCADE removes the rest
    s.bind(1, runId);
    s.run();
}

std::optional<RunRow> Store::run(int64_t runId) const {
    Statement s(db_, (std::string("SELECT ") + runColumns() + " FROM runs WHERE id = ?").c_str());
    s.bind(1, runId);
    if (!s.step()) return std::nullopt;
    return readRun(s);
}

std::vector<RunRow> Store::runs(bool withSpec) const {
    std::string columns = runColumns();
    if (!withSpec) columns.replace(columns.find("spec,"), 5, "'',");
    Statement s(db_, ("SELECT " + columns + " FROM runs ORDER BY id DESC").c_str());
    std::vector<RunRow> rows;
    while (s.step()) rows.push_back(readRun(s));
    return rows;
}

std::optional<RunRow> Store::latestFinishedRunNamed(const std::string& name) const {
    Statement s(db_, (std::string("SELECT ") + runColumns() +
                      " FROM runs WHERE name = ? AND status = 'finished' ORDER BY id DESC LIMIT 1")
                         .c_str());
    s.bind(1, name);
    if (!s.step()) return std::nullopt;
    return readRun(s);
}

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
    const auto& [metrics, gates, gateClasses, channelStats, pathWeights, events] = batch;
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
