#include "store/Shards.h"

#include <sqlite3.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <set>
#include <system_error>

#include "store/Statement.h"

// Copies go column by column through the schema (pragma_table_info), not through named columns: a
// column or a per-run table that a later schema adds is copied without being named here.

namespace distillery::store {

namespace {

// A deferred read transaction: one snapshot of the file from its first read to end(). On a rollback
// journal it holds the shared lock that long, which delays the writer's commits.
class ReadTransaction {
public:
    explicit ReadTransaction(sqlite3* db) : db_(db) { execute(db_, "BEGIN"); }
    ~ReadTransaction() { end(); }
    ReadTransaction(const ReadTransaction&) = delete;
    ReadTransaction& operator=(const ReadTransaction&) = delete;
    void end() {
        if (db_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        db_ = nullptr;
    }

private:
    sqlite3* db_;
};

std::string join(const std::vector<std::string>& items, const std::string& separator,
                 const std::string& before = "", const std::string& after = "") {
    std::string joined;
    for (const auto& item : items) joined += (joined.empty() ? "" : separator) + before + item + after;
    return joined;
}

std::string bindParameters(size_t count) {
    std::string text;
    for (size_t i = 0; i < count; ++i) text += i ? ", ?" : "?";
    return text;
}

struct TableColumns {
    std::vector<std::string> names;   // without run_id, and without the table's own id
    bool ownId = false;               // an INTEGER PRIMARY KEY id: rows get new ids where they are copied to
};

TableColumns columnsOf(sqlite3* db, const std::string& table) {
    TableColumns columns;
    Statement s(db, "SELECT name, pk FROM pragma_table_info(?) ORDER BY cid");
    s.bind(1, table);
    while (s.step()) {
        const std::string name = s.text(0);
        if (name == "id" && s.int64(1) == 1) columns.ownId = true;
        else if (name != "run_id") columns.names.push_back(name);
    }
    return columns;
}

// The tables with rows per run (a run_id column), but run_tags (a run's tags are merged as a union) and
// cluster_jobs (each store's own record of where it sent its runs).
std::vector<std::string> perRunTables(sqlite3* db) {
    Statement s(db, "SELECT name FROM sqlite_master m WHERE type = 'table' AND name NOT IN ('run_tags', "
                    "'cluster_jobs') AND EXISTS "
                    "(SELECT 1 FROM pragma_table_info(m.name) p WHERE p.name = 'run_id') ORDER BY name");
    std::vector<std::string> tables;
    while (s.step()) tables.push_back(s.text(0));
    return tables;
}

struct RunState {
    int64_t id = 0;
    std::string uuid;
    std::optional<double> heartbeat;
    RunStatus status = RunStatus::Queued;
};

RunState readRunState(const Statement& s) {
    return {s.int64(0), s.text(1), s.optionalReal(2), runStatusFromString(s.text(3))};
}

std::vector<RunState> runStates(sqlite3* db) {
    Statement s(db, "SELECT id, uuid, heartbeat, status FROM runs ORDER BY id");
    std::vector<RunState> runs;
    while (s.step()) runs.push_back(readRunState(s));
    return runs;
}

std::optional<RunState> runWithUuid(sqlite3* db, const std::string& uuid) {
    Statement s(db, "SELECT id, uuid, heartbeat, status FROM runs WHERE uuid = ?");
    s.bind(1, uuid);
    if (!s.step()) return std::nullopt;
    return readRunState(s);
}

bool ended(RunStatus status) { return status != RunStatus::Queued && status != RunStatus::Running; }

// Whether the store's copy of a run is ahead of the shard's (a stale copy of the shard file, or a shard
// read before its job resumed elsewhere): merging it would lose rows. An equal heartbeat merges, so
// that merging a shard twice changes nothing and rows written between heartbeats are taken.
bool isStale(const RunState& shard, const RunState& store) {
    const double none = -std::numeric_limits<double>::infinity();
    const double shardBeat = shard.heartbeat.value_or(none), storeBeat = store.heartbeat.value_or(none);
    if (storeBeat > shardBeat) return true;
    return ended(store.status) && !ended(shard.status) && !(shardBeat > storeBeat);
}

// into's id of from's study (the same name), created there with its tags when missing.
std::optional<int64_t> studyIn(sqlite3* from, const std::optional<int64_t>& studyId, sqlite3* into) {
    if (!studyId) return std::nullopt;
    const TableColumns columns = columnsOf(into, "studies");
    Statement study(from, ("SELECT name, " + join(columns.names, ", ") + " FROM studies WHERE id = ?").c_str());
    study.bind(1, *studyId);
    if (!study.step()) return std::nullopt;
    {
        Statement existing(into, "SELECT id FROM studies WHERE name = ?");
        existing.bind(1, study.text(0));
        if (existing.step()) return existing.int64(0);
    }
    Statement insert(into, ("INSERT INTO studies (" + join(columns.names, ", ") + ") VALUES (" +
                            bindParameters(columns.names.size()) + ")").c_str());
    for (size_t c = 0; c < columns.names.size(); ++c) insert.bindColumn(int(c) + 1, study, int(c) + 1);
    insert.run();
    const int64_t id = sqlite3_last_insert_rowid(into);
    Statement tags(from, "SELECT tag FROM study_tags WHERE study_id = ?");
    tags.bind(1, *studyId);
    Statement addTag(into, "INSERT INTO study_tags (study_id, tag) VALUES (?, ?)");
    while (tags.step()) {
        addTag.bind(1, id).bindColumn(2, tags, 0);
        addTag.run();
    }
    return id;
}

// Copies from's rows of a run in `table` to into's run; with ids of their own, in id order past the
// first `offset`, numbered from firstId.
int64_t copyRows(sqlite3* from, int64_t fromId, sqlite3* into, int64_t intoId, const std::string& table,
                 const TableColumns& columns, int64_t offset = 0, int64_t firstId = 0) {
    const std::string names = join(columns.names, ", ");
    Statement source(from, ("SELECT " + names + " FROM " + table + " WHERE run_id = ?" +
                            (columns.ownId ? " ORDER BY id LIMIT -1 OFFSET ?" : ""))
                               .c_str());
    source.bind(1, fromId);
    if (columns.ownId) source.bind(2, offset);
    Statement insert(into, ("INSERT INTO " + table + " (run_id, " + names + (columns.ownId ? ", id" : "") +
                            ") VALUES (?, " + bindParameters(columns.names.size() + (columns.ownId ? 1 : 0)) + ")")
                               .c_str());
    int64_t copied = 0;
    while (source.step()) {
        insert.bind(1, intoId);
        for (size_t c = 0; c < columns.names.size(); ++c) insert.bindColumn(int(c) + 2, source, int(c));
        if (columns.ownId) insert.bind(int(columns.names.size()) + 2, firstId + copied);
        insert.run();
        ++copied;
    }
    return copied;
}

// into's rows of a run in `table` become from's. Rows with ids of their own (events, checkpoints) that
// into already holds, in the same order, keep their ids and only what follows is replaced, under ids
// above any the table held (SQLite would reuse the ids just deleted): a reader that follows a run's
// events by id (the Live page) sees each event once however often it is merged.
int64_t replaceRows(sqlite3* from, int64_t fromId, sqlite3* into, int64_t intoId, const std::string& table) {
    const TableColumns columns = columnsOf(into, table);
    if (!columns.ownId) {
        Statement remove(into, ("DELETE FROM " + table + " WHERE run_id = ?").c_str());
        remove.bind(1, intoId);
        remove.run();
        return copyRows(from, fromId, into, intoId, table, columns);
    }
    // quote() renders every value exactly (a real in as many digits as it takes), so equal text is an equal row.
    const std::string row = join(columns.names, " || ',' || ", "quote(", ")");
    std::vector<std::pair<int64_t, std::string>> held;   // into's id and row
    {
        Statement s(into, ("SELECT id, " + row + " FROM " + table + " WHERE run_id = ? ORDER BY id").c_str());
        s.bind(1, intoId);
        while (s.step()) held.emplace_back(s.int64(0), s.text(1));
    }
    int64_t shared = 0;
    {
        Statement s(from, ("SELECT " + row + " FROM " + table + " WHERE run_id = ? ORDER BY id").c_str());
        s.bind(1, fromId);
        while (size_t(shared) < held.size() && s.step() && s.text(0) == held[size_t(shared)].second) ++shared;
    }
    int64_t nextId = 1;
    {
        Statement s(into, ("SELECT max(id) FROM " + table).c_str());
        if (s.step()) nextId += s.int64(0);
    }
    if (size_t(shared) < held.size()) {
        Statement remove(into, ("DELETE FROM " + table + " WHERE run_id = ? AND id >= ?").c_str());
        remove.bind(1, intoId).bind(2, held[size_t(shared)].first);
        remove.run();
    }
    return shared + copyRows(from, fromId, into, intoId, table, columns, shared, nextId);
}

// Copies run fromId of `from` into `into`, inside into's open transaction: inserted when intoId is none
// (under fromId itself with keepId), else updated, keeping into's note and study membership (edited
// there); from's tags are added to into's; then into's rows of the run in every per-run table become
// from's. Adds the rows to result.
void copyRun(sqlite3* from, int64_t fromId, sqlite3* into, const std::optional<int64_t>& intoId, bool keepId,
             MergeResult& result) {
    std::vector<std::string> names;
    for (const auto& name : columnsOf(into, "runs").names)
        if (name != "study_id") names.push_back(name);
    Statement source(from, ("SELECT " + join(names, ", ") + ", study_id FROM runs WHERE id = ?").c_str());
    source.bind(1, fromId);
    if (!source.step()) throw StoreError("run " + std::to_string(fromId) + " vanished while it was copied");
    int64_t id = 0;
    if (!intoId) {
        const auto study = studyIn(from, source.optionalInt64(int(names.size())), into);
        Statement insert(into, ("INSERT INTO runs (" + join(names, ", ") + ", study_id" + (keepId ? ", id" : "") +
                                ") VALUES (" + bindParameters(names.size() + (keepId ? 2 : 1)) + ")")
                                   .c_str());
        for (size_t c = 0; c < names.size(); ++c) insert.bindColumn(int(c) + 1, source, int(c));
        insert.bind(int(names.size()) + 1, study);
        if (keepId) insert.bind(int(names.size()) + 2, fromId);
        insert.run();
        id = keepId ? fromId : sqlite3_last_insert_rowid(into);
    } else {
        static const std::set<std::string> kept = {"uuid", "note", "study_role", "configuration", "study_fields"};
        std::vector<std::string> assignments;
        std::vector<int> sourceColumns;
        for (size_t c = 0; c < names.size(); ++c) {
            if (kept.count(names[c])) continue;
            assignments.push_back(names[c] + " = ?");
            sourceColumns.push_back(int(c));
        }
        Statement update(into, ("UPDATE runs SET " + join(assignments, ", ") + " WHERE id = ?").c_str());
        for (size_t i = 0; i < sourceColumns.size(); ++i) update.bindColumn(int(i) + 1, source, sourceColumns[i]);
        update.bind(int(sourceColumns.size()) + 1, *intoId);
        update.run();
        id = *intoId;
    }
    {
        Statement tags(from, "SELECT tag FROM run_tags WHERE run_id = ?");
        tags.bind(1, fromId);
        Statement addTag(into, "INSERT OR IGNORE INTO run_tags (run_id, tag) VALUES (?, ?)");
        while (tags.step()) {
            addTag.bind(1, id).bindColumn(2, tags, 0);
            addTag.run();
        }
    }
    for (const auto& table : perRunTables(into)) result.rows[table] += replaceRows(from, fromId, into, id, table);
}

// Only stores of this program's schema are copied between: their columns are the same. `subject` names
// the store in the message, `older` says what to do with one of an older schema.
void requireCurrentSchema(const Store& store, const std::string& subject, const std::string& older) {
    const int version = store.schemaVersion();
    if (version == Store::kSchemaVersion) return;
    if (version == 0) throw StoreError(subject + " is not a results store: it has no tables (an empty file?)");
    throw StoreError(subject + " has schema version " + std::to_string(version) + ", this program's is " +
                     std::to_string(Store::kSchemaVersion) + ": " +
                     (version < Store::kSchemaVersion ? older : "it was written by a newer Distillery; use that one"));
}

}  // namespace

int64_t MergeResult::totalRows() const {
    int64_t total = 0;
    for (const auto& [table, count] : rows) total += count;
    return total;
}

void createShard(const Store& main, int64_t runId, const std::string& shardPath) {
    const std::string run = "run " + std::to_string(runId);
    const std::string cannot = "cannot create the shard '" + shardPath + "' for " + run + " of '" + main.path() + "'";
    requireCurrentSchema(main, cannot + ": the store", "open it for writing once with this Distillery, which migrates it");
    ReadTransaction snapshot(main.handle());   // the run is checked and copied as it was at one moment
    const auto row = main.run(runId);
    if (!row) throw StoreError(cannot + ": there is no " + run + " in it");
    if (row->status != RunStatus::Queued)
        throw StoreError(cannot + ": the run is " + statusName(row->status) +
                         "; only a queued run can move to a shard, where its job then starts it");
    // O_EXCL: of two callers creating the same shard, one fails instead of both writing into it.
    const int fd = ::open(shardPath.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd < 0) {
        const int error = errno;
        throw StoreError(cannot + ": " +
                         (error == EEXIST ? std::string("the file exists; each job needs a new shard (remove the old "
                                                        "one first if no job writes it)")
                                          : std::string(std::strerror(error))));
    }
    ::close(fd);
    try {
        Store shard(shardPath, /*readOnly=*/false, Journal::Rollback);
        Transaction transaction(shard.handle());
        MergeResult copied;
        copyRun(main.handle(), runId, shard.handle(), std::nullopt, /*keepId=*/true, copied);
        transaction.commit();
    } catch (...) {
        std::error_code ignored;
        std::filesystem::remove(shardPath + "-journal", ignored);
        std::filesystem::remove(shardPath, ignored);
        throw;
    }
}

MergeResult mergeShard(Store& into, const std::string& shardPath) {
    const std::string failed = "shard '" + shardPath + "' was not merged into '" + into.path() + "'";
    try {
        std::error_code error;
        if (std::filesystem::equivalent(shardPath, into.path(), error))
            throw StoreError("it is that store itself");
        const Store shard(shardPath, /*readOnly=*/true);
        requireCurrentSchema(shard, "it", "it was written by an older Distillery; merge it with that one");
        MergeResult result;
        // into's write lock first: waiting for it (another writer) must not hold the shard's lock too.
        Transaction transaction(into.handle());
        ReadTransaction snapshot(shard.handle());
        for (const RunState& run : runStates(shard.handle())) {
            const auto held = runWithUuid(into.handle(), run.uuid);
            if (held && isStale(run, *held)) {
                result.skipped.push_back(run.uuid);
                continue;
            }
            copyRun(shard.handle(), run.id, into.handle(), held ? std::optional<int64_t>(held->id) : std::nullopt,
                    /*keepId=*/false, result);
            ++(held ? result.updated : result.inserted);
        }
        snapshot.end();
        transaction.commit();
        return result;
    } catch (const StoreError& e) {
        const std::string what = e.what();
        std::string why;
        std::error_code error;
        if (what.find("file is not a database") != std::string::npos)
            why = "it is not an SQLite file (damaged, or not a shard); ";
        else if (what.find("malformed") != std::string::npos)
            why = "it is damaged (truncated, or overwritten in part); ";
        // A read-only reader cannot undo a write its job left unfinished (a job killed while committing).
        else if (what.find("readonly") != std::string::npos && std::filesystem::exists(shardPath + "-journal", error))
            why = "its journal (" + shardPath + "-journal) holds a write its job did not finish: the job undoes it "
                  "when it runs again; if it will not run again, open the shard for writing once (e.g. sqlite3 '" +
                  shardPath + "' 'PRAGMA quick_check'), then merge again; ";
        throw StoreError(failed + ": " + why + what);
    }
}

}  // namespace distillery::store
