#include "store/Store.h"

#include <nlohmann/json.hpp>

#include "BuildDescription.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include <signal.h>
#include <unistd.h>

#include "store/RunLifecycle.h"
#include "store/Schema.h"
#include "store/Statement.h"

namespace distillery::store {

namespace {

// Writers hold the lock for a batch of a few thousand rows (milliseconds to ~0.1 s); readers never
// block writers in WAL mode. bench_store_stress measured the longest wait at 0.6 s with 4 writers and
// 2.5 s with 8: waiting costs nothing, a "database is locked" would fail a run, so wait up to as long
// as a heartbeat may be late.
constexpr int kBusyTimeoutMs = 60000;
// Written into every store's header (PRAGMA application_id, big-endian at byte 68): "DSTL". The MIME
// type application/x-distillery-store (resources/distillery-mime.xml) recognises a store by it.
constexpr int64_t kApplicationId = 0x4453544C;

// The header's application_id: 0 (new, or older than the stamp) or Distillery's. Another program's
// SQLite file is refused rather than filled with Distillery's tables.
int64_t checkedApplicationId(sqlite3* db, const std::string& path) {
    Statement s(db, "PRAGMA application_id");
    s.step();
    const int64_t id = s.int64(0);
    if (id != 0 && id != kApplicationId) {
        const auto hex = [](int64_t value) {
            char text[16];
            std::snprintf(text, sizeof text, "0x%08llX", static_cast<unsigned long long>(static_cast<uint32_t>(value)));
            return std::string(text);
        };
        throw StoreError("'" + path + "' is an SQLite file of another program (its application_id is " + hex(id) +
                         ", Distillery's is " + hex(kApplicationId) +
                         "), not a results store; open a Distillery store or choose a new file name");
    }
    return id;
}

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

// The run columns, read the same way from every schema: a file opened read-only (not migrated) may
// lack the newer ones, read as their defaults.
const char* kRunColumns =
    "id, uuid, name, status, created_at, started_at, finished_at, heartbeat, spec, teacher, student, method, "
    "dataset, seed, device, host, pid, error, progress, threads, precision, memory_format, distillery_version, "
    "git_commit, torch_version, qt_version, study_id, (SELECT name FROM studies WHERE studies.id = runs.study_id), "
    "study_role, configuration, study_fields, note, "
    "(SELECT group_concat(tag, char(31)) FROM (SELECT tag FROM run_tags WHERE run_id = runs.id ORDER BY tag)), "
    "class_names";
const char* kRunColumnsVersion6 =
    "id, uuid, name, status, created_at, started_at, finished_at, heartbeat, spec, teacher, student, method, "
    "dataset, seed, device, host, pid, error, progress, threads, precision, memory_format, distillery_version, "
    "git_commit, torch_version, qt_version, study_id, (SELECT name FROM studies WHERE studies.id = runs.study_id), "
    "study_role, configuration, study_fields, note, "
    "(SELECT group_concat(tag, char(31)) FROM (SELECT tag FROM run_tags WHERE run_id = runs.id ORDER BY tag)), ''";
const char* kRunColumnsVersion5 =
    "id, uuid, name, status, created_at, started_at, finished_at, heartbeat, spec, teacher, student, method, "
    "dataset, seed, device, host, pid, error, progress, threads, precision, memory_format, distillery_version, "
    "git_commit, torch_version, qt_version, NULL, '', '', '', '', '', NULL, ''";
const char* kRunColumnsVersion4 =
    "id, uuid, name, status, created_at, started_at, finished_at, heartbeat, spec, teacher, student, method, "
    "dataset, seed, device, host, pid, error, progress, threads, precision, memory_format, '', '', '', '', "
    "NULL, '', '', '', '', '', NULL, ''";
const char* kRunColumnsVersion2 =
    "id, uuid, name, status, created_at, started_at, finished_at, heartbeat, spec, teacher, student, method, "
    "dataset, seed, device, host, pid, error, progress, 0, '', '', '', '', '', '', NULL, '', '', '', '', '', NULL, ''";

// The class names column: a JSON array of strings, or "" (none stored). Anything else reads as none.
std::vector<std::string> parseClassNames(const std::string& text) {
    std::vector<std::string> names;
    if (text.empty()) return names;
    const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_array()) return names;
    for (const auto& name : parsed) {
        if (!name.is_string()) return {};
        names.push_back(name.get<std::string>());
    }
    return names;
}

// Tags travel in one column, joined with the unit separator (which a tag may not contain).
std::vector<std::string> splitTags(const std::string& joined) {
    std::vector<std::string> tags;
    size_t begin = 0;
    while (begin < joined.size()) {
        const size_t end = joined.find('\x1f', begin);
        tags.push_back(joined.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
        if (end == std::string::npos) break;
        begin = end + 1;
    }
    std::sort(tags.begin(), tags.end());
    return tags;
}

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
    r.distilleryVersion = s.text(22);
    r.gitCommit = s.text(23);
    r.torchVersion = s.text(24);
    r.qtVersion = s.text(25);
    r.studyId = s.optionalInt64(26);
    r.study = s.text(27);
    r.studyRole = s.text(28);
    r.configuration = s.text(29);
    r.studyFields = s.text(30);
    r.note = s.text(31);
    r.tags = splitTags(s.text(32));
    r.classNames = parseClassNames(s.text(33));
    return r;
}

}  // namespace

std::string softwareDescription(const RunRow& run) {
    if (run.distilleryVersion.empty()) return "";
    return "Distillery " +
           describeBuild({run.distilleryVersion, run.gitCommit, run.torchVersion, run.qtVersion}, " · ");
}

std::string statusName(RunStatus status) {
    switch (status) {
    case RunStatus::Queued: return "queued";
    case RunStatus::Running: return "running";
    case RunStatus::Finished: return "finished";
    case RunStatus::Failed: return "failed";
    case RunStatus::Killed: return "killed";
    case RunStatus::Pruned: return "pruned";
    }
    return "failed";
}

RunStatus runStatusFromString(const std::string& name) {
    if (name == "queued") return RunStatus::Queued;
    if (name == "running") return RunStatus::Running;
    if (name == "finished") return RunStatus::Finished;
    if (name == "failed") return RunStatus::Failed;
    if (name == "killed") return RunStatus::Killed;
    if (name == "pruned") return RunStatus::Pruned;
    throw std::invalid_argument("unknown run status \"" + name +
                                "\"; known: queued, running, finished, failed, killed, pruned");
}

// ---- connection ------------------------------------------------------------------------------

Store::Store(const std::string& path, bool readOnly, Journal journal) : path_(path) {
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
        if (!readOnly) {
            // A store a job writes on a shared file system stays in rollback mode whoever opens it (the
            // engine's heartbeat thread, the desktop app, `tag`): only a new file takes WAL by default.
            if (journal == Journal::Wal && schemaVersion() > 0) {
                Statement mode(db_, "PRAGMA journal_mode");   // a file that is not a database fails here
                mode.step();
                if (mode.text(0) == "delete") journal = Journal::Rollback;
            }
            // journal_mode answers with a row; a file that is not a database fails here.
            const bool wal = journal == Journal::Wal;
            {
                Statement mode(db_, wal ? "PRAGMA journal_mode = WAL" : "PRAGMA journal_mode = DELETE");
                mode.step();
                // Leaving WAL needs the file to itself: SQLite says "locked", or answers the old mode, and
                // a shard left in WAL on a shared file system would corrupt.
                if (!wal && mode.text(0) != "delete")
                    throw StoreError("cannot give results store '" + path + "' a rollback journal: it stays in " +
                                     mode.text(0) + " mode because another process has it open; close that first");
            }
            // WAL: a power cut may lose the last commits but never corrupts. Rollback (shared file
            // systems): FULL syncs the journal and the file at every commit (see Journal).
            execute(db_, wal ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL");
            migrate(journal);   // with foreign keys off (SQLite's default): a migration may rebuild a table
            execute(db_, "PRAGMA foreign_keys = ON");
        } else {
            execute(db_, "PRAGMA foreign_keys = ON");
            checkedApplicationId(db_, path_);
            if (schemaVersion() > kSchemaVersion)
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

const char* Store::runColumns() const {
    if (openedVersion_ >= 7) return kRunColumns;
    if (openedVersion_ >= 6) return kRunColumnsVersion6;
    if (openedVersion_ >= 5) return kRunColumnsVersion5;
    return openedVersion_ >= 3 ? kRunColumnsVersion4 : kRunColumnsVersion2;
}

int Store::schemaVersion() const {
    Statement s(db_, "PRAGMA user_version");
    s.step();
    return static_cast<int>(s.int64(0));
}

void Store::migrate(Journal journal) {
    const auto& steps = migrations();
    Transaction transaction(db_);   // IMMEDIATE: two processes opening a new file migrate once
    const bool stamp = checkedApplicationId(db_, path_) == 0;   // a new file, or one older than the stamp
    if (stamp) execute(db_, ("PRAGMA application_id = " + std::to_string(kApplicationId)).c_str());
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
    // The stamp is in the write-ahead log until a checkpoint; put it in the file's header now, so
    // that the desktop recognises a store while its first run is still training.
    if (stamp && journal == Journal::Wal) execute(db_, "PRAGMA wal_checkpoint(PASSIVE)");
}

// ---- runs ------------------------------------------------------------------------------------

int64_t Store::insertRun(const NewRun& run) {
    Statement s(db_,
                "INSERT INTO runs (uuid, name, status, created_at, spec, teacher, student, method, dataset, seed, "
                "study_id, study_role, configuration, study_fields) VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, newUuid()).bind(2, run.name).bind(3, nowSeconds()).bind(4, run.specJson).bind(5, run.teacher);
    s.bind(6, run.student).bind(7, run.method).bind(8, run.dataset).bind(9, run.seed).bind(10, run.studyId);
    s.bind(11, run.studyRole).bind(12, run.configuration).bind(13, run.studyFields);
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
    if (auto refusal = reclaimRefusal(*row, path_)) {
        claim.refusal = *refusal;
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

void Store::setRunSoftware(int64_t runId, const BuildInfo& build) {
    Statement s(db_, "UPDATE runs SET distillery_version = ?, git_commit = ?, torch_version = ?, qt_version = ? "
                     "WHERE id = ?");
    s.bind(1, build.version).bind(2, build.commit).bind(3, build.torchVersion).bind(4, build.qtVersion).bind(5, runId);
    s.run();
}

void Store::setRunClassNames(int64_t runId, const std::vector<std::string>& names) {
    Statement s(db_, "UPDATE runs SET class_names = ? WHERE id = ?");
    s.bind(1, names.empty() ? std::string() : nlohmann::json(names).dump()).bind(2, runId);
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
    Statement cluster(db_, "DELETE FROM cluster_jobs WHERE run_id = ?");
    cluster.bind(1, runId);
    cluster.run();
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
    if (openedVersion_ >= 6)
        discarded.diagnostics += remove("DELETE FROM confusion WHERE run_id = ? AND step > ?") +
                                 remove("DELETE FROM class_agreement WHERE run_id = ? AND step > ?");
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

std::vector<RunRow> Store::studyRuns(int64_t studyId, bool withSpec) const {
    std::vector<RunRow> rows;
    if (openedVersion_ < 6) return rows;
    std::string columns = runColumns();
    if (!withSpec) columns.replace(columns.find("spec,"), 5, "'',");
    Statement s(db_, ("SELECT " + columns + " FROM runs WHERE study_id = ? ORDER BY id").c_str());
    s.bind(1, studyId);
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

}  // namespace distillery::store
