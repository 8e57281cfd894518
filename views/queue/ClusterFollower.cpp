#include "ClusterFollower.h"

#include <algorithm>

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

#include "store/Store.h"

namespace distillery::views {

namespace {

QString fromStd(const std::string& text) { return QString::fromStdString(text); }

// The last lines a command wrote, for a message.
QString tail(const QByteArray& output, int lines = 12) {
    QStringList all = QString::fromUtf8(output).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    if (all.size() > lines) all = all.mid(all.size() - lines);
    return all.join(QLatin1Char('\n'));
}

bool ended(store::RunStatus status) { return status != store::RunStatus::Queued && status != store::RunStatus::Running; }

}  // namespace

ClusterFollower::ClusterFollower(store::Store* store, QString storePath, QString enginePath, QObject* parent)
    : QObject(parent), store_(store), storePath_(std::move(storePath)), enginePath_(std::move(enginePath)) {
    timer_.setInterval(kDefaultIntervalMs);
    connect(&timer_, &QTimer::timeout, this, &ClusterFollower::tick);
    timer_.start();
    QTimer::singleShot(0, this, &ClusterFollower::tick);
}

ClusterFollower::~ClusterFollower() {
    // A submission is let finish: stopped between queueing and sbatch, its runs would wait for a job
    // that was never submitted.
    if (submit_) {
        submit_->disconnect(this);
        submit_->waitForFinished(60000);
    }
    // A merge interrupted is rolled back by SQLite; squeue has nothing to lose.
    for (QProcess* process : {squeue_, merge_})
        if (process) {
            process->disconnect(this);
            process->kill();
            process->waitForFinished(2000);
        }
}

void ClusterFollower::setIntervalMs(int ms) { timer_.setInterval(ms); }

void ClusterFollower::setSlurmPrograms(const QString& squeue, const QString& scancel, const QString& scontrol) {
    if (!squeue.isEmpty()) squeueProgram_ = squeue;
    if (!scancel.isEmpty()) scancelProgram_ = scancel;
    if (!scontrol.isEmpty()) scontrolProgram_ = scontrol;
}

bool ClusterFollower::busy() const { return squeue_ || merge_; }

void ClusterFollower::checkNow() {
    wholeMergeWanted_ = true;
    tick();
}

void ClusterFollower::readRecords() {
    jobs_.clear();
    rows_.clear();
    try {
        for (const auto& job : store::clusterJobs(*store_)) {
            jobs_.insert(job.runId, job);
            if (const auto row = store_->run(job.runId)) {
                store::RunRow kept = *row;
                kept.specJson.clear();
                rows_.insert(job.runId, kept);
            }
        }
    } catch (const store::StoreError&) {
        // The store poller tells the user about a store it cannot read; the next tick tries again.
    }
}

QList<qint64> ClusterFollower::followedRuns() const {
    QList<qint64> runs;
    for (auto it = jobs_.cbegin(); it != jobs_.cend(); ++it) {
        const auto row = rows_.constFind(it.key());
        if (queued_.contains(it.key()) || (row != rows_.cend() && !ended(row->status))) runs << it.key();
    }
    std::sort(runs.begin(), runs.end());
    return runs;
}

bool ClusterFollower::isClusterRun(qint64 runId) const { return jobs_.contains(runId); }

std::optional<store::ClusterJobRow> ClusterFollower::job(qint64 runId) const {
    const auto it = jobs_.constFind(runId);
    if (it == jobs_.cend()) return std::nullopt;
    return *it;
}

std::optional<store::RunRow> ClusterFollower::runRow(qint64 runId) const {
    const auto it = rows_.constFind(runId);
    if (it == rows_.cend()) return std::nullopt;
    return *it;
}

std::optional<cluster::QueuedJob> ClusterFollower::queued(qint64 runId) const {
    const auto it = queued_.constFind(runId);
    if (it == queued_.cend()) return std::nullopt;
    return *it;
}

QString ClusterFollower::taskOf(qint64 runId) const {
    const auto it = jobs_.constFind(runId);
    return it == jobs_.cend() ? QString() : fromStd(it->slurmTask);
}

QString ClusterFollower::statusText(qint64 runId) const {
    const auto inQueue = queued(runId);
    const auto row = runRow(runId);
    if (!inQueue) {
        if (taskOf(runId).isEmpty()) return tr("on Slurm: being submitted");
        if (row && row->status == store::RunStatus::Running) return tr("on Slurm: running");
        return tr("on Slurm: not in its queue (checking)");
    }
    const QString state = fromStd(inQueue->state);
    const QString reason = fromStd(inQueue->reason);
    if (state == QLatin1String("RUNNING") || state == QLatin1String("COMPLETING")) return tr("on Slurm: running");
    if (state != QLatin1String("PENDING")) return tr("on Slurm: %1").arg(state.toLower());
    if (reason == QLatin1String("Dependency")) return tr("on Slurm: waits for its teacher's job");
    if (reason == QLatin1String("DependencyNeverSatisfied"))
        return tr("on Slurm: its teacher's job failed, so it never starts (cancel it, then submit again)");
    if (reason == QLatin1String("Resources")) return tr("on Slurm: waiting for resources");
    if (reason == QLatin1String("Priority")) return tr("on Slurm: waiting (other jobs first)");
    if (reason == QLatin1String("JobArrayTaskLimit")) return tr("on Slurm: waiting (at most K at once)");
    if (reason == QLatin1String("BeginTime")) return tr("on Slurm: requeued, starts shortly");
    return tr("on Slurm: pending (%1)").arg(reason);
}

void ClusterFollower::tick() {
    if (busy()) return;
    readRecords();
    if (jobs_.isEmpty()) {
        if (!queued_.isEmpty() || !problem_.isEmpty()) {
            queued_.clear();
            problem_.clear();
            emit changed();
        }
        return;
    }
    if (!sinceWholeMerge_.isValid() || sinceWholeMerge_.elapsed() >= kWholeMergeEveryMs) wholeMergeWanted_ = true;
    askSqueue();
}

void ClusterFollower::askSqueue() {
    squeue_ = new QProcess(this);
    connect(squeue_, &QProcess::finished, this, &ClusterFollower::onSqueueFinished);
    connect(squeue_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart) onSqueueFinished();
    });
    squeue_->start(squeueProgram_, {QStringLiteral("--me"), QStringLiteral("-h"), QStringLiteral("-o"), QStringLiteral("%i|%T|%r")});
}

void ClusterFollower::onSqueueFinished() {
    QProcess* process = squeue_;
    if (!process) return;
    squeue_ = nullptr;
    process->deleteLater();
    const bool ok = process->error() != QProcess::FailedToStart && process->exitStatus() == QProcess::NormalExit &&
                    process->exitCode() == 0;
    QSet<qint64> listed;
    if (ok) {
        squeueProblem_.clear();
        const auto jobs = cluster::parseSqueue(process->readAllStandardOutput().toStdString());
        queued_.clear();
        for (auto it = jobs_.cbegin(); it != jobs_.cend(); ++it) {
            const std::string& task = it->slurmTask;
            const auto cut = task.find('_');
            if (cut == std::string::npos) continue;
            const int64_t jobId = std::stoll(task.substr(0, cut));
            const int64_t index = std::stoll(task.substr(cut + 1));
            for (const auto& job : jobs)
                if (cluster::idHoldsTask(job.id, jobId, index)) {
                    queued_.insert(it.key(), job);
                    listed.insert(it.key());
                }
        }
        // A task that left the queue ended: a whole merge asks Slurm how, when its engine did not say.
        for (qint64 runId : std::as_const(listedBefore_))
            if (!listed.contains(runId)) wholeMergeWanted_ = true;
        listedBefore_ = listed;
    } else {
        squeueProblem_ = process->error() == QProcess::FailedToStart
                             ? tr("squeue cannot be run here (%1): Slurm's states are not shown; results are still merged "
                                  "from the shared folder.")
                                   .arg(process->errorString())
                             : tr("squeue failed: %1").arg(tail(process->readAllStandardError(), 3));
    }
    mergeChanged(wholeMergeWanted_);
}

void ClusterFollower::mergeChanged(bool whole) {
    // The shards of followed runs that changed since their last merge, or whole folders.
    QStringList arguments;
    mergingStamps_.clear();
    QSet<QString> roots;
    for (qint64 runId : followedRuns()) {
        const store::ClusterJobRow& job = jobs_[runId];
        roots.insert(fromStd(job.sharedRoot));
        const QString shard = fromStd(job.shardPath());
        const QFileInfo info(shard);
        if (!info.exists()) continue;
        const QPair<qint64, qint64> stamp(info.lastModified().toMSecsSinceEpoch(), info.size());
        if (!whole && shardStamps_.value(shard) == stamp) continue;
        mergingStamps_.insert(shard, stamp);
        if (!whole) arguments << shard;
    }
    if (whole) {
        arguments = QStringList(roots.begin(), roots.end());
        arguments.sort();
    }
    if (arguments.isEmpty()) {
        problem_ = squeueProblem_.isEmpty() ? mergeProblem_ : squeueProblem_;
        emit changed();
        return;
    }
    wholeMergeWanted_ = false;
    if (whole) sinceWholeMerge_.start();
    merge_ = new QProcess(this);
    connect(merge_, &QProcess::finished, this, &ClusterFollower::onMergeFinished);
    connect(merge_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart) onMergeFinished();
    });
    merge_->start(enginePath_, QStringList{QStringLiteral("merge"), QStringLiteral("--db"), storePath_} + arguments);
}

void ClusterFollower::onMergeFinished() {
    QProcess* process = merge_;
    if (!process) return;
    merge_ = nullptr;
    process->deleteLater();
    if (process->error() == QProcess::FailedToStart) {
        mergeProblem_ = tr("The engine %1 cannot be started to merge the cluster's results: %2")
                            .arg(enginePath_, process->errorString());
    } else if (process->exitStatus() != QProcess::NormalExit || process->exitCode() != 0) {
        mergeProblem_ = tr("Merging the cluster's results failed:\n%1").arg(tail(process->readAllStandardError(), 6));
    } else {
        mergeProblem_.clear();
        for (auto it = mergingStamps_.cbegin(); it != mergingStamps_.cend(); ++it) shardStamps_.insert(it.key(), it.value());
    }
    problem_ = squeueProblem_.isEmpty() ? mergeProblem_ : squeueProblem_;
    readRecords();   // the merge may have ended runs
    emit changed();
}

void ClusterFollower::runCommand(const QString& title, const QString& program, const QStringList& arguments) {
    auto* process = new QProcess(this);
    connect(process, &QProcess::finished, this, [this, process, title, program, arguments](int code, QProcess::ExitStatus status) {
        process->deleteLater();
        if (status != QProcess::NormalExit || code != 0) {
            const QString said = tail(process->readAllStandardError() + process->readAllStandardOutput(), 8);
            emit commandFailed(title, tr("%1 %2 failed (exit code %3):\n%4")
                                          .arg(program, arguments.join(QLatin1Char(' ')))
                                          .arg(code)
                                          .arg(said.isEmpty() ? tr("(it printed nothing)") : said));
            return;
        }
        checkNow();
    });
    connect(process, &QProcess::errorOccurred, this, [this, process, title, program](QProcess::ProcessError error) {
        if (error != QProcess::FailedToStart) return;
        process->deleteLater();
        emit commandFailed(title, tr("%1 cannot be run on this machine (%2). Slurm's commands must be on the PATH "
                                     "of the machine this window runs on.")
                                      .arg(program, process->errorString()));
    });
    process->start(program, arguments);
}

void ClusterFollower::cancel(qint64 runId) {
    const QString task = taskOf(runId);
    if (task.isEmpty()) {
        emit commandFailed(tr("Cannot cancel run %1").arg(runId),
                           tr("Run %1 has no Slurm job yet (its submission is still under way); cancel it once the "
                              "Queue shows its job.")
                               .arg(runId));
        return;
    }
    runCommand(tr("Cannot cancel run %1").arg(runId), scancelProgram_, {task});
}

void ClusterFollower::requeue(qint64 runId) {
    const QString task = taskOf(runId);
    if (task.isEmpty()) {
        emit commandFailed(tr("Cannot resume run %1 on Slurm").arg(runId), tr("Run %1 has no Slurm job.").arg(runId));
        return;
    }
    runCommand(tr("Cannot resume run %1 on Slurm").arg(runId), scontrolProgram_, {QStringLiteral("requeue"), task});
}

void ClusterFollower::submit(const ClusterSubmission& submission) {
    if (submit_ && submit_->state() != QProcess::NotRunning) {
        emit commandFailed(tr("Cannot submit to Slurm"),
                           tr("A submission is still under way; submit again once the Queue lists its runs."));
        return;
    }
    const QString root = submission.sharedRoot.isEmpty() ? storePath_ + QStringLiteral(".cluster") : submission.sharedRoot;
    const QString specDir = root + QStringLiteral("/specs");
    if (!QDir().mkpath(specDir)) {
        emit commandFailed(tr("Cannot submit to Slurm"),
                           tr("The shared folder %1 cannot be created or written. Choose a folder every compute node "
                              "sees at the same path.")
                               .arg(QDir::toNativeSeparators(root)));
        return;
    }
    QString stem = submission.name;
    stem.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9._-]+")), QStringLiteral("-"));
    if (stem.isEmpty()) stem = QStringLiteral("runs");
    const QString specPath =
        specDir + QLatin1Char('/') + stem + QLatin1Char('-') +
        QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")) + QStringLiteral(".json");
    QFile file(specPath);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(submission.specText) != submission.specText.size()) {
        emit commandFailed(tr("Cannot submit to Slurm"), tr("Cannot write %1: %2").arg(specPath, file.errorString()));
        return;
    }
    file.close();
    QStringList arguments{QStringLiteral("submit"), QStringLiteral("--slurm"), specPath, QStringLiteral("--db"),
                          storePath_, QStringLiteral("--shared-dir"), root};
    for (const auto& option : cluster::submitCommandOptions(submission.slurm)) arguments << fromStd(option);
    if (!submission.templatePath.isEmpty()) arguments << QStringLiteral("--template") << submission.templatePath;

    auto* process = new QProcess(this);
    submit_ = process;
    connect(process, &QProcess::finished, this, [this, process](int code, QProcess::ExitStatus status) {
        process->deleteLater();
        const QString out = QString::fromUtf8(process->readAllStandardOutput()).trimmed();
        const QString err = QString::fromUtf8(process->readAllStandardError()).trimmed();
        checkNow();
        if (status != QProcess::NormalExit || code != 0) {
            emit commandFailed(tr("Cannot submit to Slurm"), (err + QLatin1Char('\n') + out).trimmed());
            return;
        }
        emit submitted(out);
    });
    connect(process, &QProcess::errorOccurred, this, [this, process](QProcess::ProcessError error) {
        if (error != QProcess::FailedToStart) return;
        process->deleteLater();
        emit commandFailed(tr("Cannot submit to Slurm"),
                           tr("The engine %1 cannot be started: %2").arg(enginePath_, process->errorString()));
    });
    process->start(enginePath_, arguments);
}

}  // namespace distillery::views
