#pragma once
// The run queue: trains queued runs in up to maxConcurrent() `distillery-engine` child processes at
// once, `run --db FILE --run ID --progress json` for a queued run and `resume --run ID --db FILE
// --progress json` for a killed or failed run with a checkpoint.
//
// The engine owns the run's row: it claims it (queued -> running), writes metrics and sets the final
// status. The scheduler only steps in where the engine cannot: a run cancelled before it started is
// marked killed, and a run whose engine crashed or failed while the store still says it is running
// (with that engine's pid) is marked failed with the tail of the engine's stderr. Runs stay queued in
// the store, so a restarted GUI picks them up again (enqueueQueuedRuns). A resume waiting for a slot
// lives only in this object: its run stays killed or failed in the store until an engine reclaims it.
//
// Runs submitted to a Slurm cluster (store/ClusterJobs.h) stay queued in the store until their shards
// are merged; enqueueQueuedRuns leaves them to the cluster (ClusterFollower watches them).
//
// Order: runs start in the order they were queued here (enqueue, retry, resume), oldest first;
// enqueueQueuedRuns adds the store's queued runs oldest first.
//
// Dependencies: a run whose spec names its teacher as a run of the store ("teacher": {"run_id": N}
// or {"run_name": "X"}) does not start before that teacher run has finished; waitReason() says what
// it waits for. A waiting run holds no slot: runs queued after it start meanwhile. It starts by
// itself once the teacher finishes, also when the teacher is retried or resumed first.
//
// Cores: every engine gets `--threads K`, K = max(1, idealThreadCount / maxConcurrent), for a spec
// that leaves "threads" at 0 (all cores); see threadsPerEngine.
//
// This class keeps the queue and its slots. Each engine is an EngineProcess; what the store allows
// for a run it neither trains nor holds is store/RunLifecycle.h; durations and the queue's replay
// are store/DurationEstimates.h.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <QHash>
#include <QList>
#include <QObject>
#include <QStringList>

#include "EngineProcess.h"
#include "RunProgress.h"
#include "TeacherWaits.h"
#include "store/DurationEstimates.h"
#include "store/StoreTypes.h"

class QTimer;

namespace distillery::store {
class Store;
}

namespace distillery::views {

// Why a run failed, for the queue's failure box: the reason the store records and the last lines of
// the engine's log.
struct FailureDetails {
    enum class LogSource {
        None,           // no log line is known
        EngineOutput,   // the engine's stderr, kept in memory because this scheduler ran it
        StoreEvents,    // the run's last events in the store (after a restart, or another process ran it)
    };
    QString reason;            // the run's error column; what the user reads first
    QStringList logLines;      // oldest first
    LogSource logSource = LogSource::None;
};

class RunScheduler : public QObject {
    Q_OBJECT
public:
    static constexpr int kStderrLinesKept = EngineProcess::kLogLinesKept;
    static constexpr int kStoreEventLinesShown = 20;
    static constexpr int kOrphanCheckIntervalMs = 10000;
    static constexpr int kMaxConcurrentLimit = 64;

    // The engine beside this executable, unless the environment variable DISTILLERY_ENGINE names one.
    static QString defaultEnginePath();

    // Opens its own connection to the store; throws store::StoreError when it cannot.
    RunScheduler(const QString& storePath, const QString& enginePath = defaultEnginePath(),
                 QObject* parent = nullptr);
    ~RunScheduler() override;   // stops the training engines (see shutdown)

    QString storePath() const { return storePath_; }
    QString enginePath() const { return enginePath_; }

    // How many engines train at once (1..kMaxConcurrentLimit, default 1). The cores are shared out:
    // each engine started afterwards gets 1/runs of them (threadsPerEngine) unless its spec sets
    // "threads", so N runs at once take about as long in total as N runs one after another on a CPU,
    // and a single queued run trains with 1/runs of the cores too: keep 1 for one run at a time. Raise
    // it on a machine with several GPUs, or to see several runs progress together. Lowering it never
    // stops a training run (an engine keeps the threads it started with); fewer runs start after it.
    void setMaxConcurrent(int runs);
    int maxConcurrent() const { return maxConcurrent_; }
    // The `--threads` an engine gets when slotCount engines may train at once: idealThreadCount /
    // slotCount, at least 1. The engine uses it for a spec whose "threads" is 0; explicit threads win.
    static int threadsPerEngine(int slotCount);

    void enqueue(qint64 runId);
    // Every run the store holds as queued, oldest first (runs queued before a restart).
    void enqueueQueuedRuns();
    // Marks failed the runs of this host whose engine died unwatched; also runs every 10 s.
    void failOrphanedRuns();
    // Running here: SIGTERM (the engine finishes its step, checkpoints, marks the run killed); a
    // second cancel of the same run kills the engine at once. Queued: marked killed in the store. A
    // resume waiting for a slot is dropped (the run stays killed or failed). Returns false with *why
    // when the run is none of these (e.g. trained by another process, or already ended).
    bool cancel(qint64 runId, QString* why = nullptr);
    // A killed or failed run with a checkpoint continues from it, in a slot when one is free and
    // after the runs queued before it otherwise. False with *why when it cannot be resumed.
    bool resume(qint64 runId, QString* why = nullptr);
    // A killed or failed run is queued again (store: requeueRun) and trains from the beginning when
    // a slot frees. False with *why when the run is not killed or failed.
    bool retry(qint64 runId, QString* why = nullptr);
    // Whether cancel/resume/retry would be accepted now, and if not, why (for enabling buttons).
    bool canCancel(qint64 runId, QString* why = nullptr) const;
    bool canResume(qint64 runId, QString* why = nullptr) const;
    bool canRetry(qint64 runId, QString* why = nullptr) const;
    // Stops every training engine like cancel() and waits up to waitMs in all for them to exit.
    void shutdown(int waitMs = 30000);

    // Runs whose engine this scheduler started and that have not ended, oldest start first.
    QList<qint64> runningRuns() const;
    // The first of runningRuns(); 0 when idle.
    qint64 activeRun() const;
    bool isBusy() const { return !engines_.empty(); }
    bool isRunning(qint64 runId) const { return engineOf(runId) != nullptr; }
    // Runs waiting for a slot, in the order they will start.
    QList<qint64> pendingRuns() const;
    bool isPending(qint64 runId) const;
    bool isResumePending(qint64 runId) const;   // waiting for a slot to resume (not to start afresh)
    // Why a waiting run does not start even when a slot is free: the teacher run its spec names has
    // not finished, e.g. "waits for its teacher run 3 “teacher” (training)". Empty when the run does
    // not wait for a teacher (it may still wait for a slot) or is not waiting here.
    QString waitReason(qint64 runId) const;
    // The teacher run a waiting run waits for; 0 when none (see waitReason).
    qint64 awaitedTeacher(qint64 runId) const;
    // The `--threads` value the engine of a run training here was started with; 0 when not running here.
    int engineThreads(qint64 runId) const;
    // Runs whose engine ended while this scheduler watched, oldest end first.
    QList<qint64> endedRuns() const { return endedRuns_; }
    QStringList stderrTail(qint64 runId) const;
    // The run's error and its engine's last log lines: the stderr tail when this scheduler ran it,
    // else the run's last events in the store.
    FailureDetails failureDetails(qint64 runId) const;
    // The newest progress line of a run training here.
    std::optional<RunProgress> progressOf(qint64 runId) const;
    // Cached columns of a running or pending run (name, method, student, …; no spec).
    std::optional<store::RunRow> runRow(qint64 runId) const;

    // Seconds left for a running or pending run: the engine's own estimate once it reports one, else
    // the remaining share of estimatedDuration. Empty when unknown or when the run is not queued here.
    std::optional<double> etaSeconds(qint64 runId) const;
    // Seconds until the last running or pending run ends: each pending run, in start order, takes
    // the slot that frees first (slots = maxConcurrent()), a student not before its teacher (training
    // or waiting here) has ended. Runs waiting for a teacher that is not in this queue (failed,
    // killed, trained elsewhere) are left out: nobody knows when they start. 0 when nothing is
    // queued; empty when the time of any other run is unknown.
    std::optional<double> queueEta() const;
    // Mean wall time (finished_at - started_at) of the store's finished runs of this method and
    // student; of all finished runs when none matches; empty when no run has finished.
    std::optional<double> estimatedDuration(const std::string& method, const std::string& student) const;

signals:
    void runStarted(qint64 runId, qint64 pid);
    void progressed(const distillery::views::RunProgress& progress);
    void runEnded(qint64 runId, int exitCode, bool crashed);
    void queueChanged();
    // The engine could not be started at all; the runs stay queued. message says what and how to fix.
    void engineUnavailable(const QString& message);

private:
    struct PendingRun {
        qint64 runId = 0;
        bool resume = false;
        qint64 sequence = 0;   // enqueue order: the start order, kept when a failed start re-queues it
    };

    void startNext();
    bool startEngine(const PendingRun& pending, int threads);
    // Re-reads what every pending run's teacher is doing (teacherWaits_).
    void updateWaitReasons();
    void insertPending(const PendingRun& pending);
    void onFinished(qint64 runId, int exitCode, bool crashed);
    void onFailedToStart(qint64 runId);
    void removeEngine(qint64 runId);
    void rememberRow(const store::RunRow& row);
    void loadDurations();
    EngineProcess* engineOf(qint64 runId) const;
    std::optional<double> pendingEstimate(const PendingRun& pending) const;
    // The store's answer to cancel/resume/retry for a run this scheduler neither trains nor holds
    // (store/RunLifecycle.h); a store that cannot be read refuses with the reason.
    bool storeAllows(qint64 runId, QString* why,
                     const std::function<std::optional<std::string>(const std::optional<store::RunRow>&)>& rule) const;
    QString cannotRead(qint64 runId, const std::exception& error) const;

    QString storePath_;
    QString enginePath_;
    std::unique_ptr<store::Store> store_;
    int maxConcurrent_ = 1;
    std::vector<EngineProcess*> engines_;            // start order; children of this object
    QList<PendingRun> pending_;                      // start order
    qint64 nextSequence_ = 1;
    bool paused_ = false;         // after an engine failed to start, until the next enqueue
    bool shuttingDown_ = false;
    QList<qint64> endedRuns_;
    QHash<qint64, QStringList> stderrTails_;         // of engines that ended
    QHash<qint64, store::RunRow> rows_;              // running and pending runs, without spec
    store::DurationEstimates durations_;
    TeacherWaits teacherWaits_;        // pending runs held back by their teacher run
    QTimer* teacherCheck_ = nullptr;   // while runs wait: a teacher trained by another process ends unseen
};

}  // namespace distillery::views
