#pragma once
// The SQLite results store: one file holds every run, metric and diagnostic.
// One Store is one connection. It is not thread-safe: give each thread its own Store
// (readers in the GUI's worker thread, the writer in the engine). WAL mode lets one
// writer and many readers in several processes share the file. WAL needs shared memory
// between the processes, which a network file system does not give: a shard store there
// (store/Shards.h) uses a rollback journal instead.
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "BuildInfo.h"
#include "store/StoreTypes.h"

struct sqlite3;

namespace distillery::store {

// Every failure of the store (cannot open, corrupt file, disk full, newer schema) is a StoreError
// whose message says what was attempted on which file and what SQLite answered.
class StoreError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Per step of one spot, how far the student's channel statistics are from the teacher's, averaged
// over the channels (computed in SQL from channel_stats).
struct ChannelDistanceRow {
    int64_t step = 0;
    double meanAbsMeanDiff = 0;                 // mean over channels of |student mean - teacher mean|
    double meanAbsStdDiff = 0;                  // mean over channels of |student std - teacher std|
    std::optional<double> meanAlignmentError;   // mean over the channels that have one; absent if none
    int64_t channels = 0;                       // channel rows the averages cover
};

// Which diagnostic tables hold rows for a run: the Live page shows a tab only for what a run has.
struct DiagnosticPresence {
    bool gates = false;
    bool gateClasses = false;
    bool channelStats = false;
    bool pathWeights = false;
    bool events = false;
    bool operator==(const DiagnosticPresence& other) const {
        return gates == other.gates && gateClasses == other.gateClasses && channelStats == other.channelStats &&
               pathWeights == other.pathWeights && events == other.events;
    }
    bool operator!=(const DiagnosticPresence& other) const { return !(*this == other); }
};

// Rows written together in one transaction.
struct RowBatch {
    std::vector<MetricPoint> metrics;
    std::vector<GateRow> gates;
    std::vector<GateClassRow> gateClasses;
    std::vector<ChannelStatRow> channelStats;
    std::vector<PathWeightRow> pathWeights;
    std::vector<EventRow> events;
    std::vector<ConfusionCell> confusion;
    std::vector<ClassAgreementRow> classAgreement;
    size_t size() const {
        return metrics.size() + gates.size() + gateClasses.size() + channelStats.size() + pathWeights.size() +
               events.size() + confusion.size() + classAgreement.size();
    }
    void clear() { *this = RowBatch(); }
};

// What one writeBatch stored. SQLite turns NaN into NULL, which the NOT NULL columns refuse (and
// with them the whole transaction), so rows holding a NaN or an infinity are left out and counted
// instead: a non-finite value never costs the finite rows written with it.
struct BatchResult {
    size_t skippedMetrics = 0;       // metric points with a non-finite value
    size_t skippedDiagnostics = 0;   // gate, gate-class, channel and path rows with a non-finite number
};

// The rows a resume or a retry removed: what an interrupted attempt wrote past the checkpoint the
// run continues from (all of them when it starts again from the beginning).
struct DiscardedRows {
    int64_t metrics = 0;
    int64_t diagnostics = 0;
    int64_t events = 0;
    int64_t checkpoints = 0;
    int64_t total() const { return metrics + diagnostics + events + checkpoints; }
};

// The answer to an engine asking to train a run: claimed, or why not.
struct Claim {
    bool claimed = false;
    std::string refusal;             // why not: whose run it is, how to proceed
    std::string previousEngine;      // "pid 123 on host-a" when a dead engine's run was taken over
    explicit operator bool() const { return claimed; }
};

// How a writable store journals its transactions. Wal: readers never block the writer, commits are
// cheap (synchronous NORMAL); the file must be on a local disk. Rollback (journal_mode DELETE): works
// on NFS and other shared file systems, for a file with one writer (a Slurm job's shard); readers
// block its commits while they read, and every commit is synced (synchronous FULL), because a
// compute node that dies must not take the last committed rows of its shard with it.
enum class Journal { Wal, Rollback };

class Store {
public:
    static constexpr int kSchemaVersion = 8;
    // An engine refreshes its run's heartbeat every few seconds from a thread of its own
    // (engine/OwnerHeartbeat). A run on another host whose heartbeat is older than this is taken
    // to have lost its engine; on this host the engine's process is asked directly.
    static constexpr double kHeartbeatStaleSeconds = 60.0;

    // Opens (creating if needed) and migrates the file to kSchemaVersion, in the journal mode given:
    // Rollback converts a WAL file; Wal gives a new file WAL but keeps an existing store that has a
    // rollback journal (a shard) as it is, so no second connection turns a shard on a shared file
    // system into WAL. readOnly opens an existing file without migrating it or changing its mode.
    explicit Store(const std::string& path, bool readOnly = false, Journal journal = Journal::Wal);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;
    Store(Store&&) noexcept;
    Store& operator=(Store&&) noexcept;

    const std::string& path() const { return path_; }
    int schemaVersion() const;

    // ---- runs -------------------------------------------------------------------------------
    int64_t insertRun(const NewRun& run);                      // status queued; returns the id
    // queued -> running, atomically; false when another engine claimed it first or it is not queued.
    bool claimRun(int64_t runId, int64_t pid, const std::string& host, const std::string& device);
    // killed/failed -> running, for resume or retry; also running -> running when the engine that
    // trains it is dead (this host: its process is gone or is another program now; another host: its
    // heartbeat is older than staleSeconds). Refused, with the reason, for a finished or queued run
    // and for a run whose engine is alive. Atomic: of several engines asking at once, one gets it.
    Claim reclaimRun(int64_t runId, int64_t pid, const std::string& host, const std::string& device,
                     double staleSeconds = kHeartbeatStaleSeconds);
    // Refreshes the heartbeat and progress of a run this engine (pid, host) trains. False when the run
    // is no longer this engine's (another engine took it over, or it was marked failed): the engine
    // must then stop without writing anything more.
    bool heartbeat(int64_t runId, double progress, int64_t pid, const std::string& host);
    void heartbeat(int64_t runId, double progress);   // without the ownership check (tests, tools)
    // The teacher column, once the engine has resolved a teacher given by run name or id.
    void setRunTeacher(int64_t runId, const std::string& teacher);
    // What the engine computes with, once it has resolved "auto": threads, "fp32"/"bf16"/"fp16", and
    // "contiguous"/"channels_last".
    void setRunEnvironment(int64_t runId, int64_t threads, const std::string& precision, const std::string& memoryFormat);
    // The build that trains the run (each attempt overwrites it: a resumed run shows the latest).
    void setRunSoftware(int64_t runId, const BuildInfo& build);
    // The class names the run trains with (an image folder's); empty clears them (RunRow::classNames).
    void setRunClassNames(int64_t runId, const std::vector<std::string>& names);
    void finishRun(int64_t runId, RunStatus status, const std::string& error = {});
    // failed/killed -> queued (retry): it trains again from the beginning, so every row the earlier
    // attempts wrote (metrics, summaries, diagnostics, checkpoint rows, stepped events) goes too, and
    // a record of a Slurm job (store/ClusterJobs.h): the retry trains here. False when the run is not
    // failed or killed.
    bool requeueRun(int64_t runId);
    // Removes the rows of a run with a step after `step` (every stepped row for step < 0) and
    // recomputes its summaries, in one transaction: a resume from a checkpoint at `step` then writes
    // exactly what an uninterrupted run would. Lifecycle events (no step) stay.
    DiscardedRows discardAfter(int64_t runId, int64_t step);
    // run_summary rebuilt from the metrics table for one run.
    void recomputeSummaries(int64_t runId);
    // queued -> killed, atomically: false when an engine claimed the run first.
    bool cancelQueuedRun(int64_t runId, const std::string& reason);
    void deleteRun(int64_t runId);                             // with every row that refers to it
    // Runs marked running on this host whose engine process is gone (and whose heartbeat is older
    // than staleSeconds) are marked failed with what happened and how to continue. Returns their ids.
    std::vector<int64_t> failOrphanedRuns(const std::string& host, double staleSeconds = 5.0);

    std::optional<RunRow> run(int64_t runId) const;
    // Newest first. Without the spec JSON (specJson empty) for frequent polling of large stores.
    std::vector<RunRow> runs(bool withSpec = true) const;
    // The newest finished run with this name, used to resolve a teacher referenced by name.
    std::optional<RunRow> latestFinishedRunNamed(const std::string& name) const;

    // ---- studies, tags, notes (StoreStudies.cpp) ----------------------------------------------
    // A new study; throws StoreError naming the study when one of that name exists.
    int64_t insertStudy(const std::string& name, const std::string& specJson, const std::string& description);
    std::optional<StudyRow> study(int64_t studyId) const;
    std::optional<StudyRow> studyNamed(const std::string& name) const;
    std::vector<StudyRow> studies() const;                     // by name
    std::vector<RunRow> studyRuns(int64_t studyId, bool withSpec = true) const;   // by id
    // Deletes the study and every run of it (with their rows).
    void deleteStudy(int64_t studyId);
    void setRunNote(int64_t runId, const std::string& note);
    void setStudyNote(int64_t studyId, const std::string& note);
    // Tags are trimmed; an empty one, or one with a control character, is a std::invalid_argument
    // saying so. Adding a tag a run has, or removing one it lacks, changes nothing.
    void addRunTags(int64_t runId, const std::vector<std::string>& tags);
    void removeRunTags(int64_t runId, const std::vector<std::string>& tags);
    void addStudyTags(int64_t studyId, const std::vector<std::string>& tags);
    void removeStudyTags(int64_t studyId, const std::vector<std::string>& tags);
    // The early-stopping rule's data: per finished student run of the study other than excludeRunId,
    // its value of `key` logged at the end of epoch `epoch` (the first such point).
    std::vector<double> studyValuesAtEpoch(int64_t studyId, const std::string& key, int64_t epoch,
                                           int64_t excludeRunId) const;

    // ---- metrics ----------------------------------------------------------------------------
    std::vector<std::string> metricKeys(int64_t runId) const;
    std::vector<MetricSummary> summaries(int64_t runId) const;
    std::optional<MetricSummary> summary(int64_t runId, const std::string& key) const;
    // Points with step > afterStep, ordered by step. With maxPoints > 0 and more points than that,
    // the series is down-sampled in SQL to about maxPoints: each bucket keeps its min and its max.
    std::vector<MetricPoint> metrics(int64_t runId, const std::string& key, int64_t afterStep = -1,
                                     int64_t maxPoints = 0) const;
    int64_t metricCount(int64_t runId, const std::string& key) const;

    // ---- diagnostics, checkpoints, events ---------------------------------------------------
    std::vector<GateRow> gates(int64_t runId, int64_t afterStep = -1) const;
    std::vector<GateClassRow> gateClasses(int64_t runId, int64_t step) const;
    std::vector<ChannelStatRow> channelStats(int64_t runId, const std::string& spot, int64_t step) const;
    std::vector<PathWeightRow> pathWeights(int64_t runId, int64_t afterStep = -1) const;
    // Paths as recorded, or, when that file is gone, the same file in the <store>.checkpoints/ folder
    // beside this store (a store moved or copied with its checkpoints keeps them).
    std::vector<CheckpointRow> checkpoints(int64_t runId) const;
    std::vector<EventRow> events(int64_t runId, int64_t afterId = 0) const;
    // The confusion matrix's non-zero cells of one evaluation (step) of a split for "student" or
    // "teacher", by actual then predicted class; step < 0: the newest evaluation that has cells.
    std::vector<ConfusionCell> confusion(int64_t runId, const std::string& split, const std::string& model,
                                         int64_t step = -1) const;
    // Steps at which the split has student confusion cells, ascending.
    std::vector<int64_t> confusionSteps(int64_t runId, const std::string& split) const;
    // Per class at one evaluation (step < 0: the newest), by class.
    std::vector<ClassAgreementRow> classAgreement(int64_t runId, const std::string& split, int64_t step = -1) const;

    // ---- diagnostics: summaries for the Live page (each a primary-key range, never a scan) --
    // One lookup per diagnostic table: does the run have any row there?
    DiagnosticPresence diagnosticPresence(int64_t runId) const;
    // Steps > afterStep at which gate_classes has rows (the evaluations), ascending.
    std::vector<int64_t> gateClassSteps(int64_t runId, int64_t afterStep = -1) const;
    // Spots with channel_stats rows, in the store's (byte) order.
    std::vector<std::string> channelSpots(int64_t runId) const;
    // Steps > afterStep at which channel_stats has rows for this spot, ascending.
    std::vector<int64_t> channelStatSteps(int64_t runId, const std::string& spot, int64_t afterStep = -1) const;
    // Per step > afterStep, ascending: the channel-averaged distances of one spot.
    std::vector<ChannelDistanceRow> channelDistances(int64_t runId, const std::string& spot,
                                                     int64_t afterStep = -1) const;

    // ---- batched writes (used by StoreWriter; each call is one transaction) ----------------
    BatchResult writeBatch(const RowBatch& batch);
    // One row per run for "last" and for "best" (replacing the previous one), one per epoch for
    // "periodic"; returns the row's id.
    int64_t addCheckpoint(const CheckpointRow& checkpoint);
    // Called inside every writeBatch transaction just before it commits; for the engine's crash
    // tests (engine/CrashPoints), which kill the process there. nullptr: none.
    static void setBeforeCommitHook(void (*hook)());

    sqlite3* handle() const { return db_; }

private:
    void migrate(Journal journal);
    DiscardedRows discardAfterInTransaction(int64_t runId, int64_t step);
    void recomputeSummary(int64_t runId, const std::optional<std::string>& key);
    std::string locateCheckpoint(const std::string& recorded) const;
    const char* runColumns() const;   // the runs columns this file's schema has

    std::string path_;
    sqlite3* db_ = nullptr;
    int openedVersion_ = kSchemaVersion;   // a read-only file keeps its older schema
};

// Buffers rows and writes them in one transaction per flush, so a metric row never costs a commit.
// flushIfDue() writes when the oldest buffered row is older than the interval or the buffer is large.
class StoreWriter {
public:
    explicit StoreWriter(Store& store, double flushIntervalSeconds = 1.0, size_t maxBuffered = 20000);
    ~StoreWriter();                                            // flushes; never throws

    void add(MetricPoint point);
    void add(GateRow row);
    void add(GateClassRow row);
    void add(ChannelStatRow row);
    void add(PathWeightRow row);
    void add(ConfusionCell cell);
    void add(ClassAgreementRow row);
    void addEvent(int64_t runId, const std::string& level, const std::string& message,
                  std::optional<int64_t> step = std::nullopt);

    void flush();
    void discard();                                            // drops the buffered rows unwritten
    // Rows left out so far because they held NaN or infinity (see BatchResult).
    const BatchResult& skipped() const { return skipped_; }
    void flushIfDue();
    size_t buffered() const;

private:
    void noteAdded();
    Store& store_;
    double interval_;
    size_t maxBuffered_;
    double oldest_ = -1;
    RowBatch batch_;
    BatchResult skipped_;
};

double nowSeconds();                                           // wall clock, seconds since the epoch
std::string hostName();                                        // this machine's name, as runs record it
// Whether the engine recorded for a running run (pid on host, last heartbeat) still trains it. On
// this host the process is asked: gone, or started after that heartbeat (the pid was reused), means
// dead. On another host only the heartbeat can tell: older than staleSeconds means dead.
bool engineAlive(const std::string& host, std::optional<int64_t> pid, std::optional<double> heartbeat,
                 double staleSeconds);

}  // namespace distillery::store
