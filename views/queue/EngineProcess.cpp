#include "EngineProcess.h"

namespace distillery::views {

EngineProcess::EngineProcess(qint64 runId, bool resume, qint64 sequence, int threads, QObject* parent)
    : QObject(parent), runId_(runId), resume_(resume), sequence_(sequence), threads_(threads),
      process_(new QProcess(this)) {
    connect(process_, &QProcess::readyReadStandardOutput, this, &EngineProcess::readStdout);
    connect(process_, &QProcess::readyReadStandardError, this, &EngineProcess::readStderr);
    connect(process_, &QProcess::finished, this, &EngineProcess::onFinished);
    connect(process_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        // Only a failed start has no finished() signal after it; the other errors end in onFinished.
        if (error == QProcess::FailedToStart) emit failedToStart();
    });
    connect(process_, &QProcess::started, this, [this] {
        pid_ = process_->processId();
        emit started(pid_);
    });
}

void EngineProcess::start(const QString& program, const QStringList& arguments) {
    process_->setProgram(program);
    process_->setArguments(arguments);
    process_->start();
}

void EngineProcess::requestStop() {
    cancelRequested_ = true;
    process_->terminate();
}

void EngineProcess::cancel() {
    if (cancelRequested_) process_->kill();   // the user insists: no checkpoint, but no waiting either
    else requestStop();
}

void EngineProcess::stopWithin(int ms) {
    if (process_->state() == QProcess::NotRunning) return;
    if (!process_->waitForFinished(ms)) {
        process_->kill();
        process_->waitForFinished(5000);
    }
}

void EngineProcess::readStdout() {
    stdoutBuffer_ += process_->readAllStandardOutput();
    int newline;
    while ((newline = stdoutBuffer_.indexOf('\n')) >= 0) {
        const QByteArray line = stdoutBuffer_.left(newline).trimmed();
        stdoutBuffer_.remove(0, newline + 1);
        if (line.isEmpty()) continue;
        std::optional<RunProgress> parsed = spec::parseProgressLine(line.toStdString());
        // A line naming another run is not about this engine's run; one naming none is.
        if (!parsed || (parsed->runId != 0 && parsed->runId != runId_)) continue;
        parsed->runId = runId_;
        progress_ = parsed;
        emit progressed(*parsed);
    }
}

void EngineProcess::readStderr() {
    stderrBuffer_ += process_->readAllStandardError();
    int newline;
    while ((newline = stderrBuffer_.indexOf('\n')) >= 0) {
        keepLogLine(QString::fromUtf8(stderrBuffer_.left(newline)).trimmed());
        stderrBuffer_.remove(0, newline + 1);
    }
}

void EngineProcess::keepLogLine(const QString& line) {
    if (line.isEmpty()) return;
    logTail_.append(line);
    while (logTail_.size() > kLogLinesKept) logTail_.removeFirst();
}

void EngineProcess::onFinished(int exitCode, QProcess::ExitStatus status) {
    // Collect what is still in the pipes: the last lines usually say why the engine stopped.
    readStdout();
    readStderr();
    keepLogLine(QString::fromUtf8(stderrBuffer_).trimmed());   // a last line without its newline
    stderrBuffer_.clear();
    emit finished(exitCode, status == QProcess::CrashExit);
}

}  // namespace distillery::views
