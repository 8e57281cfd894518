#pragma once
// Follows the runs a store sent to a Slurm cluster (store/ClusterJobs.h) while a window has the store
// open. Every few seconds it asks squeue for their tasks' states and merges the shards that changed
// into the store (`distillery-engine merge`), so the Live, Compare and Queue views show cluster runs
// as they train, like local ones. Every minute, and when a task has left squeue, it merges the whole
// submission folders instead: that also has the engine ask Slurm about tasks that ended without a
// word, which marks their runs failed with Slurm's reason and the log's tail.
//
// Submit (the engine's `submit --slurm`), cancel (scancel) and requeue (scontrol requeue) are Slurm's
// own commands, run as child processes: the GUI thread never waits for them.
#include <optional>

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QPair>
#include <QPointer>
#include <QProcess>
#include <QSet>
#include <QString>
#include <QStringList>
#include <QTimer>
#include <QElapsedTimer>

#include "ClusterSubmission.h"
#include "cluster/Slurm.h"
#include "store/ClusterJobs.h"
#include "store/StoreTypes.h"

namespace distillery::store {
class Store;
}

namespace distillery::views {

class ClusterFollower : public QObject {
    Q_OBJECT
public:
    static constexpr int kDefaultIntervalMs = 5000;
    static constexpr int kWholeMergeEveryMs = 60000;

    // store: the window's connection (GUI thread); storePath: the file the engine merges into.
    ClusterFollower(store::Store* store, QString storePath, QString enginePath, QObject* parent = nullptr);
    ~ClusterFollower() override;

    void setIntervalMs(int ms);
    // Programs run instead of squeue, scancel and scontrol (tests); "" = Slurm's own.
    void setSlurmPrograms(const QString& squeue, const QString& scancel, const QString& scontrol);

    // Runs sent to the cluster that have not ended there (queued or running in the store, or listed
    // by squeue), by id.
    QList<qint64> followedRuns() const;
    bool isClusterRun(qint64 runId) const;          // the store has a record of it
    std::optional<store::ClusterJobRow> job(qint64 runId) const;
    std::optional<store::RunRow> runRow(qint64 runId) const;   // as read at the last check
    // squeue's state of the run's task at the last check; nullopt when squeue does not list it.
    std::optional<cluster::QueuedJob> queued(qint64 runId) const;
    // What the Queue panel shows: "on Slurm: waiting for resources", "on Slurm: running", …
    QString statusText(qint64 runId) const;
    // Why the last squeue or merge failed, for the user; "" when both worked.
    QString problem() const { return problem_; }
    bool busy() const;

    void submit(const ClusterSubmission& submission);
    void cancel(qint64 runId);    // scancel its task
    void requeue(qint64 runId);   // scontrol requeue its task: it resumes from its checkpoint
    // Checks at once, merging whole folders.
    void checkNow();

signals:
    void changed();
    void submitted(const QString& output);
    void commandFailed(const QString& title, const QString& message);

private:
    void tick();
    void readRecords();
    void askSqueue();
    void onSqueueFinished();
    void mergeChanged(bool whole);
    void onMergeFinished();
    void runCommand(const QString& title, const QString& program, const QStringList& arguments);
    QString taskOf(qint64 runId) const;

    store::Store* store_;
    QString storePath_;
    QString enginePath_;
    QString squeueProgram_ = QStringLiteral("squeue");
    QString scancelProgram_ = QStringLiteral("scancel");
    QString scontrolProgram_ = QStringLiteral("scontrol");
    QTimer timer_;
    QElapsedTimer sinceWholeMerge_;
    bool wholeMergeWanted_ = true;
    QProcess* squeue_ = nullptr;
    QProcess* merge_ = nullptr;
    QPointer<QProcess> submit_;   // the latest submission, while it runs
    QHash<qint64, store::ClusterJobRow> jobs_;
    QHash<qint64, store::RunRow> rows_;
    QHash<qint64, cluster::QueuedJob> queued_;   // by run
    QSet<qint64> listedBefore_;                  // runs squeue listed at the check before
    QHash<QString, QPair<qint64, qint64>> shardStamps_;   // shard path -> (mtime ms, size) at its last merge
    QStringList mergingShards_;                  // what the running merge takes
    QHash<QString, QPair<qint64, qint64>> mergingStamps_;
    QString problem_;
    QString squeueProblem_, mergeProblem_;
};

}  // namespace distillery::views
