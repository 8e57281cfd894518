// The GUI's run queue driving the real distillery-engine: a tiny run goes queued -> running ->
// finished with metric rows in the store, and a long run cancelled while it trains ends killed.
// Everything is observed through the store, as the window observes it.
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include "RunLauncher.h"
#include "StorePoller.h"
#include "spec/RunQueue.h"
#include "spec/RunSpec.h"
#include "store/Store.h"

using namespace distillery;
using namespace distillery::views;

namespace {

constexpr int kRunTimeoutMs = 120000;

// Built as a struct, not JSON, so the test does not depend on the spec's field names.
spec::RunSpec tinySpec(const std::string& name, int64_t epochs, int64_t trainSize) {
    spec::RunSpec run;
    run.name = name;
    run.data.name = "synthetic";
    run.data.channels = 1;
    run.data.height = 28;
    run.data.width = 28;
    run.data.numClasses = 4;
    run.data.trainSize = trainSize;
    run.data.testSize = 64;
    run.data.valSize = 64;
    run.studentModel = "tinycnn";
    run.method.name = "ce";
    run.epochs = epochs;
    run.batchSize = 32;
    run.seed = 1;
    run.threads = 1;      // two cores are shared with the rest of the test suite
    run.logEvery = 1;     // a metric row every step, so even a one-epoch run writes several
    return run;
}

// Records every status a run passes through, reading the store every 10 ms with its own connection.
class StatusRecorder : public QObject {
public:
    StatusRecorder(const QString& storePath, int64_t runId) : store_(storePath.toStdString(), true), runId_(runId) {
        connect(&timer_, &QTimer::timeout, this, &StatusRecorder::sample);
        timer_.start(10);
        sample();
    }
    QStringList statuses() const { return statuses_; }
    QString last() const { return statuses_.isEmpty() ? QString() : statuses_.last(); }

private:
    void sample() {
        const auto row = store_.run(runId_);
        const QString status = row ? QString::fromStdString(store::statusName(row->status)) : QStringLiteral("absent");
        if (statuses_.isEmpty() || statuses_.last() != status) statuses_.append(status);
    }
    store::Store store_;
    int64_t runId_;
    QTimer timer_;
    QStringList statuses_;
};

QString describeRun(const store::Store& store, int64_t runId, const RunLauncher& launcher) {
    const auto row = store.run(runId);
    if (!row) return QStringLiteral("run %1 is not in the store").arg(runId);
    return QStringLiteral("run %1 is %2; error: %3\nengine stderr:\n%4")
        .arg(runId)
        .arg(QString::fromStdString(store::statusName(row->status)), QString::fromStdString(row->error),
             launcher.stderrTail(runId).join(QLatin1Char('\n')));
}

}  // namespace

class TestEndToEnd : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void tinyRunGoesFromQueuedToFinished();
    void cancelledRunEndsKilled();

private:
    QString enginePath_;
    std::unique_ptr<QTemporaryDir> dir_;
    QString storePath_;
    std::unique_ptr<store::Store> store_;
};

void TestEndToEnd::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    StorePoller::registerMetaTypes();
    enginePath_ = QDir(QStringLiteral(DISTILLERY_BIN_DIR)).filePath(QStringLiteral("distillery-engine"));
    QVERIFY2(QFileInfo(enginePath_).isExecutable(),
             qPrintable(QStringLiteral("the engine %1 is missing: build the distillery-engine target first")
                            .arg(enginePath_)));
}

void TestEndToEnd::init() {
    dir_ = std::make_unique<QTemporaryDir>();
    QVERIFY(dir_->isValid());
    storePath_ = dir_->filePath(QStringLiteral("e2e.sqlite"));
    store_ = std::make_unique<store::Store>(storePath_.toStdString());
}

void TestEndToEnd::cleanup() {
    store_.reset();
    dir_.reset();
}

void TestEndToEnd::tinyRunGoesFromQueuedToFinished() {
    const int64_t runId = spec::queueRun(*store_, tinySpec("e2e-tiny", 1, 256));
    QCOMPARE(store_->run(runId)->status, store::RunStatus::Queued);
    StatusRecorder recorder(storePath_, runId);

    RunLauncher launcher(storePath_, enginePath_);
    QSignalSpy started(&launcher, &RunLauncher::runStarted);
    QSignalSpy ended(&launcher, &RunLauncher::runEnded);
    launcher.enqueueQueuedRuns();   // as after a GUI start: picks the run up from the store
    QCOMPARE(launcher.activeRun(), runId);

    QTRY_VERIFY_WITH_TIMEOUT(ended.count() == 1, kRunTimeoutMs);
    // The recorder's next sample sees the final status.
    QTRY_VERIFY_WITH_TIMEOUT(recorder.last() != QStringLiteral("queued") && recorder.last() != QStringLiteral("running"),
                             2000);
    QVERIFY2(recorder.last() == QStringLiteral("finished"), qPrintable(describeRun(*store_, runId, launcher)));
    QCOMPARE(recorder.statuses(), (QStringList{QStringLiteral("queued"), QStringLiteral("running"),
                                               QStringLiteral("finished")}));
    QCOMPARE(started.count(), 1);
    QCOMPARE(ended.at(0).at(1).toInt(), 0);
    QCOMPARE(ended.at(0).at(2).toBool(), false);

    const auto row = store_->run(runId);
    QVERIFY(row->startedAt.has_value());
    QVERIFY(row->finishedAt.has_value());
    QVERIFY(*row->finishedAt >= *row->startedAt);
    QCOMPARE(row->pid.value_or(-1), started.at(0).at(1).toLongLong());
    QVERIFY2(store_->metricCount(runId, "train/loss") > 0, qPrintable(describeRun(*store_, runId, launcher)));
    const auto testAccuracy = store_->summary(runId, "test/acc1");
    QVERIFY2(testAccuracy.has_value(), "the engine wrote no test/acc1 row");
    QVERIFY(testAccuracy->lastValue >= 0.0 && testAccuracy->lastValue <= 100.0);
}

void TestEndToEnd::cancelledRunEndsKilled() {
    const int64_t runId = spec::queueRun(*store_, tinySpec("e2e-long", 50, 2048));
    RunLauncher launcher(storePath_, enginePath_);
    QSignalSpy progress(&launcher, &RunLauncher::progressed);
    QSignalSpy ended(&launcher, &RunLauncher::runEnded);
    launcher.enqueue(runId);

    QTRY_VERIFY_WITH_TIMEOUT(store_->run(runId)->status == store::RunStatus::Running || ended.count() > 0,
                             kRunTimeoutMs);
    QVERIFY2(ended.isEmpty(), qPrintable(describeRun(*store_, runId, launcher)));
    // The engine reports progress on stdout about once a second.
    QTRY_VERIFY_WITH_TIMEOUT(progress.count() > 0 || ended.count() > 0, 30000);
    QVERIFY2(progress.count() > 0, qPrintable(describeRun(*store_, runId, launcher)));
    const auto first = progress.at(0).at(0).value<RunProgress>();
    QCOMPARE(first.runId, runId);
    QCOMPARE(first.epochs, 50);
    QVERIFY(first.progress >= 0.0 && first.progress < 1.0);
    QVERIFY(first.totalSteps > 0);

    QVERIFY(launcher.cancel(runId));
    QTRY_VERIFY_WITH_TIMEOUT(ended.count() == 1, kRunTimeoutMs);
    QVERIFY2(store_->run(runId)->status == store::RunStatus::Killed, qPrintable(describeRun(*store_, runId, launcher)));
    // SIGTERM is an orderly stop: exit code 0, and a checkpoint to resume from.
    QCOMPARE(ended.at(0).at(1).toInt(), 0);
    QCOMPARE(ended.at(0).at(2).toBool(), false);
    QVERIFY(!store_->checkpoints(runId).empty());
}

QTEST_MAIN(TestEndToEnd)
#include "test_end_to_end.moc"
