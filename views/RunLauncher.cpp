#include "RunLauncher.h"

#include <algorithm>

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

#include "StorePoller.h"
#include "store/Store.h"

namespace distillery::views {

QString RunLauncher::defaultEnginePath() {
    const QString fromEnvironment = qEnvironmentVariable("DISTILLERY_ENGINE");
    if (!fromEnvironment.isEmpty()) return fromEnvironment;
    return QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("distillery-engine"));
}

RunLauncher::RunLauncher(const QString& storePath, const QString& enginePath, QObject* parent)
    : QObject(parent),
      storePath_(storePath),
      enginePath_(enginePath),
      store_(std::make_unique<store::Store>(storePath.toStdString())) {
    StorePoller::registerMetaTypes();
    auto* orphanCheck = new QTimer(this);
    connect(orphanCheck, &QTimer::timeout, this, &RunLauncher::failOrphanedRuns);
    orphanCheck->start(kOrphanCheckIntervalMs);
}

RunLauncher::~RunLauncher() {
    // Whoever listened may be half destroyed already (a parent window's members go first).
    blockSignals(true);
    shutdown();
}

void RunLauncher::enqueue(qint64 runId) {
    paused_ = false;
    if (runId != activeRunId_ && !pending_.contains(runId)) pending_.append(runId);
    emit queueChanged();
    startNext();
}

void RunLauncher::failOrphanedRuns() {
    // An engine that died without a GUI watching it (killed, machine restarted) leaves its run
    // "running" for ever; the store marks such runs failed with how to resume them.
    try {
        if (!store_->failOrphanedRuns(store::hostName()).empty()) emit queueChanged();
    } catch (const store::StoreError&) {
        // The poller reports store errors to the user; this check simply runs again later.
    }
}

void RunLauncher::enqueueQueuedRuns() {
    failOrphanedRuns();
    std::vector<store::RunRow> rows = store_->runs(/*withSpec=*/false);
    // runs() lists the newest first; the oldest queued run should train first.
    std::reverse(rows.begin(), rows.end());
    for (const store::RunRow& row : rows)
        if (row.status == store::RunStatus::Queued && row.id != activeRunId_ && !pending_.contains(row.id))
            pending_.append(row.id);
    paused_ = false;
    emit queueChanged();
    startNext();
}

bool RunLauncher::cancel(qint64 runId, QString* why) {
    if (runId == activeRunId_ && process_) {
        if (cancelRequested_) {
            process_->kill();   // the user insists: no checkpoint, but no waiting either
        } else {
            cancelRequested_ = true;
            process_->terminate();
        }
        return true;
    }
    pending_.removeAll(runId);
    if (store_->cancelQueuedRun(runId, "Cancelled before it started.")) {
        emit queueChanged();
        return true;
    }
    std::optional<store::RunRow> row = store_->run(runId);
    emit queueChanged();
    if (why) {
        if (!row) {
            *why = tr("Run %1 is not in %2 (deleted?).").arg(runId).arg(storePath_);
        } else if (row->status == store::RunStatus::Running) {
            *why = tr("Run %1 is trained by another process (pid %2 on %3), not by this window. "
                      "Stop it where it runs, e.g. kill -TERM %2 on %3.")
                       .arg(runId)
                       .arg(row->pid ? QString::number(*row->pid) : tr("unknown"))
                       .arg(row->host.empty() ? tr("an unknown host") : QString::fromStdString(row->host));
        } else {
            *why = tr("Run %1 is already %2.").arg(runId).arg(QString::fromStdString(store::statusName(row->status)));
        }
    }
    return false;
}

void RunLauncher::shutdown(int waitMs) {
    pending_.clear();
    if (!process_) return;
    cancelRequested_ = true;
    process_->terminate();
    if (!process_->waitForFinished(waitMs)) {
        process_->kill();
        process_->waitForFinished(5000);
    }
}

void RunLauncher::startNext() {
    if (process_ || paused_) return;
    while (!pending_.isEmpty()) {
        const qint64 runId = pending_.takeFirst();
        // Another engine may have claimed it, or it was cancelled meanwhile: only queued runs start.
        std::optional<store::RunRow> row = store_->run(runId);
        if (!row || row->status != store::RunStatus::Queued) continue;

        activeRunId_ = runId;
        activePid_ = 0;
        cancelRequested_ = false;
        stdoutBuffer_.clear();
        stderrBuffer_.clear();
        stderrTails_.remove(runId);

        process_ = new QProcess(this);
        process_->setProgram(enginePath_);
        process_->setArguments({QStringLiteral("run"), QStringLiteral("--db"), storePath_, QStringLiteral("--run"),
                                QString::number(runId), QStringLiteral("--progress"), QStringLiteral("json")});
        connect(process_, &QProcess::readyReadStandardOutput, this, &RunLauncher::readStdout);
        connect(process_, &QProcess::readyReadStandardError, this, &RunLauncher::readStderr);
        connect(process_, &QProcess::finished, this, &RunLauncher::onFinished);
        connect(process_, &QProcess::errorOccurred, this, &RunLauncher::onProcessError);
        connect(process_, &QProcess::started, this, [this, runId] {
            activePid_ = process_->processId();
            emit runStarted(runId, activePid_);
        });
        process_->start();
        emit queueChanged();
        return;
    }
    emit queueChanged();
}

void RunLauncher::readStdout() {
    stdoutBuffer_ += process_->readAllStandardOutput();
    int newline;
    while ((newline = stdoutBuffer_.indexOf('\n')) >= 0) {
        const QByteArray line = stdoutBuffer_.left(newline).trimmed();
        stdoutBuffer_.remove(0, newline + 1);
        if (!line.isEmpty()) parseProgressLine(line);
    }
}

void RunLauncher::parseProgressLine(const QByteArray& line) {
    // Anything that is not a progress object (a stray print) is ignored: stdout is a channel the
    // engine shares with libraries.
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(line, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject()) return;
    const QJsonObject object = document.object();
    if (object.value(QLatin1String("type")).toString() != QLatin1String("progress")) return;
    RunProgress progress;
    progress.runId = object.value(QLatin1String("run")).toInteger(activeRunId_);
    if (progress.runId != activeRunId_) return;
    progress.epoch = object.value(QLatin1String("epoch")).toInt();
    progress.epochs = object.value(QLatin1String("epochs")).toInt();
    progress.step = object.value(QLatin1String("step")).toInteger();
    progress.totalSteps = object.value(QLatin1String("total_steps")).toInteger();
    progress.loss = object.value(QLatin1String("loss")).toDouble();
    progress.acc = object.value(QLatin1String("acc")).toDouble();
    progress.etaSeconds = object.value(QLatin1String("eta_s")).toDouble(-1);
    progress.progress = qBound(0.0, object.value(QLatin1String("progress")).toDouble(), 1.0);
    emit progressed(progress);
}

void RunLauncher::readStderr() {
    stderrBuffer_ += process_->readAllStandardError();
    int newline;
    while ((newline = stderrBuffer_.indexOf('\n')) >= 0) {
        keepStderrLine(QString::fromUtf8(stderrBuffer_.left(newline)).trimmed());
        stderrBuffer_.remove(0, newline + 1);
    }
}

void RunLauncher::keepStderrLine(const QString& line) {
    if (line.isEmpty()) return;
    QStringList& tail = stderrTails_[activeRunId_];
    tail.append(line);
    while (tail.size() > kStderrLinesKept) tail.removeFirst();
}

void RunLauncher::onFinished(int exitCode, QProcess::ExitStatus exitStatus) {
    // Collect what is still in the pipes: the last lines usually say why the engine stopped.
    readStdout();
    readStderr();
    if (!stderrBuffer_.trimmed().isEmpty()) keepStderrLine(QString::fromUtf8(stderrBuffer_).trimmed());
    stderrBuffer_.clear();

    const qint64 runId = activeRunId_;
    const bool crashed = exitStatus == QProcess::CrashExit;
    if (crashed || exitCode != 0) {
        try {
            std::optional<store::RunRow> row = store_->run(runId);
            // Only a row this engine claimed: a non-zero exit because another engine claimed the
            // run first must not fail that other engine's run.
            const bool ours = row && row->status == store::RunStatus::Running &&
                              (!row->pid || *row->pid == activePid_);
            if (ours) {
                QString what;
                if (cancelRequested_ && crashed)
                    what = tr("Cancelled: the engine was stopped before it could record the cancellation; "
                              "the newest checkpoint may be older than the last step.");
                else if (crashed)
                    what = tr("The engine crashed (it was killed by a signal) while training.");
                else
                    what = tr("The engine exited with code %1 while training.").arg(exitCode);
                const QStringList tail = stderrTails_.value(runId);
                if (!tail.isEmpty()) what += tr("\nLast lines of its log:\n") + tail.join(QLatin1Char('\n'));
                store_->finishRun(runId, cancelRequested_ && crashed ? store::RunStatus::Killed : store::RunStatus::Failed,
                                  what.toStdString());
            }
        } catch (const std::exception& error) {
            emit engineUnavailable(tr("Run %1 ended, but its status could not be recorded in %2: %3")
                                       .arg(runId).arg(storePath_, QString::fromUtf8(error.what())));
        }
    }
    finishActive();
    emit runEnded(runId, exitCode, crashed);
    startNext();
}

void RunLauncher::onProcessError(QProcess::ProcessError error) {
    // Only a failed start has no finished() signal after it; the other errors end in onFinished.
    if (error != QProcess::FailedToStart) return;
    const qint64 runId = activeRunId_;
    const QString reason = process_->errorString();
    pending_.prepend(runId);
    paused_ = true;
    finishActive();
    emit engineUnavailable(
        tr("Cannot start the training engine \"%1\": %2.\nBuild the distillery-engine target (it belongs next "
           "to the distillery executable) or set the DISTILLERY_ENGINE environment variable to its path. "
           "Run %3 and the runs after it stay queued; they start when you queue a run again or reopen the store.")
            .arg(enginePath_, reason).arg(runId));
    emit queueChanged();
}

void RunLauncher::finishActive() {
    if (process_) {
        process_->disconnect(this);
        process_->deleteLater();
    }
    process_ = nullptr;
    activeRunId_ = 0;
    activePid_ = 0;
    cancelRequested_ = false;
}

}  // namespace distillery::views
