// The run queue: RunScheduler driving the real distillery-engine (several runs at once, cancel,
// resume, retry, a restarted GUI, students waiting for their teacher run), its time estimates, the
// cores it shares out and the Queue panel. The estimates and the
// panel use a scripted stand-in engine that reports one progress line and waits, so the state they
// show is exact. Everything the engines do is observed through the store, as the window observes it.
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QGroupBox>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>
#include <QtTest>

#include <sqlite3.h>

#include "QueuePanel.h"
#include "QueueTableModel.h"
#include "RunScheduler.h"
#include "EngineBinary.h"
#include "RunFixtures.h"
#include "spec/RunQueue.h"
#include "spec/RunSpec.h"
#include "store/Store.h"

using namespace distillery;
using namespace distillery::views;
using distillery::testing::tinySpec;

namespace {

constexpr int kRunTimeoutMs = 60000;


// Valid as a spec, but its data folder does not exist: the engine claims the run and fails it.
spec::RunSpec missingDataSpec(const std::string& name, const QString& missingRoot) {
    spec::RunSpec run = tinySpec(name, 1, 256);
    run.data.name = "mnist";
    run.data.root = missingRoot.toStdString();
    return run;
}

store::RunStatus statusOf(const store::Store& store, int64_t runId) { return store.run(runId)->status; }

void execSql(store::Store& store, const QString& sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(store.handle(), sql.toUtf8().constData(), nullptr, nullptr, &message);
    const QString error = message ? QString::fromUtf8(message) : QString();
    sqlite3_free(message);
    QVERIFY2(rc == SQLITE_OK, qPrintable(sql + QStringLiteral(": ") + error));
}

int64_t insertRun(store::Store& store, const std::string& name, const std::string& method, const std::string& student,
                  const std::string& specJson = "{}") {
    store::NewRun run;
    run.name = name;
    run.specJson = specJson;
    run.method = method;
    run.student = student;
    return store.insertRun(run);
}

// A KD student of the tiny spec whose teacher is a run of the store, by name or by id.
spec::RunSpec studentSpec(const std::string& name, const std::string& teacherName, int64_t teacherId = 0) {
    spec::RunSpec run = tinySpec(name, 1, 256);
    run.method.name = "kd";
    if (teacherId > 0) run.teacher.runId = teacherId;
    else run.teacher.runName = teacherName;
    return run;
}

void setSpec(store::Store& store, int64_t runId, const spec::RunSpec& spec) {
    sqlite3_stmt* statement = nullptr;
    QCOMPARE(sqlite3_prepare_v2(store.handle(), "UPDATE runs SET spec = ? WHERE id = ?", -1, &statement, nullptr),
             SQLITE_OK);
    const std::string json = spec::toJson(spec).dump(2);
    sqlite3_bind_text(statement, 1, json.c_str(), static_cast<int>(json.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(statement, 2, runId);
    const int rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    QCOMPARE(rc, SQLITE_DONE);
}

// A finished run that trained from t = start to t = end (seconds since the epoch).
int64_t insertFinishedRun(store::Store& store, const std::string& method, const std::string& student, double start,
                          double end) {
    const int64_t id = insertRun(store, "done-" + method, method, student);
    store.claimRun(id, 1, store::hostName(), "cpu");
    store.finishRun(id, store::RunStatus::Finished);
    execSql(store, QStringLiteral("UPDATE runs SET started_at = %1, finished_at = %2 WHERE id = %3")
                       .arg(start, 0, 'f', 3)
                       .arg(end, 0, 'f', 3)
                       .arg(id));
    return id;
}

RunList snapshotOf(const store::Store& store) {
    RunList runs;
    for (const store::RunRow& row : store.runs(false)) runs.append(RunListEntry{row, {}, {}});
    return runs;
}

// Samples the store every 10 ms with its own connection: every status a run passes through, and the
// most runs seen running at once.
class StoreRecorder : public QObject {
public:
    StoreRecorder(const QString& storePath, QList<int64_t> runIds)
        : store_(storePath.toStdString(), true), runIds_(std::move(runIds)) {
        connect(&timer_, &QTimer::timeout, this, &StoreRecorder::sample);
        timer_.start(10);
        sample();
    }
    void sample() {
        int running = 0;
        QStringList now;
        for (int64_t id : runIds_) {
            const auto row = store_.run(id);
            const QString status = row ? QString::fromStdString(store::statusName(row->status)) : QStringLiteral("absent");
            QStringList& seen = statuses_[id];
            if (seen.isEmpty() || seen.last() != status) seen.append(status);
            if (status == QLatin1String("running")) ++running;
            now.append(status);
        }
        if (running > maxRunning_) {
            maxRunning_ = running;
            atMaxRunning_ = now;
        }
    }
    QStringList statuses(int64_t runId) const { return statuses_.value(runId); }
    int maxRunning() const { return maxRunning_; }
    QStringList atMaxRunning() const { return atMaxRunning_; }   // every run's status, in runIds order

private:
    store::Store store_;
    QList<int64_t> runIds_;
    QTimer timer_;
    QHash<int64_t, QStringList> statuses_;
    int maxRunning_ = 0;
    QStringList atMaxRunning_;
};

QString describeRun(const store::Store& store, int64_t runId, const RunScheduler& scheduler) {
    const auto row = store.run(runId);
    if (!row) return QStringLiteral("run %1 is not in the store").arg(runId);
    return QStringLiteral("run %1 is %2; error: %3\nengine stderr:\n%4")
        .arg(runId)
        .arg(QString::fromStdString(store::statusName(row->status)), QString::fromStdString(row->error),
             scheduler.stderrTail(runId).join(QLatin1Char('\n')));
}

QList<qint64> endedIds(const QSignalSpy& ended) {
    QList<qint64> ids;
    for (const QList<QVariant>& call : ended) ids.append(call.at(0).toLongLong());
    return ids;
}

}  // namespace

class TestQueue : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    // Real engine.
    void twoSlotsTrainThreeRunsTwoAtATime();
    void cancelRunningAndQueuedRunsThenResumeFromCheckpoint();
    void retriedRunFailsAgainWithTheSameReason();
    void restartedSchedulerTrainsQueuedRunsAndReadsOldFailures();
    // Stand-in engine.
    void queueEtaSpreadsWaitingRunsOverSlots();
    void queueEtaIsUnknownWithoutHistory();
    void panelListsRunningWaitingThenEndedRunsWithValidActions();
    void missingEngineKeepsRunsQueued();
    void studentsWaitForTheirTeacherWithTheReasonShown();
    void queueEtaStartsAStudentAfterItsTeacher();
    void enginesShareTheCoresPerSlot();
    // Real engine, dependencies.
    void studentsStartOnlyAfterTheirTeacherFinished();
    void failedTeacherHoldsItsStudentsUntilRetried();

private:
    QString writeStandInEngine();
    void writeEta(int64_t runId, double seconds);
    QStringList engineArguments(int64_t runId);

    QString enginePath_;
    std::unique_ptr<QTemporaryDir> dir_;
    QString storePath_;
    std::unique_ptr<store::Store> store_;
};

void TestQueue::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    enginePath_ = testing::builtEnginePath();
    QVERIFY2(testing::missingEngineReason().isEmpty(), qPrintable(testing::missingEngineReason()));
}

void TestQueue::init() {
    dir_ = std::make_unique<QTemporaryDir>();
    QVERIFY(dir_->isValid());
    storePath_ = dir_->filePath(QStringLiteral("queue.sqlite"));
    store_ = std::make_unique<store::Store>(storePath_.toStdString());
}

void TestQueue::cleanup() {
    store_.reset();
    dir_.reset();
}

// Stands in for distillery-engine: writes its arguments to args-<run> beside it, one a line, reports
// one progress line (ETA from the file eta-<run> beside it, else unknown) and waits until it is
// stopped. It never touches the store.
QString TestQueue::writeStandInEngine() {
    const QString path = dir_->filePath(QStringLiteral("stand-in-engine"));
    QFile script(path);
    if (!script.open(QIODevice::WriteOnly)) return {};
    script.write(R"(#!/bin/sh
here=$(dirname "$0")
run=
for argument in "$@"; do
  if [ "$previous" = "--run" ]; then run=$argument; fi
  previous=$argument
done
printf '%s\n' "$@" > "$here/args-$run"
eta=$(cat "$here/eta-$run" 2>/dev/null || echo -1)
printf '{"type":"progress","run":%s,"epoch":1,"epochs":4,"step":10,"total_steps":40,"loss":1.5,"acc":50,"eta_s":%s,"progress":0.25}\n' "$run" "$eta"
exec sleep 300
)");
    script.close();
    script.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    return path;
}

void TestQueue::writeEta(int64_t runId, double seconds) {
    QFile file(dir_->filePath(QStringLiteral("eta-%1").arg(runId)));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QByteArray::number(seconds));
}

// What the stand-in engine of the run was started with; empty until it wrote them.
QStringList TestQueue::engineArguments(int64_t runId) {
    QFile file(dir_->filePath(QStringLiteral("args-%1").arg(runId)));
    if (!file.open(QIODevice::ReadOnly)) return {};
    return QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
}

// ---- real engine ----------------------------------------------------------------------------------

void TestQueue::twoSlotsTrainThreeRunsTwoAtATime() {
    QList<int64_t> ids;
    for (const char* name : {"slot-a", "slot-b", "slot-c"}) ids.append(spec::queueRun(*store_, tinySpec(name, 3, 2048)));
    StoreRecorder recorder(storePath_, ids);

    RunScheduler scheduler(storePath_, enginePath_);
    QStringList order;   // the scheduler's signals, in the order they came
    connect(&scheduler, &RunScheduler::runStarted, this, [&](qint64 id) { order.append(QStringLiteral("start %1").arg(id)); });
    connect(&scheduler, &RunScheduler::runEnded, this, [&](qint64 id) { order.append(QStringLiteral("end %1").arg(id)); });
    QSignalSpy ended(&scheduler, &RunScheduler::runEnded);
    scheduler.setMaxConcurrent(2);
    QCOMPARE(scheduler.maxConcurrent(), 2);
    scheduler.enqueueQueuedRuns();   // as after a GUI start: the oldest two start, the third waits
    QCOMPARE(scheduler.runningRuns(), (QList<qint64>{ids[0], ids[1]}));
    QCOMPARE(scheduler.pendingRuns(), (QList<qint64>{ids[2]}));
    QCOMPARE(scheduler.activeRun(), ids[0]);

    QTRY_VERIFY_WITH_TIMEOUT(ended.count() == 3, 3 * kRunTimeoutMs);
    recorder.sample();
    for (int64_t id : ids)
        QVERIFY2(statusOf(*store_, id) == store::RunStatus::Finished, qPrintable(describeRun(*store_, id, scheduler)));
    // Two engines trained at the same time while the third run waited in the store.
    QCOMPARE(recorder.maxRunning(), 2);
    QCOMPARE(recorder.atMaxRunning(), (QStringList{QStringLiteral("running"), QStringLiteral("running"),
                                                   QStringLiteral("queued")}));
    QCOMPARE(recorder.statuses(ids[2]), (QStringList{QStringLiteral("queued"), QStringLiteral("running"),
                                                     QStringLiteral("finished")}));
    // The third started only when a slot freed.
    const int thirdStart = order.indexOf(QStringLiteral("start %1").arg(ids[2]));
    QVERIFY2(thirdStart > 0, qPrintable(order.join(QLatin1String(", "))));
    QVERIFY2(order.mid(0, thirdStart).filter(QStringLiteral("end ")).size() >= 1, qPrintable(order.join(QLatin1String(", "))));
    QVERIFY(!scheduler.isBusy());
    QVERIFY(scheduler.pendingRuns().isEmpty());
    QCOMPARE(scheduler.endedRuns().size(), 3);
    QCOMPARE(scheduler.queueEta().value_or(-1.0), double(0.0));

    // The queue lists the runs that ended in it, a run its study's stopping rule pruned among them.
    execSql(*store_, QStringLiteral("UPDATE runs SET status = 'pruned', error = 'below the median' WHERE id = %1")
                         .arg(ids[2]));
    QueuePanel panel;
    panel.setScheduler(&scheduler);
    panel.setRuns(snapshotOf(*store_));
    QueueTableModel* model = panel.model();
    QCOMPARE(model->runIds().size(), 3);
    for (int64_t id : ids) QCOMPARE(int(model->groupOfRun(id).value_or(QueueTableModel::Group::Running)),
                                    int(QueueTableModel::Group::Ended));
    QCOMPARE(model->data(model->index(model->rowOfRun(ids[2]), QueueTableModel::StatusColumn)).toString(),
             QStringLiteral("pruned"));
}

void TestQueue::cancelRunningAndQueuedRunsThenResumeFromCheckpoint() {
    const int64_t longRun = spec::queueRun(*store_, tinySpec("long", 30, 256));
    const int64_t waiting = spec::queueRun(*store_, tinySpec("waiting", 1, 256));
    RunScheduler scheduler(storePath_, enginePath_);
    QSignalSpy started(&scheduler, &RunScheduler::runStarted);
    QSignalSpy progress(&scheduler, &RunScheduler::progressed);
    QSignalSpy ended(&scheduler, &RunScheduler::runEnded);
    scheduler.enqueueQueuedRuns();
    QCOMPARE(scheduler.runningRuns(), QList<qint64>{longRun});
    QCOMPARE(scheduler.pendingRuns(), QList<qint64>{waiting});

    // A queued run: killed in the store at once, never started.
    QVERIFY(scheduler.canCancel(waiting));
    QString why;
    QVERIFY2(scheduler.cancel(waiting, &why), qPrintable(why));
    QCOMPARE(statusOf(*store_, waiting), store::RunStatus::Killed);
    QVERIFY(scheduler.pendingRuns().isEmpty());

    // A running run: SIGTERM once it trains; the engine checkpoints and marks it killed.
    QTRY_VERIFY_WITH_TIMEOUT(progress.count() > 0 || ended.count() > 0, kRunTimeoutMs);
    QVERIFY2(ended.isEmpty(), qPrintable(describeRun(*store_, longRun, scheduler)));
    const auto first = progress.at(0).at(0).value<RunProgress>();
    QCOMPARE(first.runId, longRun);
    QVERIFY(first.step >= 1);
    const int64_t totalSteps = first.totalSteps;
    QCOMPARE(totalSteps, int64_t{30 * 8});
    QVERIFY(scheduler.progressOf(longRun).has_value());
    QVERIFY(scheduler.etaSeconds(longRun).has_value());
    QVERIFY(scheduler.cancel(longRun));
    QTRY_VERIFY_WITH_TIMEOUT(ended.count() == 1, kRunTimeoutMs);
    QVERIFY2(statusOf(*store_, longRun) == store::RunStatus::Killed, qPrintable(describeRun(*store_, longRun, scheduler)));
    QCOMPARE(ended.at(0).at(1).toInt(), 0);   // an orderly stop
    QVERIFY(!scheduler.isBusy());

    // The cancelled queued run never reached an engine.
    for (const QList<QVariant>& call : started) QVERIFY(call.at(0).toLongLong() != waiting);
    QVERIFY(!store_->run(waiting)->startedAt.has_value());
    QVERIFY(!scheduler.canResume(waiting, &why));
    QVERIFY2(why.contains(QLatin1String("no checkpoint")), qPrintable(why));
    QVERIFY(!scheduler.resume(waiting, &why));

    int64_t checkpointStep = -1;
    for (const auto& checkpoint : store_->checkpoints(longRun))
        if (checkpoint.kind == "last") checkpointStep = checkpoint.step;
    QVERIFY2(checkpointStep > 0 && checkpointStep < totalSteps, qPrintable(QString::number(checkpointStep)));
    const std::vector<store::MetricPoint> before = store_->metrics(longRun, "train/loss");
    QCOMPARE(static_cast<int64_t>(before.size()), checkpointStep);

    // Resume: continues from the checkpoint's step to the end.
    QVERIFY(scheduler.canResume(longRun));
    QVERIFY2(scheduler.resume(longRun, &why), qPrintable(why));
    QCOMPARE(scheduler.runningRuns(), QList<qint64>{longRun});
    QTRY_VERIFY_WITH_TIMEOUT(ended.count() == 2, kRunTimeoutMs);
    QVERIFY2(statusOf(*store_, longRun) == store::RunStatus::Finished, qPrintable(describeRun(*store_, longRun, scheduler)));
    const std::vector<store::MetricPoint> after = store_->metrics(longRun, "train/loss");
    QCOMPARE(static_cast<int64_t>(after.size()), totalSteps);   // the uninterrupted length
    for (int64_t i = 0; i < totalSteps; ++i) QCOMPARE(after[i].step, i + 1);   // one row per step
    // The steps before the checkpoint were not trained again: their rows are the first engine's.
    for (size_t i = 0; i < before.size(); ++i) {
        QCOMPARE(after[i].value, before[i].value);
        QCOMPARE(after[i].wallTime, before[i].wallTime);
    }
    QVERIFY(after[before.size()].wallTime >= before.back().wallTime);   // wall time continues, too
    bool resumedAtCheckpoint = false;
    for (const auto& event : store_->events(longRun))
        resumedAtCheckpoint |= QString::fromStdString(event.message)
                                   .contains(QStringLiteral("step %1").arg(checkpointStep)) &&
                               QString::fromStdString(event.message).startsWith(QLatin1String("resumed from"));
    QVERIFY(resumedAtCheckpoint);

    // A finished run has nothing to resume or retry.
    QVERIFY(!scheduler.resume(longRun, &why));
    QVERIFY2(why.contains(QLatin1String("finished")), qPrintable(why));
    QVERIFY(!scheduler.retry(longRun, &why));
    QVERIFY2(why.contains(QLatin1String("finished")), qPrintable(why));
    QVERIFY(!scheduler.cancel(longRun, &why));
    QVERIFY2(why.contains(QLatin1String("already finished")), qPrintable(why));
}

void TestQueue::retriedRunFailsAgainWithTheSameReason() {
    const QString missingRoot = dir_->filePath(QStringLiteral("no-such-data"));
    const int64_t runId = spec::queueRun(*store_, missingDataSpec("no-data", missingRoot));
    StoreRecorder recorder(storePath_, {runId});
    RunScheduler scheduler(storePath_, enginePath_);
    QSignalSpy ended(&scheduler, &RunScheduler::runEnded);
    scheduler.enqueue(runId);
    QTRY_VERIFY_WITH_TIMEOUT(ended.count() == 1, kRunTimeoutMs);
    QVERIFY2(statusOf(*store_, runId) == store::RunStatus::Failed, qPrintable(describeRun(*store_, runId, scheduler)));
    const QString reason = QString::fromStdString(store_->run(runId)->error);
    QVERIFY2(reason.contains(missingRoot) && reason.contains(QLatin1String("does not exist")), qPrintable(reason));
    QCOMPARE(ended.at(0).at(1).toInt(), 1);

    FailureDetails details = scheduler.failureDetails(runId);
    QCOMPARE(details.reason, reason);
    QCOMPARE(details.logSource, FailureDetails::LogSource::EngineOutput);
    QVERIFY(!details.logLines.isEmpty());
    QVERIFY2(!details.logLines.filter(QStringLiteral("failed")).isEmpty(), qPrintable(details.logLines.join('\n')));

    QVERIFY(!scheduler.canResume(runId));   // it failed before its first checkpoint
    QVERIFY(scheduler.canRetry(runId));
    QString why;
    QVERIFY2(scheduler.retry(runId, &why), qPrintable(why));
    recorder.sample();   // before the engine, still loading, claims it
    const QStringList seen = recorder.statuses(runId);
    QCOMPARE(seen.mid(seen.indexOf(QStringLiteral("failed")), 2),
             (QStringList{QStringLiteral("failed"), QStringLiteral("queued")}));
    QTRY_VERIFY_WITH_TIMEOUT(ended.count() == 2, kRunTimeoutMs);
    QVERIFY2(statusOf(*store_, runId) == store::RunStatus::Failed, qPrintable(describeRun(*store_, runId, scheduler)));
    QCOMPARE(QString::fromStdString(store_->run(runId)->error), reason);
    details = scheduler.failureDetails(runId);
    QCOMPARE(details.reason, reason);
    QVERIFY(!details.logLines.isEmpty());
}

void TestQueue::restartedSchedulerTrainsQueuedRunsAndReadsOldFailures() {
    const int64_t failing = spec::queueRun(*store_, missingDataSpec("no-data", dir_->filePath(QStringLiteral("none"))));
    const int64_t interrupted = spec::queueRun(*store_, tinySpec("interrupted", 30, 256));
    const int64_t later = spec::queueRun(*store_, tinySpec("later", 1, 256));
    {
        RunScheduler first(storePath_, enginePath_);
        QSignalSpy progress(&first, &RunScheduler::progressed);
        first.enqueueQueuedRuns();
        QCOMPARE(first.pendingRuns(), (QList<qint64>{interrupted, later}));
        QTRY_VERIFY_WITH_TIMEOUT(first.runningRuns() == QList<qint64>{interrupted} && progress.count() > 0,
                                 2 * kRunTimeoutMs);
        QVERIFY2(statusOf(*store_, failing) == store::RunStatus::Failed, qPrintable(describeRun(*store_, failing, first)));
    }   // the GUI quits: the training run is stopped, the waiting one stays queued in the store
    QCOMPARE(statusOf(*store_, interrupted), store::RunStatus::Killed);
    QCOMPARE(statusOf(*store_, later), store::RunStatus::Queued);

    RunScheduler second(storePath_, enginePath_);
    // This scheduler never saw the failed engine: the log lines come from the store's events.
    const FailureDetails details = second.failureDetails(failing);
    QCOMPARE(details.reason, QString::fromStdString(store_->run(failing)->error));
    QVERIFY(details.reason.contains(QLatin1String("does not exist")));
    QCOMPARE(details.logSource, FailureDetails::LogSource::StoreEvents);
    QVERIFY2(!details.logLines.filter(QStringLiteral("[error]")).isEmpty(), qPrintable(details.logLines.join('\n')));
    QVERIFY(second.stderrTail(failing).isEmpty());

    QSignalSpy ended(&second, &RunScheduler::runEnded);
    second.enqueueQueuedRuns();
    QCOMPARE(second.runningRuns(), QList<qint64>{later});   // the killed run is not queued: it waits for resume
    QTRY_VERIFY_WITH_TIMEOUT(ended.count() == 1, kRunTimeoutMs);
    QCOMPARE(endedIds(ended), QList<qint64>{later});
    QVERIFY2(statusOf(*store_, later) == store::RunStatus::Finished, qPrintable(describeRun(*store_, later, second)));
    QCOMPARE(statusOf(*store_, interrupted), store::RunStatus::Killed);
}

// ---- stand-in engine ------------------------------------------------------------------------------

void TestQueue::queueEtaSpreadsWaitingRunsOverSlots() {
    // History: kd/resnet8 took 100 s and 200 s (mean 150), ce/tinycnn 30 s; all finished runs 110 s.
    insertFinishedRun(*store_, "kd", "resnet8", 1000, 1100);
    insertFinishedRun(*store_, "kd", "resnet8", 2000, 2200);
    insertFinishedRun(*store_, "ce", "tinycnn", 3000, 3030);
    const int64_t fast = insertRun(*store_, "fast", "ce", "tinycnn");
    const int64_t slow = insertRun(*store_, "slow", "ce", "tinycnn");
    const int64_t kd = insertRun(*store_, "kd", "kd", "resnet8");
    const int64_t ce = insertRun(*store_, "ce", "ce", "tinycnn");
    const int64_t novel = insertRun(*store_, "novel", "at", "vgg8");
    writeEta(fast, 40);
    writeEta(slow, 60);

    RunScheduler scheduler(storePath_, writeStandInEngine());
    scheduler.setMaxConcurrent(2);
    scheduler.enqueueQueuedRuns();
    QCOMPARE(scheduler.runningRuns(), (QList<qint64>{fast, slow}));
    QCOMPARE(scheduler.pendingRuns(), (QList<qint64>{kd, ce, novel}));
    QTRY_VERIFY(scheduler.progressOf(fast) && scheduler.progressOf(slow));

    QCOMPARE(scheduler.estimatedDuration("kd", "resnet8").value_or(-1.0), double(150));
    QCOMPARE(scheduler.estimatedDuration("at", "vgg8").value_or(-1.0), double(110));
    QCOMPARE(scheduler.etaSeconds(fast).value_or(-1.0), double(40));   // the engine's own estimate
    QCOMPARE(scheduler.etaSeconds(slow).value_or(-1.0), double(60));
    QCOMPARE(scheduler.etaSeconds(kd).value_or(-1.0), double(150));
    QCOMPARE(scheduler.etaSeconds(ce).value_or(-1.0), double(30));
    QCOMPARE(scheduler.etaSeconds(novel).value_or(-1.0), double(110));
    // Two slots free at 40 and 60: kd 40..190, ce 60..90, novel 90..200.
    QCOMPARE(scheduler.queueEta().value_or(-1.0), double(200));

    // One slot: both running runs keep training; the waiting ones follow one by one from 60 s:
    // kd 60..210, ce 210..240, novel 240..350.
    scheduler.setMaxConcurrent(1);
    QCOMPARE(scheduler.runningRuns(), (QList<qint64>{fast, slow}));
    QCOMPARE(scheduler.queueEta().value_or(-1.0), double(350));
}

void TestQueue::queueEtaIsUnknownWithoutHistory() {
    const int64_t reporting = insertRun(*store_, "reporting", "ce", "tinycnn");
    const int64_t silent = insertRun(*store_, "silent", "ce", "tinycnn");
    const int64_t waiting = insertRun(*store_, "waiting", "kd", "resnet8");
    writeEta(reporting, 30);   // the silent engine reports an unknown ETA (-1)
    RunScheduler scheduler(storePath_, writeStandInEngine());
    scheduler.setMaxConcurrent(2);
    scheduler.enqueueQueuedRuns();
    QTRY_VERIFY(scheduler.progressOf(reporting) && scheduler.progressOf(silent));
    QCOMPARE(scheduler.etaSeconds(reporting).value_or(-1.0), double(30));
    QVERIFY(!scheduler.etaSeconds(silent).has_value());
    QVERIFY(!scheduler.etaSeconds(waiting).has_value());   // no finished run to learn from
    QVERIFY(!scheduler.estimatedDuration("kd", "resnet8").has_value());
    QVERIFY(!scheduler.queueEta().has_value());

    // Once a run has finished, its time stands in for every run without history of its own.
    QVERIFY(scheduler.cancel(silent));
    QTRY_VERIFY(!scheduler.isRunning(silent));
    insertFinishedRun(*store_, "ce", "tinycnn", 1000, 1080);
    scheduler.enqueueQueuedRuns();   // re-reads the store's history
    QCOMPARE(scheduler.runningRuns(), (QList<qint64>{reporting, waiting}));
    QTRY_VERIFY(scheduler.progressOf(waiting).has_value());
    // No kd/resnet8 run has finished: the mean of all finished runs (80 s), of which the engine did 25 %.
    QCOMPARE(scheduler.etaSeconds(waiting).value_or(-1.0), double(60));
}

void TestQueue::panelListsRunningWaitingThenEndedRunsWithValidActions() {
    QList<int64_t> queued;
    for (int i = 1; i <= 4; ++i) queued.append(insertRun(*store_, "queued-" + std::to_string(i), "ce", "tinycnn"));
    const int64_t failed = insertRun(*store_, "failed", "kd", "resnet8");
    store_->claimRun(failed, 1, store::hostName(), "cpu");
    store::RowBatch batch;
    batch.events.push_back({0, failed, 1999, "error", "the training loss became nan at step 12", std::nullopt});
    store_->writeBatch(batch);
    store_->finishRun(failed, store::RunStatus::Failed, "the training loss became nan at step 12; lower optim.lr");
    const int64_t killed = insertRun(*store_, "killed", "kd", "resnet8");
    store_->claimRun(killed, 1, store::hostName(), "cpu");
    const QString checkpoint = dir_->filePath(QStringLiteral("last.pt"));
    QFile(checkpoint).open(QIODevice::WriteOnly);
    store_->addCheckpoint({0, killed, 16, 2, checkpoint.toStdString(), "last", 50, 0});
    store_->finishRun(killed, store::RunStatus::Killed, "cancelled at epoch 3, step 16");
    const int64_t finished = insertFinishedRun(*store_, "ce", "tinycnn", 1000, 1100);
    execSql(*store_, QStringLiteral("UPDATE runs SET finished_at = 2000 WHERE id = %1").arg(failed));
    execSql(*store_, QStringLiteral("UPDATE runs SET finished_at = 3000 WHERE id = %1").arg(killed));
    writeEta(queued[0], 60);
    writeEta(queued[1], 120);

    RunScheduler scheduler(storePath_, writeStandInEngine());
    scheduler.setMaxConcurrent(2);
    QueuePanel panel;
    panel.setConfirmCancel(false);
    panel.setScheduler(&scheduler);
    auto* spin = panel.findChild<QSpinBox*>(QStringLiteral("concurrency"));
    auto* cancel = panel.findChild<QPushButton*>(QStringLiteral("cancelRun"));
    auto* resume = panel.findChild<QPushButton*>(QStringLiteral("resumeRun"));
    auto* retry = panel.findChild<QPushButton*>(QStringLiteral("retryRun"));
    auto* failure = panel.findChild<QGroupBox*>(QStringLiteral("failureBox"));
    auto* reason = panel.findChild<QLabel*>(QStringLiteral("failureReason"));
    auto* log = panel.findChild<QPlainTextEdit*>(QStringLiteral("failureLog"));
    QVERIFY(spin && cancel && resume && retry && failure && reason && log);
    QCOMPARE(spin->value(), 2);
    panel.show();

    scheduler.enqueueQueuedRuns();
    QTRY_VERIFY(scheduler.progressOf(queued[0]) && scheduler.progressOf(queued[1]));
    panel.setRuns(snapshotOf(*store_));
    QueueTableModel* model = panel.model();
    using Group = QueueTableModel::Group;
    auto groupOf = [model](int64_t runId) { return model->groupOfRun(runId) ? int(*model->groupOfRun(runId)) : -1; };
    // Running (start order), waiting (start order), then failed and killed runs, latest end first.
    // The finished fixture run did not end in this queue: it is not listed.
    QCOMPARE(model->runIds(), (QList<qint64>{queued[0], queued[1], queued[2], queued[3], killed, failed}));
    QCOMPARE(model->rowOfRun(finished), -1);
    QCOMPARE(groupOf(queued[1]), int(Group::Running));
    QCOMPARE(groupOf(queued[2]), int(Group::Waiting));
    QCOMPARE(groupOf(killed), int(Group::Ended));
    QCOMPARE(model->data(model->index(0, QueueTableModel::ProgressColumn), QueueTableModel::ProgressRole).toDouble(), 0.25);
    QVERIFY(!model->data(model->index(2, QueueTableModel::ProgressColumn), QueueTableModel::ProgressRole).isValid());
    QCOMPARE(model->data(model->index(0, QueueTableModel::TimeColumn)).toString(), QStringLiteral("1 min 0 s left"));
    QCOMPARE(model->data(model->index(0, QueueTableModel::StatusColumn)).toString(),
             QStringLiteral("running · epoch 1 of 4"));
    QCOMPARE(model->data(model->index(2, QueueTableModel::TimeColumn)).toString(), QStringLiteral("about 1 min 40 s"));
    QCOMPARE(model->data(model->index(4, QueueTableModel::StatusColumn)).toString(), QStringLiteral("killed"));
    // Slots free at 60 s and 120 s; each waiting run takes the mean 100 s of the finished run: 220 s.
    QCOMPARE(panel.summaryText(), QStringLiteral("running 2 · queued 2 · queue ETA 3 min 40 s"));

    struct Expected {
        int64_t runId;
        bool cancel, resume, retry, failureShown;
    };
    const QList<Expected> expectations{
        {queued[0], true, false, false, false},   // running
        {queued[2], true, false, false, false},   // waiting
        {failed, false, false, true, true},       // failed before any checkpoint: retry only
        {killed, false, true, true, true},        // killed with a checkpoint: resume or retry
    };
    for (const Expected& expected : expectations) {
        panel.selectRun(expected.runId);
        QCOMPARE(panel.selectedRun(), expected.runId);
        QCOMPARE(cancel->isEnabled(), expected.cancel);
        QCOMPARE(resume->isEnabled(), expected.resume);
        QCOMPARE(retry->isEnabled(), expected.retry);
        QCOMPARE(failure->isVisibleTo(&panel), expected.failureShown);
    }
    panel.selectRun(failed);
    QVERIFY(resume->toolTip().contains(QLatin1String("no checkpoint")));
    QCOMPARE(reason->text(), QStringLiteral("the training loss became nan at step 12; lower optim.lr"));
    QVERIFY2(log->toPlainText().contains(QLatin1String("[error] the training loss became nan at step 12")),
             qPrintable(log->toPlainText()));

    // A third slot: the oldest waiting run starts.
    QSignalSpy concurrency(&panel, &QueuePanel::concurrencyChanged);
    spin->setValue(3);
    QCOMPARE(concurrency.count(), 1);
    QCOMPARE(concurrency.at(0).at(0).toInt(), 3);
    QCOMPARE(scheduler.maxConcurrent(), 3);
    QCOMPARE(groupOf(queued[2]), int(Group::Running));
    QCOMPARE(panel.selectedRun(), failed);   // the selection follows its run through the reset

    // Cancel the waiting run: killed in the store, listed with the ended runs once the poller says so.
    panel.selectRun(queued[3]);
    cancel->click();
    QCOMPARE(statusOf(*store_, queued[3]), store::RunStatus::Killed);
    panel.setRuns(snapshotOf(*store_));
    QCOMPARE(groupOf(queued[3]), int(Group::Ended));
    QCOMPARE(panel.selectedRun(), queued[3]);
    QVERIFY(!cancel->isEnabled());
    QVERIFY(retry->isEnabled());
    QVERIFY(!resume->isEnabled());

    // Retry the failed run: queued again, waiting behind the three running runs.
    panel.selectRun(failed);
    retry->click();
    QCOMPARE(statusOf(*store_, failed), store::RunStatus::Queued);
    QCOMPARE(groupOf(failed), int(Group::Waiting));
    QVERIFY(cancel->isEnabled());
    QVERIFY(!retry->isEnabled());
    QVERIFY(!failure->isVisibleTo(&panel));

    // Resume the killed run: every slot is taken, so it waits, still killed in the store.
    panel.selectRun(killed);
    resume->click();
    QVERIFY(scheduler.isResumePending(killed));
    QCOMPARE(model->data(model->index(model->rowOfRun(killed), QueueTableModel::StatusColumn)).toString(),
             QStringLiteral("waiting to resume"));
    QCOMPARE(model->runIds(), (QList<qint64>{queued[0], queued[1], queued[2], failed, killed, queued[3]}));
    QCOMPARE(statusOf(*store_, killed), store::RunStatus::Killed);
    // Cancelling a waiting resume only takes it off the queue.
    cancel->click();
    QVERIFY(!scheduler.isPending(killed));
    QCOMPARE(statusOf(*store_, killed), store::RunStatus::Killed);
    QCOMPARE(groupOf(killed), int(Group::Ended));
    QVERIFY(resume->isEnabled());
}

void TestQueue::missingEngineKeepsRunsQueued() {
    const int64_t runId = insertRun(*store_, "orphan", "ce", "tinycnn");
    const QString missing = dir_->filePath(QStringLiteral("no-engine-here"));
    RunScheduler scheduler(storePath_, missing);
    QSignalSpy unavailable(&scheduler, &RunScheduler::engineUnavailable);
    scheduler.enqueueQueuedRuns();
    QTRY_COMPARE(unavailable.count(), 1);
    const QString message = unavailable.at(0).at(0).toString();
    QVERIFY2(message.contains(missing) && message.contains(QLatin1String("DISTILLERY_ENGINE")), qPrintable(message));
    QVERIFY(scheduler.runningRuns().isEmpty());
    QCOMPARE(scheduler.pendingRuns(), QList<qint64>{runId});
    QCOMPARE(statusOf(*store_, runId), store::RunStatus::Queued);
}

// ---- dependencies and cores (stand-in engine) ----------------------------------------------------

// Students whose teacher run has not finished wait, hold no slot, and say why; a teacher trained by
// another process is followed through the store. The stand-in engine makes every state exact.
void TestQueue::studentsWaitForTheirTeacherWithTheReasonShown() {
    // The teacher trains in another process (this one stands in for it: alive, same host).
    const int64_t teacher = insertRun(*store_, "teacher", "ce", "tinycnn");
    QVERIFY(store_->claimRun(teacher, QCoreApplication::applicationPid(), store::hostName(), "cpu"));
    const int64_t byName = insertRun(*store_, "student-by-name", "kd", "tinycnn",
                                     R"({"name": "student-by-name", "teacher": {"run_name": "teacher"}})");
    const int64_t byId = insertRun(*store_, "student-by-id", "kd", "tinycnn",
                                   QStringLiteral(R"({"teacher": {"run_id": %1}})").arg(teacher).toStdString());
    // No run has this name: a mistake in the spec, not a teacher on its way. It starts, and the
    // engine fails it with its own message.
    const int64_t typo = insertRun(*store_, "student-of-nobody", "kd", "tinycnn",
                                   R"({"teacher": {"run_name": "no-such-teacher"}})");
    const int64_t independent = insertRun(*store_, "independent", "ce", "tinycnn");
    const int64_t later = insertRun(*store_, "later", "ce", "tinycnn");

    RunScheduler scheduler(storePath_, writeStandInEngine());
    scheduler.setMaxConcurrent(2);
    QueuePanel panel;
    panel.setConfirmCancel(false);
    panel.setScheduler(&scheduler);
    panel.show();
    scheduler.enqueueQueuedRuns();
    // The students hold no slot: the two runs queued after them train.
    QCOMPARE(scheduler.runningRuns(), (QList<qint64>{typo, independent}));
    QCOMPARE(scheduler.pendingRuns(), (QList<qint64>{byName, byId, later}));
    const QString training = QStringLiteral("waits for its teacher run %1 “teacher” (training)").arg(teacher);
    QCOMPARE(scheduler.waitReason(byName), training);
    QCOMPARE(scheduler.waitReason(byId), training);
    QCOMPARE(scheduler.awaitedTeacher(byName), teacher);
    QVERIFY(scheduler.waitReason(later).isEmpty());   // it only waits for a slot
    QVERIFY(scheduler.waitReason(typo).isEmpty());

    // The panel: the reason in the status column and, for the selected student, in the box below.
    panel.setRuns(snapshotOf(*store_));
    QueueTableModel* model = panel.model();
    auto statusText = [model](int64_t runId, int role = Qt::DisplayRole) {
        return model->data(model->index(model->rowOfRun(runId), QueueTableModel::StatusColumn), role).toString();
    };
    QCOMPARE(statusText(byName), training);
    QCOMPARE(statusText(byName, Qt::ToolTipRole), training);
    QCOMPARE(statusText(later), QStringLiteral("queued"));
    QVERIFY2(panel.summaryText().startsWith(QStringLiteral("running 2 · queued 3 (2 waiting for a teacher)")),
             qPrintable(panel.summaryText()));
    auto* box = panel.findChild<QGroupBox*>(QStringLiteral("failureBox"));
    auto* reason = panel.findChild<QLabel*>(QStringLiteral("failureReason"));
    auto* log = panel.findChild<QPlainTextEdit*>(QStringLiteral("failureLog"));
    auto* cancel = panel.findChild<QPushButton*>(QStringLiteral("cancelRun"));
    QVERIFY(box && reason && log && cancel);
    panel.selectRun(byName);
    QVERIFY(box->isVisibleTo(&panel));
    QCOMPARE(box->title(), QStringLiteral("Why “student-by-name” waits"));
    QCOMPARE(reason->text(), training);
    QVERIFY(!log->isVisibleTo(&panel));
    QVERIFY(cancel->isEnabled());

    // The teacher fails in its process: the students keep waiting, and say how to release them.
    store_->finishRun(teacher, store::RunStatus::Failed,
                      "the training loss became nan at step 12; lower optim.lr\nLast lines of its log:\n…");
    const QString failed = QStringLiteral("waits for its teacher run %1 “teacher” (failed: the training loss became "
                                          "nan at step 12; lower optim.lr) — retry or resume the teacher to "
                                          "release it")
                               .arg(teacher);
    QTRY_COMPARE(scheduler.waitReason(byName), failed);   // the store is read again every 2 s
    QCOMPARE(scheduler.waitReason(byId), failed);
    QCOMPARE(statusText(byId), failed);
    QCOMPARE(reason->text(), failed);
    QCOMPARE(scheduler.runningRuns(), (QList<qint64>{typo, independent}));

    // Retry: the teacher waits for a slot, its students for it.
    QString why;
    QVERIFY2(scheduler.retry(teacher, &why), qPrintable(why));
    QCOMPARE(scheduler.pendingRuns(), (QList<qint64>{byName, byId, later, teacher}));
    QCOMPARE(scheduler.waitReason(byName),
             QStringLiteral("waits for its teacher run %1 “teacher” (queued)").arg(teacher));
    // Slots free one by one: "later", queued before the retried teacher, takes the first.
    QVERIFY(scheduler.cancel(independent));
    QTRY_COMPARE(scheduler.runningRuns(), (QList<qint64>{typo, later}));
    QVERIFY(scheduler.cancel(typo));
    QTRY_COMPARE(scheduler.runningRuns(), (QList<qint64>{later, teacher}));
    QCOMPARE(scheduler.waitReason(byId), training);

    // Cancelling a waiting student works as before: killed in the store, off the queue.
    QVERIFY2(scheduler.cancel(byId, &why), qPrintable(why));
    QCOMPARE(statusOf(*store_, byId), store::RunStatus::Killed);
    QCOMPARE(scheduler.pendingRuns(), QList<qint64>{byName});
    QVERIFY(scheduler.waitReason(byId).isEmpty());

    // The teacher finishes (the stand-in only pretends: the store says so, then its process ends):
    // its student starts at once.
    QVERIFY(store_->claimRun(teacher, QCoreApplication::applicationPid(), store::hostName(), "cpu"));
    store_->finishRun(teacher, store::RunStatus::Finished);
    QVERIFY(scheduler.cancel(teacher));
    QTRY_COMPARE(scheduler.runningRuns(), (QList<qint64>{later, byName}));
    QVERIFY(scheduler.pendingRuns().isEmpty());
    QVERIFY(scheduler.waitReason(byName).isEmpty());
}

void TestQueue::queueEtaStartsAStudentAfterItsTeacher() {
    insertFinishedRun(*store_, "kd", "tinycnn", 1000, 1100);   // a KD student takes 100 s
    const int64_t teacher = insertRun(*store_, "teacher", "ce", "tinycnn");
    const int64_t other = insertRun(*store_, "other", "ce", "tinycnn");
    const int64_t student = insertRun(*store_, "student", "kd", "tinycnn", R"({"teacher": {"run_name": "teacher"}})");
    writeEta(teacher, 50);
    writeEta(other, 80);
    RunScheduler scheduler(storePath_, writeStandInEngine());
    scheduler.setMaxConcurrent(3);
    scheduler.enqueueQueuedRuns();
    QTRY_VERIFY(scheduler.progressOf(teacher) && scheduler.progressOf(other));
    QCOMPARE(scheduler.pendingRuns(), QList<qint64>{student});   // a slot is free, but the teacher trains
    // The student starts when the teacher ends at 50 s, not in the free slot now: 50 + 100.
    QCOMPARE(scheduler.queueEta().value_or(-1.0), double(150));
    // A teacher that failed elsewhere ends at no known time: its student is left out of the ETA.
    QVERIFY(store_->claimRun(teacher, 1, store::hostName(), "cpu"));
    store_->finishRun(teacher, store::RunStatus::Failed, "failed in another window");
    QVERIFY(scheduler.cancel(teacher));
    QTRY_VERIFY(!scheduler.isRunning(teacher));
    QVERIFY2(scheduler.waitReason(student).contains(QLatin1String("(failed: failed in another window)")),
             qPrintable(scheduler.waitReason(student)));
    QCOMPARE(scheduler.queueEta().value_or(-1.0), double(80));
}

// Every engine gets --threads idealThreadCount / maxConcurrent (at least 1), fixed when it starts.
void TestQueue::enginesShareTheCoresPerSlot() {
    const int64_t alone = insertRun(*store_, "alone", "ce", "tinycnn");
    RunScheduler scheduler(storePath_, writeStandInEngine());
    const int cores = QThread::idealThreadCount();
    QCOMPARE(RunScheduler::threadsPerEngine(1), cores);
    QCOMPARE(RunScheduler::threadsPerEngine(2), qMax(1, cores / 2));
    QCOMPARE(RunScheduler::threadsPerEngine(64), qMax(1, cores / 64));
    scheduler.enqueueQueuedRuns();
    QTRY_VERIFY(scheduler.progressOf(alone).has_value());
    QCOMPARE(engineArguments(alone),
             (QStringList{QStringLiteral("run"), QStringLiteral("--db"), storePath_, QStringLiteral("--run"),
                          QString::number(alone), QStringLiteral("--threads"), QString::number(cores),
                          QStringLiteral("--progress"), QStringLiteral("json")}));
    QCOMPARE(scheduler.engineThreads(alone), cores);

    // Two slots: the next engine gets half the cores; the running one keeps what it started with.
    scheduler.setMaxConcurrent(2);
    const int64_t second = insertRun(*store_, "second", "ce", "tinycnn");
    scheduler.enqueue(second);
    QTRY_VERIFY(scheduler.progressOf(second).has_value());
    QCOMPARE(engineArguments(second).mid(5, 2),
             (QStringList{QStringLiteral("--threads"), QString::number(qMax(1, cores / 2))}));
    QCOMPARE(scheduler.engineThreads(second), qMax(1, cores / 2));
    QCOMPARE(scheduler.engineThreads(alone), cores);

    // A resume gets its share too.
    const int64_t killed = insertRun(*store_, "killed", "ce", "tinycnn");
    QVERIFY(store_->claimRun(killed, 1, store::hostName(), "cpu"));
    const QString checkpoint = dir_->filePath(QStringLiteral("last.pt"));
    QFile(checkpoint).open(QIODevice::WriteOnly);
    store_->addCheckpoint({0, killed, 16, 2, checkpoint.toStdString(), "last", 50, 0});
    store_->finishRun(killed, store::RunStatus::Killed, "cancelled");
    scheduler.setMaxConcurrent(4);
    QString why;
    QVERIFY2(scheduler.resume(killed, &why), qPrintable(why));
    QTRY_VERIFY(scheduler.progressOf(killed).has_value());
    QCOMPARE(engineArguments(killed),
             (QStringList{QStringLiteral("resume"), QStringLiteral("--run"), QString::number(killed),
                          QStringLiteral("--db"), storePath_, QStringLiteral("--threads"),
                          QString::number(qMax(1, cores / 4)), QStringLiteral("--progress"), QStringLiteral("json")}));
}

// ---- real engine: dependencies --------------------------------------------------------------------

void TestQueue::studentsStartOnlyAfterTheirTeacherFinished() {
    spec::RunSpec teacherSpec = tinySpec("dep-teacher", 2, 256);
    teacherSpec.threads = 0;   // "all cores": the share the queue passes (--threads) decides
    const int64_t teacher = spec::queueRun(*store_, teacherSpec);
    const int64_t byName = spec::queueRun(*store_, studentSpec("dep-student-by-name", "dep-teacher"));
    const int64_t byId = spec::queueRun(*store_, studentSpec("dep-student-by-id", "", teacher));
    RunScheduler scheduler(storePath_, enginePath_);
    QStringList order;   // the scheduler's signals, in the order they came
    connect(&scheduler, &RunScheduler::runStarted, this,
            [&](qint64 id) { order.append(QStringLiteral("start %1").arg(id)); });
    connect(&scheduler, &RunScheduler::runEnded, this,
            [&](qint64 id) { order.append(QStringLiteral("end %1").arg(id)); });
    QSignalSpy ended(&scheduler, &RunScheduler::runEnded);
    scheduler.setMaxConcurrent(2);
    scheduler.enqueueQueuedRuns();
    // Two slots, but only the teacher may train.
    QCOMPARE(scheduler.runningRuns(), QList<qint64>{teacher});
    QCOMPARE(scheduler.pendingRuns(), (QList<qint64>{byName, byId}));
    const QString reason = QStringLiteral("waits for its teacher run %1 “dep-teacher” (training)").arg(teacher);
    QCOMPARE(scheduler.waitReason(byName), reason);
    QCOMPARE(scheduler.waitReason(byId), reason);

    QTRY_VERIFY_WITH_TIMEOUT(ended.count() == 3, 3 * kRunTimeoutMs);
    for (int64_t id : {teacher, byName, byId})
        QVERIFY2(statusOf(*store_, id) == store::RunStatus::Finished, qPrintable(describeRun(*store_, id, scheduler)));
    // By the store's clock, each student was claimed after its teacher had finished.
    const double teacherEnd = *store_->run(teacher)->finishedAt;
    for (int64_t id : {byName, byId}) {
        const double start = *store_->run(id)->startedAt;
        QVERIFY2(start >= teacherEnd, qPrintable(QStringLiteral("run %1 started at %2, its teacher finished at %3")
                                                     .arg(id)
                                                     .arg(start, 0, 'f', 3)
                                                     .arg(teacherEnd, 0, 'f', 3)));
        QCOMPARE(store_->run(id)->teacher, std::string("tinycnn"));   // the engine loaded the teacher run
        QCOMPARE(store_->run(id)->threads, int64_t{1});               // a spec's own threads are kept
    }
    // The cores are shared per slot: the teacher's engine used its share, not all cores.
    QCOMPARE(store_->run(teacher)->threads, int64_t{RunScheduler::threadsPerEngine(2)});
    // Released together: both took a slot when the teacher's engine ended.
    QCOMPARE(order.mid(0, 2),
             (QStringList{QStringLiteral("start %1").arg(teacher), QStringLiteral("end %1").arg(teacher)}));
    QStringList releases = order.mid(2, 2);
    releases.sort();
    QStringList expected{QStringLiteral("start %1").arg(byName), QStringLiteral("start %1").arg(byId)};
    expected.sort();
    QCOMPARE(releases, expected);
}

void TestQueue::failedTeacherHoldsItsStudentsUntilRetried() {
    // The teacher fails at once (its data folder does not exist); the students train on synthetic data.
    const QString missingRoot = dir_->filePath(QStringLiteral("no-such-data"));
    const int64_t teacher = spec::queueRun(*store_, missingDataSpec("dep-teacher", missingRoot));
    const int64_t byName = spec::queueRun(*store_, studentSpec("dep-student-by-name", "dep-teacher"));
    const int64_t byId = spec::queueRun(*store_, studentSpec("dep-student-by-id", "", teacher));
    const int64_t independent = spec::queueRun(*store_, tinySpec("independent", 1, 256));
    RunScheduler scheduler(storePath_, enginePath_);
    QSignalSpy started(&scheduler, &RunScheduler::runStarted);
    QSignalSpy ended(&scheduler, &RunScheduler::runEnded);
    scheduler.setMaxConcurrent(2);
    scheduler.enqueueQueuedRuns();
    // The waiting students hold no slot: the run queued after them trains beside the teacher.
    QCOMPARE(scheduler.runningRuns(), (QList<qint64>{teacher, independent}));
    QTRY_VERIFY_WITH_TIMEOUT(ended.count() == 2, 2 * kRunTimeoutMs);
    QVERIFY2(statusOf(*store_, teacher) == store::RunStatus::Failed,
             qPrintable(describeRun(*store_, teacher, scheduler)));
    QVERIFY2(statusOf(*store_, independent) == store::RunStatus::Finished,
             qPrintable(describeRun(*store_, independent, scheduler)));
    const QString error =
        QString::fromStdString(store_->run(teacher)->error).section(QLatin1Char('\n'), 0, 0).trimmed();
    QVERIFY2(error.contains(QLatin1String("does not exist")), qPrintable(error));
    const QString reason = QStringLiteral("waits for its teacher run %1 “dep-teacher” (failed: %2) — retry or resume "
                                          "the teacher to release it")
                               .arg(teacher)
                               .arg(error);
    QCOMPARE(scheduler.waitReason(byName), reason);
    QCOMPARE(scheduler.waitReason(byId), reason);
    QCOMPARE(scheduler.pendingRuns(), (QList<qint64>{byName, byId}));
    QVERIFY(scheduler.runningRuns().isEmpty());   // free slots, yet the students wait
    for (int64_t id : {byName, byId}) QCOMPARE(statusOf(*store_, id), store::RunStatus::Queued);

    // The panel says why.
    QueuePanel panel;
    panel.setScheduler(&scheduler);
    panel.setRuns(snapshotOf(*store_));
    QueueTableModel* model = panel.model();
    QCOMPARE(model->data(model->index(model->rowOfRun(byId), QueueTableModel::StatusColumn)).toString(), reason);
    panel.selectRun(byName);
    QCOMPARE(panel.findChild<QLabel*>(QStringLiteral("failureReason"))->text(), reason);

    // Fix the teacher's spec and retry it: it trains, then releases its students.
    setSpec(*store_, teacher, tinySpec("dep-teacher", 1, 256));
    QString why;
    QVERIFY2(scheduler.retry(teacher, &why), qPrintable(why));
    QCOMPARE(scheduler.runningRuns(), QList<qint64>{teacher});
    QCOMPARE(scheduler.waitReason(byName),
             QStringLiteral("waits for its teacher run %1 “dep-teacher” (training)").arg(teacher));
    QTRY_VERIFY_WITH_TIMEOUT(ended.count() == 5, 3 * kRunTimeoutMs);
    for (int64_t id : {teacher, byName, byId})
        QVERIFY2(statusOf(*store_, id) == store::RunStatus::Finished, qPrintable(describeRun(*store_, id, scheduler)));
    const double teacherEnd = *store_->run(teacher)->finishedAt;
    for (int64_t id : {byName, byId}) QVERIFY(*store_->run(id)->startedAt >= teacherEnd);
    QCOMPARE(started.count(), 5);   // the teacher twice, the independent run and each student once
}

QTEST_MAIN(TestQueue)
#include "test_queue.moc"
