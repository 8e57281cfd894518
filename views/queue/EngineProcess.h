#pragma once
// One `distillery-engine` child process training one run: starts it, reads its progress lines from
// stdout (spec/ProgressLine.h) and keeps the last lines of its stderr log, stops it (SIGTERM, then
// SIGKILL when asked twice), and says when it ended. The RunScheduler decides what runs and records
// what an ending means for the run's row.
#include <optional>

#include <QByteArray>
#include <QObject>
#include <QProcess>
#include <QStringList>

#include "RunProgress.h"

namespace distillery::views {

class EngineProcess : public QObject {
    Q_OBJECT
public:
    static constexpr int kLogLinesKept = 50;

    // resume and sequence are the scheduler's bookkeeping, kept with the engine for a failed start.
    EngineProcess(qint64 runId, bool resume, qint64 sequence, int threads, QObject* parent = nullptr);

    // Starts `program arguments`; a failed start ends in failedToStart, possibly before this returns.
    void start(const QString& program, const QStringList& arguments);
    // Asks the engine to stop: SIGTERM, on which it finishes its step, checkpoints and marks the run killed.
    void requestStop();
    // The first call is requestStop(); a second one kills the engine at once.
    void cancel();
    // Waits up to ms for the engine to exit, then kills it and waits a little more.
    void stopWithin(int ms);

    qint64 runId() const { return runId_; }
    bool resume() const { return resume_; }
    qint64 sequence() const { return sequence_; }
    int threads() const { return threads_; }   // the --threads it was started with
    qint64 pid() const { return pid_; }         // 0 until it has started
    bool cancelRequested() const { return cancelRequested_; }
    bool isRunning() const { return process_->state() != QProcess::NotRunning; }
    const std::optional<RunProgress>& progress() const { return progress_; }   // the newest line
    const QStringList& logTail() const { return logTail_; }                     // oldest first
    QString errorString() const { return process_->errorString(); }

signals:
    void started(qint64 pid);
    void progressed(const distillery::views::RunProgress& progress);
    // Every line it wrote has been read (the tail is complete). crashed: killed by a signal.
    void finished(int exitCode, bool crashed);
    void failedToStart();

private:
    void readStdout();
    void readStderr();
    void keepLogLine(const QString& line);
    void onFinished(int exitCode, QProcess::ExitStatus status);

    qint64 runId_;
    bool resume_;
    qint64 sequence_;
    int threads_;
    QProcess* process_;
    qint64 pid_ = 0;
    bool cancelRequested_ = false;
    QByteArray stdoutBuffer_;
    QByteArray stderrBuffer_;
    std::optional<RunProgress> progress_;
    QStringList logTail_;
};

}  // namespace distillery::views
