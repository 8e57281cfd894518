// The Live page's diagnostics on fixture stores written through the Store API: the feed reports what
// each run has and sends only new rows; the gates heat map, the channel scatters and distances, the
// path panels and the log hold exactly the stored values, and the tabs match the run's diagnostics.
// A store the size of a laptop run (experiments/laptop: 708 steps, diagnostics every 20) shows whole;
// hostile spot, path and message text shows as written. The Classes tab shows a run's confusion
// matrix and per-class accuracies at the evaluation chosen, each value the hand-computed one.
#include <algorithm>
#include <cmath>

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <qcustomplot.h>

#include "ChannelsView.h"
#include "ClassesView.h"
#include "DiagnosticsFeed.h"
#include "DiagnosticsTabs.h"
#include "GatesView.h"
#include "PathsView.h"
#include "RunLogModel.h"
#include "RunLogView.h"
#include "SpotOrder.h"
#include "store/Store.h"
#include "views/HostileText.h"

using namespace distillery;
using namespace distillery::views;

namespace {

constexpr int kLiveTimeoutMs = 5000;
constexpr int kFastPollMs = 40;
constexpr int kNeverMs = 3600 * 1000;   // a feed polled by hand

store::NewRun newRun(const std::string& name, const std::string& method) {
    store::NewRun run;
    run.name = name;
    run.specJson = "{}";
    run.teacher = "resnet20";
    run.student = "resnet8";
    run.method = method;
    run.dataset = "fashion-mnist";
    run.seed = 1;
    return run;
}

// Distinct, exactly representable open rates per (step, spot).
double gateRate(int64_t step, int spotIndex) { return 0.125 * spotIndex + step / 400.0; }

const std::vector<std::string> kGateSpots = {"logits", "stage 1", "stage 2"};   // written out of order

store::ChannelStatRow channelRow(int64_t runId, int64_t step, const std::string& spot, int64_t channel, double tm,
                                 double ts, double sm, double ss, std::optional<double> alignment = std::nullopt) {
    return {runId, step, spot, channel, tm, ts, sm, ss, alignment};
}

std::vector<std::pair<double, double>> graphPoints(const QCPGraph* graph) {
    std::vector<std::pair<double, double>> points;
    for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it)
        points.emplace_back(it->key, it->value);
    std::sort(points.begin(), points.end());
    return points;
}

std::vector<std::pair<double, double>> barPoints(const QCPBars* bars) {
    std::vector<std::pair<double, double>> points;
    for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it) points.emplace_back(it->key, it->value);
    return points;
}

// The open rate the heat map shows at a step and spot, whatever its colour scale.
double cellAt(const GatesView& view, int64_t step, const QString& spot) {
    int key = -1, value = -1;
    view.colorMap()->data()->coordToCell(double(step), view.rowOfSpot(spot), &key, &value);
    if (key < 0 || value < 0 || key >= view.colorMap()->data()->keySize() ||
        value >= view.colorMap()->data()->valueSize())
        return -1;
    return view.rateAt(key, value);
}

// The colour the heat map paints at a step and spot.
QColor colourAt(const GatesView& view, int64_t step, const QString& spot) {
    int key = -1, value = -1;
    view.colorMap()->data()->coordToCell(double(step), view.rowOfSpot(spot), &key, &value);
    return QColor::fromRgb(
        view.colorMap()->gradient().color(view.colorMap()->data()->cell(key, value), view.colorMap()->dataRange()));
}

// The classes fixture (3 classes): per split and step, the student's cells (row = actual class), the
// teacher's and the agreement (agree of 10). By hand, row-normalised to % of the actual class:
//   val 100: student acc. 80, 50, 90; cell (1, 2) = 5 of 10 = 50 %;  agreement 80, 40, 70
//   val 200: student acc. 90, 60, 100; cell (1, 2) = 2 of 10 = 20 %; agreement 90, 50, 80
//   val teacher (step 100): acc. 100, 70, 80
//   test 200: student acc. 75, 100, 50 (4 samples each); cell (0, 1) = 25 %; no agreement rows
//   test teacher (step 100): acc. 100, 50, 100
struct ClassCell {
    const char* split;
    const char* model;
    int64_t step, actual, predicted, count;
};
const ClassCell kClassCells[] = {
    {"val", "student", 100, 0, 0, 8}, {"val", "student", 100, 0, 1, 2}, {"val", "student", 100, 1, 1, 5},
    {"val", "student", 100, 1, 2, 5}, {"val", "student", 100, 2, 0, 1}, {"val", "student", 100, 2, 2, 9},
    {"val", "student", 200, 0, 0, 9}, {"val", "student", 200, 0, 2, 1}, {"val", "student", 200, 1, 0, 2},
    {"val", "student", 200, 1, 1, 6}, {"val", "student", 200, 1, 2, 2}, {"val", "student", 200, 2, 2, 10},
    {"val", "teacher", 100, 0, 0, 10}, {"val", "teacher", 100, 1, 1, 7}, {"val", "teacher", 100, 1, 2, 3},
    {"val", "teacher", 100, 2, 1, 2},  {"val", "teacher", 100, 2, 2, 8},
    {"test", "student", 200, 0, 0, 3}, {"test", "student", 200, 0, 1, 1}, {"test", "student", 200, 1, 1, 4},
    {"test", "student", 200, 2, 0, 2}, {"test", "student", 200, 2, 2, 2},
    {"test", "teacher", 100, 0, 0, 4}, {"test", "teacher", 100, 1, 0, 2}, {"test", "teacher", 100, 1, 1, 2},
    {"test", "teacher", 100, 2, 2, 4},
};
const std::string kThreeClassSpec = R"({"data": {"name": "synthetic", "num_classes": 3}})";

using Bars = std::vector<std::pair<double, double>>;
Bars perClass(std::initializer_list<double> values) {
    Bars bars;
    double c = 0;
    for (double v : values) bars.emplace_back(c++, v);
    return bars;
}

// The heat map's cells, row by row (actual class), as the view draws them.
std::vector<std::vector<double>> heatRows(const ClassesView& view, int classes) {
    std::vector<std::vector<double>> rows(size_t(classes), std::vector<double>(size_t(classes), 0.0));
    for (int actual = 0; actual < classes; ++actual)
        for (int predicted = 0; predicted < classes; ++predicted)
            rows[size_t(actual)][size_t(predicted)] = view.percentAt(actual, predicted);
    return rows;
}

// A feed on a worker thread, as the window runs it.
class ThreadedFeed {
public:
    ThreadedFeed(const QString& path, int intervalMs) {
        feed = new DiagnosticsFeed(path, intervalMs);
        feed->moveToThread(&thread);
        QObject::connect(&thread, &QThread::started, feed, &DiagnosticsFeed::start);
        QObject::connect(&thread, &QThread::finished, feed, &QObject::deleteLater);
        thread.start();
    }
    ~ThreadedFeed() {
        thread.quit();
        thread.wait();
    }
    QThread thread;
    DiagnosticsFeed* feed;
};

}  // namespace

class TestDiagnostics : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void spotsFollowTheNetwork();
    void feedReportsWhatEachRunHas();
    void feedSendsOnlyNewRows();
    void feedLoadsOnDemand();
    void gatesMapHoldsOpenRatesAndClickShowsClassBars();
    void gatesLogOddsScaleTellsNearlyOpenGatesApart();
    void channelScattersAndDistancesHoldStoredValues();
    void pathPanelsHoldOneGraphPerPath();
    void tabsMatchTheRunsDiagnostics();
    void laptopSizedStoreShowsGatesAndChannels();
    void hostileNamesShowAsWritten();
    void feedListsEvaluationsWithClassResults();
    void classesShowTheNewestEvaluationByDefault();
    void classesFollowTheRunUntilAnOlderEvaluationIsPicked();
    void classesSwitchSplit();
    void classesWithoutTeacherOrWithManyClasses();

private:
    std::unique_ptr<QTemporaryDir> dir_;
    QString storePath_;
    std::unique_ptr<store::Store> store_;
    int64_t sakd_ = 0, adain_ = 0, multipath_ = 0, plain_ = 0, classes_ = 0;

    void write(const store::RowBatch& batch) { store_->writeBatch(batch); }
    void writeGates(int64_t step, const std::vector<std::string>& spots);
};

void TestDiagnostics::initTestCase() {
    DiagnosticsFeed::registerMetaTypes();
}

void TestDiagnostics::writeGates(int64_t step, const std::vector<std::string>& spots) {
    store::RowBatch batch;
    for (const std::string& spot : spots) {
        const int index = static_cast<int>(std::find(kGateSpots.begin(), kGateSpots.end(), spot) - kGateSpots.begin());
        batch.gates.push_back({sakd_, step, spot, gateRate(step, index)});
    }
    write(batch);
}

void TestDiagnostics::init() {
    dir_ = std::make_unique<QTemporaryDir>();
    QVERIFY(dir_->isValid());
    storePath_ = dir_->filePath(QStringLiteral("diagnostics.sqlite"));
    store_ = std::make_unique<store::Store>(storePath_.toStdString());
    sakd_ = store_->insertRun(newRun("sakd-s1", "sakd"));
    adain_ = store_->insertRun(newRun("adain-s1", "adain"));
    multipath_ = store_->insertRun(newRun("multipath-s1", "multipath"));
    plain_ = store_->insertRun(newRun("ce-s1", "ce"));
    store::NewRun classesRun = newRun("kd-classes", "kd");
    classesRun.specJson = kThreeClassSpec;
    classes_ = store_->insertRun(classesRun);

    // sakd: gates every 10 steps at three spots, per-class rates at the evaluations of steps 15 and 30.
    for (int64_t step : {10, 20, 30}) writeGates(step, kGateSpots);
    store::RowBatch batch;
    for (int64_t step : {15, 30})
        for (const std::string& spot : {std::string("stage 1"), std::string("logits")})
            for (int64_t c = 0; c < 3; ++c)
                batch.gateClasses.push_back({sakd_, step, spot, c, (spot == "logits" ? 0.5 : 0.25) + c / 8.0 + step / 1000.0});
    batch.events = {{0, sakd_, 1.7e9, "info", "training resnet8 with sakd"}};

    // adain: four channels at two spots, steps 10 and 20.
    // stage 2, step 10: |Δμ| = 0.5, 0, 0, 1 (mean 0.375); |Δσ| = 0.5, 0.5, 0, 0 (mean 0.25).
    batch.channelStats = {
        channelRow(adain_, 10, "stage 2", 0, 0.0, 1.0, 0.5, 1.5), channelRow(adain_, 10, "stage 2", 1, 1.0, 1.0, 1.0, 0.5),
        channelRow(adain_, 10, "stage 2", 2, 2.0, 1.0, 2.0, 1.0), channelRow(adain_, 10, "stage 2", 3, 3.0, 1.0, 2.0, 1.0),
    };
    // stage 2, step 20: every mean 0.25 above the teacher's, stds equal: |Δμ| 0.25, |Δσ| 0; alignment
    // error on two channels, 0.5 and 1.5 (mean 1.0).
    for (int64_t c = 0; c < 4; ++c)
        batch.channelStats.push_back(channelRow(adain_, 20, "stage 2", c, double(c), 2.0, c + 0.25, 2.0,
                                                c < 2 ? std::optional<double>(c == 0 ? 0.5 : 1.5) : std::nullopt));
    for (int64_t step : {10, 20})
        for (int64_t c = 0; c < 4; ++c)
            batch.channelStats.push_back(
                channelRow(adain_, step, "stage 1", c, c * 0.5, 1.0 + c, c * 0.5 - step / 40.0, 1.0 + c + step / 20.0));

    // multipath: two paths, three steps.
    for (int64_t step : {10, 20, 30}) {
        batch.pathWeights.push_back({multipath_, step, "at@stages", 100.0 + step, 0.01 * step});
        batch.pathWeights.push_back({multipath_, step, "kd@logits", 0.5 - step / 100.0, 6.0 - step / 10.0});
    }
    batch.events.push_back({0, plain_, 1.7e9, "info", "training resnet8 with ce"});
    batch.events.push_back({0, plain_, 1.7e9 + 20, "warn", "epoch 1/2: val acc 71.00%"});

    // kd-classes: per-class results at evaluations 100 (epoch 1) and 200 (epoch 2), see kClassCells.
    for (const ClassCell& c : kClassCells)
        batch.confusion.push_back({classes_, c.step, c.split, c.model, c.actual, c.predicted, c.count});
    for (int64_t c = 0; c < 3; ++c) {
        batch.classAgreement.push_back({classes_, 100, "val", c, std::vector<int64_t>{8, 4, 7}[size_t(c)], 10});
        batch.classAgreement.push_back({classes_, 200, "val", c, std::vector<int64_t>{9, 5, 8}[size_t(c)], 10});
    }
    for (int64_t step : {100, 200})
        for (const char* key : {"val/acc1", "test/acc1"})
            batch.metrics.push_back({classes_, key, step, step / 100.0, 70, 0});
    write(batch);
}

void TestDiagnostics::cleanup() {
    store_.reset();
    dir_.reset();
}

void TestDiagnostics::spotsFollowTheNetwork() {
    QCOMPARE(SpotOrder::sorted({"logits", "stage 10", "stage 2", "feat", "stage 1"}),
             QStringList({"stage 1", "stage 2", "stage 10", "feat", "logits"}));
    QCOMPARE(SpotOrder::sorted({"at@stage3", "kd@logits", "at@stage1"}),
             QStringList({"at@stage1", "at@stage3", "kd@logits"}));
}

void TestDiagnostics::feedReportsWhatEachRunHas() {
    DiagnosticsFeed feed(storePath_, kNeverMs);   // in this thread: every signal arrives synchronously
    QSignalSpy availability(&feed, &DiagnosticsFeed::availabilityChanged);
    feed.start();
    QCOMPARE(availability.count(), 0);   // nothing watched

    feed.watchRun(sakd_);
    QCOMPARE(availability.count(), 1);
    auto a = availability.takeFirst().at(1).value<DiagnosticsAvailability>();
    QVERIFY(a.gates && a.gateClasses && !a.channels && !a.paths);
    QVERIFY(a.hasGatesTab());
    QCOMPARE(a.gateClassSteps, (QVector<qint64>{15, 30}));
    QVERIFY(a.channelSpots.isEmpty());

    feed.watchRun(adain_);
    QCOMPARE(availability.count(), 1);
    QCOMPARE(availability.first().at(0).toLongLong(), adain_);
    a = availability.takeFirst().at(1).value<DiagnosticsAvailability>();
    QVERIFY(!a.gates && !a.gateClasses && a.channels && !a.paths);
    QCOMPARE(a.channelSpots, QStringList({"stage 1", "stage 2"}));
    QCOMPARE(a.channelSteps.value("stage 1"), (QVector<qint64>{10, 20}));
    QCOMPARE(a.channelSteps.value("stage 2"), (QVector<qint64>{10, 20}));

    feed.watchRun(multipath_);
    a = availability.takeFirst().at(1).value<DiagnosticsAvailability>();
    QVERIFY(!a.hasGatesTab() && !a.channels && a.paths);

    feed.watchRun(plain_);
    a = availability.takeFirst().at(1).value<DiagnosticsAvailability>();
    QVERIFY(!a.hasGatesTab() && !a.channels && !a.paths);

    feed.pollNow();   // nothing changed: no second availability
    QCOMPARE(availability.count(), 0);
}

void TestDiagnostics::feedSendsOnlyNewRows() {
    DiagnosticsFeed feed(storePath_, kNeverMs);
    QSignalSpy availability(&feed, &DiagnosticsFeed::availabilityChanged);
    QSignalSpy gates(&feed, &DiagnosticsFeed::gatesAppended);
    QSignalSpy events(&feed, &DiagnosticsFeed::eventsAppended);
    QSignalSpy paths(&feed, &DiagnosticsFeed::pathWeightsAppended);
    QSignalSpy distances(&feed, &DiagnosticsFeed::channelDistancesAppended);
    feed.start();

    feed.watchRun(sakd_);
    QCOMPARE(gates.count(), 1);
    auto rows = gates.takeFirst().at(1).value<GateRows>();
    QCOMPARE(rows.size(), size_t(9));
    QCOMPARE(rows.front().step, int64_t(10));
    QCOMPARE(rows.back().step, int64_t(30));
    QCOMPARE(events.count(), 1);
    events.clear();
    availability.clear();

    feed.pollNow();   // nothing new
    QCOMPARE(gates.count(), 0);
    QCOMPARE(events.count(), 0);
    QCOMPARE(availability.count(), 0);

    writeGates(40, kGateSpots);
    store::RowBatch batch;
    batch.gateClasses = {{sakd_, 45, "stage 1", 0, 0.75}};
    batch.events = {{0, sakd_, 1.7e9 + 5, "info", "epoch 1/2 done"}};
    write(batch);
    feed.pollNow();
    QCOMPARE(gates.count(), 1);
    rows = gates.takeFirst().at(1).value<GateRows>();
    QCOMPARE(rows.size(), size_t(3));
    for (const store::GateRow& row : rows) QCOMPARE(row.step, int64_t(40));
    QCOMPARE(events.count(), 1);
    const auto newEvents = events.takeFirst().at(1).value<EventRows>();
    QCOMPARE(newEvents.size(), size_t(1));
    QCOMPARE(newEvents[0].message, std::string("epoch 1/2 done"));
    QCOMPARE(availability.count(), 1);
    QCOMPARE(availability.takeFirst().at(1).value<DiagnosticsAvailability>().gateClassSteps,
             (QVector<qint64>{15, 30, 45}));

    // A step whose rows arrive in two transactions: each row is sent once.
    writeGates(50, {"stage 1"});
    feed.pollNow();
    rows = gates.takeFirst().at(1).value<GateRows>();
    QCOMPARE(rows.size(), size_t(1));
    QCOMPARE(rows[0].spot, std::string("stage 1"));
    writeGates(50, {"stage 2"});
    feed.pollNow();
    QCOMPARE(gates.count(), 1);
    rows = gates.takeFirst().at(1).value<GateRows>();
    QCOMPARE(rows.size(), size_t(1));
    QCOMPARE(rows[0].spot, std::string("stage 2"));
    feed.pollNow();
    QCOMPARE(gates.count(), 0);

    feed.watchRun(multipath_);
    QCOMPARE(paths.count(), 1);
    QCOMPARE(paths.takeFirst().at(1).value<PathWeightRows>().size(), size_t(6));
    batch = {};
    batch.pathWeights = {{multipath_, 40, "at@stages", 140.0, 0.4}, {multipath_, 40, "kd@logits", 0.1, 2.0}};
    write(batch);
    feed.pollNow();
    QCOMPARE(paths.count(), 1);
    const auto newPaths = paths.takeFirst().at(1).value<PathWeightRows>();
    QCOMPARE(newPaths.size(), size_t(2));
    QCOMPARE(newPaths[0].step, int64_t(40));
    QCOMPARE(newPaths[0].weight, 140.0);

    feed.watchRun(adain_);
    QCOMPARE(distances.count(), 2);   // one per spot
    distances.clear();
    batch = {};
    for (int64_t c = 0; c < 4; ++c) batch.channelStats.push_back(channelRow(adain_, 30, "stage 1", c, 1.0, 1.0, 1.5, 0.5));
    write(batch);
    feed.pollNow();
    QCOMPARE(distances.count(), 1);
    QCOMPARE(distances.first().at(1).toString(), QStringLiteral("stage 1"));
    const auto newDistances = distances.first().at(2).value<ChannelDistanceRows>();
    QCOMPARE(newDistances.size(), size_t(1));
    QCOMPARE(newDistances[0].step, int64_t(30));
    QCOMPARE(newDistances[0].meanAbsMeanDiff, 0.5);
    QCOMPARE(newDistances[0].meanAbsStdDiff, 0.5);
    QCOMPARE(newDistances[0].channels, int64_t(4));
}

void TestDiagnostics::feedLoadsOnDemand() {
    DiagnosticsFeed feed(storePath_, kNeverMs);
    QSignalSpy classes(&feed, &DiagnosticsFeed::gateClassesLoaded);
    QSignalSpy stats(&feed, &DiagnosticsFeed::channelStatsLoaded);
    feed.start();

    feed.requestGateClasses(sakd_, 30);
    QCOMPARE(classes.count(), 1);
    QCOMPARE(classes.first().at(1).toLongLong(), qint64(30));
    const auto classRows = classes.first().at(2).value<GateClassRows>();
    QCOMPARE(classRows.size(), size_t(6));
    for (const store::GateClassRow& row : classRows) {
        QCOMPARE(row.step, int64_t(30));
        QCOMPARE(row.openRate, (row.spot == "logits" ? 0.5 : 0.25) + row.classIndex / 8.0 + 0.03);
    }

    feed.requestChannelStats(adain_, QStringLiteral("stage 2"), 20);
    QCOMPARE(stats.count(), 1);
    const auto statRows = stats.first().at(3).value<ChannelStatRows>();
    QCOMPARE(statRows.size(), size_t(4));
    for (const store::ChannelStatRow& row : statRows) {
        QCOMPARE(row.spot, std::string("stage 2"));
        QCOMPARE(row.studentMean, row.channel + 0.25);
        QCOMPARE(row.teacherStd, 2.0);
        QCOMPARE(row.alignmentError.has_value(), row.channel < 2);
    }
    feed.requestChannelStats(adain_, QStringLiteral("stage 9"), 20);
    QCOMPARE(stats.last().at(3).value<ChannelStatRows>().size(), size_t(0));
}

void TestDiagnostics::gatesMapHoldsOpenRatesAndClickShowsClassBars() {
    ThreadedFeed feed(storePath_, kFastPollMs);
    DiagnosticsTabs tabs;
    tabs.setFeed(feed.feed);
    tabs.resize(900, 700);
    tabs.show();
    QVERIFY(QTest::qWaitForWindowExposed(&tabs));
    tabs.showRun(sakd_);
    GatesView& view = *tabs.gatesView();
    QTRY_COMPARE_WITH_TIMEOUT(view.spotsTopToBottom(), QStringList({"stage 1", "stage 2", "logits"}), kLiveTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(tabs.currentWidget(), static_cast<QWidget*>(&view), kLiveTimeoutMs);

    // Top to bottom on screen: the first stage has the smallest pixel y, logits the largest, and the
    // axis labels say so.
    QCustomPlot* heat = view.plots().at(0);
    heat->replot(QCustomPlot::rpImmediateRefresh);
    const auto pixelY = [&](const char* spot) { return heat->yAxis->coordToPixel(view.rowOfSpot(spot)); };
    QVERIFY(pixelY("stage 1") < pixelY("stage 2"));
    QVERIFY(pixelY("stage 2") < pixelY("logits"));
    const auto labels = heat->yAxis->ticker().dynamicCast<QCPAxisTickerText>()->ticks();
    QCOMPARE(labels.value(view.rowOfSpot("stage 1")), QStringLiteral("stage 1"));
    QCOMPARE(labels.value(view.rowOfSpot("logits")), QStringLiteral("logits"));

    for (int64_t step : {10, 20, 30})
        for (int i = 0; i < 3; ++i)
            QCOMPARE(cellAt(view, step, QString::fromStdString(kGateSpots[size_t(i)])), gateRate(step, i));
    QCOMPARE(view.scale(), GatesView::Scale::LogOdds);   // the default
    QCOMPARE(view.colorScale()->dataRange(), QCPRange(-4, 4));
    view.setScale(GatesView::Scale::OpenRate);
    QCOMPARE(view.colorScale()->dataRange(), QCPRange(0, 1));
    QCOMPARE(cellAt(view, 20, "stage 2"), gateRate(20, 2));

    // Before any click the newest evaluation is shown.
    QTRY_VERIFY_WITH_TIMEOUT(view.classBars("stage 1") != nullptr, kLiveTimeoutMs);
    QCOMPARE(view.selectedEvaluationStep(), qint64(30));

    // A click on the column of step 10 selects the nearest evaluation, step 15.
    heat->replot(QCustomPlot::rpImmediateRefresh);
    const QPoint click(qRound(heat->xAxis->coordToPixel(10)), qRound(pixelY("stage 2")));
    QTest::mouseClick(heat, Qt::LeftButton, {}, click);
    QCOMPARE(view.selectedEvaluationStep(), qint64(15));
    const auto expectedBars = [](const std::string& spot) {
        std::vector<std::pair<double, double>> bars;
        for (int c = 0; c < 3; ++c) bars.emplace_back(c, (spot == "logits" ? 0.5 : 0.25) + c / 8.0 + 0.015);
        return bars;
    };
    QTRY_VERIFY_WITH_TIMEOUT(view.classBars("logits") && barPoints(view.classBars("logits")) == expectedBars("logits"),
                             kLiveTimeoutMs);
    QVERIFY(barPoints(view.classBars("stage 1")) == expectedBars("stage 1"));
    QVERIFY(view.classBars("stage 2") == nullptr);   // no per-class rows at that spot

    QCOMPARE(view.selectStep(29), qint64(30));
    QCOMPARE(view.selectStep(1000), qint64(30));

    // Live: a new step extends the map.
    writeGates(40, kGateSpots);
    QTRY_COMPARE_WITH_TIMEOUT(cellAt(view, 40, "logits"), gateRate(40, 0), kLiveTimeoutMs);
    QCOMPARE(cellAt(view, 10, "stage 2"), gateRate(10, 2));
}

// 0.99 (a gate that has begun to close) and 0.9996 (one that has not) paint nearly one colour on the
// linear scale and clearly different ones on the log-odds scale; the tool tip's rate stays the rate.
void TestDiagnostics::gatesLogOddsScaleTellsNearlyOpenGatesApart() {
    GatesView view;
    view.showRun(7);
    view.appendGates(7, {{7, 10, "stage 1", 0.99}, {7, 10, "logits", 0.9996}, {7, 20, "stage 1", 0.5},
                         {7, 20, "logits", 0.9996}});
    const auto distance = [](const QColor& a, const QColor& b) {
        return std::abs(a.red() - b.red()) + std::abs(a.green() - b.green()) + std::abs(a.blue() - b.blue());
    };
    QCOMPARE(view.scale(), GatesView::Scale::LogOdds);
    QVERIFY(std::abs(cellAt(view, 10, "stage 1") - 0.99) < 1e-12);
    const int logOddsApart = distance(colourAt(view, 10, "stage 1"), colourAt(view, 10, "logits"));
    QVERIFY2(logOddsApart > 60, qPrintable(QString("colour distance %1 on the log-odds scale").arg(logOddsApart)));
    QVERIFY2(GatesView::cellToolTip("stage 1", 10, cellAt(view, 10, "stage 1")).contains("0.990"), "tool tip");
    view.setScale(GatesView::Scale::OpenRate);
    const int linearApart = distance(colourAt(view, 10, "stage 1"), colourAt(view, 10, "logits"));
    QVERIFY2(linearApart < 10, qPrintable(QString("colour distance %1 on the linear scale").arg(linearApart)));
    QVERIFY(std::abs(cellAt(view, 20, "stage 1") - 0.5) < 1e-12);
}

void TestDiagnostics::channelScattersAndDistancesHoldStoredValues() {
    ThreadedFeed feed(storePath_, kFastPollMs);
    DiagnosticsTabs tabs;
    tabs.setFeed(feed.feed);
    tabs.showRun(adain_);
    ChannelsView& view = *tabs.channelsView();

    const auto expectedScatter = [&](const std::string& spot, int64_t step, bool means) {
        std::vector<std::pair<double, double>> points;
        for (const store::ChannelStatRow& row : store_->channelStats(adain_, spot, step))
            points.emplace_back(means ? row.teacherMean : row.teacherStd, means ? row.studentMean : row.studentStd);
        std::sort(points.begin(), points.end());
        return points;
    };
    // The first spot and the newest step by default.
    QTRY_COMPARE_WITH_TIMEOUT(view.meanScatter()->dataCount(), 4, kLiveTimeoutMs);
    QCOMPARE(view.currentSpot(), QStringLiteral("stage 1"));
    QCOMPARE(view.currentStep(), qint64(20));
    QVERIFY(graphPoints(view.meanScatter()) == expectedScatter("stage 1", 20, true));
    QVERIFY(graphPoints(view.stdScatter()) == expectedScatter("stage 1", 20, false));

    view.selectSpot(QStringLiteral("stage 2"));
    view.selectStep(10);
    QCOMPARE(view.currentStep(), qint64(10));
    QTRY_VERIFY_WITH_TIMEOUT(graphPoints(view.meanScatter()) == expectedScatter("stage 2", 10, true), kLiveTimeoutMs);
    QVERIFY(graphPoints(view.stdScatter()) == expectedScatter("stage 2", 10, false));
    QCOMPARE(graphPoints(view.meanScatter()).front(), std::make_pair(0.0, 0.5));   // channel 0, by hand

    // Distances of stage 2, computed by hand in init().
    QTRY_COMPARE_WITH_TIMEOUT(view.meanDistanceGraph()->dataCount(), 2, kLiveTimeoutMs);
    QVERIFY(graphPoints(view.meanDistanceGraph()) == (std::vector<std::pair<double, double>>{{10, 0.375}, {20, 0.25}}));
    QVERIFY(graphPoints(view.stdDistanceGraph()) == (std::vector<std::pair<double, double>>{{10, 0.25}, {20, 0.0}}));
    QVERIFY(graphPoints(view.alignmentGraph()) == (std::vector<std::pair<double, double>>{{20, 1.0}}));
    QVERIFY(view.alignmentGraph()->visible());

    // Live: a new step of stage 2 is appended to the distances and, at the end of the slider, shown.
    view.selectStep(20);
    store::RowBatch batch;
    for (int64_t c = 0; c < 4; ++c) batch.channelStats.push_back(channelRow(adain_, 30, "stage 2", c, 0.0, 1.0, 2.0, 1.0));
    store_->writeBatch(batch);
    QTRY_COMPARE_WITH_TIMEOUT(view.meanDistanceGraph()->dataCount(), 3, kLiveTimeoutMs);
    QCOMPARE(graphPoints(view.meanDistanceGraph()).back(), std::make_pair(30.0, 2.0));
    QTRY_COMPARE_WITH_TIMEOUT(view.currentStep(), qint64(30), kLiveTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(graphPoints(view.meanScatter()) == expectedScatter("stage 2", 30, true), kLiveTimeoutMs);
}

void TestDiagnostics::pathPanelsHoldOneGraphPerPath() {
    ThreadedFeed feed(storePath_, kFastPollMs);
    DiagnosticsTabs tabs;
    tabs.setFeed(feed.feed);
    tabs.showRun(multipath_);
    PathsView& view = *tabs.pathsView();
    QTRY_COMPARE_WITH_TIMEOUT(view.paths(), QStringList({"at@stages", "kd@logits"}), kLiveTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(view.weightGraph("kd@logits")->dataCount(), 3, kLiveTimeoutMs);

    QCOMPARE(view.plot()->graphCount(), 4);   // one per path in each panel
    for (const QString& path : view.paths()) {
        QCPGraph* weight = view.weightGraph(path);
        QCPGraph* loss = view.lossGraph(path);
        QCOMPARE(weight->keyAxis()->axisRect(), view.weightRect());
        QCOMPARE(loss->keyAxis()->axisRect(), view.lossRect());
        QCOMPARE(weight->pen().color(), loss->pen().color());   // the same colour in both panels
        std::vector<std::pair<double, double>> weights, losses;
        for (const store::PathWeightRow& row : store_->pathWeights(multipath_))
            if (QString::fromStdString(row.path) == path) {
                weights.emplace_back(double(row.step), row.weight);
                losses.emplace_back(double(row.step), row.rawLoss);
            }
        QVERIFY(graphPoints(weight) == weights);
        QVERIFY(graphPoints(loss) == losses);
    }
    QVERIFY(view.weightGraph("at@stages")->pen().color() != view.weightGraph("kd@logits")->pen().color());

    store::RowBatch batch;
    batch.pathWeights = {{multipath_, 40, "at@stages", 140.0, 0.4}, {multipath_, 40, "kd@logits", 0.1, 2.0}};
    store_->writeBatch(batch);
    QTRY_COMPARE_WITH_TIMEOUT(view.lossGraph("kd@logits")->dataCount(), 4, kLiveTimeoutMs);
    QCOMPARE(graphPoints(view.lossGraph("kd@logits")).back(), std::make_pair(40.0, 2.0));

    view.setLogLosses(true);
    QCOMPARE(view.lossRect()->axis(QCPAxis::atLeft)->scaleType(), QCPAxis::stLogarithmic);
    QCOMPARE(view.weightRect()->axis(QCPAxis::atLeft)->scaleType(), QCPAxis::stLinear);
}

void TestDiagnostics::tabsMatchTheRunsDiagnostics() {
    ThreadedFeed feed(storePath_, kFastPollMs);
    DiagnosticsTabs tabs;
    tabs.setFeed(feed.feed);
    QCOMPARE(tabs.tabTitles(), QStringList({"Log"}));

    tabs.showRun(sakd_);
    QTRY_COMPARE_WITH_TIMEOUT(tabs.tabTitles(), QStringList({"Gates", "Log"}), kLiveTimeoutMs);
    tabs.showRun(adain_);
    QTRY_COMPARE_WITH_TIMEOUT(tabs.tabTitles(), QStringList({"Channels", "Log"}), kLiveTimeoutMs);
    tabs.showRun(multipath_);
    QTRY_COMPARE_WITH_TIMEOUT(tabs.tabTitles(), QStringList({"Paths", "Log"}), kLiveTimeoutMs);
    QCOMPARE(tabs.plots().size(), 1);
    tabs.showRun(plain_);
    QTRY_COMPARE_WITH_TIMEOUT(tabs.tabTitles(), QStringList({"Log"}), kLiveTimeoutMs);
    QCOMPARE(tabs.plots().size(), 0);

    // The log: the run's events in order, then live ones at the bottom.
    RunLogModel* log = tabs.logView()->model();
    QTRY_COMPARE_WITH_TIMEOUT(log->rowCount(), 2, kLiveTimeoutMs);
    QCOMPARE(log->index(0, RunLogModel::MessageColumn).data().toString(), QStringLiteral("training resnet8 with ce"));
    QCOMPARE(log->index(1, RunLogModel::LevelColumn).data().toString(), QStringLiteral("warn"));
    store::RowBatch batch;
    batch.events = {{0, plain_, 1.7e9 + 40, "error", "loss became NaN at step 120"}};
    store_->writeBatch(batch);
    QTRY_COMPARE_WITH_TIMEOUT(log->rowCount(), 3, kLiveTimeoutMs);
    QCOMPARE(log->index(2, RunLogModel::MessageColumn).data().toString(), QStringLiteral("loss became NaN at step 120"));

    tabs.setStderrTail(plain_, {"terminate called", "Aborted"});
    QCOMPARE(tabs.logView()->stderrText(), QStringLiteral("terminate called\nAborted"));
    tabs.setStderrTail(sakd_, {"another run's line"});   // not the shown run: ignored
    QCOMPARE(tabs.logView()->stderrText(), QStringLiteral("terminate called\nAborted"));

    tabs.showRun(0);
    QCOMPARE(tabs.tabTitles(), QStringList({"Log"}));
    QCOMPARE(log->rowCount(), 0);
}

// A store like the one experiments/laptop writes (sakd.json and channel.json: Fashion-MNIST, 15,000
// training images, batch 128, 6 epochs = 708 steps, diagnostics every 20 steps, resnet20 → resnet8),
// built here through the Store API as the engine writes it: a sakd run with gates at its four
// decision spots every 20 steps and per-class rates at each epoch's evaluation, and a channel run
// with the 64 channels of stage 3 every 20 steps, alignment errors included.
void TestDiagnostics::laptopSizedStoreShowsGatesAndChannels() {
    constexpr int64_t kStepsPerEpoch = 118, kEpochs = 6, kEvery = 20, kChannels = 64, kClasses = 10;
    const std::vector<std::string> spots = {"stage 1", "stage 2", "stage 3", "logits"};
    const QString path = dir_->filePath(QStringLiteral("laptop.sqlite"));
    int64_t sakdRun = 0, channelRun = 0;
    int64_t gateSteps = 0, channelSteps = 0;
    {
        store::Store writer(path.toStdString());
        sakdRun = writer.insertRun(newRun("fmnist-sakd-s1", "sakd"));
        channelRun = writer.insertRun(newRun("fmnist-channel-s1", "channel"));
        for (int64_t step = 1; step <= kStepsPerEpoch * kEpochs; ++step) {
            store::RowBatch batch;
            if (step % kEvery == 0) {
                ++gateSteps;
                for (size_t k = 0; k < spots.size(); ++k)
                    batch.gates.push_back({sakdRun, step, spots[k], 0.1 * double(k) + step / 2000.0});
                ++channelSteps;
                for (int64_t c = 0; c < kChannels; ++c) {
                    const double drift = 1.0 / (1.0 + step / 100.0);   // the student nears the teacher
                    batch.channelStats.push_back(channelRow(channelRun, step, "stage 3", c, 0.01 * c, 1.0 + 0.001 * c,
                                                            0.01 * c + drift, 1.0 + 0.001 * c - drift / 2,
                                                            drift * drift));
                }
            }
            if (step % kStepsPerEpoch == 0)   // the evaluation at each epoch's end
                for (const std::string& spot : spots)
                    for (int64_t c = 0; c < kClasses; ++c)
                        batch.gateClasses.push_back({sakdRun, step, spot, c, 0.05 * double(c) + step / 10000.0});
            if (!batch.gates.empty() || !batch.gateClasses.empty()) writer.writeBatch(batch);
        }
        QCOMPARE(gateSteps, int64_t(35));
        const store::DiagnosticPresence sakd = writer.diagnosticPresence(sakdRun);
        const store::DiagnosticPresence channel = writer.diagnosticPresence(channelRun);
        QVERIFY(sakd.gates && sakd.gateClasses && !sakd.channelStats);
        QVERIFY(channel.channelStats && !channel.gates);
    }

    ThreadedFeed feed(path, kFastPollMs);
    DiagnosticsTabs tabs;
    tabs.setFeed(feed.feed);
    tabs.showRun(sakdRun);
    QTRY_COMPARE_WITH_TIMEOUT(tabs.tabTitles(), QStringList({"Gates", "Log"}), kLiveTimeoutMs);
    GatesView& gates = *tabs.gatesView();
    // Every spot, logits at the bottom; one cell per (step, spot), each the stored rate.
    QTRY_COMPARE_WITH_TIMEOUT(gates.spotsTopToBottom(), QStringList({"stage 1", "stage 2", "stage 3", "logits"}),
                              kLiveTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(!std::isnan(cellAt(gates, kStepsPerEpoch * kEpochs / kEvery * kEvery, "logits")),
                             kLiveTimeoutMs);
    int filled = 0;
    for (int k = 0; k < gates.colorMap()->data()->keySize(); ++k)
        for (int v = 0; v < gates.colorMap()->data()->valueSize(); ++v)
            if (!std::isnan(gates.colorMap()->data()->cell(k, v))) ++filled;
    QCOMPARE(filled, int(gateSteps * int64_t(spots.size())));
    for (int64_t step : {int64_t(20), int64_t(360), int64_t(700)})
        for (size_t k = 0; k < spots.size(); ++k)
            QCOMPARE(cellAt(gates, step, QString::fromStdString(spots[k])), 0.1 * double(k) + step / 2000.0);
    // The newest evaluation's per-class bars: ten classes at each spot.
    QTRY_VERIFY_WITH_TIMEOUT(gates.classBars("logits") && gates.classBars("logits")->dataCount() == kClasses,
                             kLiveTimeoutMs);
    QCOMPARE(gates.selectedEvaluationStep(), kStepsPerEpoch * kEpochs);

    tabs.showRun(channelRun);
    QTRY_COMPARE_WITH_TIMEOUT(tabs.tabTitles(), QStringList({"Channels", "Log"}), kLiveTimeoutMs);
    ChannelsView& channels = *tabs.channelsView();
    QTRY_COMPARE_WITH_TIMEOUT(channels.meanScatter()->dataCount(), int(kChannels), kLiveTimeoutMs);
    QCOMPARE(channels.currentSpot(), QStringLiteral("stage 3"));
    QCOMPARE(channels.currentStep(), qint64(700));   // the newest step
    store::Store reader(path.toStdString(), /*readOnly=*/true);
    QCOMPARE(channels.meanScatter()->dataCount(),
             int(reader.channelStats(channelRun, channels.currentSpot().toStdString(), channels.currentStep()).size()));
    QTRY_COMPARE_WITH_TIMEOUT(channels.meanDistanceGraph()->dataCount(), int(channelSteps), kLiveTimeoutMs);
    QCOMPARE(channels.alignmentGraph()->dataCount(), int(channelSteps));
    // At step 700: |Δμ| = drift for every channel, |Δσ| = drift / 2, alignment error drift².
    const double drift = 1.0 / (1.0 + 700 / 100.0);
    const auto last = graphPoints(channels.meanDistanceGraph()).back();
    QCOMPARE(last.first, 700.0);
    QVERIFY(std::fabs(last.second - drift) < 1e-12);
    QVERIFY(std::fabs(graphPoints(channels.alignmentGraph()).back().second - drift * drift) < 1e-12);
}

// Spots, paths and messages come from methods and engines, a user's spec or a foreign store: text
// holding markup shows as written in tool tips, tick labels and legends.
void TestDiagnostics::hostileNamesShowAsWritten() {
    const QList<testing::HostileText> hostile = testing::hostileTexts();
    store::RowBatch batch;
    for (int i = 0; i < hostile.size(); ++i) {
        const std::string text = hostile[i].text.toStdString();
        batch.gates.push_back({sakd_, 50, text, 0.5});
        batch.pathWeights.push_back({multipath_, 50, text, 1.0 + i, 0.5});
        batch.events.push_back({0, plain_, 1.7e9 + 60 + i, "warn", text, std::nullopt});
    }
    write(batch);

    for (const testing::HostileText& text : hostile)
        QCOMPARE(testing::shownText(GatesView::cellToolTip(text.text, 40, 0.25)),
                 testing::lineBreaksAsLf(text.text) + QStringLiteral(", step 40: open rate 0.250"));

    ThreadedFeed feed(storePath_, kFastPollMs);
    DiagnosticsTabs tabs;
    tabs.setFeed(feed.feed);
    tabs.showRun(sakd_);
    GatesView& gates = *tabs.gatesView();
    QTRY_COMPARE_WITH_TIMEOUT(gates.spotsTopToBottom().size(), 3 + hostile.size(), kLiveTimeoutMs);
    const auto labels = gates.plots().at(0)->yAxis->ticker().dynamicCast<QCPAxisTickerText>()->ticks();
    for (const testing::HostileText& text : hostile)
        QCOMPARE(labels.value(gates.rowOfSpot(text.text)), text.text);   // QCustomPlot draws plain text

    tabs.showRun(multipath_);
    PathsView& paths = *tabs.pathsView();
    QTRY_COMPARE_WITH_TIMEOUT(paths.paths().size(), 2 + hostile.size(), kLiveTimeoutMs);
    for (const testing::HostileText& text : hostile) {
        QVERIFY(paths.weightGraph(text.text));
        QCOMPARE(paths.weightGraph(text.text)->name(), text.text);
    }

    tabs.showRun(plain_);
    RunLogModel* log = tabs.logView()->model();
    QTRY_COMPARE_WITH_TIMEOUT(log->rowCount(), 2 + hostile.size(), kLiveTimeoutMs);
    for (int i = 0; i < hostile.size(); ++i) {
        const QModelIndex message = log->index(2 + i, RunLogModel::MessageColumn);
        QCOMPARE(message.data().toString(), hostile[i].text);
        QCOMPARE(testing::shownText(message.data(Qt::ToolTipRole).toString()),
                 testing::lineBreaksAsLf(hostile[i].text));
    }
}

// The feed lists per split the evaluations that have student cells, with their epochs and the run's
// class names from its spec, loads one evaluation on request, and lists a new one once its accuracy
// and cells are written.
void TestDiagnostics::feedListsEvaluationsWithClassResults() {
    DiagnosticsFeed feed(storePath_, kNeverMs);
    QSignalSpy availability(&feed, &DiagnosticsFeed::availabilityChanged);
    QSignalSpy loaded(&feed, &DiagnosticsFeed::classResultsLoaded);
    feed.start();

    feed.watchRun(classes_);
    auto a = availability.takeFirst().at(1).value<DiagnosticsAvailability>();
    QVERIFY(a.hasClassesTab());
    QCOMPARE(a.classSteps.value("val"), (QVector<qint64>{100, 200}));
    QCOMPARE(a.classSteps.value("test"), (QVector<qint64>{200}));
    QCOMPARE(a.evaluationEpochs.value(100), 1.0);
    QCOMPARE(a.evaluationEpochs.value(200), 2.0);
    QCOMPARE(a.classNames, QStringList({"class 0", "class 1", "class 2"}));

    feed.requestClassResults(classes_, QStringLiteral("val"), 100);
    QCOMPARE(loaded.count(), 1);
    QCOMPARE(loaded.first().at(1).toString(), QStringLiteral("val"));
    QCOMPARE(loaded.first().at(2).toLongLong(), qint64(100));
    const auto results = loaded.first().at(3).value<store::ClassResults>();
    QCOMPARE(results.step, int64_t(100));
    QCOMPARE(results.classes(), int64_t(3));
    QCOMPARE(results.student.rowPercent(1, 2), std::optional<double>(50.0));
    QCOMPARE(results.teacher->accuracy(1), std::optional<double>(70.0));
    QCOMPARE(results.agreement.at(1), std::optional<double>(40.0));

    feed.pollNow();   // nothing new
    QCOMPARE(availability.count(), 0);
    // An evaluation writes its accuracy and its cells (here in two transactions, the cells last).
    store::RowBatch batch;
    batch.metrics = {{classes_, "val/acc1", 300, 3.0, 75, 0}};
    write(batch);
    feed.pollNow();
    QCOMPARE(availability.count(), 0);   // no cells at 300 yet
    batch = {};
    batch.confusion = {{classes_, 300, "val", "student", 0, 0, 10}};
    write(batch);
    feed.pollNow();
    QCOMPARE(availability.count(), 1);
    a = availability.takeFirst().at(1).value<DiagnosticsAvailability>();
    QCOMPARE(a.classSteps.value("val"), (QVector<qint64>{100, 200, 300}));
    QCOMPARE(a.evaluationEpochs.value(300), 3.0);

    feed.watchRun(plain_);
    QVERIFY(!availability.takeFirst().at(1).value<DiagnosticsAvailability>().hasClassesTab());
}

void TestDiagnostics::classesShowTheNewestEvaluationByDefault() {
    ThreadedFeed feed(storePath_, kFastPollMs);
    DiagnosticsTabs tabs;
    tabs.setFeed(feed.feed);
    tabs.resize(900, 600);
    tabs.show();
    QVERIFY(QTest::qWaitForWindowExposed(&tabs));
    tabs.showRun(classes_);
    QTRY_COMPARE_WITH_TIMEOUT(tabs.tabTitles(), QStringList({"Classes", "Log"}), kLiveTimeoutMs);
    ClassesView& view = *tabs.classesView();
    QCOMPARE(tabs.plots().size(), 2);

    // The validation split, its newest evaluation (step 200); row-normalised by hand (kClassCells).
    QTRY_COMPARE_WITH_TIMEOUT(view.percentAt(1, 2), 20.0, kLiveTimeoutMs);
    QCOMPARE(view.currentSplit(), QStringLiteral("val"));
    QCOMPARE(view.currentStep(), qint64(200));
    QVERIFY(view.followsNewest());
    QCOMPARE(view.splits(), QStringList({"val", "test"}));
    QVERIFY(heatRows(view, 3) == (std::vector<std::vector<double>>{{90, 0, 10}, {20, 60, 20}, {0, 0, 100}}));
    QVERIFY(barPoints(view.studentBars()) == perClass({90, 60, 100}));
    QVERIFY(view.teacherBars() && barPoints(view.teacherBars()) == perClass({100, 70, 80}));
    QVERIFY(view.agreementBars() && barPoints(view.agreementBars()) == perClass({90, 50, 80}));
    QCOMPARE(view.classLabels(), QStringList({"class 0", "class 1", "class 2"}));
    // Class 0 in the top row and the left column; the colour scale is fixed at 0–100 %.
    QCustomPlot* heat = view.plots().at(0);
    heat->replot(QCustomPlot::rpImmediateRefresh);
    QVERIFY(heat->yAxis->coordToPixel(0) < heat->yAxis->coordToPixel(2));
    QVERIFY(heat->xAxis->coordToPixel(0) < heat->xAxis->coordToPixel(2));
    QCOMPARE(view.colorMap()->dataRange(), QCPRange(0, 100));
    QCOMPARE(view.cellText(1, 2), QStringLiteral("actual class 1, predicted class 2: 20.00% of class 1 (2 of 10)"));
    QCOMPARE(view.classText(1),
             QStringLiteral("class 1 (10 samples): student 60.00%, teacher 70.00%, agreement 50.00%"));
    QVERIFY2(view.readout().contains(QLatin1String("25 of 30 val samples correct (83.33%)")),
             qPrintable(view.readout()));
}

void TestDiagnostics::classesFollowTheRunUntilAnOlderEvaluationIsPicked() {
    ThreadedFeed feed(storePath_, kFastPollMs);
    DiagnosticsTabs tabs;
    tabs.setFeed(feed.feed);
    tabs.showRun(classes_);
    ClassesView& view = *tabs.classesView();
    QTRY_COMPARE_WITH_TIMEOUT(view.percentAt(1, 2), 20.0, kLiveTimeoutMs);

    // The older evaluation: its own cells and bars.
    view.selectStep(100);
    QVERIFY(!view.followsNewest());
    QTRY_COMPARE_WITH_TIMEOUT(view.percentAt(1, 2), 50.0, kLiveTimeoutMs);
    QVERIFY(heatRows(view, 3) == (std::vector<std::vector<double>>{{80, 20, 0}, {0, 50, 50}, {10, 0, 90}}));
    QVERIFY(barPoints(view.studentBars()) == perClass({80, 50, 90}));
    QVERIFY(barPoints(view.teacherBars()) == perClass({100, 70, 80}));   // the frozen teacher's
    QVERIFY(barPoints(view.agreementBars()) == perClass({80, 40, 70}));

    // A new evaluation does not move the user's choice...
    store::RowBatch batch;
    batch.metrics = {{classes_, "val/acc1", 300, 3.0, 80, 0}};
    for (int64_t c = 0; c < 3; ++c) batch.confusion.push_back({classes_, 300, "val", "student", c, c, 10});
    store_->writeBatch(batch);
    const QList<QComboBox*> combos = view.findChildren<QComboBox*>();
    QComboBox* steps = nullptr;
    for (QComboBox* combo : combos)
        if (combo->count() > 0 && combo->itemData(0).typeId() == QMetaType::LongLong) steps = combo;
    QVERIFY(steps);
    QTRY_COMPARE_WITH_TIMEOUT(steps->count(), 3, kLiveTimeoutMs);
    QCOMPARE(steps->itemText(2), QStringLiteral("epoch 3 (step 300)"));
    QCOMPARE(view.currentStep(), qint64(100));
    QCOMPARE(view.percentAt(1, 2), 50.0);
    // ...picking the newest follows the run again.
    steps->setCurrentIndex(2);
    QVERIFY(view.followsNewest());
    QTRY_COMPARE_WITH_TIMEOUT(view.percentAt(1, 1), 100.0, kLiveTimeoutMs);
    QCOMPARE(view.percentAt(1, 2), 0.0);

    batch = {};
    batch.metrics = {{classes_, "val/acc1", 400, 4.0, 80, 0}};
    batch.confusion = {{classes_, 400, "val", "student", 1, 2, 4}};
    store_->writeBatch(batch);
    QTRY_COMPARE_WITH_TIMEOUT(view.currentStep(), qint64(400), kLiveTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(view.percentAt(1, 2), 100.0, kLiveTimeoutMs);
    QVERIFY(std::isnan(view.percentAt(0, 0)));   // class 0 has no samples there
}

void TestDiagnostics::classesSwitchSplit() {
    ThreadedFeed feed(storePath_, kFastPollMs);
    DiagnosticsTabs tabs;
    tabs.setFeed(feed.feed);
    tabs.showRun(classes_);
    ClassesView& view = *tabs.classesView();
    QTRY_COMPARE_WITH_TIMEOUT(view.percentAt(1, 2), 20.0, kLiveTimeoutMs);

    view.selectSplit(QStringLiteral("test"));
    QCOMPARE(view.currentSplit(), QStringLiteral("test"));
    QCOMPARE(view.currentStep(), qint64(200));
    QTRY_COMPARE_WITH_TIMEOUT(view.percentAt(0, 1), 25.0, kLiveTimeoutMs);
    QVERIFY(heatRows(view, 3) == (std::vector<std::vector<double>>{{75, 25, 0}, {0, 100, 0}, {50, 0, 50}}));
    QVERIFY(barPoints(view.studentBars()) == perClass({75, 100, 50}));
    QVERIFY(view.teacherBars() && barPoints(view.teacherBars()) == perClass({100, 50, 100}));
    QVERIFY(view.agreementBars() == nullptr);   // none recorded for this split

    // Back to val, still following its newest evaluation.
    view.selectSplit(QStringLiteral("val"));
    QCOMPARE(view.currentStep(), qint64(200));
    QTRY_COMPARE_WITH_TIMEOUT(view.percentAt(1, 2), 20.0, kLiveTimeoutMs);
    QVERIFY(view.agreementBars() && barPoints(view.agreementBars()) == perClass({90, 50, 80}));
}

void TestDiagnostics::classesWithoutTeacherOrWithManyClasses() {
    // A run without a teacher has student cells only: no teacher or agreement bars. A run of 25
    // classes keeps its axes unlabelled; the read-out names the classes.
    store::NewRun plain = newRun("ce-classes", "ce");
    plain.specJson = kThreeClassSpec;
    const int64_t noTeacher = store_->insertRun(plain);
    store::NewRun many = newRun("ce-25", "ce");
    many.specJson = R"({"data": {"name": "synthetic", "num_classes": 25}})";
    const int64_t manyClasses = store_->insertRun(many);
    store::RowBatch batch;
    batch.confusion = {{noTeacher, 50, "test", "student", 0, 0, 2}, {noTeacher, 50, "test", "student", 2, 1, 4}};
    for (int64_t c = 0; c < 25; ++c) batch.confusion.push_back({manyClasses, 50, "val", "student", c, (c * 7) % 25, 3});
    store_->writeBatch(batch);

    ThreadedFeed feed(storePath_, kFastPollMs);
    DiagnosticsTabs tabs;
    tabs.setFeed(feed.feed);
    tabs.showRun(noTeacher);
    QTRY_COMPARE_WITH_TIMEOUT(tabs.tabTitles(), QStringList({"Classes", "Log"}), kLiveTimeoutMs);
    ClassesView& view = *tabs.classesView();
    QTRY_COMPARE_WITH_TIMEOUT(view.percentAt(2, 1), 100.0, kLiveTimeoutMs);
    QCOMPARE(view.currentSplit(), QStringLiteral("test"));   // the only split it has
    QVERIFY(barPoints(view.studentBars()) == (Bars{{0, 100}, {2, 0}}));   // class 1 has no samples: no bar
    QVERIFY(std::isnan(view.percentAt(1, 1)));
    QVERIFY(view.teacherBars() == nullptr);
    QVERIFY(view.agreementBars() == nullptr);
    QCOMPARE(view.cellText(1, 0), QStringLiteral("actual class 1: no samples in the test split"));

    tabs.showRun(manyClasses);
    QTRY_COMPARE_WITH_TIMEOUT(view.percentAt(3, 21), 100.0, kLiveTimeoutMs);
    QCOMPARE(view.percentAt(3, 3), 0.0);
    QCOMPARE(view.classLabels(), QStringList());
    QCOMPARE(view.studentBars()->dataCount(), 25);
    QCOMPARE(view.cellText(3, 21), QStringLiteral("actual class 3, predicted class 21: 100.00% of class 3 (3 of 3)"));

    // Runs without cells have no Classes tab.
    tabs.showRun(plain_);
    QTRY_COMPARE_WITH_TIMEOUT(tabs.tabTitles(), QStringList({"Log"}), kLiveTimeoutMs);
    tabs.showRun(sakd_);
    QTRY_COMPARE_WITH_TIMEOUT(tabs.tabTitles(), QStringList({"Gates", "Log"}), kLiveTimeoutMs);
}

QTEST_MAIN(TestDiagnostics)
#include "test_diagnostics.moc"
