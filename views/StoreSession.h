#pragma once
// The results store a window has open, and everything that reads or trains from it: the GUI
// thread's own connection (it creates and migrates the file, and does the rare writes of queueing
// and deleting runs), a StorePoller and a DiagnosticsFeed each on a QThread of its own, and the
// RunScheduler that trains queued runs in engine child processes. Opening another file closes all
// of it first; the window only wires widgets to the signals below.
#include <memory>
#include <vector>

#include <QList>
#include <QObject>
#include <QString>

#include "MetricSeries.h"
#include "RunListEntry.h"
#include "RunProgress.h"
#include "StorePoller.h"

class QThread;

namespace distillery::store {
class Store;
}
namespace distillery::spec {
struct RunSpec;
struct StudyPlan;
}

namespace distillery::views {

class DiagnosticsFeed;
class ClusterFollower;
class RunScheduler;

struct StoreSessionOptions {
    bool trainQueuedRuns = true;     // false: show the store, start no engine (--no-queue)
    QString enginePath;              // empty: RunScheduler::defaultEnginePath()
    int pollIntervalMs = StorePoller::kDefaultIntervalMs;
    int clusterIntervalMs = 5000;    // how often the runs on a Slurm cluster are checked and merged
};

class StoreSession : public QObject {
    Q_OBJECT
public:
    using Options = StoreSessionOptions;

    explicit StoreSession(Options options, QObject* parent = nullptr);
    ~StoreSession() override;   // close()

    const Options& options() const { return options_; }
    QString enginePath() const;   // the option, else the engine beside this executable

    // Opens (creating if needed) the store at path, with maxConcurrent engines training at once.
    // Emits opened() once everything is wired, then queues the store's queued runs (unless
    // trainQueuedRuns is off). On failure returns false with *error for the user: a file that cannot
    // be opened leaves the current store open; one that opens but cannot be trained from ends closed.
    bool open(const QString& path, int maxConcurrent, QString* error);
    // Stops the readers and the training engines (their runs are marked killed and can be resumed).
    void close();
    bool isOpen() const { return store_ != nullptr; }
    QString path() const { return path_; }   // absolute; empty when closed
    // The stores opened before, newest first, as the user's settings remember them.
    static QString lastStorePath();   // empty before the first
    static QStringList recentStores();

    store::Store* store() const { return store_.get(); }
    RunScheduler* scheduler() const { return scheduler_; }
    ClusterFollower* cluster() const { return cluster_; }   // the store's runs on a Slurm cluster
    DiagnosticsFeed* feed() const { return feed_; }

    // Every spec is checked before any is queued: a half-queued experiment is worse than none. Each
    // returns the ids queued, and sets *error when a spec is wrong (nothing queued) or the store
    // failed part-way (the ids queued before it).
    QList<qint64> queueRunSpecs(const QList<QByteArray>& specJsons, QString* error);   // as the designer emits them
    // A study file's text, as the designer emits it: checked whole, then queueStudyPlan.
    QList<qint64> queueStudy(const QByteArray& studyJson, QString* error);
    QList<qint64> queueRunsFromSpecFile(const QString& path, QString* error);         // an experiment or run-spec file
    // Specs already checked; sourceFile names the file they came from in a store error.
    QList<qint64> queueRuns(const std::vector<spec::RunSpec>& runs, QString* error, const QString& sourceFile = QString());
    // Records the study and queues its runs (spec::queueStudy: a study already in the store from the same
    // file is continued, not queued twice); the ids of all its runs, in the plan's order.
    QList<qint64> queueStudyPlan(const spec::StudyPlan& plan, QString* error, const QString& sourceFile = QString());
    // Removes the runs with their rows and checkpoint files; a queued one is cancelled first so that
    // it does not start while it disappears. False with *error when the store failed part-way.
    bool deleteRuns(const QList<qint64>& runIds, QString* error);

public slots:
    void watchRuns(const QList<qint64>& runIds);   // the runs whose metric points are read
    void pollNow();                                // read the runs list now, not at the next tick

signals:
    void opened();          // before the queued runs start
    void aboutToClose();    // the scheduler and the readers still exist
    void closed();
    void runsChanged(const distillery::views::RunList& runs);
    void historyLoaded(qint64 runId, const distillery::views::MetricSeriesList& series);
    void pointsAppended(qint64 runId, const distillery::views::MetricSeriesList& series);
    void pollFailed(const QString& message);
    void progressed(const distillery::views::RunProgress& progress);
    void runEnded(qint64 runId, int exitCode, bool crashed);
    void queueChanged();
    void engineUnavailable(const QString& message);

private:
    bool refuseWhenClosed(QString* error) const;
    void startReaders();
    static void rememberStore(const QString& path);

    Options options_;
    QString path_;
    std::unique_ptr<store::Store> store_;
    QThread* pollerThread_ = nullptr;
    StorePoller* poller_ = nullptr;
    QThread* feedThread_ = nullptr;
    DiagnosticsFeed* feed_ = nullptr;
    RunScheduler* scheduler_ = nullptr;
    ClusterFollower* cluster_ = nullptr;
};

}  // namespace distillery::views
