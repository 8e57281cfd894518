#include "RunScheduler.h"

#include "spec/JsonText.h"

#include <algorithm>
#include <map>

#include <QCoreApplication>
#include <QDateTime>
#include <QDeadlineTimer>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QSet>
#include <QThread>
#include <QTimer>

#include <nlohmann/json.hpp>

#include "StorePoller.h"
#include "store/Store.h"

namespace distillery::views {

// One engine child process and what it reported so far.
struct RunScheduler::Engine {
    qint64 runId = 0;
    bool resume = false;
    qint64 sequence = 0;
    QProcess* process = nullptr;
    qint64 pid = 0;
    int threads = 0;   // the --threads it was started with
    bool cancelRequested = false;
    QByteArray stdoutBuffer;
    QByteArray stderrBuffer;
    std::optional<RunProgress> progress;
};

namespace {

QString fromStd(const std::string& text) { return QString::fromStdString(text); }

bool isKilledOrFailed(store::RunStatus status) {
    return status == store::RunStatus::Killed || status == store::RunStatus::Failed;
}

// While runs wait for a teacher that another process may train, how often its status is read again.
constexpr int kTeacherCheckIntervalMs = 2000;
// A teacher's error can hold the engine's whole log tail: the wait reason quotes its first line.
QString firstLineOf(const std::string& text) {
    return QString::fromStdString(text).section(QLatin1Char('\n'), 0, 0).trimmed();
}

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
        const QHash<qint64, QString> before = waitReasons_;
        updateWaitReasons();
        if (waitReasons_ != before) startNext();
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
    try {
        rows = store_->runs(/*withSpec=*/false);
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
        if (row.status != store::RunStatus::Queued || isRunning(row.id) || isPending(row.id)) continue;
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

QString RunScheduler::notQueuedHereReason(qint64 runId, const std::optional<store::RunRow>& row) const {
    if (!row) return tr("Run %1 is not in %2 (deleted?).").arg(runId).arg(storePath_);
    if (row->status == store::RunStatus::Running)
        return tr("Run %1 is trained by another process (pid %2 on %3), not by this window. "
                  "Stop it where it runs, e.g. kill -TERM %2 on %3.")
            .arg(runId)
            .arg(row->pid ? QString::number(*row->pid) : tr("unknown"))
            .arg(row->host.empty() ? tr("an unknown host") : fromStd(row->host));
    return tr("Run %1 is already %2.").arg(runId).arg(fromStd(store::statusName(row->status)));
}

bool RunScheduler::canCancel(qint64 runId, QString* why) const {
    if (isRunning(runId) || isPending(runId)) return true;
    std::optional<store::RunRow> row;
    try {
        row = store_->run(runId);
    } catch (const store::StoreError& error) {
        if (why) *why = tr("Cannot read run %1 from %2: %3").arg(runId).arg(storePath_, QString::fromUtf8(error.what()));
        return false;
    }
    if (row && row->status == store::RunStatus::Queued) return true;
    if (why) *why = notQueuedHereReason(runId, row);
    return false;
}

bool RunScheduler::cancel(qint64 runId, QString* why) {
    if (Engine* engine = engineOf(runId)) {
        if (engine->cancelRequested) {
            engine->process->kill();   // the user insists: no checkpoint, but no waiting either
        } else {
            engine->cancelRequested = true;
            engine->process->terminate();
        }
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
    if (why) *why = notQueuedHereReason(runId, row);
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
    std::optional<store::RunRow> row;
    std::vector<store::CheckpointRow> checkpoints;
    try {
        row = store_->run(runId);
        if (row) checkpoints = store_->checkpoints(runId);
    } catch (const store::StoreError& error) {
        return refuse(tr("Cannot read run %1 from %2: %3").arg(runId).arg(storePath_, QString::fromUtf8(error.what())));
    }
    if (!row) return refuse(tr("Run %1 is not in %2 (deleted?).").arg(runId).arg(storePath_));
    switch (row->status) {
        case store::RunStatus::Finished:
            return refuse(tr("Run %1 has finished: there is nothing left to resume. To train it again, duplicate "
                             "it as a new run.")
                              .arg(runId));
        case store::RunStatus::Queued:
            return refuse(tr("Run %1 is queued and has not started: there is nothing to resume yet; it trains "
                             "from the beginning when it starts.")
                              .arg(runId));
        case store::RunStatus::Running: return refuse(notQueuedHereReason(runId, row));
        case store::RunStatus::Killed:
        case store::RunStatus::Failed: break;
    }
    // The engine resumes from the newest "last" checkpoint of the run.
    QString from;
    for (const store::CheckpointRow& checkpoint : checkpoints)
        if (checkpoint.kind == "last") from = fromStd(checkpoint.path);
    if (from.isEmpty())
        return refuse(tr("Run %1 has no checkpoint to resume from: it stopped before the engine saved one (at the "
                         "end of every epoch, and when a run is cancelled). Retry it to train it from the beginning.")
                          .arg(runId));
    if (!QFileInfo::exists(from))
        return refuse(tr("The checkpoint of run %1, %2, is missing (moved or deleted?). Put it back to resume the "
                         "run, or retry the run to train it from the beginning.")
                          .arg(runId)
                          .arg(QDir::toNativeSeparators(from)));
    return true;
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
    std::optional<store::RunRow> row;
    try {
        row = store_->run(runId);
    } catch (const store::StoreError& error) {
        return refuse(tr("Cannot read run %1 from %2: %3").arg(runId).arg(storePath_, QString::fromUtf8(error.what())));
    }
    if (!row) return refuse(tr("Run %1 is not in %2 (deleted?).").arg(runId).arg(storePath_));
    if (isKilledOrFailed(row->status)) return true;
    if (row->status == store::RunStatus::Finished)
        return refuse(tr("Run %1 has finished; retry is for failed or killed runs. To train it again, duplicate it "
                         "as a new run.")
                          .arg(runId));
    if (row->status == store::RunStatus::Queued)
        return refuse(tr("Run %1 is queued already: it trains when a slot frees.").arg(runId));
    return refuse(notQueuedHereReason(runId, row));
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
        if (why) *why = notQueuedHereReason(runId, row);
        return false;
    }
    enqueue(runId);
    return true;
}

void RunScheduler::shutdown(int waitMs) {
    pending_.clear();
    shuttingDown_ = true;
    QList<QPointer<QProcess>> processes;
    for (const auto& engine : engines_) {
        engine->cancelRequested = true;
        engine->process->terminate();
        processes.append(engine->process);
    }
    // One deadline for all: the engines stop in parallel, each after its current step.
    const QDeadlineTimer deadline(waitMs);
    for (const QPointer<QProcess>& process : processes) {
        if (!process || process->state() == QProcess::NotRunning) continue;
        if (!process->waitForFinished(static_cast<int>(qMax<qint64>(0, deadline.remainingTime())))) {
            process->kill();
            process->waitForFinished(5000);
        }
    }
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
                                       [this](const PendingRun& p) { return !waitReasons_.contains(p.runId); });
        if (next == pending_.end()) break;
        const PendingRun pending = *next;
        pending_.erase(next);
        started |= startEngine(pending, threads);
    }
    if (started) updateWaitReasons();   // a teacher that just started reads "training", not "queued"
    if (waitReasons_.isEmpty()) teacherCheck_->stop();
    else if (!teacherCheck_->isActive()) teacherCheck_->start();
    emit queueChanged();
}

RunScheduler::TeacherReference RunScheduler::teacherReferenceOf(qint64 runId) {
    const auto known = teacherReferences_.constFind(runId);
    if (known != teacherReferences_.constEnd()) return *known;
    std::optional<store::RunRow> row;
    try {
        row = store_->run(runId);
    } catch (const store::StoreError&) {
        return {};   // startEngine reads the row again and reports the error
    }
    TeacherReference reference;
    if (row) {
        // An unreadable spec names no teacher here; the engine fails the run with the parser's message.
        const nlohmann::json spec = distillery::spec::parseJsonText(row->specJson).value;
        const auto teacher = spec.is_object() ? spec.find("teacher") : spec.end();
        if (spec.is_object() && teacher != spec.end() && teacher->is_object()) {
            const auto id = teacher->find("run_id");
            if (id != teacher->end() && id->is_number_integer())
                reference.runId = std::max<int64_t>(0, id->get<int64_t>());
            const auto name = teacher->find("run_name");
            if (name != teacher->end() && name->is_string()) reference.runName = name->get<std::string>();
        }
    }
    teacherReferences_.insert(runId, reference);
    return reference;
}

void RunScheduler::updateWaitReasons() {
    waitReasons_.clear();
    awaitedTeachers_.clear();
    // A spec does not change while its run waits; a run that left the queue is parsed again if it returns.
    for (auto it = teacherReferences_.begin(); it != teacherReferences_.end();)
        it = isPending(it.key()) ? std::next(it) : teacherReferences_.erase(it);
    QList<qint64> students;
    for (const PendingRun& pending : pending_)
        if (teacherReferenceOf(pending.runId).present()) students.append(pending.runId);
    if (students.isEmpty()) return;

    std::vector<store::RunRow> rows;   // newest first
    try {
        rows = store_->runs(/*withSpec=*/false);
    } catch (const store::StoreError& error) {
        // Starting a student whose teacher may not have finished would waste it: wait and read again.
        for (qint64 student : students)
            waitReasons_.insert(student, tr("waits: the status of its teacher run cannot be read from %1 (%2); "
                                            "it is read again every few seconds")
                                             .arg(storePath_, QString::fromUtf8(error.what())));
        return;
    }
    QHash<qint64, const store::RunRow*> byId;
    for (const store::RunRow& row : rows) byId.insert(row.id, &row);
    auto active = [this](const store::RunRow& row) {
        return row.status == store::RunStatus::Queued || row.status == store::RunStatus::Running ||
               isRunning(row.id) || isPending(row.id);
    };

    for (qint64 student : students) {
        const TeacherReference reference = teacherReferences_.value(student);
        const store::RunRow* teacher = nullptr;
        if (reference.runId > 0) {
            teacher = byId.value(reference.runId);
            if (teacher && teacher->status == store::RunStatus::Finished) continue;
        } else {
            // The engine takes the newest finished run of that name (Store::latestFinishedRunNamed).
            // Else the newest of that name that will train (queued, running, waiting here), else the
            // newest that failed or was killed: retrying or resuming it releases the student.
            bool finished = false;
            const store::RunRow* willTrain = nullptr;
            const store::RunRow* ended = nullptr;
            for (const store::RunRow& row : rows) {
                if (row.name != reference.runName || row.id == student) continue;
                if (row.status == store::RunStatus::Finished) {
                    finished = true;
                    break;
                }
                if (active(row)) {
                    if (!willTrain) willTrain = &row;
                } else if (!ended) {
                    ended = &row;
                }
            }
            if (finished) continue;
            teacher = willTrain ? willTrain : ended;
        }
        // No such run at all (or the run itself): start it, and the engine fails it at once with its
        // own message naming the field (teacher.run_id / teacher.run_name) and the store. Such a name
        // is a mistake in the spec, not a teacher on its way: no retry or resume could release the
        // run, and a queue waiting for nothing looks hung, headless and after a restart alike.
        if (!teacher || teacher->id == student) continue;

        const QString name = teacher->name.empty() ? QString() : QStringLiteral(" “%1”").arg(fromStd(teacher->name));
        QString state;
        if (isRunning(teacher->id) || teacher->status == store::RunStatus::Running)
            state = tr("training");
        else if (isResumePending(teacher->id))
            state = tr("waiting to resume");
        else if (teacher->status == store::RunStatus::Queued || isPending(teacher->id))
            state = tr("queued");
        if (!state.isEmpty()) {
            waitReasons_.insert(student, tr("waits for its teacher run %1%2 (%3)").arg(teacher->id).arg(name, state));
        } else {
            const QString how = fromStd(store::statusName(teacher->status));
            const QString error = firstLineOf(teacher->error);
            waitReasons_.insert(student, tr("waits for its teacher run %1%2 (%3) — retry or resume the teacher to "
                                            "release it")
                                             .arg(teacher->id)
                                             .arg(name, error.isEmpty() ? how : how + QStringLiteral(": ") + error));
        }
        awaitedTeachers_.insert(student, teacher->id);
    }
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
    const bool startable = row && (pending.resume ? isKilledOrFailed(row->status) : row->status == store::RunStatus::Queued);
    if (!startable) {
        rows_.remove(runId);
        return false;
    }
    rememberRow(*row);
    stderrTails_.remove(runId);

    auto engine = std::make_unique<Engine>();
    engine->runId = runId;
    engine->resume = pending.resume;
    engine->sequence = pending.sequence;
    engine->threads = threads;
    auto* process = new QProcess(this);
    engine->process = process;
    process->setProgram(enginePath_);
    const QString id = QString::number(runId);
    // --threads applies to a spec whose "threads" is 0 (all cores); explicit threads are kept.
    const QStringList shared{QStringLiteral("--threads"), QString::number(threads), QStringLiteral("--progress"),
                             QStringLiteral("json")};
    if (pending.resume)
        process->setArguments(QStringList{QStringLiteral("resume"), QStringLiteral("--run"), id,
                                          QStringLiteral("--db"), storePath_} +
                              shared);
    else
        process->setArguments(QStringList{QStringLiteral("run"), QStringLiteral("--db"), storePath_,
                                          QStringLiteral("--run"), id} +
                              shared);
    connect(process, &QProcess::readyReadStandardOutput, this, [this, runId] {
        if (Engine* running = engineOf(runId)) readStdout(*running);
    });
    connect(process, &QProcess::readyReadStandardError, this, [this, runId] {
        if (Engine* running = engineOf(runId)) readStderr(*running);
    });
    connect(process, &QProcess::finished, this,
            [this, runId](int exitCode, QProcess::ExitStatus exitStatus) { onFinished(runId, exitCode, exitStatus); });
    connect(process, &QProcess::errorOccurred, this,
            [this, runId](QProcess::ProcessError error) { onProcessError(runId, error); });
    connect(process, &QProcess::started, this, [this, runId] {
        Engine* running = engineOf(runId);
        if (!running) return;
        running->pid = running->process->processId();
        emit runStarted(runId, running->pid);
    });
    engines_.push_back(std::move(engine));
    process->start();   // a failed start ends in onProcessError, which may run before start() returns
    return true;
}

RunScheduler::Engine* RunScheduler::engineOf(qint64 runId) const {
    for (const auto& engine : engines_)
        if (engine->runId == runId) return engine.get();
    return nullptr;
}

void RunScheduler::readStdout(Engine& engine) {
    engine.stdoutBuffer += engine.process->readAllStandardOutput();
    int newline;
    while ((newline = engine.stdoutBuffer.indexOf('\n')) >= 0) {
        const QByteArray line = engine.stdoutBuffer.left(newline).trimmed();
        engine.stdoutBuffer.remove(0, newline + 1);
        if (!line.isEmpty()) parseProgressLine(engine, line);
    }
}

void RunScheduler::parseProgressLine(Engine& engine, const QByteArray& line) {
    // Anything that is not a progress object (a stray print) is ignored: stdout is a channel the
    // engine shares with libraries.
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(line, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject()) return;
    const QJsonObject object = document.object();
    if (object.value(QLatin1String("type")).toString() != QLatin1String("progress")) return;
    RunProgress progress;
    progress.runId = object.value(QLatin1String("run")).toInteger(engine.runId);
    if (progress.runId != engine.runId) return;
    progress.epoch = object.value(QLatin1String("epoch")).toInt();
    progress.epochs = object.value(QLatin1String("epochs")).toInt();
    progress.step = object.value(QLatin1String("step")).toInteger();
    progress.totalSteps = object.value(QLatin1String("total_steps")).toInteger();
    progress.loss = object.value(QLatin1String("loss")).toDouble();
    progress.acc = object.value(QLatin1String("acc")).toDouble();
    progress.etaSeconds = object.value(QLatin1String("eta_s")).toDouble(-1);
    progress.progress = qBound(0.0, object.value(QLatin1String("progress")).toDouble(), 1.0);
    engine.progress = progress;
    emit progressed(progress);
}

void RunScheduler::readStderr(Engine& engine) {
    engine.stderrBuffer += engine.process->readAllStandardError();
    int newline;
    while ((newline = engine.stderrBuffer.indexOf('\n')) >= 0) {
        keepStderrLine(engine.runId, QString::fromUtf8(engine.stderrBuffer.left(newline)).trimmed());
        engine.stderrBuffer.remove(0, newline + 1);
    }
}

void RunScheduler::keepStderrLine(qint64 runId, const QString& line) {
    if (line.isEmpty()) return;
    QStringList& tail = stderrTails_[runId];
    tail.append(line);
    while (tail.size() > kStderrLinesKept) tail.removeFirst();
}

void RunScheduler::onFinished(qint64 runId, int exitCode, QProcess::ExitStatus exitStatus) {
    Engine* engine = engineOf(runId);
    if (!engine) return;
    // Collect what is still in the pipes: the last lines usually say why the engine stopped.
    readStdout(*engine);
    readStderr(*engine);
    if (!engine->stderrBuffer.trimmed().isEmpty())
        keepStderrLine(runId, QString::fromUtf8(engine->stderrBuffer).trimmed());
    engine->stderrBuffer.clear();

    const bool crashed = exitStatus == QProcess::CrashExit;
    const bool cancelRequested = engine->cancelRequested;
    const qint64 pid = engine->pid;
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
            const QStringList tail = stderrTails_.value(runId);
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
    if (row) addDuration(*row);
    removeEngine(runId);
    rows_.remove(runId);
    endedRuns_.removeAll(runId);
    endedRuns_.append(runId);
    emit runEnded(runId, exitCode, crashed);
    startNext();
}

void RunScheduler::onProcessError(qint64 runId, QProcess::ProcessError error) {
    // Only a failed start has no finished() signal after it; the other errors end in onFinished.
    if (error != QProcess::FailedToStart) return;
    Engine* engine = engineOf(runId);
    if (!engine) return;
    const QString reason = engine->process->errorString();
    const PendingRun again{runId, engine->resume, engine->sequence};
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
                                 [runId](const std::unique_ptr<Engine>& engine) { return engine->runId == runId; });
    if (at == engines_.end()) return;
    (*at)->process->disconnect(this);
    (*at)->process->deleteLater();   // we may be inside one of its signals
    engines_.erase(at);
}

// ---- state ----------------------------------------------------------------------------------------

QList<qint64> RunScheduler::runningRuns() const {
    QList<qint64> ids;
    for (const auto& engine : engines_) ids.append(engine->runId);
    return ids;
}

qint64 RunScheduler::activeRun() const { return engines_.empty() ? 0 : engines_.front()->runId; }

QList<qint64> RunScheduler::pendingRuns() const {
    QList<qint64> ids;
    for (const PendingRun& pending : pending_) ids.append(pending.runId);
    return ids;
}

bool RunScheduler::isPending(qint64 runId) const {
    return std::any_of(pending_.begin(), pending_.end(), [runId](const PendingRun& p) { return p.runId == runId; });
}

QString RunScheduler::waitReason(qint64 runId) const {
    return isPending(runId) ? waitReasons_.value(runId) : QString();
}

qint64 RunScheduler::awaitedTeacher(qint64 runId) const {
    return isPending(runId) ? awaitedTeachers_.value(runId) : 0;
}

int RunScheduler::engineThreads(qint64 runId) const {
    const Engine* engine = engineOf(runId);
    return engine ? engine->threads : 0;
}

bool RunScheduler::isResumePending(qint64 runId) const {
    return std::any_of(pending_.begin(), pending_.end(),
                       [runId](const PendingRun& p) { return p.runId == runId && p.resume; });
}

std::optional<RunProgress> RunScheduler::progressOf(qint64 runId) const {
    const Engine* engine = engineOf(runId);
    return engine ? engine->progress : std::nullopt;
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
        if (stderrTails_.value(runId).isEmpty()) events = store_->events(runId);
    } catch (const store::StoreError& error) {
        details.reason = tr("Cannot read run %1 from %2: %3").arg(runId).arg(storePath_, QString::fromUtf8(error.what()));
    }
    const QStringList tail = stderrTails_.value(runId);
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
    durationsByPair_.clear();
    allDurations_ = Durations();
    for (const store::RunRow& row : store_->runs(/*withSpec=*/false)) addDuration(row);
}

void RunScheduler::addDuration(const store::RunRow& row) {
    if (row.status != store::RunStatus::Finished || !row.startedAt || !row.finishedAt) return;
    const double seconds = *row.finishedAt - *row.startedAt;
    if (seconds < 0) return;
    Durations& pair = durationsByPair_[{row.method, row.student}];
    pair.total += seconds;
    ++pair.count;
    allDurations_.total += seconds;
    ++allDurations_.count;
}

std::optional<double> RunScheduler::estimatedDuration(const std::string& method, const std::string& student) const {
    const auto pair = durationsByPair_.find({method, student});
    if (pair != durationsByPair_.end() && pair->second.count > 0) return pair->second.total / pair->second.count;
    if (allDurations_.count > 0) return allDurations_.total / allDurations_.count;
    return std::nullopt;
}

std::optional<double> RunScheduler::pendingEstimate(const PendingRun& pending) const {
    const auto row = rows_.constFind(pending.runId);
    if (row == rows_.constEnd()) return std::nullopt;
    const std::optional<double> duration = estimatedDuration(row->method, row->student);
    if (!duration) return std::nullopt;
    // A resumed run only has the rest to do; the store's progress is its last heartbeat.
    return pending.resume ? *duration * (1.0 - qBound(0.0, row->progress, 1.0)) : *duration;
}

std::optional<double> RunScheduler::etaSeconds(qint64 runId) const {
    if (const Engine* engine = engineOf(runId)) {
        if (engine->progress) {
            const RunProgress& progress = *engine->progress;
            // The engine says 0 before its first step of this process; 0 is an answer only at the end.
            if (progress.etaSeconds > 0 || (progress.etaSeconds == 0 && progress.progress >= 1.0))
                return progress.etaSeconds;
        }
        const auto row = rows_.constFind(runId);
        if (row == rows_.constEnd()) return std::nullopt;
        const std::optional<double> duration = estimatedDuration(row->method, row->student);
        if (!duration) return std::nullopt;
        const double done = engine->progress ? engine->progress->progress : engine->resume ? row->progress : 0.0;
        return *duration * (1.0 - qBound(0.0, done, 1.0));
    }
    for (const PendingRun& pending : pending_)
        if (pending.runId == runId) return pendingEstimate(pending);
    return std::nullopt;
}

std::optional<double> RunScheduler::queueEta() const {
    // Replays the queue: whenever slots are free, the oldest waiting runs whose teacher has ended
    // take them (as startNext does), and time moves on to the next run's end.
    std::multimap<double, qint64> ends;   // runs training in the replay, by the time they end
    for (const auto& engine : engines_) {
        const std::optional<double> left = etaSeconds(engine->runId);
        if (!left) return std::nullopt;
        ends.emplace(*left, engine->runId);
    }
    struct Waiting {
        qint64 runId;
        qint64 teacher;   // 0: none to wait for
        double duration;
    };
    std::vector<Waiting> waiting;
    for (const PendingRun& pending : pending_) {
        const qint64 teacher = awaitedTeachers_.value(pending.runId);
        // A teacher outside this queue (failed, killed, trained elsewhere) ends at no known time.
        if (teacher && !isRunning(teacher) && !isPending(teacher)) continue;
        const std::optional<double> duration = pendingEstimate(pending);
        if (!duration) return std::nullopt;
        waiting.push_back({pending.runId, teacher, *duration});
    }
    if (ends.empty() && waiting.empty()) return pending_.isEmpty() ? std::optional<double>(0.0) : std::nullopt;
    QSet<qint64> ended;
    double now = 0, last = 0;
    for (;;) {
        // After lowering maxConcurrent more runs may train than there are slots: none starts then.
        for (auto it = waiting.begin(); it != waiting.end() && static_cast<int>(ends.size()) < maxConcurrent_;) {
            if (it->teacher == 0 || ended.contains(it->teacher)) {
                ends.emplace(now + it->duration, it->runId);
                it = waiting.erase(it);
            } else {
                ++it;
            }
        }
        if (ends.empty()) break;   // the rest waits for a teacher that is not replayed
        now = ends.begin()->first;
        ended.insert(ends.begin()->second);
        ends.erase(ends.begin());
        last = std::max(last, now);
    }
    if (ended.isEmpty()) return std::nullopt;   // runs wait for each other: no end in sight
    return last;
}

}  // namespace distillery::views
