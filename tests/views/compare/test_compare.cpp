// The Compare area on a fixture store of six runs (two configurations of KD × three seeds, each seed
// distilled from its own teacher run): spec flattening, differing keys, grouping across seeds,
// mean ± std, smoothing, the metric plot, and the Compare page's tables and overlay plot; hostile
// run names, spec strings and metric keys show as written in the tables, tool tips and legend.
#include <cmath>
#include <limits>

#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <QCheckBox>
#include <QDir>
#include <QLabel>
#include <QListWidget>
#include <QSlider>
#include <QSortFilterProxyModel>

#include "CompareTableModel.h"
#include "ComparePage.h"
#include "CurveControls.h"
#include "GroupedTableModel.h"
#include "MetricPlot.h"
#include "RunComparison.h"
#include "Smoothing.h"
#include "RunFixtures.h"
#include "store/Store.h"
#include "views/HostileText.h"

using namespace distillery;
using namespace distillery::views;

namespace {

constexpr int kSeeds = 3;
constexpr double kSeedOffsets[kSeeds] = {0.0, 0.3, 0.9};   // added to every accuracy of seed s

// A spec as the designer writes it (the layout of experiments/laptop).
std::string specJson(const std::string& name, int temperature, int seed) {
    return R"({"batch_size": 128, "data": {"augment": false, "name": "fashion-mnist", "val_size": 5000},
      "epochs": 3, "method": {"T": )" + std::to_string(temperature) + R"(, "alpha": 0.9, "name": "kd"},
      "name": ")" + name + R"(", "optim": {"lr": 0.1, "momentum": 0.9, "name": "sgd", "nesterov": false},
      "schedule": {"milestones": [4, 5], "name": "multistep"}, "seed": )" + std::to_string(seed) + R"(,
      "student": {"model": "resnet8"}, "teacher": {"run_name": "fmnist-teacher-s)" + std::to_string(seed) + R"("}})";
}

// Accuracies of configuration g, seed s at the three evaluations: best is the second, last the third.
double valAcc(int config, int seed, int evaluation) {
    static const double base[3] = {60.0, 80.0, 75.0};
    return base[evaluation] + 5.0 * config + kSeedOffsets[seed];
}

store::MetricPoint point(int64_t runId, const std::string& key, int64_t step, double value) {
    return testing::metricPoint(runId, key, step, value, 1.5);
}

// Test accuracies at the same evaluations: they peak at the third, where validation has already
// fallen, so the test maximum (the third) is not the headline (the second, the best validation's).
double testAcc(int config, int seed, int evaluation) {
    static const double base[3] = {61.0, 78.0, 79.5};
    return base[evaluation] + 5.0 * config + kSeedOffsets[seed];
}

double trainLoss(int config, int seed, int i) { return 2.0 / (1.0 + 0.1 * i) + 0.1 * config + 0.01 * seed; }


// A series as the poller delivers it: steps first, first+stride, …; epoch = step/100, wall = 1.5 s/step.
MetricSeries makeSeries(const QString& key, int first, int stride, int count, double (*valueAt)(int i)) {
    MetricSeries series;
    series.key = key;
    for (int i = 0; i < count; ++i) {
        const int step = first + i * stride;
        series.steps.append(step);
        series.values.append(valueAt(i));
        series.epochs.append(step / 100.0);
        series.wallTimes.append(step * 1.5);
    }
    return series;
}

double noisyLoss(int i) { return 2.0 / (1.0 + 0.05 * i) + ((i * 7919) % 13) * 0.01; }
double rising(int i) { return 50.0 + 2.0 * i; }
double learningRate(int i) { return i < 10 ? 0.1 : 0.01; }

QVector<double> graphKeys(const QCPGraph* graph) {
    QVector<double> keys;
    for (int i = 0; graph && i < graph->dataCount(); ++i) keys.append(graph->data()->at(i)->key);
    return keys;
}

QVector<double> graphValues(const QCPGraph* graph) {
    QVector<double> values;
    for (int i = 0; graph && i < graph->dataCount(); ++i) values.append(graph->data()->at(i)->value);
    return values;
}

bool nearlyEqual(const QVector<double>& a, const QVector<double>& b) {
    if (a.size() != b.size()) return false;
    for (int i = 0; i < a.size(); ++i)
        if (std::fabs(a.at(i) - b.at(i)) > 1e-12 * std::max(1.0, std::fabs(b.at(i)))) return false;
    return true;
}

QString cellText(const QAbstractItemModel* model, int row, int column) {
    return model->index(row, column).data().toString();
}

}  // namespace

class TestCompare : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    // RunComparison
    void flattensARealSpec();
    void listsDifferingKeysOfThreeRuns();
    void groupsSixRunsIntoTwoConfigurations();
    void aggregatesWithSampleStd();
    void missingRunThrowsNamingIt();
    // Smoothing
    void debiasedEmaMatchesHandComputedValues();
    // MetricPlot and CurveControls
    void smoothedGraphIsDebiasedEmaOfRaw();
    void xAxisUsesEpochsAndWallTime();
    void appendPointsExtendsTheRightGraph();
    void colourByRunGivesOneColourPerRun();
    void logYSetsTheLossAxisScale();
    void visibleKeysHideOthers();
    void hoverReadoutNamesTheNearestPoint();
    void curveControlsDriveThePlotAndRoundTripState();
    // ComparePage
    void pageTablesShowTheRunsAndGroups();
    void pageOverlaysOneCurvePerRunAndLoadsPickedKeys();
    void pageReportsAMissingRun();
    void pageShowsHostileTextAsWritten();
    void headlineIsTestAtBestValidationAndNoTestMaxIsBest();

private:
    std::unique_ptr<QTemporaryDir> dir_;
    QString storePath_;
    std::unique_ptr<store::Store> store_;
    QList<qint64> runIds_;   // config 0 seeds 1..3, then config 1 seeds 1..3
};

void TestCompare::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
}

void TestCompare::init() {
    dir_ = std::make_unique<QTemporaryDir>();
    QVERIFY(dir_->isValid());
    storePath_ = dir_->filePath(QStringLiteral("compare.sqlite"));
    store_ = std::make_unique<store::Store>(storePath_.toStdString());
    runIds_.clear();
    const int temperatures[2] = {4, 8};
    for (int config = 0; config < 2; ++config) {
        for (int seed = 0; seed < kSeeds; ++seed) {
            store::NewRun run;
            run.name = "fmnist-kd-t" + std::to_string(temperatures[config]) + "-s" + std::to_string(seed + 1);
            run.specJson = specJson(run.name, temperatures[config], seed + 1);
            run.teacher = "resnet20";
            run.student = "resnet8";
            run.method = "kd";
            run.dataset = "fashion-mnist";
            run.seed = seed + 1;
            const int64_t id = store_->insertRun(run);
            runIds_.append(id);
            store::RowBatch batch;
            for (int i = 0; i < 30; ++i) batch.metrics.push_back(point(id, "train/loss", 10 * (i + 1), trainLoss(config, seed, i)));
            for (int e = 0; e < 3; ++e) batch.metrics.push_back(point(id, "val/acc1", 100 * (e + 1), valAcc(config, seed, e)));
            store_->writeBatch(batch);
        }
    }
}

void TestCompare::cleanup() {
    store_.reset();
    dir_.reset();
}

// ---- RunComparison ------------------------------------------------------------------------------

void TestCompare::flattensARealSpec() {
    const QVariantMap config = flattenSpec(store_->run(runIds_.at(0))->specJson);
    QCOMPARE(config.value(QStringLiteral("optim.lr")).toDouble(), 0.1);
    QCOMPARE(config.value(QStringLiteral("method.T")).toLongLong(), 4);
    QCOMPARE(config.value(QStringLiteral("data.name")).toString(), QStringLiteral("fashion-mnist"));
    QCOMPARE(config.value(QStringLiteral("data.augment")).metaType().id(), QMetaType::Bool);
    QCOMPARE(config.value(QStringLiteral("schedule.milestones")).toString(), QStringLiteral("[4,5]"));
    QCOMPARE(config.value(QStringLiteral("teacher.run_name")).toString(), QStringLiteral("fmnist-teacher-s1"));
    QVERIFY(!config.contains(QStringLiteral("optim")));   // only leaves
    QCOMPARE(config.size(), 18);
    QVERIFY(flattenSpec("not json").isEmpty());
}

void TestCompare::listsDifferingKeysOfThreeRuns() {
    // Seed 1 and 2 of T=4, seed 1 of T=8: name, seed and teacher differ, and the temperature.
    QList<ComparedRun> runs = loadComparedRuns(*store_, {runIds_.at(0), runIds_.at(1), runIds_.at(3)});
    QCOMPARE(differingKeys(runs), (QStringList{"method.T", "name", "seed", "teacher.run_name"}));
    // A key that one run lacks differs too.
    runs[2].config.insert(QStringLiteral("optim.grad_clip"), 1.0);
    QCOMPARE(differingKeys(runs), (QStringList{"method.T", "name", "optim.grad_clip", "seed", "teacher.run_name"}));
    // Only one run: nothing differs.
    QVERIFY(differingKeys(runs.mid(0, 1)).isEmpty());
}

void TestCompare::groupsSixRunsIntoTwoConfigurations() {
    // Interleave the configurations so that the groups' member order is checked as well.
    const QList<qint64> ids = {runIds_.at(3), runIds_.at(0), runIds_.at(4), runIds_.at(1), runIds_.at(5), runIds_.at(2)};
    const QList<ComparedRun> runs = loadComparedRuns(*store_, ids);
    const QList<RunGroup> groups = groupRuns(runs);
    QCOMPARE(groups.size(), 2);
    QCOMPARE(groups.at(0).members, (QList<int>{0, 2, 4}));
    QCOMPARE(groups.at(1).members, (QList<int>{1, 3, 5}));
    QCOMPARE(groups.at(0).label, QStringLiteral("fmnist-kd-t8"));
    QCOMPARE(groups.at(1).label, QStringLiteral("fmnist-kd-t4"));
    QCOMPARE(groups.at(0).config.value(QStringLiteral("method.T")).toLongLong(), 8);
    QVERIFY(!groups.at(0).config.contains(QStringLiteral("seed")));
    QVERIFY(!groups.at(0).config.contains(QStringLiteral("teacher.run_name")));

    // Without the seed in the across keys every run is a group of its own.
    QCOMPARE(groupRuns(runs, {QStringLiteral("name")}).size(), 6);

    // Runs named alike for different configs are told apart by the keys that differ.
    QList<ComparedRun> renamed = runs;
    for (ComparedRun& run : renamed) run.run.name = "sweep-s" + std::to_string(run.run.seed);
    const QList<RunGroup> sweep = groupRuns(renamed);
    QCOMPARE(sweep.at(0).label, QStringLiteral("sweep (method.T=8)"));
    QCOMPARE(sweep.at(1).label, QStringLiteral("sweep (method.T=4)"));
}

void TestCompare::aggregatesWithSampleStd() {
    const Aggregate four = aggregate({1.0, 2.0, 3.0, 4.0});
    QCOMPARE(four.n, 4);
    QCOMPARE(four.mean, 2.5);
    QVERIFY(std::fabs(four.std - std::sqrt(5.0 / 3.0)) < 1e-12);   // squares 2.25+0.25+0.25+2.25 over 3
    const Aggregate one = aggregate({88.6});
    QCOMPARE(one.n, 1);
    QCOMPARE(one.std, 0.0);
    QCOMPARE(aggregate({}).n, 0);

    QCOMPARE(formatAggregate({3, 88.6, 0.1111}, 2), QStringLiteral("88.60 ± 0.11"));
    QCOMPARE(formatAggregate(one, 2), QStringLiteral("88.60"));
    QCOMPARE(formatAggregate({}, 2), QStringLiteral("—"));

    // Over the fixture's seeds: best val/acc1 of T=4 is 80, 80.3, 80.9.
    const QList<ComparedRun> runs = loadComparedRuns(*store_, runIds_);
    const Aggregate best = aggregateOf(runs, {0, 1, 2}, QStringLiteral("val/acc1"), SummaryStat::Best);
    QCOMPARE(best.n, 3);
    QVERIFY(std::fabs(best.mean - 80.4) < 1e-9);
    QVERIFY(std::fabs(best.std - std::sqrt(0.21)) < 1e-9);   // (0.16 + 0.01 + 0.25) / 2
    QCOMPARE(*runs.at(4).value(QStringLiteral("val/acc1"), SummaryStat::Last), 80.3);
    QCOMPARE(*runs.at(4).value(QStringLiteral("val/acc1"), SummaryStat::Min), 65.3);
    QCOMPARE(*runs.at(0).value(QStringLiteral("train/loss"), SummaryStat::Best), trainLoss(0, 0, 29));
    QVERIFY(!runs.at(0).value(QStringLiteral("test/acc1"), SummaryStat::Last));
}

void TestCompare::missingRunThrowsNamingIt() {
    try {
        loadComparedRuns(*store_, {runIds_.at(0), 4242});
        QFAIL("loading a run that does not exist did not throw");
    } catch (const std::runtime_error& error) {
        QVERIFY2(QString::fromUtf8(error.what()).contains(QStringLiteral("run 4242 ")), error.what());
    }
}

// ---- Smoothing ------------------------------------------------------------------------------------

void TestCompare::debiasedEmaMatchesHandComputedValues() {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    // w = 0.5: last 0.5, 1.25, (NaN skipped), 2.625; debias 0.5, 0.75, 0.875.
    const QVector<double> smoothed = debiasedEma({1.0, 2.0, nan, 4.0}, 0.5);
    QCOMPARE(smoothed.size(), 4);
    QCOMPARE(smoothed.at(0), 1.0);
    QVERIFY(std::fabs(smoothed.at(1) - 1.25 / 0.75) < 1e-12);
    QVERIFY(std::isnan(smoothed.at(2)));
    QVERIFY(std::fabs(smoothed.at(3) - 3.0) < 1e-12);
    // w = 0.9 on a constant stays on it (the debiasing at work), weight 0 is the identity.
    for (double v : debiasedEma({5.0, 5.0, 5.0}, 0.9)) QVERIFY(std::fabs(v - 5.0) < 1e-12);
    QCOMPARE(debiasedEma({1.0, 7.0, 3.0}, 0.0), (QVector<double>{1.0, 7.0, 3.0}));
    // The running state continues exactly where the batch function would.
    DebiasedEma ema(0.5);
    ema.add(1.0);
    ema.add(2.0);
    QVERIFY(std::fabs(ema.add(4.0) - debiasedEma({1.0, 2.0, 4.0}, 0.5).at(2)) < 1e-12);
}

// ---- MetricPlot ----------------------------------------------------------------------------------

void TestCompare::smoothedGraphIsDebiasedEmaOfRaw() {
    MetricPlot plot;
    const MetricSeries loss = makeSeries(QStringLiteral("train/loss"), 10, 10, 40, noisyLoss);
    plot.setSeries(7, QStringLiteral("kd-s1"), {loss});
    QVERIFY(!plot.rawGraph(7, QStringLiteral("train/loss")));   // smoothing off: no faint copy
    QCOMPARE(graphValues(plot.graph(7, QStringLiteral("train/loss"))), loss.values);

    plot.setSmoothing(0.6);
    const QCPGraph* smoothed = plot.graph(7, QStringLiteral("train/loss"));
    const QCPGraph* raw = plot.rawGraph(7, QStringLiteral("train/loss"));
    QVERIFY(raw && raw->visible());
    QVERIFY(nearlyEqual(graphValues(smoothed), debiasedEma(loss.values, 0.6)));
    QCOMPARE(graphValues(raw), loss.values);
    QCOMPARE(graphKeys(smoothed), loss.steps);
    QVERIFY(raw->pen().color().alpha() < smoothed->pen().color().alpha());   // faint

    // Live points continue the average exactly where a full recomputation would be.
    const MetricSeries more = makeSeries(QStringLiteral("train/loss"), 410, 10, 5, rising);
    plot.appendPoints(7, {more});
    QVERIFY(nearlyEqual(graphValues(smoothed), debiasedEma(loss.values + more.values, 0.6)));
    QCOMPARE(raw->dataCount(), 45);

    plot.setSmoothing(0);
    QVERIFY(!plot.rawGraph(7, QStringLiteral("train/loss")));
    QCOMPARE(graphValues(plot.graph(7, QStringLiteral("train/loss"))), loss.values + more.values);
}

void TestCompare::xAxisUsesEpochsAndWallTime() {
    MetricPlot plot;
    const MetricSeries acc = makeSeries(QStringLiteral("val/acc1"), 100, 100, 6, rising);
    plot.setSeries(1, QStringLiteral("run"), {acc});
    plot.setXAxis(MetricPlot::XAxis::Epoch);
    QCOMPARE(graphKeys(plot.graph(1, QStringLiteral("val/acc1"))), acc.epochs);
    QCOMPARE(plot.xAxis->label(), QStringLiteral("epoch"));
    QVERIFY(plot.xAxis->range().lower <= 1.0 && plot.xAxis->range().upper >= 6.0);   // refitted

    plot.setXAxis(MetricPlot::XAxis::WallTimeMinutes);
    QVector<double> minutes;
    for (double seconds : acc.wallTimes) minutes.append(seconds / 60.0);
    QVERIFY(nearlyEqual(graphKeys(plot.graph(1, QStringLiteral("val/acc1"))), minutes));
    QCOMPARE(plot.xAxis->label(), QStringLiteral("wall time (min)"));
    // Live points land on the current axis too.
    plot.appendPoints(1, {makeSeries(QStringLiteral("val/acc1"), 700, 100, 1, rising)});
    QCOMPARE(graphKeys(plot.graph(1, QStringLiteral("val/acc1"))).last(), 700 * 1.5 / 60.0);

    plot.setXAxis(MetricPlot::XAxis::Step);
    QCOMPARE(plot.xAxis->label(), QStringLiteral("step"));
    QCOMPARE(plot.yAxis2->label(), QStringLiteral("accuracy (%)"));
    // The loss axis has no curve: no numbers that would mean nothing, until a loss arrives.
    QVERIFY(!plot.yAxis->tickLabels());
    plot.appendPoints(1, {makeSeries(QStringLiteral("train/loss"), 10, 10, 3, noisyLoss)});
    QVERIFY(plot.yAxis->tickLabels());
    QCOMPARE(plot.yAxis->label(), QStringLiteral("loss"));
}

void TestCompare::appendPointsExtendsTheRightGraph() {
    MetricPlot plot;
    plot.setSeries(1, QStringLiteral("a"), {makeSeries(QStringLiteral("train/loss"), 10, 10, 5, noisyLoss),
                                            makeSeries(QStringLiteral("val/acc1"), 50, 50, 1, rising)});
    plot.setSeries(2, QStringLiteral("b"), {makeSeries(QStringLiteral("train/loss"), 10, 10, 5, noisyLoss)});
    plot.appendPoints(2, {makeSeries(QStringLiteral("train/loss"), 60, 10, 2, rising)});
    QCOMPARE(graphKeys(plot.graph(2, QStringLiteral("train/loss"))), (QVector<double>{10, 20, 30, 40, 50, 60, 70}));
    QCOMPARE(graphValues(plot.graph(2, QStringLiteral("train/loss"))).mid(5), (QVector<double>{50.0, 52.0}));
    QCOMPARE(plot.graph(1, QStringLiteral("train/loss"))->dataCount(), 5);
    QCOMPARE(plot.graph(1, QStringLiteral("val/acc1"))->dataCount(), 1);
    QCOMPARE(plot.graph(1, QStringLiteral("val/acc1"))->valueAxis(), plot.yAxis2);
    QCOMPARE(plot.graph(1, QStringLiteral("train/loss"))->valueAxis(), plot.yAxis);

    // A key first logged live gets its graph; points of a run without history are dropped.
    QSignalSpy keysChanged(&plot, &MetricPlot::keysChanged);
    plot.appendPoints(2, {makeSeries(QStringLiteral("val/acc1"), 100, 100, 1, rising)});
    QCOMPARE(plot.graph(2, QStringLiteral("val/acc1"))->dataCount(), 1);
    QCOMPARE(keysChanged.count(), 0);   // val/acc1 was known from run 1
    plot.appendPoints(9, {makeSeries(QStringLiteral("train/loss"), 10, 10, 3, noisyLoss)});
    QVERIFY(!plot.graph(9, QStringLiteral("train/loss")));
    plot.appendPoints(2, {makeSeries(QStringLiteral("train/loss/kd"), 10, 10, 3, noisyLoss)});
    QCOMPARE(keysChanged.count(), 1);
    QCOMPARE(plot.keys(), (QStringList{"train/loss", "val/acc1", "train/loss/kd"}));

    // setSeries replaces a run's series; clearSeries forgets everything.
    plot.setSeries(2, QStringLiteral("b"), {makeSeries(QStringLiteral("train/loss"), 10, 10, 2, noisyLoss)});
    QCOMPARE(plot.graph(2, QStringLiteral("train/loss"))->dataCount(), 2);
    QVERIFY(!plot.graph(2, QStringLiteral("val/acc1")));
    plot.clearSeries();
    QVERIFY(!plot.graph(1, QStringLiteral("train/loss")));
    QCOMPARE(plot.graphCount(), 0);
    QCOMPARE(plot.hintText(), QStringLiteral("Select a run to see its curves"));
}

void TestCompare::colourByRunGivesOneColourPerRun() {
    MetricPlot plot;
    for (qint64 run : {11, 12, 13})
        plot.setSeries(run, QStringLiteral("run %1").arg(run),
                       {makeSeries(QStringLiteral("train/loss"), 10, 10, 5, noisyLoss),
                        makeSeries(QStringLiteral("val/acc1"), 50, 50, 1, rising)});
    auto color = [&](qint64 run, const char* key) { return plot.graph(run, QString::fromLatin1(key))->pen().color(); };

    // Live's default: one colour per key, the same for every run.
    QCOMPARE(color(11, "train/loss"), color(12, "train/loss"));
    QVERIFY(color(11, "train/loss") != color(11, "val/acc1"));

    plot.setColourBy(MetricPlot::ColourBy::Run);
    QSet<QRgb> runColours;
    for (qint64 run : {11, 12, 13}) {
        QCOMPARE(color(run, "train/loss"), plot.runColor(run));
        QCOMPARE(color(run, "val/acc1"), plot.runColor(run));
        runColours.insert(plot.runColor(run).rgb());
    }
    QCOMPARE(runColours.size(), 3);
    // The keys of one run are told apart by their dashes.
    QVERIFY(plot.graph(11, QStringLiteral("train/loss"))->pen().style() !=
            plot.graph(11, QStringLiteral("val/acc1"))->pen().style());
    // A run keeps its colour when its series are replaced.
    const QColor before = plot.runColor(12);
    plot.setSeries(12, QStringLiteral("run 12"), {makeSeries(QStringLiteral("train/loss"), 10, 10, 2, noisyLoss)});
    QCOMPARE(color(12, "train/loss"), before);
}

void TestCompare::logYSetsTheLossAxisScale() {
    MetricPlot plot;
    plot.setSeries(1, QStringLiteral("a"), {makeSeries(QStringLiteral("train/loss"), 10, 10, 20, noisyLoss),
                                            makeSeries(QStringLiteral("val/acc1"), 50, 50, 4, rising)});
    plot.setLogY(true);
    QCOMPARE(plot.yAxis->scaleType(), QCPAxis::stLogarithmic);
    QCOMPARE(plot.yAxis2->scaleType(), QCPAxis::stLinear);   // accuracies stay linear
    QVERIFY(plot.yAxis->range().lower > 0);
    QVERIFY(qSharedPointerDynamicCast<QCPAxisTickerLog>(plot.yAxis->ticker()));
    plot.setLogY(false);
    QCOMPARE(plot.yAxis->scaleType(), QCPAxis::stLinear);
    QVERIFY(!qSharedPointerDynamicCast<QCPAxisTickerLog>(plot.yAxis->ticker()));
}

void TestCompare::visibleKeysHideOthers() {
    MetricPlot plot;
    plot.setSeries(1, QStringLiteral("a"), {makeSeries(QStringLiteral("train/loss"), 10, 10, 20, noisyLoss),
                                            makeSeries(QStringLiteral("val/acc1"), 50, 50, 4, rising),
                                            makeSeries(QStringLiteral("lr"), 10, 10, 20, learningRate)});
    // By default the losses and accuracies show; lr has a scale of its own and waits to be chosen.
    QCOMPARE(plot.visibleKeys(), (QStringList{"train/loss", "val/acc1"}));
    QVERIFY(!plot.graph(1, QStringLiteral("lr"))->visible());
    QCOMPARE(plot.legend->itemCount(), 2);

    plot.setVisibleKeys({QStringLiteral("val/acc1")});
    QVERIFY(plot.graph(1, QStringLiteral("val/acc1"))->visible());
    QVERIFY(!plot.graph(1, QStringLiteral("train/loss"))->visible());
    QCOMPARE(plot.legend->itemCount(), 1);

    plot.setKeyVisible(QStringLiteral("lr"), true);
    QVERIFY(plot.graph(1, QStringLiteral("lr"))->visible());
    QCOMPARE(plot.yAxis->label(), QStringLiteral("lr"));   // the left axis now shows lr alone
    plot.setKeyVisible(QStringLiteral("val/acc1"), false);
    plot.setKeyVisible(QStringLiteral("lr"), false);
    QVERIFY(plot.visibleKeys().isEmpty());                 // a choice of nothing is kept
    QCOMPARE(plot.hintText(), QStringLiteral("Pick a metric to plot"));

    plot.setVisibleKeys({});
    QCOMPARE(plot.visibleKeys(), (QStringList{"train/loss", "val/acc1"}));
    QVERIFY(!plot.keysChosen());
}

void TestCompare::hoverReadoutNamesTheNearestPoint() {
    MetricPlot plot;
    plot.resize(800, 500);
    plot.setSeries(3, QStringLiteral("kd-s1"), {makeSeries(QStringLiteral("train/loss"), 10, 10, 20, noisyLoss)});
    plot.setSeries(4, QStringLiteral("kd-s2"), {makeSeries(QStringLiteral("val/acc1"), 50, 50, 4, rising)});
    plot.replot();   // lays out the axes, so pixels mean something

    QCPGraph* acc = plot.graph(4, QStringLiteral("val/acc1"));
    const QPointF third = acc->coordsToPixels(150, rising(2));
    QVERIFY(plot.showReadoutAt(third + QPointF(2, 3)));
    QCOMPARE(plot.readoutText(), QStringLiteral("kd-s2 · val/acc1\nstep: 150\nvalue: 54.00"));

    QCPGraph* loss = plot.graph(3, QStringLiteral("train/loss"));
    QVERIFY(plot.showReadoutAt(loss->coordsToPixels(100, noisyLoss(9))));
    QVERIFY(plot.readoutText().startsWith(QStringLiteral("kd-s1 · train/loss\nstep: 100\n")));

    QVERIFY(!plot.showReadoutAt(QPointF(1, 1)));   // outside the axes
    QVERIFY(plot.readoutText().isEmpty());
}

void TestCompare::curveControlsDriveThePlotAndRoundTripState() {
    MetricPlot plot;
    CurveControls controls(&plot);
    QCOMPARE(plot.smoothing(), CurveControls::kDefaultSmoothing);
    plot.setSeries(1, QStringLiteral("a"), {makeSeries(QStringLiteral("train/loss"), 10, 10, 20, noisyLoss),
                                            makeSeries(QStringLiteral("lr"), 10, 10, 20, learningRate)});
    QListWidget* list = controls.keyList();
    QCOMPARE(list->count(), 2);
    QCOMPARE(list->item(0)->checkState(), Qt::Checked);     // train/loss
    QCOMPARE(list->item(1)->checkState(), Qt::Unchecked);   // lr
    list->item(1)->setCheckState(Qt::Checked);
    QVERIFY(plot.graph(1, QStringLiteral("lr"))->visible());

    controls.smoothingSlider()->setValue(0);   // the explicit off position
    QCOMPARE(plot.smoothing(), 0.0);
    QVERIFY(!plot.rawGraph(1, QStringLiteral("train/loss")));
    controls.smoothingSlider()->setValue(85);
    QCOMPARE(plot.smoothing(), 0.85);
    controls.xAxisBox()->setCurrentIndex(controls.xAxisBox()->findText(QStringLiteral("epoch")));
    QCOMPARE(plot.xAxisMode(), MetricPlot::XAxis::Epoch);
    controls.logYBox()->setChecked(true);
    QVERIFY(plot.logY());

    const QVariantMap state = controls.saveState();
    MetricPlot other;
    CurveControls otherControls(&other);
    otherControls.restoreState(state);
    QCOMPARE(other.xAxisMode(), MetricPlot::XAxis::Epoch);
    QCOMPARE(other.smoothing(), 0.85);
    QVERIFY(other.logY());
    QCOMPARE(other.chosenKeys(), (QStringList{"train/loss", "lr"}));
    QCOMPARE(otherControls.smoothingSlider()->value(), 85);
    QVERIFY(otherControls.logYBox()->isChecked());
}

// ---- ComparePage ---------------------------------------------------------------------------------

void TestCompare::pageTablesShowTheRunsAndGroups() {
    ComparePage page;
    page.setStorePath(storePath_);
    QSignalSpy loaded(&page, &ComparePage::runsLoaded);
    page.setRuns(runIds_);
    QVERIFY(loaded.wait(10000));

    const CompareTableModel* table = page.tableModel();
    QCOMPARE(table->rowCount(), 6);
    QCOMPARE(cellText(table, 4, CompareTableModel::NameColumn), QStringLiteral("fmnist-kd-t8-s2"));
    QCOMPARE(cellText(table, 4, CompareTableModel::PairColumn), QStringLiteral("resnet20 → resnet8"));
    QCOMPARE(cellText(table, 4, CompareTableModel::SeedColumn), QStringLiteral("2"));
    QCOMPARE(table->metrics(), QStringList{QStringLiteral("val/acc1")});   // the default pick
    for (int row = 0; row < 6; ++row) {
        const int config = row / kSeeds, seed = row % kSeeds;
        const int best = table->metricColumn(QStringLiteral("val/acc1"), SummaryStat::Best);
        const int last = table->metricColumn(QStringLiteral("val/acc1"), SummaryStat::Last);
        const int min = table->metricColumn(QStringLiteral("val/acc1"), SummaryStat::Min);
        QCOMPARE(table->index(row, best).data(CompareTableModel::ValueRole).toDouble(), valAcc(config, seed, 1));
        QCOMPARE(table->index(row, last).data(CompareTableModel::ValueRole).toDouble(), valAcc(config, seed, 2));
        QCOMPARE(table->index(row, min).data(CompareTableModel::ValueRole).toDouble(), valAcc(config, seed, 0));
        QCOMPARE(cellText(table, row, best), QString::number(valAcc(config, seed, 1), 'f', 2));
    }
    QCOMPARE(table->headerData(table->metricColumn(QStringLiteral("val/acc1"), SummaryStat::Max), Qt::Horizontal)
                 .toString(),
             QStringLiteral("val/acc1 max"));

    // Differences only: exactly the differing keys; off: every key of the specs.
    QCOMPARE(table->configKeys(), differingKeys(page.comparedRuns()));
    QCOMPARE(table->configKeys(), (QStringList{"method.T", "name", "seed", "teacher.run_name"}));
    QCOMPARE(cellText(table, 3, table->configColumn(QStringLiteral("method.T"))), QStringLiteral("8"));
    const int narrow = table->columnCount();
    page.differencesOnlyBox()->setChecked(false);
    QCOMPARE(table->configKeys(), allConfigKeys(page.comparedRuns()));
    QCOMPARE(table->configKeys().size(), 18);
    QCOMPARE(table->columnCount(), narrow + 14);

    // Numeric sort on values through the proxy: the best run first.
    page.tableView()->sortByColumn(table->metricColumn(QStringLiteral("val/acc1"), SummaryStat::Best), Qt::DescendingOrder);
    QCOMPARE(page.tableProxy()->index(0, CompareTableModel::NameColumn).data().toString(), QStringLiteral("fmnist-kd-t8-s3"));
    QCOMPARE(page.tableProxy()->index(5, CompareTableModel::NameColumn).data().toString(), QStringLiteral("fmnist-kd-t4-s1"));

    // Grouped: two configurations of three seeds, mean ± sample std of best and last.
    const GroupedTableModel* grouped = page.groupedModel();
    QCOMPARE(grouped->rowCount(), 2);
    QCOMPARE(cellText(grouped, 0, GroupedTableModel::LabelColumn), QStringLiteral("fmnist-kd-t4"));
    QCOMPARE(cellText(grouped, 1, GroupedTableModel::LabelColumn), QStringLiteral("fmnist-kd-t8"));
    QCOMPARE(cellText(grouped, 0, GroupedTableModel::RunsColumn), QStringLiteral("3"));
    const int groupBest = grouped->metricColumn(QStringLiteral("val/acc1"), SummaryStat::Best);
    const int groupLast = grouped->metricColumn(QStringLiteral("val/acc1"), SummaryStat::Last);
    // Seeds add 0, 0.3, 0.9: mean +0.4, sample std sqrt(0.21) = 0.458.
    QCOMPARE(cellText(grouped, 0, groupBest), QStringLiteral("80.40 ± 0.46"));
    QCOMPARE(cellText(grouped, 0, groupLast), QStringLiteral("75.40 ± 0.46"));
    QCOMPARE(cellText(grouped, 1, groupBest), QStringLiteral("85.40 ± 0.46"));
    QVERIFY(std::fabs(grouped->index(1, groupLast).data(GroupedTableModel::MeanRole).toDouble() - 80.4) < 1e-9);
    QVERIFY(std::fabs(grouped->index(1, groupLast).data(GroupedTableModel::StdRole).toDouble() - std::sqrt(0.21)) < 1e-9);
    QCOMPARE(page.statusText(), QStringLiteral("6 runs · 2 configurations · 4 spec fields differ"));
}

void TestCompare::pageOverlaysOneCurvePerRunAndLoadsPickedKeys() {
    ComparePage page;
    page.setStorePath(storePath_);
    QSignalSpy loaded(&page, &ComparePage::runsLoaded);
    page.setRuns(runIds_);
    QVERIFY(loaded.wait(10000));

    MetricPlot* plot = page.plot();
    QCOMPARE(plot->colourBy(), MetricPlot::ColourBy::Run);
    QCOMPARE(plot->smoothing(), 0.0);   // a few evaluations per run are not smoothed by default
    QCOMPARE(plot->keys(), (QStringList{"train/loss", "val/acc1"}));   // every key is offered
    int shown = 0;
    for (int g = 0; g < plot->graphCount(); ++g)
        if (plot->graph(g)->visible() && plot->graph(g)->dataCount() > 0 &&
            plot->graph(g)->layer()->name() == QLatin1String("main"))   // not the faint raw copies
            ++shown;
    QCOMPARE(shown, 6);
    QSet<QRgb> colours;
    for (int row = 0; row < runIds_.size(); ++row) {
        const qint64 runId = runIds_.at(row);
        const QCPGraph* graph = plot->graph(runId, QStringLiteral("val/acc1"));
        QVERIFY(graph && graph->visible());
        QCOMPARE(graph->dataCount(), 3);
        QCOMPARE(graph->pen().color(), plot->runColor(runId));
        // The table's swatch is the curve's colour.
        QCOMPARE(page.tableModel()->index(row, CompareTableModel::NameColumn).data(Qt::DecorationRole).value<QColor>(),
                 plot->runColor(runId));
        colours.insert(plot->runColor(runId).rgb());
        QVERIFY(!plot->graph(runId, QStringLiteral("train/loss")));   // not read until picked
    }
    QCOMPARE(colours.size(), 6);

    // Picking a key reads its points and adds its columns.
    QSignalSpy series(&page, &ComparePage::seriesLoaded);
    plot->setKeyVisible(QStringLiteral("train/loss"), true);
    QVERIFY(series.wait(10000));
    for (qint64 runId : runIds_) QCOMPARE(plot->graph(runId, QStringLiteral("train/loss"))->dataCount(), 30);
    QVERIFY(page.tableModel()->metricColumn(QStringLiteral("train/loss"), SummaryStat::Best) >= 0);
    QCOMPARE(page.groupedModel()->metrics(), (QStringList{"train/loss", "val/acc1"}));   // the picker's order

    // A new selection keeps the pick and recolours by its order.
    page.setRuns({runIds_.at(5), runIds_.at(0)});
    QVERIFY(loaded.wait(10000));
    QCOMPARE(page.tableModel()->rowCount(), 2);
    QCOMPARE(plot->runIds(), (QList<qint64>{runIds_.at(5), runIds_.at(0)}));
    QCOMPARE(plot->graph(runIds_.at(5), QStringLiteral("train/loss"))->dataCount(), 30);
    QVERIFY(!plot->graph(runIds_.at(1), QStringLiteral("val/acc1")));
    QCOMPARE(page.groupedModel()->rowCount(), 2);
}

void TestCompare::pageReportsAMissingRun() {
    ComparePage page;
    page.setStorePath(storePath_);
    QSignalSpy failed(&page, &ComparePage::loadFailed);
    page.setRuns({runIds_.at(0), 4242});
    QVERIFY(failed.wait(10000));
    const QString message = failed.first().first().toString();
    QVERIFY2(message.contains(QStringLiteral("run 4242 ")), qPrintable(message));
    QCOMPARE(page.statusText(), message);
    QVERIFY(!page.isLoading());
}

void TestCompare::pageShowsHostileTextAsWritten() {
    // One run per hostile text, named by it, its teacher checkpoint and data root the same text; each
    // logs val/acc1 and a key named by its own text, which the other runs lack.
    const QString path = dir_->filePath(testing::hostileFileName(QStringLiteral("sqlite")));
    QList<qint64> ids;
    QStringList texts;
    {
        store::Store s(path.toStdString());
        for (const testing::HostileText& hostile : testing::hostileTexts()) {
            store::NewRun run;
            run.name = hostile.text.toStdString();
            run.specJson = testing::hostileSpecJson(hostile.text, 1, hostile.text, hostile.text);
            run.teacher = "resnet20";
            run.student = "resnet8";
            run.method = "kd";
            run.dataset = "fashion-mnist";
            run.seed = 1;
            const int64_t id = s.insertRun(run);
            store::RowBatch batch;
            batch.metrics = {point(id, "val/acc1", 100, 70.0 + ids.size()),
                             point(id, hostile.text.toStdString(), 100, 0.5)};
            s.writeBatch(batch);
            ids.append(id);
            texts.append(hostile.text);
        }
    }
    ComparePage page;
    page.setStorePath(path);
    QSignalSpy loaded(&page, &ComparePage::runsLoaded);
    page.setRuns(ids);
    QVERIFY(loaded.wait(10000));

    CompareTableModel* table = page.tableModel();
    table->setMetrics({QStringLiteral("val/acc1"), texts.first()});
    const int missing = table->metricColumn(texts.first(), SummaryStat::Last);
    const QString lastTip = table->headerData(missing, Qt::Horizontal, Qt::ToolTipRole).toString();
    QCOMPARE(testing::shownText(lastTip), texts.first() + QStringLiteral(" at the run's last logged step"));
    for (int row = 0; row < ids.size(); ++row) {
        const QString& text = texts[row];
        QCOMPARE(cellText(table, row, CompareTableModel::NameColumn), text);
        QCOMPARE(cellText(table, row, table->configColumn(QStringLiteral("data.root"))), text);
        QCOMPARE(cellText(table, row, table->configColumn(QStringLiteral("teacher.checkpoint"))), text);
        if (row > 0) {   // this run did not log the first run's key: the tool tip names both as written
            const QString tip = table->index(row, missing).data(Qt::ToolTipRole).toString();
            QCOMPARE(testing::shownText(tip), testing::lineBreaksAsLf(text) + QStringLiteral(" logged no ") +
                                                  testing::lineBreaksAsLf(texts.first()));
        }
        // The legend names the run as written (QCustomPlot draws it as plain text).
        const QCPGraph* graph = page.plot()->graph(ids[row], QStringLiteral("val/acc1"));
        QVERIFY(graph);
        QCOMPARE(graph->name(), text);
        QVERIFY(page.plot()->legend->itemWithPlottable(graph));
    }
    // Each configuration is a group of one; its tool tip lists its run as written.
    const GroupedTableModel* grouped = page.groupedModel();
    QCOMPARE(grouped->rowCount(), static_cast<int>(ids.size()));
    QStringList shownNames;
    for (int row = 0; row < grouped->rowCount(); ++row)
        shownNames.append(
            testing::shownText(grouped->index(row, GroupedTableModel::LabelColumn).data(Qt::ToolTipRole).toString()));
    for (const QString& text : texts)
        QVERIFY2(shownNames.contains(QStringLiteral("Runs: ") + testing::lineBreaksAsLf(text)),
                 qPrintable(shownNames.join('|')));

    // An error quoting the store's path shows it as plain text.
    QSignalSpy failed(&page, &ComparePage::loadFailed);
    page.setStorePath(dir_->filePath(QStringLiteral("missing/") + testing::hostileFileName(QStringLiteral("sqlite"))));
    page.setRuns({1});
    QVERIFY(failed.wait(10000));
    const QLabel* status = nullptr;
    for (const QLabel* label : page.findChildren<QLabel*>())
        if (label->text() == page.statusText()) status = label;
    QVERIFY(status);
    QCOMPARE(status->textFormat(), Qt::PlainText);
}

void TestCompare::headlineIsTestAtBestValidationAndNoTestMaxIsBest() {
    for (int row = 0; row < runIds_.size(); ++row) {
        store::RowBatch batch;
        for (int e = 0; e < 3; ++e)
            batch.metrics.push_back(point(runIds_.at(row), "test/acc1", 100 * (e + 1), testAcc(row / kSeeds, row % kSeeds, e)));
        store_->writeBatch(batch);
    }
    // The functions behind the tables.
    QCOMPARE(statsOffered(QStringLiteral("test/acc1"), {SummaryStat::Last, SummaryStat::Best, SummaryStat::Max}),
             (QList<SummaryStat>{SummaryStat::Last, SummaryStat::Max}));
    QCOMPARE(statsOffered(QStringLiteral("val/acc1"), {SummaryStat::Best, SummaryStat::Last}),
             (QList<SummaryStat>{SummaryStat::Best, SummaryStat::Last}));
    const QList<ComparedRun> loaded = loadComparedRuns(*store_, runIds_);
    QCOMPARE(*loaded.at(0).selection.testAtBestVal, testAcc(0, 0, 1));
    QCOMPARE(*loaded.at(0).selection.bestValStep, int64_t(200));
    QVERIFY(!loaded.at(0).value(QStringLiteral("test/acc1"), SummaryStat::Best));   // no "best" of a test metric
    QCOMPARE(*loaded.at(0).value(QStringLiteral("test/acc1"), SummaryStat::Max), testAcc(0, 0, 2));

    ComparePage page;
    page.setStorePath(storePath_);
    QSignalSpy runsLoaded(&page, &ComparePage::runsLoaded);
    page.setRuns(runIds_);
    QVERIFY(runsLoaded.wait(10000));
    const CompareTableModel* table = page.tableModel();
    GroupedTableModel* grouped = page.groupedModel();
    QVERIFY(table->metrics().contains(QStringLiteral("test/acc1")));   // the default pick: both accuracies
    QVERIFY(table->metrics().contains(QStringLiteral("val/acc1")));

    // The headline column: test/acc1 at the best val/acc1's step, for every run.
    QCOMPARE(table->headerData(CompareTableModel::TestAtBestValColumn, Qt::Horizontal).toString(),
             QStringLiteral("Test % @ best val"));
    for (int row = 0; row < runIds_.size(); ++row) {
        const int config = row / kSeeds, seed = row % kSeeds;
        const QModelIndex headline = table->index(row, CompareTableModel::TestAtBestValColumn);
        QCOMPARE(headline.data(CompareTableModel::ValueRole).toDouble(), testAcc(config, seed, 1));
        QCOMPARE(headline.data().toString(), QString::number(testAcc(config, seed, 1), 'f', 2));
        const int max = table->metricColumn(QStringLiteral("test/acc1"), SummaryStat::Max);
        QCOMPARE(table->index(row, max).data(CompareTableModel::ValueRole).toDouble(), testAcc(config, seed, 2));
    }
    // test/acc1 offers no "best"; val/acc1 keeps it.
    QCOMPARE(table->metricColumn(QStringLiteral("test/acc1"), SummaryStat::Best), -1);
    QVERIFY(table->metricColumn(QStringLiteral("test/acc1"), SummaryStat::Last) >= 0);
    QVERIFY(table->metricColumn(QStringLiteral("val/acc1"), SummaryStat::Best) >= 0);
    QCOMPARE(grouped->metricColumn(QStringLiteral("test/acc1"), SummaryStat::Best), -1);
    QVERIFY(grouped->metricColumn(QStringLiteral("val/acc1"), SummaryStat::Best) >= 0);
    // No header names a statistic of test/acc1 "best" (the headline's title speaks of the best val).
    const auto checkHeaders = [](const QAbstractItemModel* model) {
        int testColumns = 0;
        for (int column = 0; column < model->columnCount(); ++column) {
            const QString title = model->headerData(column, Qt::Horizontal).toString();
            if (!title.contains(QLatin1String("test/acc1"))) continue;
            ++testColumns;
            QVERIFY2(!title.contains(QLatin1String("best"), Qt::CaseInsensitive), qPrintable(title));
            const QString tip = model->headerData(column, Qt::Horizontal, Qt::ToolTipRole).toString();
            QVERIFY2(!tip.startsWith(QLatin1String("Best"), Qt::CaseInsensitive), qPrintable(tip));
        }
        QVERIFY(testColumns > 0);
    };
    checkHeaders(table);
    checkHeaders(grouped);
    // Also when a caller asks for best explicitly.
    grouped->setStats({SummaryStat::Best, SummaryStat::Max});
    checkHeaders(grouped);
    QCOMPARE(grouped->metricColumn(QStringLiteral("test/acc1"), SummaryStat::Max) >= 0, true);
    grouped->setStats({SummaryStat::Best, SummaryStat::Last});

    // Grouped: mean ± sample std of the headline over the seeds (78 + 0, 0.3, 0.9).
    QCOMPARE(grouped->headerData(GroupedTableModel::TestAtBestValColumn, Qt::Horizontal).toString(),
             QStringLiteral("Test % @ best val"));
    QCOMPARE(cellText(grouped, 0, GroupedTableModel::TestAtBestValColumn), QStringLiteral("78.40 ± 0.46"));
    QCOMPARE(cellText(grouped, 1, GroupedTableModel::TestAtBestValColumn), QStringLiteral("83.40 ± 0.46"));
    QVERIFY(std::fabs(grouped->index(1, GroupedTableModel::TestAtBestValColumn).data(GroupedTableModel::MeanRole).toDouble() -
                      83.4) < 1e-9);
    QCOMPARE(grouped->index(1, GroupedTableModel::TestAtBestValColumn).data(GroupedTableModel::CountRole).toInt(), 3);
}

QTEST_MAIN(TestCompare)
#include "test_compare.moc"
