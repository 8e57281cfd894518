// The desktop views on a fixture store built through the Store API: the runs table shows the right
// text and numbers, the curve plot holds exactly the stored points, and both follow new rows live.
// The run queue is tested against a small shell script that plays the engine's part. Hostile run
// names, errors and store file names show as written in the list, the Live header, the window's
// title, its status bar, menus and dialogs.
#include <algorithm>
#include <optional>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimer>
#include <QWindow>
#include <QtTest>

#include "LivePage.h"
#include "MetricPlot.h"
#include "RunHeader.h"
#include "MainWindow.h"
#include "RunHeader.h"
#include "RunScheduler.h"
#include "ComparePage.h"
#include "DiagnosticsTabs.h"
#include "GatesView.h"
#include "StatusIcons.h"
#include "DesignerPage.h"
#include "ReportPage.h"
#include "ErrorLabel.h"
#include "RunComparison.h"
#include "RunNotesDialog.h"
#include "RunsFilterProxy.h"
#include "RunsTableModel.h"
#include "StorePoller.h"
#include "RunFixtures.h"
#include "spec/RunSpec.h"
#include "store/Store.h"
#include "views/HostileText.h"

using namespace distillery;
using namespace distillery::views;

namespace {

store::MetricPoint point(int64_t runId, const std::string& key, int64_t step, double value) {
    return testing::metricPoint(runId, key, step, value);
}

constexpr int kLiveTimeoutMs = 5000;

store::NewRun newRun(const std::string& name, const std::string& teacher, const std::string& student,
                     const std::string& method, const std::string& dataset) {
    store::NewRun run;
    run.name = name;
    run.specJson = "{}";
    run.teacher = teacher;
    run.student = student;
    run.method = method;
    run.dataset = dataset;
    run.seed = 1;
    return run;
}

void writePoints(store::Store& store, const std::vector<store::MetricPoint>& points) {
    store::RowBatch batch;
    batch.metrics = points;
    store.writeBatch(batch);
}


// Points of one key: steps first, first+stride, … (count of them), values from a formula.
std::vector<store::MetricPoint> series(int64_t runId, const std::string& key, int64_t first, int64_t stride, int count,
                                       double (*valueAt)(int64_t step)) {
    std::vector<store::MetricPoint> points;
    for (int i = 0; i < count; ++i) {
        const int64_t step = first + i * stride;
        points.push_back(point(runId, key, step, valueAt(step)));
    }
    return points;
}

// A run spec as toJson writes it: method parameters beside the method's name, under "method".
std::string sweepSpec(const std::string& name, double lr, const std::string& method, std::optional<int> temperature,
                      const std::string& dataset) {
    const std::string t = temperature ? ", \"T\": " + std::to_string(*temperature) : std::string();
    return R"({"name": ")" + name + R"(", "seed": 1, "epochs": 3, "data": {"name": ")" + dataset +
           R"(", "val_size": 5000}, "optim": {"name": "sgd", "lr": )" + std::to_string(lr) +
           R"(, "momentum": 0.9}, "method": {"name": ")" + method + "\"" + t + "}}";
}

QList<qint64> matchingIds(const QList<RunListEntry>& entries, const QString& filter) {
    QList<qint64> ids;
    for (const RunListEntry& entry : entries)
        if (RunsFilterProxy::matches(entry, filter)) ids.append(entry.run.id);
    return ids;
}

QList<qint64> shownRunIds(const QTableView* view) {
    QList<qint64> ids;
    for (int row = 0; row < view->model()->rowCount(); ++row)
        ids.append(view->model()->index(row, 0).data(RunsTableModel::RunIdRole).toLongLong());
    std::sort(ids.begin(), ids.end());
    return ids;
}

double lossAt(int64_t step) { return 2.5 / (1.0 + 0.01 * static_cast<double>(step)); }
double kdLossAt(int64_t step) { return 1.25 / (1.0 + 0.02 * static_cast<double>(step)); }

// The cell text of a run's row, through the same model the view shows.
QString cell(const RunsTableModel* model, qint64 runId, int column, int role = Qt::DisplayRole) {
    const int row = model->rowOfRun(runId);
    if (row < 0) return QStringLiteral("<run %1 not listed>").arg(runId);
    return model->index(row, column).data(role).toString();
}

bool graphHoldsExactly(const QCPGraph* graph, const std::vector<store::MetricPoint>& points) {
    if (!graph || graph->dataCount() != static_cast<int>(points.size())) return false;
    for (int i = 0; i < graph->dataCount(); ++i) {
        const auto data = graph->data()->at(i);
        if (data->key != static_cast<double>(points[i].step) || data->value != points[i].value) return false;
    }
    return true;
}

// A shell script that behaves like `distillery-engine run … --progress json` from the outside.
QString writeFakeEngine(const QTemporaryDir& dir, const QString& name, const QByteArray& body) {
    const QString path = dir.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly)) return {};
    file.write("#!/bin/sh\n# arguments: run --db FILE --run ID --progress json\n" + body);
    file.close();
    file.setPermissions(file.permissions() | QFileDevice::ExeOwner | QFileDevice::ExeUser);
    return path;
}

}  // namespace

class TestViews : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void runsTableShowsEveryColumn();
    void plotHoldsStoredPointsAndGrowsLive();
    void tableFollowsStoreWithoutLosingSelection();
    void longHistoryIsDownSampledKeepingSpikes();
    void runsFilterUnderstandsKeyValueWords();
    void runsFilterUnderstandsTagsStudiesNotesAndSpecFields();
    void runsListShowsTagsNoteStudyAndPrunedRuns();
    void notesDialogWritesTagsAndNote();
    void notesDialogShowsARefusedTagAndWritesNothing();
    void tagsAndNoteActionSavesThroughTheList();
    void deletingRunsAsksAndRemovesTheirRows();
    void specFileErrorsAreListedWithFieldPaths();
    void specFileRunsAreQueued();
    void pagesFollowTheSelectionAndShortcuts();
    void duplicateAsNewFillsTheDesigner();
    void plotsAndIconsFollowADarkPalette();
    void hostileNamesShowAsWritten();

    void schedulerParsesProgressAndRecordsEngineFailure();
    void schedulerCancelsQueuedAndRunningRuns();
    void schedulerReportsMissingEngine();

private:
    std::unique_ptr<QTemporaryDir> dir_;
    QString storePath_;
    std::unique_ptr<store::Store> store_;
    int64_t finishedRun_ = 0, runningRun_ = 0, queuedRun_ = 0, failedRun_ = 0;
    std::vector<store::MetricPoint> runningLoss_, runningKdLoss_;
    std::unique_ptr<MainWindow> window_;

    MainWindow& openWindow(const QString& storePath = QString());
};

void TestViews::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);   // QSettings go to a test folder, not the user's
    StorePoller::registerMetaTypes();
}

void TestViews::init() {
    dir_ = std::make_unique<QTemporaryDir>();
    QVERIFY(dir_->isValid());
    storePath_ = dir_->filePath(QStringLiteral("fixture.sqlite"));
    store_ = std::make_unique<store::Store>(storePath_.toStdString());
    store::Store& s = *store_;

    // Oldest first: ids ascend, the table lists the newest first.
    finishedRun_ = s.insertRun(newRun("kd-r32x4-r8x4", "resnet32x4", "resnet8x4", "kd", "cifar100"));
    QVERIFY(s.claimRun(finishedRun_, 4242, "fixture-host", "cpu"));
    writePoints(s, series(finishedRun_, "train/loss", 10, 10, 20, lossAt));
    // The test accuracy peaks at step 300, the validation accuracy at step 200: the headline is the
    // test accuracy at 200 (52.5), never the test set's maximum (54.0).
    writePoints(s, {point(finishedRun_, "val/acc1", 100, 41.5), point(finishedRun_, "val/acc1", 200, 55.25),
                    point(finishedRun_, "val/acc1", 300, 53.0), point(finishedRun_, "test/acc1", 100, 40.0),
                    point(finishedRun_, "test/acc1", 200, 52.5), point(finishedRun_, "test/acc1", 300, 54.0)});
    s.finishRun(finishedRun_, store::RunStatus::Finished);

    runningRun_ = s.insertRun(newRun("ce-baseline", "", "resnet8", "ce", "fashion-mnist"));
    QVERIFY(s.claimRun(runningRun_, 4243, "fixture-host", "cpu"));
    runningLoss_ = series(runningRun_, "train/loss", 10, 10, 30, lossAt);
    runningKdLoss_ = series(runningRun_, "train/loss/kd", 10, 10, 30, kdLossAt);
    writePoints(s, runningLoss_);
    writePoints(s, runningKdLoss_);
    writePoints(s, series(runningRun_, "lr", 10, 10, 30, [](int64_t) { return 0.05; }));
    s.heartbeat(runningRun_, 0.41);

    queuedRun_ = s.insertRun(newRun("at-queued", "resnet32x4", "resnet8x4", "at", "cifar100"));

    failedRun_ = s.insertRun(newRun("fitnet-nan", "resnet32x4", "resnet8x4", "fitnet", "cifar100"));
    QVERIFY(s.claimRun(failedRun_, 4244, "fixture-host", "cpu"));
    s.finishRun(failedRun_, store::RunStatus::Failed, "loss became NaN at step 120; lower optim.lr");
}

void TestViews::cleanup() {
    window_.reset();
    store_.reset();
    dir_.reset();
}

MainWindow& TestViews::openWindow(const QString& storePath) {
    MainWindow::Options options;
    options.trainQueuedRuns = false;   // these tests watch; the scheduler tests train
    options.pollIntervalMs = 50;
    window_ = std::make_unique<MainWindow>(options);
    QString error;
    if (!window_->openStore(storePath.isEmpty() ? storePath_ : storePath, &error))
        qFatal("cannot open the fixture store: %s", qPrintable(error));
    window_->resize(1400, 900);   // a desktop's size; the off-screen screen is smaller
    window_->show();
    return *window_;
}

void TestViews::runsTableShowsEveryColumn() {
    MainWindow& window = openWindow();
    const RunsTableModel* model = window.runsModel();
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 4, kLiveTimeoutMs);

    // Newest first, as the store lists them.
    QCOMPARE(model->index(0, 0).data(RunsTableModel::RunIdRole).toLongLong(), failedRun_);
    QCOMPARE(model->index(3, 0).data(RunsTableModel::RunIdRole).toLongLong(), finishedRun_);

    QCOMPARE(cell(model, finishedRun_, RunsTableModel::NameColumn), QStringLiteral("kd-r32x4-r8x4"));
    QCOMPARE(cell(model, finishedRun_, RunsTableModel::StatusColumn), QStringLiteral("finished"));
    QCOMPARE(cell(model, finishedRun_, RunsTableModel::MethodColumn), QStringLiteral("kd"));
    QCOMPARE(cell(model, finishedRun_, RunsTableModel::PairColumn), QStringLiteral("resnet32x4 → resnet8x4"));
    QCOMPARE(cell(model, finishedRun_, RunsTableModel::DatasetColumn), QStringLiteral("cifar100"));
    QCOMPARE(cell(model, finishedRun_, RunsTableModel::BestValAccColumn), QStringLiteral("55.25"));   // max, not last
    // Test accuracy at the best validation step (200), not the test maximum (54.00 at 300) nor the last.
    QCOMPARE(cell(model, finishedRun_, RunsTableModel::TestAtBestValColumn), QStringLiteral("52.50"));
    QCOMPARE(model->index(model->rowOfRun(finishedRun_), RunsTableModel::TestAtBestValColumn)
                 .data(RunsTableModel::SortRole).toDouble(),
             52.5);
    QCOMPARE(model->headerData(RunsTableModel::TestAtBestValColumn, Qt::Horizontal).toString(),
             QStringLiteral("Test % @ best val"));
    QVERIFY(model->headerData(RunsTableModel::TestAtBestValColumn, Qt::Horizontal, Qt::ToolTipRole)
                .toString().contains(QStringLiteral("what a paper reports")));
    for (int column = 0; column < model->columnCount(); ++column)
        QVERIFY2(cell(model, finishedRun_, column) != QStringLiteral("54.00"), "a column shows the test maximum");
    QCOMPARE(cell(model, finishedRun_, RunsTableModel::ProgressColumn), QString());
    const QModelIndex statusIndex = model->index(model->rowOfRun(finishedRun_), RunsTableModel::StatusColumn);
    QVERIFY(!statusIndex.data(Qt::DecorationRole).value<QIcon>().isNull());
    QVERIFY(!statusIndex.data(Qt::DecorationRole).value<QIcon>().pixmap(16, 16).isNull());

    QCOMPARE(cell(model, runningRun_, RunsTableModel::StatusColumn), QStringLiteral("running"));
    QCOMPARE(cell(model, runningRun_, RunsTableModel::PairColumn), QStringLiteral("resnet8"));   // no teacher
    QCOMPARE(cell(model, runningRun_, RunsTableModel::BestValAccColumn), QString());             // no val/acc1 yet
    QCOMPARE(cell(model, runningRun_, RunsTableModel::ProgressColumn), QStringLiteral("41%"));
    const int runningRow = model->rowOfRun(runningRun_);
    QCOMPARE(model->index(runningRow, RunsTableModel::ProgressColumn).data(RunsTableModel::ProgressRole).toDouble(),
             0.41);

    QCOMPARE(cell(model, queuedRun_, RunsTableModel::StatusColumn), QStringLiteral("queued"));
    QCOMPARE(cell(model, failedRun_, RunsTableModel::StatusColumn), QStringLiteral("failed"));
    QCOMPARE(cell(model, failedRun_, RunsTableModel::NameColumn, Qt::ToolTipRole),
             QStringLiteral("loss became NaN at step 120; lower optim.lr"));

    QCOMPARE(model->headerData(RunsTableModel::PairColumn, Qt::Horizontal).toString(),
             QStringLiteral("Teacher → student"));

    bool countsShown = false;
    for (const QLabel* label : window.findChildren<QLabel*>())
        countsShown = countsShown || label->text() == QStringLiteral("running 1 · queued 1 · training off (--no-queue)");
    QVERIFY(countsShown);
}

void TestViews::runsFilterUnderstandsKeyValueWords() {
    RunListEntry kd;
    kd.run.id = 7;
    kd.run.name = "kd-r32x4-r8x4";
    kd.run.method = "kd";
    kd.run.teacher = "resnet32x4";
    kd.run.student = "resnet8x4";
    kd.run.dataset = "cifar100";
    kd.run.seed = 1;
    kd.run.status = store::RunStatus::Finished;
    RunListEntry sakd = kd;
    sakd.run.id = 17;
    sakd.run.name = "sakd-at";
    sakd.run.method = "sakd";
    sakd.run.seed = 11;
    sakd.run.status = store::RunStatus::Failed;

    QVERIFY(RunsFilterProxy::matches(kd, QString()));
    QVERIFY(RunsFilterProxy::matches(kd, QStringLiteral("method:kd")));
    QVERIFY(!RunsFilterProxy::matches(kd, QStringLiteral("method:sakd")));
    QVERIFY(RunsFilterProxy::matches(sakd, QStringLiteral("method:SAKD status:fail")));   // substring, any case
    QVERIFY(RunsFilterProxy::matches(kd, QStringLiteral("seed:1")));
    QVERIFY(!RunsFilterProxy::matches(sakd, QStringLiteral("seed:1")));                   // seeds are equal, not substrings
    QVERIFY(RunsFilterProxy::matches(sakd, QStringLiteral("id:17")));
    QVERIFY(RunsFilterProxy::matches(kd, QStringLiteral("r8x4 cifar")));                  // free text, every word
    QVERIFY(!RunsFilterProxy::matches(kd, QStringLiteral("r8x4 mnist")));
    QVERIFY(!RunsFilterProxy::matches(kd, QStringLiteral("colour:red")));                 // unknown key: free text

    // Through the window's proxy: the table hides what does not match and shows it again.
    MainWindow& window = openWindow();
    QTRY_COMPARE_WITH_TIMEOUT(window.runsModel()->rowCount(), 4, kLiveTimeoutMs);
    window.setRunsFilter(QStringLiteral("status:queued"));
    QCOMPARE(window.runsView()->model()->rowCount(), 1);
    QCOMPARE(window.runsView()->model()->index(0, 0).data(RunsTableModel::RunIdRole).toLongLong(), queuedRun_);
    window.setRunsFilter(QStringLiteral("method:kd"));
    QCOMPARE(window.runsView()->model()->rowCount(), 1);
    window.setRunsFilter(QString());
    QCOMPARE(window.runsView()->model()->rowCount(), 4);
}

void TestViews::runsFilterUnderstandsTagsStudiesNotesAndSpecFields() {
    // Three runs at learning rates 0.01, 0.05 and 0.1, and one whose spec could not be read.
    RunListEntry low;
    low.run.id = 1;
    low.run.name = "sweep-lr0.01";
    low.run.method = "kd";
    low.run.status = store::RunStatus::Finished;
    low.run.study = "lr-sweep";
    low.run.note = "warm restart helps\nsecond thought: check the schedule";
    low.run.tags = {"Baseline", "ablation"};
    low.specFields = flattenSpec(sweepSpec("sweep-lr0.01", 0.01, "kd", 4, "cifar100"));
    RunListEntry mid = low;
    mid.run.id = 2;
    mid.run.name = "sweep-lr0.05";
    mid.run.status = store::RunStatus::Pruned;
    mid.run.study.clear();
    mid.run.note.clear();
    mid.run.tags = {"ablation"};
    mid.specFields = flattenSpec(sweepSpec("sweep-lr0.05", 0.05, "kd", 8, "cifar10"));
    RunListEntry high = mid;
    high.run.id = 3;
    high.run.name = "at-lr0.1";
    high.run.method = "at";
    high.run.status = store::RunStatus::Finished;
    high.run.tags.clear();
    high.specFields = flattenSpec(sweepSpec("at-lr0.1", 0.1, "at", std::nullopt, "fashion-mnist"));
    RunListEntry noSpec = high;
    noSpec.run.id = 4;
    noSpec.run.name = "imported";
    noSpec.specFields.clear();
    const QList<RunListEntry> runs{low, mid, high, noSpec};
    const auto ids = [&](const char* filter) { return matchingIds(runs, QString::fromUtf8(filter)); };
    using Ids = QList<qint64>;

    // tag: one whole tag, in any case.
    QCOMPARE(ids("tag:ablation"), (Ids{1, 2}));
    QCOMPARE(ids("tag:ABLATION"), (Ids{1, 2}));
    QCOMPARE(ids("tag:baseline"), (Ids{1}));
    QCOMPARE(ids("tag:ablat"), Ids{});   // not a part of a tag
    // study: and note: match a part, in any case.
    QCOMPARE(ids("study:sweep"), (Ids{1}));
    QCOMPARE(ids("study:LR-S"), (Ids{1}));
    QCOMPARE(ids("study:other"), Ids{});
    QCOMPARE(ids("note:restart"), (Ids{1}));
    QCOMPARE(ids("note:SCHEDULE"), (Ids{1}));   // any line of the note
    QCOMPARE(ids("note:missing"), Ids{});
    QCOMPARE(ids("status:pruned"), (Ids{2}));
    // Free text also finds tags and the study's name.
    QCOMPARE(ids("ablation"), (Ids{1, 2}));
    QCOMPARE(ids("lr-sweep"), (Ids{1}));   // only run 1's study has it

    // Spec fields by dotted path; numbers compare as numbers.
    QCOMPARE(ids("method.T:4"), (Ids{1}));
    QCOMPARE(ids("method.T:4.0"), (Ids{1}));
    QCOMPARE(ids("method.t:8"), (Ids{2}));   // the path in any case
    QCOMPARE(ids("method.T!=4"), (Ids{2}));   // run 3's method has no T: no match
    QCOMPARE(ids("method.name:kd"), (Ids{1, 2}));
    QCOMPARE(ids("method.name:KD"), (Ids{1, 2}));
    QCOMPARE(ids("method.name!=kd"), (Ids{3}));
    QCOMPARE(ids("data.name:cifar100"), (Ids{1}));   // equal, not a part: cifar10 is another data set
    QCOMPARE(ids("data.name:cifar10"), (Ids{2}));
    QCOMPARE(ids("optim.lr<0.05"), (Ids{1}));
    QCOMPARE(ids("optim.lr<=0.05"), (Ids{1, 2}));
    QCOMPARE(ids("optim.lr>0.05"), (Ids{3}));
    QCOMPARE(ids("optim.lr>=0.05"), (Ids{2, 3}));
    QCOMPARE(ids("optim.lr:0.05"), (Ids{2}));
    QCOMPARE(ids("optim.lr!=0.05"), (Ids{1, 3}));   // the run without a spec lacks the field
    QCOMPARE(ids("optim.lr:"), (Ids{1, 2, 3}));     // while typing: the runs that have the field
    QCOMPARE(ids("epochs>2"), (Ids{1, 2, 3}));      // a top-level field
    // A field no spec has matches nothing, whatever the operator.
    QCOMPARE(ids("optim.weight_decay<1"), Ids{});
    QCOMPARE(ids("optim.weight_decay!=1"), Ids{});
    // Malformed comparisons match nothing and do not crash.
    QCOMPARE(ids("optim.lr<abc"), Ids{});
    QCOMPARE(ids("optim.lr<"), Ids{});
    QCOMPARE(ids("data.name<d"), Ids{});   // order is for numbers
    QCOMPARE(ids("optim.lr<<0.1"), Ids{});
    // Every word must match.
    QCOMPARE(ids("tag:ablation optim.lr<0.05"), (Ids{1}));
    QCOMPARE(ids("method:kd method.T:8 status:pruned"), (Ids{2}));
    // Earlier behaviour stays: an unknown key no spec has is free text.
    QCOMPARE(ids("colour:red"), Ids{});
    QCOMPARE(ids("lr0.0"), (Ids{1, 2}));

    // The filter box's tool tip documents the syntax with examples.
    const QString help = RunsFilterProxy::syntaxHelp();
    for (const char* example : {"tag:ablation", "study:", "note:", "method.T:4", "optim.lr<0.05", "!=", "<="})
        QVERIFY2(help.contains(QLatin1String(example)), example);
}

void TestViews::runsListShowsTagsNoteStudyAndPrunedRuns() {
    store::Store& s = *store_;
    s.addRunTags(finishedRun_, {"baseline", "ablation"});
    s.setRunNote(finishedRun_, "lr too high\nrerun with 0.05");
    const int64_t study = s.insertStudy("lr-sweep", "{}", "learning rates");
    store::NewRun member = newRun("sweep-lr0.01", "resnet32x4", "resnet8x4", "kd", "cifar100");
    member.specJson = sweepSpec(member.name, 0.01, "kd", 4, "cifar100");
    member.studyId = study;
    member.studyRole = "student";
    member.configuration = "optim.lr=0.01";
    const int64_t inStudy = s.insertRun(member);
    member.name = "sweep-lr0.1";
    member.specJson = sweepSpec(member.name, 0.1, "kd", 4, "cifar100");
    member.configuration = "optim.lr=0.1";
    const int64_t pruned = s.insertRun(member);
    QVERIFY(s.claimRun(pruned, 4245, "fixture-host", "cpu"));
    const std::string reason = "pruned after epoch 1: val/acc1 12.00 is below the study's median 40.00";
    s.finishRun(pruned, store::RunStatus::Pruned, reason);

    MainWindow& window = openWindow();
    const RunsTableModel* model = window.runsModel();
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 6, kLiveTimeoutMs);

    QCOMPARE(cell(model, finishedRun_, RunsTableModel::TagsColumn), QStringLiteral("ablation, baseline"));
    QCOMPARE(cell(model, finishedRun_, RunsTableModel::NoteColumn), QStringLiteral("lr too high"));
    QCOMPARE(cell(model, finishedRun_, RunsTableModel::NoteColumn, Qt::ToolTipRole),
             QStringLiteral("lr too high\nrerun with 0.05"));
    QCOMPARE(cell(model, finishedRun_, RunsTableModel::StudyColumn), QString());
    QCOMPARE(cell(model, inStudy, RunsTableModel::StudyColumn), QStringLiteral("lr-sweep"));
    QCOMPARE(cell(model, inStudy, RunsTableModel::StudyColumn, Qt::ToolTipRole),
             QStringLiteral("lr-sweep · student · optim.lr=0.01"));
    QCOMPARE(cell(model, inStudy, RunsTableModel::TagsColumn), QString());
    for (auto [column, title] : {std::pair{RunsTableModel::TagsColumn, "Tags"}, std::pair{RunsTableModel::NoteColumn, "Note"},
                                 std::pair{RunsTableModel::StudyColumn, "Study"}})
        QCOMPARE(model->headerData(column, Qt::Horizontal).toString(), QString::fromUtf8(title));

    // A pruned run: its status and icon, and the study's reason in the tool tip, as a failed run's error.
    QCOMPARE(cell(model, pruned, RunsTableModel::StatusColumn), QStringLiteral("pruned"));
    const QIcon icon = model->index(model->rowOfRun(pruned), RunsTableModel::StatusColumn).data(Qt::DecorationRole).value<QIcon>();
    QVERIFY(!icon.isNull() && !icon.pixmap(16, 16).isNull());
    QCOMPARE(cell(model, pruned, RunsTableModel::StatusColumn, Qt::ToolTipRole), QString::fromStdString(reason));
    QCOMPARE(cell(model, pruned, RunsTableModel::NameColumn, Qt::ToolTipRole), QString::fromStdString(reason));

    // The window's filter reads the specs the poller cached, and the tags, study and status it listed.
    window.setRunsFilter(QStringLiteral("optim.lr<0.05"));
    QCOMPARE(shownRunIds(window.runsView()), (QList<qint64>{inStudy}));
    window.setRunsFilter(QStringLiteral("study:sweep"));
    QCOMPARE(shownRunIds(window.runsView()), (QList<qint64>{inStudy, pruned}));
    window.setRunsFilter(QStringLiteral("tag:ablation"));
    QCOMPARE(shownRunIds(window.runsView()), (QList<qint64>{finishedRun_}));
    window.setRunsFilter(QStringLiteral("status:pruned method.T:4"));
    QCOMPARE(shownRunIds(window.runsView()), (QList<qint64>{pruned}));
    window.setRunsFilter(QString());
    QCOMPARE(window.runsView()->model()->rowCount(), 6);

    // A tag added while the window is open shows at the next poll.
    s.addRunTags(inStudy, {"lr"});
    QTRY_COMPARE_WITH_TIMEOUT(cell(model, inStudy, RunsTableModel::TagsColumn), QStringLiteral("lr"), kLiveTimeoutMs);
}

void TestViews::notesDialogWritesTagsAndNote() {
    store_->addRunTags(finishedRun_, {"old"});
    RunNotesDialog one(store_.get(), {*store_->run(finishedRun_)}, {QStringLiteral("ablation"), QStringLiteral("old")});
    QCOMPARE(one.tagsEdit()->text(), QStringLiteral("old"));
    QVERIFY(one.noteEdit()->isEnabled());
    QVERIFY(one.tagsEdit()->completer());
    one.tagsEdit()->setText(QStringLiteral("ablation,  baseline ,"));   // "old" taken out; a trailing comma
    one.noteEdit()->setPlainText(QStringLiteral("lr too high\nrerun with 0.05"));
    QVERIFY(one.save());
    QVERIFY(one.errorText().isEmpty());
    std::optional<store::RunRow> row = store_->run(finishedRun_);
    QCOMPARE(row->tags, (std::vector<std::string>{"ablation", "baseline"}));
    QCOMPARE(row->note, std::string("lr too high\nrerun with 0.05"));

    // Several runs: the tags entered are added to each; the note is off and no note changes.
    RunNotesDialog several(store_.get(), {*store_->run(finishedRun_), *store_->run(failedRun_)}, {});
    QVERIFY(!several.noteEdit()->isEnabled());
    QVERIFY(several.tagsEdit()->text().isEmpty());
    several.tagsEdit()->setText(QStringLiteral("seeds, ablation"));
    QVERIFY(several.save());
    QCOMPARE(store_->run(finishedRun_)->tags, (std::vector<std::string>{"ablation", "baseline", "seeds"}));
    QCOMPARE(store_->run(failedRun_)->tags, (std::vector<std::string>{"ablation", "seeds"}));
    QCOMPARE(store_->run(finishedRun_)->note, std::string("lr too high\nrerun with 0.05"));
    QCOMPARE(store_->run(failedRun_)->note, std::string());

    QCOMPARE(RunNotesDialog::parseTags(QStringLiteral(" a, b ,,a, c d ,")), (QStringList{"a", "b", "c d"}));
}

void TestViews::notesDialogShowsARefusedTagAndWritesNothing() {
    store_->addRunTags(finishedRun_, {"keep"});
    RunNotesDialog dialog(store_.get(), {*store_->run(finishedRun_)}, {});
    dialog.tagsEdit()->setText(QStringLiteral("fine, bad\ttag"));   // "keep" taken out, a tab pasted in
    dialog.noteEdit()->setPlainText(QStringLiteral("not to be saved"));
    QVERIFY(!dialog.save());
    QVERIFY2(dialog.errorText().startsWith(QStringLiteral("Nothing was saved: ")), qPrintable(dialog.errorText()));
    QVERIFY2(dialog.errorText().contains(QStringLiteral("control character")), qPrintable(dialog.errorText()));
    std::optional<store::RunRow> row = store_->run(finishedRun_);
    QCOMPARE(row->tags, std::vector<std::string>{"keep"});
    QCOMPARE(row->note, std::string());

    // Save keeps the dialog open on a refusal, shows the message, and closes once the tag is fixed.
    dialog.show();
    dialog.accept();
    QVERIFY(dialog.isVisible());
    const ErrorLabel* shown = nullptr;
    for (const QLabel* label : dialog.findChildren<QLabel*>())
        if (label->text() == dialog.errorText() && label->isVisible()) shown = qobject_cast<const ErrorLabel*>(label);
    QVERIFY(shown);
    QCOMPARE(shown->textFormat(), Qt::PlainText);
    dialog.tagsEdit()->setText(QStringLiteral("fine, good tag"));
    dialog.accept();
    QVERIFY(!dialog.isVisible());
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
    QVERIFY(dialog.errorText().isEmpty());
    QCOMPARE(store_->run(finishedRun_)->tags, (std::vector<std::string>{"fine", "good tag"}));
    QCOMPARE(store_->run(finishedRun_)->note, std::string("not to be saved"));

    // Several runs: a refused tag leaves every one of them as it was.
    RunNotesDialog several(store_.get(), {*store_->run(queuedRun_), *store_->run(failedRun_)}, {});
    several.tagsEdit()->setText(QStringLiteral("ok, bad\x01"));
    QVERIFY(!several.save());
    QVERIFY(store_->run(queuedRun_)->tags.empty());
    QVERIFY(store_->run(failedRun_)->tags.empty());
}

void TestViews::tagsAndNoteActionSavesThroughTheList() {
    MainWindow& window = openWindow();
    const RunsTableModel* model = window.runsModel();
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 4, kLiveTimeoutMs);
    window.selectRuns({finishedRun_});
    QAction* action = nullptr;
    for (QAction* candidate : window.findChildren<QAction*>())
        if (candidate->text() == QStringLiteral("Tags and &note…")) action = candidate;
    QVERIFY(action);
    QTRY_VERIFY_WITH_TIMEOUT(action->isEnabled(), kLiveTimeoutMs);

    bool filled = false;
    QTimer::singleShot(0, [&filled] {
        QTRY_VERIFY_WITH_TIMEOUT(qobject_cast<RunNotesDialog*>(QApplication::activeModalWidget()), kLiveTimeoutMs);
        auto* dialog = qobject_cast<RunNotesDialog*>(QApplication::activeModalWidget());
        dialog->tagsEdit()->setText(QStringLiteral("from-menu"));
        dialog->noteEdit()->setPlainText(QStringLiteral("written in the dialog\nsecond line"));
        dialog->accept();
        filled = true;
    });
    action->trigger();
    QVERIFY(filled);
    QCOMPARE(store_->run(finishedRun_)->tags, std::vector<std::string>{"from-menu"});
    QTRY_COMPARE_WITH_TIMEOUT(cell(model, finishedRun_, RunsTableModel::TagsColumn), QStringLiteral("from-menu"),
                              kLiveTimeoutMs);
    QCOMPARE(cell(model, finishedRun_, RunsTableModel::NoteColumn), QStringLiteral("written in the dialog"));
}

// What a message box said, and in which format.
struct SeenMessage {
    QString text;
    Qt::TextFormat format = Qt::AutoText;
};

// Clicks the given button of the next message box the window opens; notes what it said in *seen.
void answerNextMessageBox(QMessageBox::StandardButton button, SeenMessage* seen = nullptr) {
    QTimer::singleShot(0, [button, seen] {
        QTRY_VERIFY_WITH_TIMEOUT(qobject_cast<QMessageBox*>(QApplication::activeModalWidget()), kLiveTimeoutMs);
        auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
        if (seen) *seen = {box->text(), box->textFormat()};
        box->button(button)->click();
    });
}

void TestViews::deletingRunsAsksAndRemovesTheirRows() {
    MainWindow& window = openWindow();
    QTRY_COMPARE_WITH_TIMEOUT(window.runsModel()->rowCount(), 4, kLiveTimeoutMs);
    window.selectRuns({finishedRun_, failedRun_});
    QCOMPARE(window.selectedRuns().size(), 2);

    answerNextMessageBox(QMessageBox::No);   // asked, declined: nothing changes
    window.deleteSelectedRuns();
    QVERIFY(store_->run(finishedRun_).has_value());

    answerNextMessageBox(QMessageBox::Yes);
    window.deleteSelectedRuns();
    QVERIFY(!store_->run(finishedRun_).has_value());
    QVERIFY(!store_->run(failedRun_).has_value());
    QVERIFY(store_->metricKeys(finishedRun_).empty());
    QTRY_COMPARE_WITH_TIMEOUT(window.runsModel()->rowCount(), 2, kLiveTimeoutMs);

    // A running run is refused with a message, and stays.
    window.selectRuns({runningRun_});
    window.deleteSelectedRuns();
    QVERIFY(store_->run(runningRun_).has_value());

    const QStringList recent = QSettings().value(QStringLiteral("store/recent")).toStringList();
    QCOMPARE(recent.value(0), QFileInfo(storePath_).absoluteFilePath());
}

void TestViews::plotHoldsStoredPointsAndGrowsLive() {
    MainWindow& window = openWindow();
    QTRY_COMPARE_WITH_TIMEOUT(window.runsModel()->rowCount(), 4, kLiveTimeoutMs);
    LivePage* live = window.livePage();
    MetricPlot* plot = live->plot();
    plot->setSmoothing(0);   // the raw points, to compare with the store's
    const auto graphOf = [&](const char* key) { return plot->graph(live->runId(), QLatin1String(key)); };

    // A run without points: an empty plot whose axes still take the whole widget.
    window.selectRun(queuedRun_);
    QTRY_VERIFY_WITH_TIMEOUT(live->runId() == queuedRun_ && live->historyReceived(), kLiveTimeoutMs);
    QVERIFY(plot->visibleKeys().isEmpty());
    QTRY_VERIFY2_WITH_TIMEOUT(plot->axisRect()->width() > plot->width() / 2,
                              qPrintable(QStringLiteral("axes %1 px wide in a plot of %2 px")
                                             .arg(plot->axisRect()->width()).arg(plot->width())),
                              kLiveTimeoutMs);

    window.selectRun(runningRun_);
    QCOMPARE(window.selectedRun(), runningRun_);
    QCOMPARE(live->runId(), runningRun_);
    QTRY_COMPARE_WITH_TIMEOUT(plot->visibleKeys().size(), 2, kLiveTimeoutMs);
    QCOMPARE(plot->visibleKeys(), (QStringList{QStringLiteral("train/loss"), QStringLiteral("train/loss/kd")}));
    QVERIFY(graphHoldsExactly(graphOf("train/loss"), runningLoss_));
    QVERIFY(graphHoldsExactly(graphOf("train/loss/kd"), runningKdLoss_));
    QCOMPARE(graphOf("train/loss")->valueAxis(), plot->yAxis);
    QVERIFY(!plot->isKeyVisible(QStringLiteral("lr")));   // its own scale: shown only when chosen
    QCOMPARE(plot->xAxis->label(), QStringLiteral("step"));
    QCOMPARE(plot->yAxis->label(), QStringLiteral("loss"));
    QCOMPARE(plot->legend->itemCount(), 2);
    QCOMPARE(live->header()->nameText(), QStringLiteral("ce-baseline"));
    QVERIFY(live->header()->statusText().startsWith(QStringLiteral("running")));
    QCOMPARE(live->header()->progressPermille(), 410);

    // The engine goes on writing: five more loss points and the first evaluation.
    const auto moreLoss = series(runningRun_, "train/loss", 310, 10, 5, lossAt);
    writePoints(*store_, moreLoss);
    writePoints(*store_, {point(runningRun_, "val/acc1", 300, 62.5)});
    std::vector<store::MetricPoint> allLoss = runningLoss_;
    allLoss.insert(allLoss.end(), moreLoss.begin(), moreLoss.end());

    QTRY_COMPARE_WITH_TIMEOUT(graphOf("train/loss")->dataCount(),
                              static_cast<int>(allLoss.size()), kLiveTimeoutMs);
    QVERIFY(graphHoldsExactly(graphOf("train/loss"), allLoss));
    QTRY_VERIFY_WITH_TIMEOUT(graphOf("val/acc1") != nullptr, kLiveTimeoutMs);
    const QCPGraph* accuracy = graphOf("val/acc1");
    QCOMPARE(accuracy->valueAxis(), plot->yAxis2);
    QCOMPARE(plot->yAxis2->label(), QStringLiteral("accuracy (%)"));
    QVERIFY(graphHoldsExactly(accuracy, {point(runningRun_, "val/acc1", 300, 62.5)}));
    QVERIFY(graphHoldsExactly(graphOf("train/loss/kd"), runningKdLoss_));   // untouched
    // The x axis follows the data to the newest step.
    QVERIFY(plot->xAxis->range().upper >= 350.0);

    // The table's summary column follows too.
    QTRY_COMPARE_WITH_TIMEOUT(cell(window.runsModel(), runningRun_, RunsTableModel::BestValAccColumn),
                              QStringLiteral("62.50"), kLiveTimeoutMs);
}

void TestViews::tableFollowsStoreWithoutLosingSelection() {
    MainWindow& window = openWindow();
    RunsTableModel* model = window.runsModel();
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 4, kLiveTimeoutMs);
    window.selectRun(runningRun_);
    QSignalSpy resets(model, &QAbstractItemModel::modelReset);
    QSignalSpy inserts(model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removes(model, &QAbstractItemModel::rowsRemoved);

    // A new run appears above the selected one; the selection stays on the same run.
    const int64_t added = store_->insertRun(newRun("sakd-new", "resnet32x4", "resnet8x4", "sakd", "cifar100"));
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 5, kLiveTimeoutMs);
    QCOMPARE(model->index(0, 0).data(RunsTableModel::RunIdRole).toLongLong(), added);
    QCOMPARE(window.selectedRun(), runningRun_);
    QCOMPARE(window.runsView()->selectionModel()->selectedRows().size(), 1);

    // The selected run finishes: its row changes in place.
    writePoints(*store_, {point(runningRun_, "val/acc1", 400, 60.5), point(runningRun_, "test/acc1", 400, 61.0)});
    store_->finishRun(runningRun_, store::RunStatus::Finished);
    QTRY_COMPARE_WITH_TIMEOUT(cell(model, runningRun_, RunsTableModel::StatusColumn), QStringLiteral("finished"),
                              kLiveTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(cell(model, runningRun_, RunsTableModel::TestAtBestValColumn), QStringLiteral("61.00"),
                              kLiveTimeoutMs);
    QCOMPARE(window.selectedRun(), runningRun_);

    // A deleted run disappears.
    store_->deleteRun(failedRun_);
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 4, kLiveTimeoutMs);
    QCOMPARE(model->rowOfRun(failedRun_), -1);
    QCOMPARE(window.selectedRun(), runningRun_);

    QCOMPARE(resets.count(), 0);
    QCOMPARE(inserts.count(), 1);
    QCOMPARE(removes.count(), 1);
}

void TestViews::longHistoryIsDownSampledKeepingSpikes() {
    const int64_t longRun = store_->insertRun(newRun("long", "", "resnet8", "ce", "fashion-mnist"));
    QVERIFY(store_->claimRun(longRun, 4245, "fixture-host", "cpu"));
    auto points = series(longRun, "train/loss", 1, 1, 20000, lossAt);
    points[12345].value = 100.0;   // one spike, which down-sampling must keep
    writePoints(*store_, points);

    MainWindow& window = openWindow();
    QTRY_COMPARE_WITH_TIMEOUT(window.runsModel()->rowCount(), 5, kLiveTimeoutMs);
    window.selectRun(longRun);
    MetricPlot* plot = window.livePage()->plot();
    plot->setSmoothing(0);
    QTRY_VERIFY_WITH_TIMEOUT(plot->graph(longRun, QStringLiteral("train/loss")) != nullptr, kLiveTimeoutMs);
    const QCPGraph* graph = plot->graph(longRun, QStringLiteral("train/loss"));
    QVERIFY2(graph->dataCount() <= 2 * StorePoller::kHistoryPoints + 2,
             qPrintable(QStringLiteral("%1 points plotted").arg(graph->dataCount())));
    QVERIFY(graph->dataCount() >= StorePoller::kHistoryPoints / 2);
    bool spikeKept = false;
    for (int i = 0; i < graph->dataCount(); ++i) spikeKept = spikeKept || graph->data()->at(i)->value == 100.0;
    QVERIFY(spikeKept);
    for (int i = 1; i < graph->dataCount(); ++i) QVERIFY(graph->data()->at(i - 1)->key < graph->data()->at(i)->key);
}

void TestViews::specFileErrorsAreListedWithFieldPaths() {
    const QString path = dir_->filePath(QStringLiteral("bad.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(R"({"name": "bad", "epochs": -1, "batch_size": 0, "student": {"model": "resnet8"}})");
    file.close();

    MainWindow& window = openWindow();
    QString error;
    const QList<qint64> ids = window.queueRunsFromSpecFile(path, &error);
    QVERIFY(ids.isEmpty());
    QVERIFY2(error.contains(QStringLiteral("epochs")), qPrintable(error));
    QVERIFY2(error.contains(QStringLiteral("batch_size")), qPrintable(error));
    QVERIFY2(error.contains(QStringLiteral("no run was queued")), qPrintable(error));
    QCOMPARE(store_->runs().size(), size_t(4));
}

void TestViews::specFileRunsAreQueued() {
    const QString path = dir_->filePath(QStringLiteral("good.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(R"({"name": "from-file",
                   "data": {"name": "synthetic", "channels": 1, "height": 28, "width": 28, "num_classes": 4,
                            "train_size": 256, "test_size": 64, "val_size": 64},
                   "student": {"model": "tinycnn"}, "method": {"name": "ce"},
                   "epochs": 1, "batch_size": 32, "seed": 1})");
    file.close();

    MainWindow& window = openWindow();
    QString error;
    const QList<qint64> ids = window.queueRunsFromSpecFile(path, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(ids.size(), 1);
    const auto row = store_->run(ids.first());
    QVERIFY(row.has_value());
    QCOMPARE(row->status, store::RunStatus::Queued);
    QCOMPARE(row->student, std::string("tinycnn"));
    // It shows up in the table and is selected.
    QTRY_COMPARE_WITH_TIMEOUT(window.selectedRun(), ids.first(), kLiveTimeoutMs);
    QCOMPARE(cell(window.runsModel(), ids.first(), RunsTableModel::NameColumn), QStringLiteral("from-file"));
}

void TestViews::pagesFollowTheSelectionAndShortcuts() {
    MainWindow& window = openWindow();
    QTRY_COMPARE_WITH_TIMEOUT(window.runsModel()->rowCount(), 4, kLiveTimeoutMs);
    window.selectRuns({finishedRun_, runningRun_});
    QCOMPARE(window.selectedRun(), finishedRun_);   // the first one is current: Live shows it
    QCOMPARE(window.livePage()->runId(), finishedRun_);

    // Ctrl+3: Compare, which takes the selection; Ctrl+4: Report, likewise; Ctrl+1: Design.
    window.activateWindow();
    QTest::keyClick(&window, Qt::Key_3, Qt::ControlModifier);
    QCOMPARE(window.currentPage(), MainWindow::Page::Compare);
    QCOMPARE(window.comparePage()->runIds(), (QList<qint64>{finishedRun_, runningRun_}));
    QTRY_VERIFY_WITH_TIMEOUT(window.comparePage()->comparedRuns().size() == 2, kLiveTimeoutMs);
    QTest::keyClick(&window, Qt::Key_4, Qt::ControlModifier);
    QCOMPARE(window.currentPage(), MainWindow::Page::Report);
    QCOMPARE(window.reportPage()->request().runIds, (QList<qint64>{finishedRun_, runningRun_}));
    QTest::keyClick(&window, Qt::Key_1, Qt::ControlModifier);
    QCOMPARE(window.currentPage(), MainWindow::Page::Design);

    // A new selection while Compare is shown reaches it at once.
    window.showPage(MainWindow::Page::Compare);
    window.selectRuns({failedRun_});
    QCOMPARE(window.comparePage()->runIds(), QList<qint64>{failedRun_});
}

void TestViews::duplicateAsNewFillsTheDesigner() {
    spec::RunSpec spec;
    spec.name = "to-duplicate";
    spec.studentModel = "resnet14";
    spec.optim.lr = 0.02;
    spec.epochs = 3;
    store::NewRun row = newRun("to-duplicate", "", "resnet14", "ce", "fashion-mnist");
    row.specJson = spec::toJson(spec).dump();
    const int64_t id = store_->insertRun(row);

    MainWindow& window = openWindow();
    QTRY_VERIFY_WITH_TIMEOUT(window.runsModel()->rowOfRun(id) >= 0, kLiveTimeoutMs);
    window.selectRun(id);
    window.duplicateSelectedRun();
    QCOMPARE(window.currentPage(), MainWindow::Page::Design);
    const spec::ParseResult designed = spec::parseRunSpec(window.designer()->specJson().toStdString());
    QVERIFY2(designed.ok(), designed.errorText().c_str());
    QCOMPARE(designed.spec->name, std::string("to-duplicate"));
    QCOMPARE(designed.spec->studentModel, std::string("resnet14"));
    QCOMPARE(designed.spec->optim.lr, 0.02);
    QCOMPARE(designed.spec->epochs, int64_t(3));
}

// The colour of the most saturated-or-opaque pixel: what an icon draws its strokes in.
QColor strokeColour(const QImage& image) {
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x)
            if (qAlpha(image.pixel(x, y)) == 255) return QColor(image.pixel(x, y));
    return {};
}

void TestViews::plotsAndIconsFollowADarkPalette() {
    MainWindow& window = openWindow();
    QTRY_COMPARE_WITH_TIMEOUT(window.runsModel()->rowCount(), 4, kLiveTimeoutMs);
    const QPalette light = QApplication::palette();
    QPalette dark = light;
    dark.setColor(QPalette::Base, QColor(0x20, 0x20, 0x24));
    dark.setColor(QPalette::Window, QColor(0x2a, 0x2a, 0x2e));
    dark.setColor(QPalette::Text, QColor(0xee, 0xee, 0xee));
    dark.setColor(QPalette::ButtonText, QColor(0xf0, 0xe0, 0xd0));
    QApplication::setPalette(dark);

    MetricPlot* plot = window.livePage()->plot();
    QTRY_COMPARE_WITH_TIMEOUT(plot->axisRect()->backgroundBrush().color(), dark.color(QPalette::Base), kLiveTimeoutMs);
    QCOMPARE(plot->xAxis->labelColor(), dark.color(QPalette::Text));
    for (QCustomPlot* diagnostic : window.livePage()->diagnostics()->gatesView()->plots()) {
        QCOMPARE(diagnostic->axisRect()->backgroundBrush().color(), dark.color(QPalette::Base));
        QCOMPARE(diagnostic->xAxis->tickLabelColor(), dark.color(QPalette::Text));
    }
    // Menu icons are drawn in the palette's button-text colour when painted, so they follow too.
    const QImage icon = StatusIcons::action(QStringLiteral("cancel")).pixmap(24, 24).toImage();
    QCOMPARE(strokeColour(icon), dark.color(QPalette::ButtonText));

    QApplication::setPalette(light);
    QTRY_COMPARE_WITH_TIMEOUT(plot->axisRect()->backgroundBrush().color(), light.color(QPalette::Base), kLiveTimeoutMs);
}

// Run names, errors, devices and the store's file name that hold markup, mnemonics, "[*]" or
// QString::arg() placeholders show exactly as written wherever the window shows them.
void TestViews::hostileNamesShowAsWritten() {
    const QString path = dir_->filePath(testing::hostileFileName(QStringLiteral("sqlite")));
    QList<qint64> ids;
    QStringList texts;
    {
        store::Store s(path.toStdString());
        for (const testing::HostileText& hostile : testing::hostileTexts()) {
            store::NewRun run = newRun(hostile.text.toStdString(), "resnet20", "resnet8", "kd", "fashion-mnist");
            run.specJson = testing::hostileSpecJson(hostile.text, 1, hostile.text, hostile.text);
            const int64_t id = s.insertRun(run);
            QVERIFY(s.claimRun(id, 4250, "fixture-host", hostile.text.toStdString()));
            s.setRunSoftware(id, BuildInfo{"0.9.1", "abcdef012345", "1.13.0", ""});
            // The first stays running (it cannot be deleted: the refusal quotes its name); the
            // others failed with the text as their error.
            if (!ids.isEmpty()) s.finishRun(id, store::RunStatus::Failed, hostile.text.toStdString());
            ids.append(id);
            texts.append(hostile.text);
        }
    }
    MainWindow& window = openWindow(path);
    const RunsTableModel* model = window.runsModel();
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), static_cast<int>(ids.size()), kLiveTimeoutMs);

    const auto labelShowing = [](const QWidget* parent, const QString& text) -> const QLabel* {
        for (const QLabel* label : parent->findChildren<QLabel*>())
            if (label->text() == text) return label;
        return nullptr;
    };
    RunHeader* header = window.livePage()->header();
    for (int i = 0; i < ids.size(); ++i) {
        const QString& text = texts[i];
        QCOMPARE(cell(model, ids[i], RunsTableModel::NameColumn), text);   // the delegate draws plain text
        if (i > 0)
            QCOMPARE(testing::shownText(cell(model, ids[i], RunsTableModel::NameColumn, Qt::ToolTipRole)),
                     testing::lineBreaksAsLf(text));
        else
            QVERIFY(
                testing::shownText(cell(model, ids[i], RunsTableModel::NameColumn, Qt::ToolTipRole)).endsWith(text));

        window.selectRun(ids[i]);
        QTRY_COMPARE_WITH_TIMEOUT(header->nameText(), text, kLiveTimeoutMs);
        const QLabel* name = labelShowing(header, text);
        QVERIFY(name);
        QCOMPARE(name->textFormat(), Qt::PlainText);
        const QLabel* status = labelShowing(header, header->statusText());
        QVERIFY(status && header->statusText().contains(text));   // the device
        // ... and the build that trained the run.
        QVERIFY2(header->statusText().endsWith(QStringLiteral(" · Distillery 0.9.1 (git abcdef012345) · LibTorch 1.13.0")),
                 qPrintable(header->statusText()));
        QCOMPARE(status->textFormat(), Qt::PlainText);
        if (i > 0) {   // the error's first lines, below the name (which may read the same)
            const QLabel* error = nullptr;
            for (const QLabel* label : header->findChildren<QLabel*>())
                if (label != name && label->text() == text.section(QLatin1Char('\n'), 0, 2)) error = label;
            QVERIFY(error);
            QCOMPARE(error->textFormat(), Qt::PlainText);
            QCOMPARE(testing::shownText(error->toolTip()), testing::lineBreaksAsLf(text));
        }
    }

    // The filter matches the text as written, markup and all.
    window.setRunsFilter(QStringLiteral("<b>bold</b>"));
    QCOMPARE(window.runsView()->model()->rowCount(), 1);
    window.setRunsFilter(QString());

    // The title and the status bar show the file name as it is, "[*]" and "<b>" included.
    QCOMPARE(window.windowHandle()->title(), QFileInfo(path).fileName() + QStringLiteral(" — Distillery"));
    const QLabel* storeLabel = labelShowing(&window, QStringLiteral("store: ") + QDir::toNativeSeparators(path));
    QVERIFY(storeLabel);
    QCOMPARE(storeLabel->textFormat(), Qt::PlainText);

    // File ▸ Open recent lists it with its "&" shown, not taken for a mnemonic.
    QMenu* recent = nullptr;
    for (QMenu* menu : window.findChildren<QMenu*>())
        if (menu->title() == QStringLiteral("Open &recent")) recent = menu;
    QVERIFY(recent);
    emit recent->aboutToShow();
    QVERIFY(!recent->actions().isEmpty());
    QCOMPARE(testing::shownMnemonicText(recent->actions().first()->text()), QDir::toNativeSeparators(path));

    // Deleting asks with every name as written; deleting the running one is refused, naming it.
    window.selectRuns(ids.mid(1));
    SeenMessage asked;
    answerNextMessageBox(QMessageBox::No, &asked);
    window.deleteSelectedRuns();
    QCOMPARE(asked.format, Qt::PlainText);
    for (int i = 1; i < ids.size(); ++i) QVERIFY2(asked.text.contains(texts[i]), qPrintable(asked.text));
    QVERIFY(asked.text.contains(QFileInfo(path).fileName()));

    window.selectRuns({ids.first()});
    window.deleteSelectedRuns();
    QMessageBox* refusal = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT((refusal = window.findChild<QMessageBox*>()) != nullptr, kLiveTimeoutMs);
    QCOMPARE(refusal->textFormat(), Qt::PlainText);
    QVERIFY2(refusal->text().contains(QStringLiteral("“") + texts.first() + QStringLiteral("”")),
             qPrintable(refusal->text()));
    refusal->close();
}

void TestViews::schedulerParsesProgressAndRecordsEngineFailure() {
    // Prints one progress line and some noise, writes 61 log lines to stderr and fails.
    const QString engine = writeFakeEngine(*dir_, QStringLiteral("failing-engine"), R"(
sleep 1
echo '{"type":"progress","run":'"$5"',"epoch":2,"epochs":5,"step":120,"total_steps":4300,"loss":0.53,"acc":81.2,"eta_s":312.5,"progress":0.028}'
echo 'not a progress line'
i=1
while [ $i -le 60 ]; do echo "log line $i" >&2; i=$((i+1)); done
printf 'error: loss became NaN at step 120; lower optim.lr' >&2
exit 3
)");
    QVERIFY(!engine.isEmpty());
    RunScheduler scheduler(storePath_, engine);
    // Play the engine's claim, with the pid the scheduler started.
    connect(&scheduler, &RunScheduler::runStarted, this, [this](qint64 runId, qint64 pid) {
        store_->claimRun(runId, pid, "fixture-host", "cpu");
    });
    QSignalSpy progressSpy(&scheduler, &RunScheduler::progressed);
    QSignalSpy endedSpy(&scheduler, &RunScheduler::runEnded);

    scheduler.enqueue(queuedRun_);
    QCOMPARE(scheduler.activeRun(), queuedRun_);
    QTRY_COMPARE_WITH_TIMEOUT(endedSpy.count(), 1, 15000);
    QCOMPARE(endedSpy.at(0).at(0).toLongLong(), queuedRun_);
    QCOMPARE(endedSpy.at(0).at(1).toInt(), 3);
    QCOMPARE(endedSpy.at(0).at(2).toBool(), false);

    QCOMPARE(progressSpy.count(), 1);
    const auto progress = progressSpy.at(0).at(0).value<RunProgress>();
    QCOMPARE(progress.runId, int64_t{queuedRun_});
    QCOMPARE(progress.epoch, int64_t{2});
    QCOMPARE(progress.epochs, int64_t{5});
    QCOMPARE(progress.step, int64_t{120});
    QCOMPARE(progress.totalSteps, int64_t{4300});
    QCOMPARE(progress.loss, 0.53);
    QCOMPARE(progress.trainAcc, 81.2);
    QCOMPARE(progress.etaSeconds, 312.5);
    QCOMPARE(progress.fraction, 0.028);

    const QStringList tail = scheduler.stderrTail(queuedRun_);
    QCOMPARE(tail.size(), RunScheduler::kStderrLinesKept);
    QCOMPARE(tail.first(), QStringLiteral("log line 12"));
    QCOMPARE(tail.last(), QStringLiteral("error: loss became NaN at step 120; lower optim.lr"));   // no newline

    const auto row = store_->run(queuedRun_);
    QCOMPARE(row->status, store::RunStatus::Failed);
    const QString error = QString::fromStdString(row->error);
    QVERIFY2(error.contains(QStringLiteral("exited with code 3")), qPrintable(error));
    QVERIFY2(error.endsWith(QStringLiteral("error: loss became NaN at step 120; lower optim.lr")), qPrintable(error));
    QVERIFY(!error.contains(QStringLiteral("log line 11\n")));
    QCOMPARE(scheduler.activeRun(), qint64(0));
}

void TestViews::schedulerCancelsQueuedAndRunningRuns() {
    // Trains "forever" and, like the engine, claims nothing itself: the test claims for it.
    const QString engine = writeFakeEngine(*dir_, QStringLiteral("slow-engine"), "exec sleep 60\n");
    const int64_t secondQueued = store_->insertRun(newRun("second", "", "resnet8", "ce", "cifar100"));
    RunScheduler scheduler(storePath_, engine);
    connect(&scheduler, &RunScheduler::runStarted, this, [this](qint64 runId, qint64 pid) {
        store_->claimRun(runId, pid, "fixture-host", "cpu");
    });
    QSignalSpy endedSpy(&scheduler, &RunScheduler::runEnded);

    scheduler.enqueueQueuedRuns();   // both queued runs, oldest first
    QCOMPARE(scheduler.activeRun(), queuedRun_);
    QCOMPARE(scheduler.pendingRuns(), QList<qint64>{secondQueued});
    QTRY_COMPARE_WITH_TIMEOUT(store_->run(queuedRun_)->status, store::RunStatus::Running, 5000);

    // Still waiting: dropped from the queue and marked killed at once.
    QVERIFY(scheduler.cancel(secondQueued));
    QCOMPARE(store_->run(secondQueued)->status, store::RunStatus::Killed);
    QVERIFY(scheduler.pendingRuns().isEmpty());

    // Training: SIGTERM. This fake engine dies of it without recording anything, so the scheduler
    // records the cancellation.
    QVERIFY(scheduler.cancel(queuedRun_));
    QTRY_COMPARE_WITH_TIMEOUT(endedSpy.count(), 1, 10000);
    QCOMPARE(endedSpy.at(0).at(2).toBool(), true);
    const auto row = store_->run(queuedRun_);
    QCOMPARE(row->status, store::RunStatus::Killed);
    QVERIFY(QString::fromStdString(row->error).startsWith(QStringLiteral("Cancelled")));
    QCOMPARE(scheduler.activeRun(), qint64(0));

    // A run this window does not train cannot be cancelled from it, and the user is told why.
    QString why;
    QVERIFY(!scheduler.cancel(runningRun_, &why));
    QVERIFY2(why.contains(QStringLiteral("pid 4243")), qPrintable(why));
    QCOMPARE(store_->run(runningRun_)->status, store::RunStatus::Running);
}

void TestViews::schedulerReportsMissingEngine() {
    RunScheduler scheduler(storePath_, dir_->filePath(QStringLiteral("no-such-engine")));
    QSignalSpy unavailable(&scheduler, &RunScheduler::engineUnavailable);
    scheduler.enqueue(queuedRun_);
    QTRY_COMPARE_WITH_TIMEOUT(unavailable.count(), 1, 5000);
    const QString message = unavailable.at(0).at(0).toString();
    QVERIFY2(message.contains(QStringLiteral("no-such-engine")), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("DISTILLERY_ENGINE")), qPrintable(message));
    // Nothing is lost: the run stays queued, first in line.
    QCOMPARE(store_->run(queuedRun_)->status, store::RunStatus::Queued);
    QCOMPARE(scheduler.pendingRuns(), QList<qint64>{queuedRun_});
    QCOMPARE(scheduler.activeRun(), qint64(0));
}

QTEST_MAIN(TestViews)
#include "test_views.moc"
