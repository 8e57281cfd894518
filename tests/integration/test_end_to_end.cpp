// The GUI's run queue driving the real distillery-engine: a tiny run goes queued -> running ->
// finished with metric rows in the store, and a long run cancelled while it trains ends killed.
// Everything is observed through the store, as the window observes it. Last, the whole window: an
// experiment typed into the designer is queued, trained by the engine and watched on the Live page.
#include <set>

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>
#include <QComboBox>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QtTest>

#include "DesignerPage.h"
#include "DiagnosticsTabs.h"
#include "LivePage.h"
#include "MainWindow.h"
#include "MetricPlot.h"
#include "RunHeader.h"
#include "RunLogModel.h"
#include "RunLogView.h"
#include "RunScheduler.h"
#include "RunsTableModel.h"
#include "StorePoller.h"
#include "EngineBinary.h"
#include "RunFixtures.h"
#include "spec/RunQueue.h"
#include "spec/RunSpec.h"
#include "store/Store.h"

using namespace distillery;
using namespace distillery::views;
using distillery::testing::tinySpec;

namespace {

constexpr int kRunTimeoutMs = 120000;


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

QString describeRun(const store::Store& store, int64_t runId, const RunScheduler& scheduler) {
    const auto row = store.run(runId);
    if (!row) return QStringLiteral("run %1 is not in the store").arg(runId);
    return QStringLiteral("run %1 is %2; error: %3\nengine stderr:\n%4")
        .arg(runId)
        .arg(QString::fromStdString(store::statusName(row->status)), QString::fromStdString(row->error),
             scheduler.stderrTail(runId).join(QLatin1Char('\n')));
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
    void designedExperimentTrainsAndShowsLive();

private:
    QString enginePath_;
    std::unique_ptr<QTemporaryDir> dir_;
    QString storePath_;
    std::unique_ptr<store::Store> store_;
};

void TestEndToEnd::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    StorePoller::registerMetaTypes();
    enginePath_ = testing::builtEnginePath();
    QVERIFY2(testing::missingEngineReason().isEmpty(), qPrintable(testing::missingEngineReason()));
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

    RunScheduler scheduler(storePath_, enginePath_);
    QSignalSpy started(&scheduler, &RunScheduler::runStarted);
    QSignalSpy ended(&scheduler, &RunScheduler::runEnded);
    scheduler.enqueueQueuedRuns();   // as after a GUI start: picks the run up from the store
    QCOMPARE(scheduler.activeRun(), runId);

    QTRY_VERIFY_WITH_TIMEOUT(ended.count() == 1, kRunTimeoutMs);
    // The recorder's next sample sees the final status.
    QTRY_VERIFY_WITH_TIMEOUT(recorder.last() != QStringLiteral("queued") && recorder.last() != QStringLiteral("running"),
                             2000);
    QVERIFY2(recorder.last() == QStringLiteral("finished"), qPrintable(describeRun(*store_, runId, scheduler)));
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
    QVERIFY2(store_->metricCount(runId, "train/loss") > 0, qPrintable(describeRun(*store_, runId, scheduler)));
    const auto testAccuracy = store_->summary(runId, "test/acc1");
    QVERIFY2(testAccuracy.has_value(), "the engine wrote no test/acc1 row");
    QVERIFY(testAccuracy->lastValue >= 0.0 && testAccuracy->lastValue <= 100.0);
}

void TestEndToEnd::cancelledRunEndsKilled() {
    const int64_t runId = spec::queueRun(*store_, tinySpec("e2e-long", 50, 2048));
    RunScheduler scheduler(storePath_, enginePath_);
    QSignalSpy progress(&scheduler, &RunScheduler::progressed);
    QSignalSpy ended(&scheduler, &RunScheduler::runEnded);
    scheduler.enqueue(runId);

    QTRY_VERIFY_WITH_TIMEOUT(store_->run(runId)->status == store::RunStatus::Running || ended.count() > 0,
                             kRunTimeoutMs);
    QVERIFY2(ended.isEmpty(), qPrintable(describeRun(*store_, runId, scheduler)));
    // The engine reports progress on stdout about once a second.
    QTRY_VERIFY_WITH_TIMEOUT(progress.count() > 0 || ended.count() > 0, 30000);
    QVERIFY2(progress.count() > 0, qPrintable(describeRun(*store_, runId, scheduler)));
    const auto first = progress.at(0).at(0).value<RunProgress>();
    QCOMPARE(first.runId, runId);
    QCOMPARE(first.epochs, 50);
    QVERIFY(first.fraction >= 0.0 && first.fraction < 1.0);
    QVERIFY(first.totalSteps > 0);

    QVERIFY(scheduler.cancel(runId));
    QTRY_VERIFY_WITH_TIMEOUT(ended.count() == 1, kRunTimeoutMs);
    QVERIFY2(store_->run(runId)->status == store::RunStatus::Killed, qPrintable(describeRun(*store_, runId, scheduler)));
    // SIGTERM is an orderly stop: exit code 0, and a checkpoint to resume from.
    QCOMPARE(ended.at(0).at(1).toInt(), 0);
    QCOMPARE(ended.at(0).at(2).toBool(), false);
    QVERIFY(!store_->checkpoints(runId).empty());
}

QTEST_MAIN(TestEndToEnd)
#include "test_end_to_end.moc"

namespace {
template <typename Editor>
Editor* field(DesignerPage* designer, const char* path) {
    auto* editor = qobject_cast<Editor*>(designer->fieldWidget(QLatin1String(path)));
    if (!editor) qFatal("the designer has no %s editor of the expected kind", path);
    return editor;
}
}  // namespace

void TestEndToEnd::designedExperimentTrainsAndShowsLive() {
    MainWindow::Options options;
    options.enginePath = enginePath_;
    options.pollIntervalMs = 100;
    MainWindow window(options);
    QString error;
    QVERIFY2(window.openStore(storePath_, &error), qPrintable(error));
    window.resize(1400, 900);
    window.show();

    // The user's path: Ctrl+N, then the form, field by field.
    window.showPage(MainWindow::Page::Design);
    DesignerPage* designer = window.designer();
    designer->newExperiment();
    QLineEdit* name = field<QLineEdit>(designer, "name");
    name->clear();
    QTest::keyClicks(name, QStringLiteral("designed-tiny"));
    field<QComboBox>(designer, "data.name")->setCurrentText(QStringLiteral("synthetic"));
    field<QSpinBox>(designer, "data.num_classes")->setValue(4);
    field<QSpinBox>(designer, "data.train_size")->setValue(256);
    field<QSpinBox>(designer, "data.test_size")->setValue(64);
    field<QSpinBox>(designer, "data.val_size")->setValue(64);
    field<QComboBox>(designer, "student.model")->setCurrentText(QStringLiteral("tinycnn"));
    field<QSpinBox>(designer, "epochs")->setValue(2);
    field<QSpinBox>(designer, "batch_size")->setValue(32);
    field<QSpinBox>(designer, "log_every")->setValue(1);
    field<QSpinBox>(designer, "threads")->setValue(1);
    QLineEdit* seeds = field<QLineEdit>(designer, "seed");
    seeds->clear();
    QTest::keyClicks(seeds, QStringLiteral("1, 2"));

    QTRY_VERIFY2_WITH_TIMEOUT(designer->isValid() && designer->queueButton()->isEnabled(),
                              qPrintable(designer->generalErrorText() + designer->specText()), 10000);
    QCOMPARE(designer->runSpecs().size(), 2);
    QTest::mouseClick(designer->queueButton(), Qt::LeftButton);

    // Two seeds make a study of one configuration: two queued runs, one per seed, trained one after
    // the other by the engine.
    const std::vector<store::RunRow> queued = store_->runs();
    QCOMPARE(queued.size(), size_t(2));
    for (const store::RunRow& run : queued) {
        QCOMPARE(run.name, "designed-tiny-s" + std::to_string(run.seed));
        QCOMPARE(run.study, std::string("designed-tiny"));
        QCOMPARE(run.student, std::string("tinycnn"));
    }
    QCOMPARE(window.currentPage(), MainWindow::Page::Live);
    for (const store::RunRow& run : queued) {
        QTRY_VERIFY2_WITH_TIMEOUT(store_->run(run.id)->status == store::RunStatus::Finished,
                                  qPrintable(describeRun(*store_, run.id, *window.scheduler())), kRunTimeoutMs);
        QCOMPARE(store_->run(run.id)->seed, run.seed);
    }
    QCOMPARE(std::set<int64_t>({queued[0].seed, queued[1].seed}), std::set<int64_t>({1, 2}));

    // The Live page shows the selected run: its header, its curves with every logged step, its log.
    const int64_t shown = window.selectedRun();
    QVERIFY(shown == queued[0].id || shown == queued[1].id);
    LivePage* live = window.livePage();
    QTRY_COMPARE_WITH_TIMEOUT(live->header()->statusText().section(QLatin1Char(' '), 0, 0), QStringLiteral("finished"),
                              10000);
    live->plot()->setSmoothing(0);
    const int64_t steps = store_->metricCount(shown, "train/loss");
    QVERIFY(steps >= 2 * 256 / 32);
    QTRY_VERIFY_WITH_TIMEOUT(live->plot()->graph(shown, QStringLiteral("train/loss")) &&
                                 live->plot()->graph(shown, QStringLiteral("train/loss"))->dataCount() == steps,
                             10000);
    QTRY_VERIFY_WITH_TIMEOUT(live->diagnostics()->logView()->model()->rowCount() > 0, 10000);
    // ce writes no method diagnostics; every run records its per-class results.
    QCOMPARE(live->diagnostics()->tabTitles(), (QStringList{QStringLiteral("Classes"), QStringLiteral("Log")}));
}
