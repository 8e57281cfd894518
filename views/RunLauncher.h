#pragma once
// Trains queued runs one at a time, each in a `distillery-engine run --db FILE --run ID --progress
// json` child process.
//
// The engine owns the run's row: it claims it (queued -> running), writes metrics and sets the
// final status. The launcher only steps in where the engine cannot: a run cancelled before it
// started is marked killed, and a run whose engine crashed or failed while the store still says
// it is running (with this process's pid) is marked failed with the tail of the engine's stderr.
// Runs stay queued in the store, so a restarted GUI picks them up again (enqueueQueuedRuns).
#include <memory>

#include <QHash>
#include <QList>
#include <QObject>
#include <QProcess>
#include <QStringList>

#include "RunProgress.h"

namespace distillery::store {
class Store;
}

namespace distillery::views {

class RunLauncher : public QObject {
    Q_OBJECT
public:
    static constexpr int kStderrLinesKept = 50;
    static constexpr int kOrphanCheckIntervalMs = 10000;

    // The engine beside this executable, unless the environment variable DISTILLERY_ENGINE names one.
    static QString defaultEnginePath();

    // Opens its own connection to the store; throws store::StoreError when it cannot.
    RunLauncher(const QString& storePath, const QString& enginePath = defaultEnginePath(),
                QObject* parent = nullptr);
    ~RunLauncher() override;   // stops a training engine (see shutdown)

    QString storePath() const { return storePath_; }
    QString enginePath() const { return enginePath_; }

    void enqueue(qint64 runId);
    // Every run the store holds as queued, oldest first (runs queued before a restart).
    void enqueueQueuedRuns();
    // Marks failed the runs of this host whose engine died unwatched; also runs every 10 s.
    void failOrphanedRuns();
    // Running here: SIGTERM (the engine finishes its step, checkpoints, marks the run killed); a
    // second cancel of the same run kills the engine at once. Queued: marked killed in the store.
    // Returns false with *why when the run is neither (e.g. trained by another process).
    bool cancel(qint64 runId, QString* why = nullptr);
    // Stops the training engine like cancel() and waits up to waitMs for it to exit.
    void shutdown(int waitMs = 30000);

    qint64 activeRun() const { return activeRunId_; }   // 0 when idle
    QList<qint64> pendingRuns() const { return pending_; }
    bool isBusy() const { return activeRunId_ != 0; }
    QStringList stderrTail(qint64 runId) const { return stderrTails_.value(runId); }

signals:
    void runStarted(qint64 runId, qint64 pid);
    void progressed(const distillery::views::RunProgress& progress);
    void runEnded(qint64 runId, int exitCode, bool crashed);
    void queueChanged();
    // The engine could not be started at all; the runs stay queued. message says what and how to fix.
    void engineUnavailable(const QString& message);

private:
    void startNext();
    void readStdout();
    void readStderr();
    void onFinished(int exitCode, QProcess::ExitStatus exitStatus);
    void onProcessError(QProcess::ProcessError error);
    void parseProgressLine(const QByteArray& line);
    void keepStderrLine(const QString& line);
    void finishActive();

    QString storePath_;
    QString enginePath_;
    std::unique_ptr<store::Store> store_;
    QList<qint64> pending_;
    QProcess* process_ = nullptr;
    qint64 activeRunId_ = 0;
    qint64 activePid_ = 0;
    bool cancelRequested_ = false;
    bool paused_ = false;            // after the engine failed to start, until the next enqueue
    QByteArray stdoutBuffer_;
    QByteArray stderrBuffer_;
    QHash<qint64, QStringList> stderrTails_;
};

}  // namespace distillery::views
