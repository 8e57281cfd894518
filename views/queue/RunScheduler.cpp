#include "RunScheduler.h"

#include <algorithm>

#include <QCoreApplication>
#include <QDateTime>
#include <QDeadlineTimer>
#include <QDir>
#include <QPointer>
#include <QSet>
#include <QThread>
#include <QTimer>

#include "StorePoller.h"
#include "store/ClusterJobs.h"
#include "store/RunLifecycle.h"
#include "store/Store.h"

namespace distillery::views {

namespace {

QString fromStd(const std::string& text) { return QString::fromStdString(text); }

// While runs wait for a teacher that another process may train, how often its status is read again.
constexpr int kTeacherCheckIntervalMs = 2000;

}  // namespace

QString RunScheduler::defaultEnginePath() {
    const QString fromEnvironment = qEnvironmentVariable("DISTILLERY_ENGINE");
    if (!fromEnvironment.isEmpty()) return fromEnvironment;
    return QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("distillery-engine"));
}

RunScheduler::RunScheduler(const QString& storePath, const QString& enginePath, QObject* parent)
    : QObject(parent),
      storePath_(storePath),
      enginePath_(enginePath),
      store_(std::make_unique<store::Store>(storePath.toStdString())) {
    StorePoller::registerMetaTypes();
    loadDurations();
    auto* orphanCheck = new QTimer(this);
    connect(orphanCheck, &QTimer::timeout, this, &RunScheduler::failOrphanedRuns);
    orphanCheck->start(kOrphanCheckIntervalMs);
    // A teacher trained here releases its students when its engine ends (onFinished); one trained,
    // retried or failed by another process is only seen by reading the store again.
    teacherCheck_ = new QTimer(this);
    teacherCheck_->setInterval(kTeacherCheckIntervalMs);
    connect(teacherCheck_, &QTimer::timeout, this, [this] {
        const QHash<qint64, QString> before = teacherWaits_.reasons();
        updateWaitReasons();
        if (teacherWaits_.reasons() != before) startNext();
    });
}

RunScheduler::~RunScheduler() {
    // Whoever listened may be half destroyed already (a parent window's members go first).
    blockSignals(true);
    shutdown();
}

int RunScheduler::threadsPerEngine(int slotCount) {
    return std::max(1, QThread::idealThreadCount() / std::max(1, slotCount));
}

void RunScheduler::setMaxConcurrent(int runs) {
    runs = qBound(1, runs, kMaxConcurrentLimit);
    if (runs == maxConcurrent_) return;
    maxConcurrent_ = runs;
    startNext();   // a raised limit starts waiting runs now; a lowered one only lets fewer start
}

// ---- queueing -------------------------------------------------------------------------------------

void RunScheduler::enqueue(qint64 runId) {
    paused_ = false;
    if (!isRunning(runId) && !isPending(runId)) {
        try {
            // The row's method and student estimate its duration while it waits.
            if (std::optional<store::RunRow> row = store_->run(runId)) rememberRow(*row);
        } catch (const store::StoreError&) {
            // Only the estimate suffers; startNext reads the row again and reports what fails there.
        }
        insertPending({runId, false, nextSequence_++});
    }
    startNext();
}

void RunScheduler::enqueueQueuedRuns() {
    failOrphanedRuns();
    std::vector<store::RunRow> rows;
    QSet<qint64> onCluster;   // submitted to Slurm: they train there (store/ClusterJobs.h)
    try {
        rows = store_->runs(/*withSpec=*/false);
        for (const auto& job : store::clusterJobs(*store_)) onCluster.insert(job.runId);
        loadDurations();
    } catch (const store::StoreError& error) {
        emit engineUnavailable(tr("Cannot read the queued runs of %1: %2\nCheck that the file is readable, then "
                                  "reopen the store.")
                                   .arg(storePath_, QString::fromUtf8(error.what())));
        return;
    }
    // runs() lists the newest first; the oldest queued run should train first.
    std::reverse(rows.begin(), rows.end());
    for (const store::RunRow& row : rows) {
        if (row.status != store::RunStatus::Queued || isRunning(row.id) || isPending(row.id) || onCluster.contains(row.id))
            continue;
        rememberRow(row);
        insertPending({row.id, false, nextSequence_++});
    }
    paused_ = false;
    startNext();
}

void RunScheduler::failOrphanedRuns() {
    // An engine that died without a GUI watching it (killed, machine restarted) leaves its run
    // "running" for ever; the store marks such runs failed with how to resume them.
    try {
        if (!store_->failOrphanedRuns(store::hostName()).empty()) emit queueChanged();
    } catch (const store::StoreError&) {
        // The poller reports store errors to the user; this check simply runs again later.
    }
}

void RunScheduler::insertPending(const PendingRun& pending) {
    const auto at = std::lower_bound(pending_.begin(), pending_.end(), pending.sequence,
                                     [](const PendingRun& p, qint64 sequence) { return p.sequence < sequence; });
    pending_.insert(at, pending);
}

void RunScheduler::rememberRow(const store::RunRow& row) {
    store::RunRow kept = row;
    kept.specJson.clear();   // the queue never needs it, and specs can be large
    rows_.insert(row.id, kept);
}

// ---- cancel, resume, retry ------------------------------------------------------------------------

QString RunScheduler::cannotRead(qint64 runId, const std::exception& error) const {
    return tr("Cannot read run %1 from %2: %3").arg(runId).arg(storePath_, QString::fromUtf8(error.what()));
}

bool RunScheduler::storeAllows(
    qint64 runId, QString* why,
    const std::function<std::optional<std::string>(const std::optional<store::RunRow>&)>& rule) const {
    std::optional<std::string> refusal;
    try {
        refusal = rule(store_->run(runId));
    } catch (const store::StoreError& error) {
        if (why) *why = cannotRead(runId, error);
        return false;
    }
    if (refusal && why) *why = fromStd(*refusal);
    return !refusal;
}

bool RunScheduler::canCancel(qint64 runId, QString* why) const {
    if (isRunning(runId) || isPending(runId)) return true;
    return storeAllows(runId, why, [&](const std::optional<store::RunRow>& row) {
        return store::cancelRefusal(runId, row, storePath_.toStdString());
    });
}

bool RunScheduler::cancel(qint64 runId, QString* why) {
    if (EngineProcess* engine = engineOf(runId)) {
        engine->cancel();
        return true;
    }
    const auto waiting = std::find_if(pending_.begin(), pending_.end(),
                                      [runId](const PendingRun& p) { return p.runId == runId; });
    if (waiting != pending_.end()) {
        const bool wasResume = waiting->resume;
        pending_.erase(waiting);
        if (wasResume) {
            // Nothing to record: the run is still killed or failed in the store, as before resume().
            rows_.remove(runId);
            emit queueChanged();
            return true;
        }
    }
    rows_.remove(runId);
    std::optional<store::RunRow> row;
    try {
        if (store_->cancelQueuedRun(runId, "Cancelled before it started.")) {
            emit queueChanged();
            return true;
        }
        row = store_->run(runId);
    } catch (const store::StoreError& error) {
        emit queueChanged();
        if (why) *why = tr("Cannot cancel run %1 in %2: %3").arg(runId).arg(storePath_, QString::fromUtf8(error.what()));
        return false;
    }
    emit queueChanged();
    if (why) *why = fromStd(store::notQueuedHereReason(runId, row, storePath_.toStdString()));
    return false;
}

bool RunScheduler::canResume(qint64 runId, QString* why) const {
    auto refuse = [why](const QString& reason) {
        if (why) *why = reason;
        return false;
    };
    if (isRunning(runId)) return refuse(tr("Run %1 is training in this window already.").arg(runId));
    if (isResumePending(runId)) return refuse(tr("Run %1 is already waiting for a free slot to resume.").arg(runId));
    if (isPending(runId))
        return refuse(tr("Run %1 is queued: it trains from the beginning when a slot frees.").arg(runId));
    return storeAllows(runId, why, [&](const std::optional<store::RunRow>& row) {
        const std::vector<store::CheckpointRow> checkpoints =
            row ? store_->checkpoints(runId) : std::vector<store::CheckpointRow>();
        return store::resumeRefusal(runId, row, checkpoints, storePath_.toStdString());
    });
}

bool RunScheduler::resume(qint64 runId, QString* why) {
    if (!canResume(runId, why)) return false;
    try {
        if (std::optional<store::RunRow> row = store_->run(runId)) rememberRow(*row);
    } catch (const store::StoreError&) {
        // Only the estimate suffers; startNext reads the row again and reports what fails there.
    }
    paused_ = false;
    insertPending({runId, true, nextSequence_++});
    startNext();
    return true;
}

bool RunScheduler::canRetry(qint64 runId, QString* why) const {
    auto refuse = [why](const QString& reason) {
        if (why) *why = reason;
        return false;
    };
    if (isRunning(runId)) return refuse(tr("Run %1 is training in this window already.").arg(runId));
    if (isPending(runId)) return refuse(tr("Run %1 is already waiting for a free slot.").arg(runId));
    return storeAllows(runId, why, [&](const std::optional<store::RunRow>& row) {
        return store::retryRefusal(runId, row, storePath_.toStdString());
    });
}

bool RunScheduler::retry(qint64 runId, QString* why) {
    if (!canRetry(runId, why)) return false;
    std::optional<store::RunRow> row;
    try {
        store_->requeueRun(runId);
        row = store_->run(runId);
    } catch (const store::StoreError& error) {
        if (why) *why = tr("Cannot queue run %1 again in %2: %3").arg(runId).arg(storePath_, QString::fromUtf8(error.what()));
        return false;
    }
    if (!row || row->status != store::RunStatus::Queued) {
        // Between the check and the update another process resumed or deleted it.
        if (why) *why = fromStd(store::notQueuedHereReason(runId, row, storePath_.toStdString()));
        return false;
    }
    enqueue(runId);
    return true;
}

void RunScheduler::shutdown(int waitMs) {
    pending_.clear();
    shuttingDown_ = true;
    QList<QPointer<EngineProcess>> engines;
    for (EngineProcess* engine : engines_) {
        engine->requestStop();
        engines.append(engine);
    }
    // One deadline for all: the engines stop in parallel, each after its current step.
    const QDeadlineTimer deadline(waitMs);
    for (const QPointer<EngineProcess>& engine : engines)
        if (engine) engine->stopWithin(static_cast<int>(qMax<qint64>(0, deadline.remainingTime())));
    shuttingDown_ = false;
}

// ---- engines --------------------------------------------------------------------------------------

void RunScheduler::startNext() {
    if (!shuttingDown_) updateWaitReasons();
    // The cores are shared by the slots, not by the engines training right now. An engine keeps the
    // threads it starts with, so sharing by the engines running now would give the first run all
    // cores, the second half of them, and so on: filling 4 slots one run at a time (as the window
    // queues seeds, one enqueue each) oversubscribes the cores 2.08-fold (1 + 1/2 + 1/3 + 1/4), the
    // very slowdown this avoids. Per slot, the engines never ask for more threads than there are
    // cores, and every run of a queue trains at the same speed, so their times compare. The price:
    // fewer queued runs than slots leave cores idle (a lone run with 4 slots gets a quarter of them).
    const int threads = threadsPerEngine(maxConcurrent_);
    bool started = false;
    while (!paused_ && !shuttingDown_ && static_cast<int>(engines_.size()) < maxConcurrent_) {
        // The oldest run that is not waiting for its teacher: a waiting run holds no slot.
        const auto next = std::find_if(pending_.begin(), pending_.end(),
                                       [this](const PendingRun& p) { return !teacherWaits_.holdsBack(p.runId); });
        if (next == pending_.end()) break;
        const PendingRun pending = *next;
        pending_.erase(next);
        started |= startEngine(pending, threads);
    }
    if (started) updateWaitReasons();   // a teacher that just started reads "training", not "queued"
    if (teacherWaits_.isEmpty()) teacherCheck_->stop();
    else if (!teacherCheck_->isActive()) teacherCheck_->start();
    emit queueChanged();
}

void RunScheduler::updateWaitReasons() {
    TeacherWaits::QueueState queue;
    queue.training = [this](qint64 runId) { return isRunning(runId); };
    queue.waiting = [this](qint64 runId) { return isPending(runId); };
    queue.waitingToResume = [this](qint64 runId) { return isResumePending(runId); };
    teacherWaits_.update(pendingRuns(), *store_, storePath_, queue);
}

bool RunScheduler::startEngine(const PendingRun& pending, int threads) {
    const qint64 runId = pending.runId;
    std::optional<store::RunRow> row;
    try {
        row = store_->run(runId);
    } catch (const store::StoreError& error) {
        insertPending(pending);
        paused_ = true;
        emit engineUnavailable(tr("Cannot read run %1 from %2: %3\nThe queue waits; it continues when you queue a run "
                                  "again or reopen the store.")
                                   .arg(runId)
                                   .arg(storePath_, QString::fromUtf8(error.what())));
        return false;
    }
    // Another engine may have claimed it, or it was cancelled or resumed elsewhere meanwhile.
    const bool startable = row && (pending.resume ? store::endedEarly(row->status) : row->status == store::RunStatus::Queued);
    if (!startable) {
        rows_.remove(runId);
        return false;
    }
    rememberRow(*row);
    stderrTails_.remove(runId);

    auto* engine = new EngineProcess(runId, pending.resume, pending.sequence, threads, this);
    const QString id = QString::number(runId);
    // --threads applies to a spec whose "threads" is 0 (all cores); explicit threads are kept.
    const QStringList shared{QStringLiteral("--threads"), QString::number(threads), QStringLiteral("--progress"),
                             QStringLiteral("json")};
    const QStringList command =
        pending.resume ? QStringList{QStringLiteral("resume"), QStringLiteral("--run"), id, QStringLiteral("--db"), storePath_}
                       : QStringList{QStringLiteral("run"), QStringLiteral("--db"), storePath_, QStringLiteral("--run"), id};
    connect(engine, &EngineProcess::progressed, this, &RunScheduler::progressed);
    connect(engine, &EngineProcess::finished, this,
            [this, runId](int exitCode, bool crashed) { onFinished(runId, exitCode, crashed); });
    connect(engine, &EngineProcess::failedToStart, this, [this, runId] { onFailedToStart(runId); });
    connect(engine, &EngineProcess::started, this, [this, runId](qint64 pid) { emit runStarted(runId, pid); });
    engines_.push_back(engine);
    engine->start(enginePath_, command + shared);   // a failed start may end in onFailedToStart before this returns
    return true;
}

EngineProcess* RunScheduler::engineOf(qint64 runId) const {
    for (EngineProcess* engine : engines_)
        if (engine->runId() == runId) return engine;
    return nullptr;
}

QStringList RunScheduler::stderrTail(qint64 runId) const {
    if (const EngineProcess* engine = engineOf(runId)) return engine->logTail();
    return stderrTails_.value(runId);
}

void RunScheduler::onFinished(qint64 runId, int exitCode, bool crashed) {
    EngineProcess* engine = engineOf(runId);
    if (!engine) return;
    const bool cancelRequested = engine->cancelRequested();
    const qint64 pid = engine->pid();
    const QStringList tail = engine->logTail();
    if (!tail.isEmpty()) stderrTails_.insert(runId, tail);
    std::optional<store::RunRow> row;
    try {
        row = store_->run(runId);
        // Only a row this engine claimed: a non-zero exit because another engine claimed the run
        // first must not fail that other engine's run.
        const bool ours = row && row->status == store::RunStatus::Running && (!row->pid || *row->pid == pid);
        if ((crashed || exitCode != 0) && ours) {
            QString what;
            if (cancelRequested && crashed)
                what = tr("Cancelled: the engine was stopped before it could record the cancellation; "
                          "the newest checkpoint may be older than the last step.");
            else if (crashed)
                what = tr("The engine crashed (it was killed by a signal) while training.");
            else
                what = tr("The engine exited with code %1 while training.").arg(exitCode);
            if (!tail.isEmpty()) what += tr("\nLast lines of its log:\n") + tail.join(QLatin1Char('\n'));
            const store::RunStatus status =
                cancelRequested && crashed ? store::RunStatus::Killed : store::RunStatus::Failed;
            store_->finishRun(runId, status, what.toStdString());
            row->status = status;
        }
    } catch (const std::exception& error) {
        emit engineUnavailable(tr("Run %1 ended, but its status could not be recorded in %2: %3")
                                   .arg(runId)
                                   .arg(storePath_, QString::fromUtf8(error.what())));
    }
    if (row) durations_.add(*row);
    removeEngine(runId);
    rows_.remove(runId);
    endedRuns_.removeAll(runId);
    endedRuns_.append(runId);
    emit runEnded(runId, exitCode, crashed);
    startNext();
}

void RunScheduler::onFailedToStart(qint64 runId) {
    EngineProcess* engine = engineOf(runId);
    if (!engine) return;
    const QString reason = engine->errorString();
    const PendingRun again{runId, engine->resume(), engine->sequence()};
    removeEngine(runId);
    insertPending(again);
    const bool reported = paused_;   // several slots fail to start together: say it once
    paused_ = true;
    if (!reported)
        emit engineUnavailable(
            tr("Cannot start the training engine \"%1\": %2.\nBuild the distillery-engine target (it belongs next "
               "to the distillery executable) or set the DISTILLERY_ENGINE environment variable to its path. "
               "Run %3 and the runs after it stay queued; they start when you queue a run again or reopen the store.")
                .arg(enginePath_, reason)
                .arg(runId));
    emit queueChanged();
}

void RunScheduler::removeEngine(qint64 runId) {
    const auto at = std::find_if(engines_.begin(), engines_.end(),
                                 [runId](const EngineProcess* engine) { return engine->runId() == runId; });
    if (at == engines_.end()) return;
    (*at)->disconnect(this);
    (*at)->deleteLater();   // we may be inside one of its signals
    engines_.erase(at);
}

// ---- state ----------------------------------------------------------------------------------------

QList<qint64> RunScheduler::runningRuns() const {
    QList<qint64> ids;
    for (const EngineProcess* engine : engines_) ids.append(engine->runId());
    return ids;
}

qint64 RunScheduler::activeRun() const { return engines_.empty() ? 0 : engines_.front()->runId(); }

QList<qint64> RunScheduler::pendingRuns() const {
    QList<qint64> ids;
    for (const PendingRun& pending : pending_) ids.append(pending.runId);
    return ids;
}

bool RunScheduler::isPending(qint64 runId) const {
    return std::any_of(pending_.begin(), pending_.end(), [runId](const PendingRun& p) { return p.runId == runId; });
}

QString RunScheduler::waitReason(qint64 runId) const {
    return isPending(runId) ? teacherWaits_.reason(runId) : QString();
}

qint64 RunScheduler::awaitedTeacher(qint64 runId) const {
    return isPending(runId) ? teacherWaits_.teacher(runId) : 0;
}

int RunScheduler::engineThreads(qint64 runId) const {
    const EngineProcess* engine = engineOf(runId);
    return engine ? engine->threads() : 0;
}

bool RunScheduler::isResumePending(qint64 runId) const {
    return std::any_of(pending_.begin(), pending_.end(),
                       [runId](const PendingRun& p) { return p.runId == runId && p.resume; });
}

std::optional<RunProgress> RunScheduler::progressOf(qint64 runId) const {
    const EngineProcess* engine = engineOf(runId);
    return engine ? engine->progress() : std::nullopt;
}

std::optional<store::RunRow> RunScheduler::runRow(qint64 runId) const {
    const auto at = rows_.constFind(runId);
    if (at == rows_.constEnd()) return std::nullopt;
    return *at;
}

FailureDetails RunScheduler::failureDetails(qint64 runId) const {
    FailureDetails details;
    std::vector<store::EventRow> events;
    try {
        const std::optional<store::RunRow> row = store_->run(runId);
        if (!row) {
            details.reason = tr("Run %1 is not in %2 (deleted?).").arg(runId).arg(storePath_);
            return details;
        }
        details.reason = fromStd(row->error);
        if (stderrTail(runId).isEmpty()) events = store_->events(runId);
    } catch (const store::StoreError& error) {
        details.reason = cannotRead(runId, error);
    }
    const QStringList tail = stderrTail(runId);
    if (!tail.isEmpty()) {
        details.logLines = tail;
        details.logSource = FailureDetails::LogSource::EngineOutput;
        return details;
    }
    // The engine logs every event it stores to stderr as well, in this format.
    const size_t first = events.size() > kStoreEventLinesShown ? events.size() - kStoreEventLinesShown : 0;
    for (size_t i = first; i < events.size(); ++i) {
        const store::EventRow& event = events[i];
        const QString time =
            QDateTime::fromMSecsSinceEpoch(qRound64(event.time * 1000)).toString(QStringLiteral("HH:mm:ss"));
        details.logLines.append(
            QStringLiteral("[%1] [%2] %3").arg(time, fromStd(event.level), fromStd(event.message)));
    }
    if (!details.logLines.isEmpty()) details.logSource = FailureDetails::LogSource::StoreEvents;
    return details;
}

// ---- time estimates -------------------------------------------------------------------------------

void RunScheduler::loadDurations() {
    durations_.clear();
    for (const store::RunRow& row : store_->runs(/*withSpec=*/false)) durations_.add(row);
}

std::optional<double> RunScheduler::estimatedDuration(const std::string& method, const std::string& student) const {
    return durations_.estimate(method, student);
}

std::optional<double> RunScheduler::pendingEstimate(const PendingRun& pending) const {
    const auto row = rows_.constFind(pending.runId);
    if (row == rows_.constEnd()) return std::nullopt;
    // A resumed run only has the rest to do; the store's progress is its last heartbeat.
    return durations_.remaining(row->method, row->student, pending.resume ? row->progress : 0.0);
}

std::optional<double> RunScheduler::etaSeconds(qint64 runId) const {
    if (const EngineProcess* engine = engineOf(runId)) {
        const std::optional<RunProgress>& progress = engine->progress();
        // The engine says 0 before its first step of this process; 0 is an answer only at the end.
        if (progress && (progress->etaSeconds > 0 || (progress->etaSeconds == 0 && progress->fraction >= 1.0)))
            return progress->etaSeconds;
        const auto row = rows_.constFind(runId);
        if (row == rows_.constEnd()) return std::nullopt;
        const double done = progress ? progress->fraction : engine->resume() ? row->progress : 0.0;
        return durations_.remaining(row->method, row->student, done);
    }
    for (const PendingRun& pending : pending_)
        if (pending.runId == runId) return pendingEstimate(pending);
    return std::nullopt;
}

std::optional<double> RunScheduler::queueEta() const {
    std::vector<std::pair<int64_t, double>> training;
    for (const EngineProcess* engine : engines_) {
        const std::optional<double> left = etaSeconds(engine->runId());
        if (!left) return std::nullopt;
        training.emplace_back(engine->runId(), *left);
    }
    std::vector<store::WaitingRun> waiting;
    for (const PendingRun& pending : pending_) {
        const qint64 teacher = teacherWaits_.teacher(pending.runId);
        // A teacher outside this queue (failed, killed, trained elsewhere) ends at no known time.
        if (teacher && !isRunning(teacher) && !isPending(teacher)) continue;
        const std::optional<double> duration = pendingEstimate(pending);
        if (!duration) return std::nullopt;
        waiting.push_back({pending.runId, teacher, *duration});
    }
    if (training.empty() && waiting.empty()) return pending_.isEmpty() ? std::optional<double>(0.0) : std::nullopt;
    return store::replayQueue(training, std::move(waiting), maxConcurrent_);
}

}  // namespace distillery::views
