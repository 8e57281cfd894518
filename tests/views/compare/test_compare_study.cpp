// Compare's study views: the parallel-coordinates data (axes, log axis, brushing with AND, correlations
// against hand-computed values), the parallel-coordinates widget (a line per run, brushing with the
// mouse and in code, the signal's ids), and the Compare page on a study store: banded curves per
// configuration, brushing that selects rows of the runs table, the curve mode kept in saveState.
//
// With DISTILLERY_SCREENSHOT_DIR set, screenshots() also writes compare-bands.png and
// compare-parallel.png of a larger synthetic study there (docs/screenshots.sh does).
#include <cmath>
#include <memory>

#include <QComboBox>
#include <QDir>
#include <QItemSelectionModel>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include "ComparePage.h"
#include "CompareTableModel.h"
#include "CurveControls.h"
#include "MetricPlot.h"
#include "ParallelCoordinates.h"
#include "ParallelData.h"
#include "RunFixtures.h"
#include "ViridisGradient.h"
#include "store/Store.h"

using namespace distillery;
using namespace distillery::views;

namespace {

bool near(double a, double b, double tolerance = 1e-9) { return std::fabs(a - b) <= tolerance; }

// Six runs: 2 numeric fields (optim.lr on a log scale, method.T) and 1 categorical (method.name).
//   run  lr     T  name  metric
//   1    0.001  2  kd    70
//   2    0.01   2  kd    74
//   3    0.1    4  kd    80
//   4    0.001  4  ce    68
//   5    0.01   8  ce    72
//   6    0.1    8  ce    77
struct FixtureRow {
    double lr;
    int temperature;
    const char* method;
    double metric;
};
const FixtureRow kRows[6] = {{0.001, 2, "kd", 70}, {0.01, 2, "kd", 74}, {0.1, 4, "kd", 80},
                             {0.001, 4, "ce", 68}, {0.01, 8, "ce", 72}, {0.1, 8, "ce", 77}};
const QStringList kFields{"method.T", "method.name", "optim.lr"};

QList<ParallelRun> sixRuns() {
    QList<ParallelRun> runs;
    for (int i = 0; i < 6; ++i) {
        ParallelRun run;
        run.runId = i + 1;
        run.name = QStringLiteral("run-%1").arg(i + 1);
        run.configuration = run.name;
        run.fields = {{"optim.lr", kRows[i].lr}, {"method.T", qlonglong(kRows[i].temperature)},
                      {"method.name", QString::fromLatin1(kRows[i].method)}};
        run.metric = kRows[i].metric;
        runs.append(run);
    }
    return runs;
}

// The same runs as the Compare page holds them: study runs with their fields and headline.
QList<ComparedRun> sixComparedRuns() {
    QList<ComparedRun> runs;
    for (int i = 0; i < 6; ++i) {
        ComparedRun run;
        run.run.id = i + 1;
        run.run.name = "run-" + std::to_string(i + 1);
        run.run.studyId = 7;
        run.run.study = "sweep";
        run.run.studyRole = "student";
        run.run.configuration = run.run.name;
        run.run.studyFields =
            QStringLiteral(R"({"data.name": "fashion-mnist", "method.T": %1, "method.name": "%2", "optim.lr": %3})")
                .arg(kRows[i].temperature)
                .arg(QString::fromLatin1(kRows[i].method))
                .arg(kRows[i].lr)
                .toStdString();
        run.selection.testAtBestVal = kRows[i].metric;
        runs.append(run);
    }
    return runs;
}

int axisOf(const ParallelData& data, const QString& field) {
    for (int a = 0; a < data.axes().size(); ++a)
        if (data.axes().at(a).field == field) return a;
    return -1;
}

QVector<double> graphValues(const QCPGraph* graph) {
    QVector<double> values;
    for (int i = 0; graph && i < graph->dataCount(); ++i) values.append(graph->data()->at(i)->value);
    return values;
}

double valueAt(const QCPGraph* graph, double key) {
    for (int i = 0; graph && i < graph->dataCount(); ++i)
        if (graph->data()->at(i)->key == key) return graph->data()->at(i)->value;
    return std::nan("");
}

QList<qint64> idsOf(const QVariant& signalArgument) { return signalArgument.value<QList<qint64>>(); }

QList<qint64> sorted(QList<qint64> ids) {
    std::sort(ids.begin(), ids.end());
    return ids;
}

// ---- a study store --------------------------------------------------------------------------------

struct StudyConfig {
    QString label;              // e.g. "kd-T4-lr0.03"
    QString method;
    int temperature;            // 0: the method has none
    double lr;
    double plateau;             // the val accuracy it approaches
};

std::string studySpecJson(const StudyConfig& config, const std::string& name, int seed) {
    const std::string method = config.temperature > 0
                                   ? R"({"name": ")" + config.method.toStdString() + R"(", "T": )" +
                                         std::to_string(config.temperature) + "}"
                                   : R"({"name": ")" + config.method.toStdString() + R"("})";
    return R"({"data": {"name": "fashion-mnist", "val_size": 5000}, "epochs": 10, "method": )" + method +
           R"(, "name": ")" + name + R"(", "optim": {"lr": )" + QString::number(config.lr).toStdString() +
           R"(, "name": "sgd"}, "seed": )" + std::to_string(seed) + R"(, "student": {"model": "resnet8"}})";
}

std::string studyFieldsJson(const StudyConfig& config) {
    QString fields = QStringLiteral(R"({"method.name": "%1", "optim.lr": %2)").arg(config.method).arg(config.lr);
    if (config.temperature > 0) fields += QStringLiteral(R"(, "method.T": %1)").arg(config.temperature);
    return (fields + QLatin1Char('}')).toStdString();
}

// Inserts each configuration with the given seeds; valAt(config, seed, epoch) gives val/acc1 (test/acc1
// is 0.5 lower), epochs 1..epochsOf(config, seed) at step 100·epoch. Returns the ids, configuration-major.
template <typename ValAt, typename EpochsOf>
QList<qint64> insertStudy(store::Store& store, const QList<StudyConfig>& configs, int seeds, ValAt valAt,
                          EpochsOf epochsOf, bool withTrainLoss = false) {
    const int64_t studyId = store.insertStudy("sweep", R"({"study": "sweep"})", "a synthetic study");
    QList<qint64> ids;
    for (int c = 0; c < configs.size(); ++c) {
        for (int seed = 1; seed <= seeds; ++seed) {
            store::NewRun run;
            run.name = "sweep-" + configs.at(c).label.toStdString() + "-s" + std::to_string(seed);
            run.specJson = studySpecJson(configs.at(c), run.name, seed);
            run.teacher = "resnet20";
            run.student = "resnet8";
            run.method = configs.at(c).method.toStdString();
            run.dataset = "fashion-mnist";
            run.seed = seed;
            run.studyId = studyId;
            run.studyRole = "student";
            run.configuration = configs.at(c).label.toStdString();
            run.studyFields = studyFieldsJson(configs.at(c));
            const int64_t id = store.insertRun(run);
            ids.append(id);
            store::RowBatch batch;
            for (int epoch = 1; epoch <= epochsOf(c, seed); ++epoch) {
                const double val = valAt(c, seed, epoch);
                batch.metrics.push_back(testing::metricPoint(id, "val/acc1", 100 * epoch, val, 1.5));
                batch.metrics.push_back(testing::metricPoint(id, "test/acc1", 100 * epoch, val - 0.5, 1.5));
                if (!withTrainLoss) continue;
                for (int s = 0; s < 5; ++s) {
                    const double step = 100 * (epoch - 1) + 20 * (s + 1);
                    const double loss = 0.35 + 1.9 * std::exp(-step / 250.0) + 0.04 * std::sin(step * 0.37 + seed);
                    batch.metrics.push_back(
                        testing::metricPoint(id, "train/loss", static_cast<int64_t>(step), loss, 1.5));
                }
            }
            store.writeBatch(batch);
        }
    }
    return ids;
}

}  // namespace

class TestCompareStudy : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    // ParallelData
    void axesOfSixRunsWithTwoNumericAndOneCategoricalField();
    void logAxisForLearningRatesSpanningMoreThan20x();
    void brushOnOneAxisSelectsTheRunsInside();
    void twoBrushesCombineWithAnd();
    void correlationsMatchHandComputedValues();
    void notComputableCorrelationSaysWhy();
    void perConfigurationLinesAverageTheSeeds();
    void variedFieldsComeFromTheStudyOrTheSpec();
    // ParallelCoordinates
    void widgetDrawsOneLinePerRunColouredByTheMetric();
    void widgetBrushesWithTheMouseAndSignalsTheIds();
    void widgetTableShowsCorrelationsAndCategoryMeans();
    // ComparePage on a study
    void pageBandsOneMeanPerConfiguration();
    void pageBrushingSelectsTableRows();
    void pageKeepsTheCurveModeInItsState();

    void screenshots();

private:
    std::unique_ptr<QTemporaryDir> dir_;
    QString storePath_;
    QList<qint64> studyIds_;   // kd-T4 seeds 1..3 (seed 3 stops after epoch 2), then kd-T8 seeds 1..3
};

void TestCompareStudy::initTestCase() { QStandardPaths::setTestModeEnabled(true); }

// Seeds add 0, 0.3, 0.9; configuration kd-T8 adds 5; epochs give 60, 80, 75.
double fixtureVal(int config, int seed, int epoch) {
    static const double base[3] = {60.0, 80.0, 75.0};
    static const double offsets[3] = {0.0, 0.3, 0.9};
    return base[epoch - 1] + 5.0 * config + offsets[seed - 1];
}

void TestCompareStudy::init() {
    dir_ = std::make_unique<QTemporaryDir>();
    QVERIFY(dir_->isValid());
    storePath_ = dir_->filePath(QStringLiteral("study.sqlite"));
    store::Store store(storePath_.toStdString());
    studyIds_ = insertStudy(store,
                            {{"kd-T4", "kd", 4, 0.01, 0}, {"kd-T8", "kd", 8, 0.1, 0}}, 3, fixtureVal,
                            [](int config, int seed) { return config == 0 && seed == 3 ? 2 : 3; });
}

void TestCompareStudy::cleanup() { dir_.reset(); }

// ---- ParallelData -------------------------------------------------------------------------------

void TestCompareStudy::axesOfSixRunsWithTwoNumericAndOneCategoricalField() {
    const ParallelData data(sixRuns(), kFields, QStringLiteral("Test % @ best val"), false);
    QCOMPARE(data.axes().size(), 4);
    QCOMPARE(data.metricAxis(), 3);
    const ParallelAxis& temperature = data.axes().at(0);
    QCOMPARE(temperature.kind, ParallelAxis::Kind::Linear);   // 8 / 2 = 4: linear
    QCOMPARE(temperature.min, 2.0);
    QCOMPARE(temperature.max, 8.0);
    const ParallelAxis& method = data.axes().at(1);
    QCOMPARE(method.kind, ParallelAxis::Kind::Categorical);
    QCOMPARE(method.categories, (QStringList{"ce", "kd"}));
    const ParallelAxis& metric = data.axes().at(3);
    QVERIFY(metric.isMetric);
    QCOMPARE(metric.field, QStringLiteral("Test % @ best val"));
    QCOMPARE(metric.kind, ParallelAxis::Kind::Linear);
    QCOMPARE(metric.min, 68.0);
    QCOMPARE(metric.max, 80.0);

    QCOMPARE(data.lines().size(), 6);
    // Run 3: T=4 -> (4-2)/6, kd -> 1 (second of two categories), lr 0.1 -> top, 80 -> top.
    const QVector<double>& run3 = data.lines().at(2).positions;
    QVERIFY(near(run3.at(0), 1.0 / 3.0));
    QCOMPARE(run3.at(1), 1.0);
    QVERIFY(near(run3.at(2), 1.0));
    QCOMPARE(run3.at(3), 1.0);
    // Run 5: T=8 -> 1, ce -> 0, lr 0.01 -> the middle decade, 72 -> 4/12.
    const QVector<double>& run5 = data.lines().at(4).positions;
    QCOMPARE(run5.at(0), 1.0);
    QCOMPARE(run5.at(1), 0.0);
    QVERIFY(near(run5.at(2), 0.5));
    QVERIFY(near(run5.at(3), 4.0 / 12.0));
    QCOMPARE(data.lines().at(4).label, QStringLiteral("run-5"));
    QCOMPARE(data.lines().at(4).runIds, QList<qint64>{5});

    // Ticks: round values of the linear axis, the categories by name.
    QList<QString> temperatureTicks;
    for (const auto& tick : temperature.ticks()) temperatureTicks.append(tick.second);
    QCOMPARE(temperatureTicks, (QList<QString>{"2", "4", "6", "8"}));
    QCOMPARE(method.ticks().at(1), (std::pair<double, QString>(1.0, QStringLiteral("kd"))));
}

void TestCompareStudy::logAxisForLearningRatesSpanningMoreThan20x() {
    const ParallelData data(sixRuns(), kFields, QStringLiteral("metric"), false);
    const ParallelAxis& lr = data.axes().at(2);
    QCOMPARE(lr.kind, ParallelAxis::Kind::Log);
    QVERIFY(near(lr.positionOf(0.001), 0.0));
    QVERIFY(near(lr.positionOf(0.01), 0.5));
    QVERIFY(near(lr.positionOf(0.1), 1.0));
    QList<QString> ticks;
    for (const auto& tick : lr.ticks()) ticks.append(tick.second);
    QCOMPARE(ticks, (QList<QString>{"0.001", "0.01", "0.1"}));

    // 0.01..0.1 spans 10x: linear. A zero or negative value: linear whatever the span.
    QList<ParallelRun> narrow = sixRuns();
    for (ParallelRun& run : narrow)
        run.fields.insert("optim.lr", std::max(0.01, run.fields.value("optim.lr").toDouble()));
    QCOMPARE(ParallelData(narrow, kFields, QStringLiteral("m"), false).axes().at(2).kind, ParallelAxis::Kind::Linear);
    narrow[0].fields.insert("optim.lr", 0.0);
    narrow[1].fields.insert("optim.lr", 1.0);
    QCOMPARE(ParallelData(narrow, kFields, QStringLiteral("m"), false).axes().at(2).kind, ParallelAxis::Kind::Linear);
}

void TestCompareStudy::brushOnOneAxisSelectsTheRunsInside() {
    ParallelData data(sixRuns(), kFields, QStringLiteral("metric"), false);
    QVERIFY(data.selectedRunIds().isEmpty());   // no brush: nothing selected, every line drawn
    for (int line = 0; line < 6; ++line) QVERIFY(data.isSelected(line));
    // The middle decade of lr: runs 2 and 5 (0.01).
    data.setBrush(2, 0.6, 0.4);
    QCOMPARE(data.selectedRunIds(), (QList<qint64>{2, 5}));
    QVERIFY(!data.isSelected(0));
    // Metric 72..78 (positions 4/12..10/12): runs 2, 5 and 6.
    data.clearBrush(2);
    data.setBrush(3, 4.0 / 12 - 1e-9, 10.0 / 12);
    QCOMPARE(data.selectedRunIds(), (QList<qint64>{2, 5, 6}));
    data.clearBrushes();
    QVERIFY(!data.hasBrushes());
    QVERIFY(data.selectedRunIds().isEmpty());
}

void TestCompareStudy::twoBrushesCombineWithAnd() {
    ParallelData data(sixRuns(), kFields, QStringLiteral("metric"), false);
    data.setBrush(2, 0.4, 1.1);   // lr >= 0.01: runs 2, 3, 5, 6
    QCOMPARE(data.selectedRunIds(), (QList<qint64>{2, 3, 5, 6}));
    data.setBrush(1, 0.9, 1.0);   // and kd: runs 1, 2, 3
    QCOMPARE(data.selectedRunIds(), (QList<qint64>{2, 3}));
    data.setBrush(1, 0.0, 0.1);   // a new brush on an axis replaces its old one: ce
    QCOMPARE(data.selectedRunIds(), (QList<qint64>{5, 6}));
    data.setBrush(0, 0.9, 1.0);   // and T = 8: still 5 and 6
    QCOMPARE(data.selectedRunIds(), (QList<qint64>{5, 6}));
    data.setBrush(3, 0.0, 0.2);   // and a metric below 70.4: none
    QVERIFY(data.selectedRunIds().isEmpty());
    QVERIFY(data.hasBrushes());
}

void TestCompareStudy::correlationsMatchHandComputedValues() {
    const ParallelData data(sixRuns(), kFields, QStringLiteral("metric"), false);
    const QList<FieldCorrelation> correlations = data.correlations();
    QCOMPARE(correlations.size(), 3);
    // T = 2,2,4,4,8,8 against 70,74,80,68,72,77: Σdx·dy = 14, Σdx² = 112/3, Σdy² = 99.5.
    const FieldCorrelation& temperature = correlations.at(0);
    QCOMPARE(temperature.field, QStringLiteral("method.T"));
    QCOMPARE(temperature.pearson.n, size_t(6));
    QVERIFY(near(temperature.pearson.r, 14.0 / std::sqrt(112.0 / 3.0 * 99.5), 1e-12));   // 0.2297
    // Spearman: ranks of T 1.5,1.5,3.5,3.5,5.5,5.5, of the metric 2,4,6,1,3,5: Σdx·dy = 4, Σdx² = 16,
    // Σdy² = 17.5.
    QVERIFY(near(temperature.spearman.r, 4.0 / std::sqrt(16.0 * 17.5), 1e-12));
    // On the log axis r is taken on log10(lr) = -3,-2,-1,-3,-2,-1: Σdx·dy = 19, Σdx² = 4.
    const FieldCorrelation& lr = correlations.at(2);
    QCOMPARE(lr.kind, ParallelAxis::Kind::Log);
    QVERIFY(near(lr.pearson.r, 19.0 / std::sqrt(4.0 * 99.5), 1e-12));   // 0.9524
    QVERIFY(lr.pearson.p > 0 && lr.pearson.p < 0.01);
    // Categorical: the mean metric of each category.
    const FieldCorrelation& method = correlations.at(1);
    QCOMPARE(method.kind, ParallelAxis::Kind::Categorical);
    QCOMPARE(method.categoryMeans.size(), 2);
    QCOMPARE(method.categoryMeans.at(0).category, QStringLiteral("ce"));
    QCOMPARE(method.categoryMeans.at(0).n, 3);
    QVERIFY(near(method.categoryMeans.at(0).mean, (68.0 + 72 + 77) / 3));
    QVERIFY(near(method.categoryMeans.at(1).mean, (70.0 + 74 + 80) / 3));
}

void TestCompareStudy::notComputableCorrelationSaysWhy() {
    QList<ParallelRun> runs = sixRuns();
    for (ParallelRun& run : runs) run.fields.insert("method.T", qlonglong(4));   // a constant field
    runs[5].metric.reset();                                                     // a run without the metric
    const ParallelData data(runs, kFields, QStringLiteral("metric"), false);
    const FieldCorrelation& temperature = data.correlations().at(0);
    QVERIFY(std::isnan(temperature.pearson.r));
    QVERIFY(!temperature.pearson.reason.empty());
    QCOMPARE(data.axes().at(0).positionOf(4), 0.5);   // a constant axis: its one value in the middle
    // The run without the metric sits in the metric axis' n/a slot; the axis spans the others.
    QCOMPARE(data.lines().at(5).positions.at(3), ParallelAxis::kMissingPosition);
    QVERIFY(data.axes().at(3).hasMissing);
    QCOMPARE(data.axes().at(3).max, 80.0);
    QCOMPARE(data.correlations().at(2).pearson.n, size_t(5));
}

void TestCompareStudy::perConfigurationLinesAverageTheSeeds() {
    QList<ParallelRun> runs = sixRuns();
    runs[1].fields = runs[0].fields;   // runs 1 and 2: two seeds of one configuration
    runs[0].configuration = runs[1].configuration = QStringLiteral("kd-T2");
    const ParallelData data(runs, kFields, QStringLiteral("metric"), true);
    QCOMPARE(data.lines().size(), 5);
    QCOMPARE(data.lines().at(0).label, QStringLiteral("kd-T2 (n=2)"));
    QCOMPARE(data.lines().at(0).runIds, (QList<qint64>{1, 2}));
    QCOMPARE(*data.lines().at(0).metric, 72.0);
    QVERIFY(near(data.lines().at(0).positions.at(3), (72.0 - 68) / 12));
    // Brushing a configuration's line selects all of its runs.
    ParallelData brushed = data;
    brushed.setBrush(3, 0.3, 0.34);
    QCOMPARE(brushed.selectedRunIds(), (QList<qint64>{1, 2, 5}));
}

void TestCompareStudy::variedFieldsComeFromTheStudyOrTheSpec() {
    // Study runs: the study's fields that differ (data.name is the same in all six).
    QList<ComparedRun> runs = sixComparedRuns();
    QCOMPARE(ParallelData::variedFields(runs), kFields);
    const QList<ParallelRun> parallel = ParallelData::runsOf(runs, kFields, {{3, 80.0}});
    QCOMPARE(parallel.at(2).fields.value("optim.lr").toDouble(), 0.1);
    QCOMPARE(parallel.at(2).fields.value("method.T").toLongLong(), 4);
    QCOMPARE(parallel.at(2).configuration, QStringLiteral("run-3"));
    QCOMPARE(*parallel.at(2).metric, 80.0);
    QVERIFY(!parallel.at(0).metric);
    // Runs outside a study: the spec keys that differ, less name and seed.
    for (ComparedRun& run : runs) {
        run.run.studyId.reset();
        run.config = flattenSpec(run.run.studyFields);
        run.config.insert("name", QString::fromStdString(run.run.name));
        run.config.insert("seed", qlonglong(run.run.id));
    }
    QCOMPARE(ParallelData::variedFields(runs), kFields);
}

// ---- ParallelCoordinates ------------------------------------------------------------------------

void TestCompareStudy::widgetDrawsOneLinePerRunColouredByTheMetric() {
    ParallelCoordinates view;
    view.resize(900, 420);
    view.setRuns(sixComparedRuns());
    QCOMPARE(view.metricName(), QStringLiteral("Test % @ best val"));
    QCOMPARE(view.fields(), kFields);
    QCOMPARE(view.plot()->plottableCount(), 6);
    QCOMPARE(view.data().lines().size(), 6);
    QCPColorGradient gradient = ViridisGradient::make();
    for (int line = 0; line < 6; ++line) {
        QCPCurve* curve = view.lineCurve(line);
        QVERIFY(curve);
        QCOMPARE(curve->dataCount(), 4);   // through each of the four axes
        QCOMPARE(curve->name(), QStringLiteral("run-%1").arg(line + 1));
        const QColor expected = QColor::fromRgb(gradient.color(kRows[line].metric, QCPRange(68, 80)));
        QCOMPARE(curve->pen().color().rgb(), expected.rgb());
    }
    QCOMPARE(view.lineCurve(2)->pen().color().rgb(), QColor(0xfde725).rgb());   // the best run: viridis' top
    QCOMPARE(view.lineCurve(3)->pen().color().rgb(), QColor(0x440154).rgb());   // the worst: its bottom

    // One line per configuration: runs of one configuration become one.
    QList<ComparedRun> runs = sixComparedRuns();
    runs[1].run.configuration = runs[0].run.configuration;
    runs[1].run.studyFields = runs[0].run.studyFields;
    view.setRuns(runs);
    view.perConfigurationBox()->setChecked(true);
    QCOMPARE(view.plot()->plottableCount(), 5);
    QCOMPARE(view.lineCurve(0)->name(), QStringLiteral("run-1 (n=2)"));
}

void TestCompareStudy::widgetBrushesWithTheMouseAndSignalsTheIds() {
    ParallelCoordinates view;
    view.resize(900, 420);
    view.setRuns(sixComparedRuns());
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.plot()->replot();
    QSignalSpy selection(&view, &ParallelCoordinates::selectionChanged);

    // Hovering a line names its run and metric: run 3 runs from T=4 (1/3) to kd (1).
    const QPointF onRun3 = (view.pixelOf(0, 1.0 / 3.0) + view.pixelOf(1, 1.0)) / 2;
    QTest::mouseMove(view.plot(), onRun3.toPoint());
    QCOMPARE(view.readoutText(), QStringLiteral("run-3\nTest % @ best val: 80.00"));
    QTest::mouseMove(view.plot(), (view.pixelOf(2, -0.06) + QPointF(40, 0)).toPoint());   // below every line
    QVERIFY(view.readoutText().isEmpty());

    // A vertical drag over the middle of the lr axis (2) brushes the 0.01 runs.
    const int lr = axisOf(view.data(), QStringLiteral("optim.lr"));
    QCOMPARE(lr, 2);
    QWidget* canvas = view.plot();
    QTest::mousePress(canvas, Qt::LeftButton, {}, view.pixelOf(lr, 0.62).toPoint());
    QTest::mouseMove(canvas, view.pixelOf(lr, 0.5).toPoint());
    QTest::mouseRelease(canvas, Qt::LeftButton, {}, view.pixelOf(lr, 0.38).toPoint());
    QVERIFY(!selection.isEmpty());
    QCOMPARE(idsOf(selection.last().at(0)), (QList<qint64>{2, 5}));
    QVERIFY(view.brushRect(lr));
    QVERIFY(!view.brushRect(0));
    QCOMPARE(view.lineCurve(1)->layer()->name(), QStringLiteral("main"));     // run 2: selected
    QCOMPARE(view.lineCurve(0)->layer()->name(), QStringLiteral("dimmed"));   // run 1: greyed
    QVERIFY(view.lineCurve(0)->pen().color().alpha() < 100);
    QCOMPARE(view.selectionText(), QStringLiteral("2 of 6 runs selected"));

    // A second brush in code (the method axis, kd) combines with AND and signals at once.
    view.setBrush(1, 0.8, 1.05);
    QCOMPARE(idsOf(selection.last().at(0)), QList<qint64>{2});

    // A click is not a brush; a double-click clears the axis' brush.
    const int emitted = static_cast<int>(selection.size());
    QTest::mouseClick(canvas, Qt::LeftButton, {}, view.pixelOf(0, 0.5).toPoint());
    QCOMPARE(selection.size(), emitted);
    QVERIFY(!view.data().brush(0));
    QTest::mouseDClick(canvas, Qt::LeftButton, {}, view.pixelOf(lr, 0.9).toPoint());
    QVERIFY(!view.brushRect(lr));
    QCOMPARE(idsOf(selection.last().at(0)), (QList<qint64>{1, 2, 3}));   // only kd is brushed now
    view.clearBrushes();
    QVERIFY(idsOf(selection.last().at(0)).isEmpty());
    QCOMPARE(view.lineCurve(0)->layer()->name(), QStringLiteral("main"));
}

void TestCompareStudy::widgetTableShowsCorrelationsAndCategoryMeans() {
    ParallelCoordinates view;
    view.setRuns(sixComparedRuns());
    const QStandardItemModel* table = view.correlationModel();
    // method.T, then a row per method (ce, kd), then optim.lr.
    QCOMPARE(table->rowCount(), 4);
    QCOMPARE(table->item(3, ParallelCoordinates::FieldColumn)->text(), QStringLiteral("optim.lr"));
    QCOMPARE(table->item(3, ParallelCoordinates::NColumn)->text(), QStringLiteral("6"));
    QCOMPARE(table->item(3, ParallelCoordinates::PearsonColumn)->text(), QStringLiteral("0.952"));
    QCOMPARE(table->item(3, ParallelCoordinates::NoteColumn)->text(), QStringLiteral("r on log10 values"));
    QCOMPARE(table->item(0, ParallelCoordinates::PearsonColumn)->text(), QStringLiteral("0.230"));
    QCOMPARE(table->item(1, ParallelCoordinates::FieldColumn)->text(), QStringLiteral("method.name = ce"));
    QCOMPARE(table->item(1, ParallelCoordinates::NColumn)->text(), QStringLiteral("3"));
    QCOMPARE(table->item(1, ParallelCoordinates::MeanColumn)->text(), QStringLiteral("72.33"));
    QCOMPARE(table->item(2, ParallelCoordinates::FieldColumn)->text(), QStringLiteral("method.name = kd"));
    QCOMPARE(table->item(2, ParallelCoordinates::MeanColumn)->text(), QStringLiteral("74.67"));
    QVERIFY(table->item(1, ParallelCoordinates::PearsonColumn)->text().isEmpty());

    // Two runs with the headline are too few: not computable, and the note says why.
    QList<ComparedRun> runs = sixComparedRuns();
    for (int i = 2; i < runs.size(); ++i) runs[i].selection.testAtBestVal.reset();
    view.setRuns(runs);
    QCOMPARE(table->item(0, ParallelCoordinates::NColumn)->text(), QStringLiteral("2"));
    QCOMPARE(table->item(0, ParallelCoordinates::PearsonColumn)->text(), QStringLiteral("—"));
    QVERIFY(!table->item(0, ParallelCoordinates::NoteColumn)->text().isEmpty());
}

// ---- ComparePage --------------------------------------------------------------------------------

void TestCompareStudy::pageBandsOneMeanPerConfiguration() {
    ComparePage page;
    page.setStorePath(storePath_);
    QSignalSpy loaded(&page, &ComparePage::runsLoaded);
    page.setRuns(studyIds_);
    QVERIFY(loaded.wait(10000));
    MetricPlot* plot = page.plot();
    const QString key = QStringLiteral("val/acc1");
    QCOMPARE(plot->curveMode(), MetricPlot::CurveMode::EachRun);
    QVERIFY(!plot->meanGraph(0, key));

    QComboBox* curves = page.curveControls()->curveModeBox();
    QVERIFY(curves->isVisibleTo(&page));
    curves->setCurrentIndex(curves->findText(QStringLiteral("mean ± std")));
    QCOMPARE(plot->curveMode(), MetricPlot::CurveMode::MeanStd);
    QCOMPARE(plot->seedGroups().size(), 2);

    // One visible mean graph per configuration and key; the runs' own curves hidden.
    int means = 0;
    for (int g = 0; g < 2; ++g)
        for (const QString& shown : plot->visibleKeys())
            if (QCPGraph* mean = plot->meanGraph(g, shown); mean && mean->visible()) ++means;
    QCOMPARE(means, 2 * static_cast<int>(plot->visibleKeys().size()));
    for (qint64 id : studyIds_) QVERIFY(!plot->graph(id, key)->visible());
    QVERIFY(plot->meanGraph(0, key)->name().endsWith(QStringLiteral("(n=3)")));
    QVERIFY(plot->meanGraph(0, key)->name().contains(QStringLiteral("kd-T4")));
    QVERIFY(plot->meanGraph(1, key)->name().contains(QStringLiteral("kd-T8")));

    // At step 200 the three seeds of kd-T4 read 80, 80.3, 80.9: mean 80.4, sample std sqrt(0.21).
    QVERIFY(near(valueAt(plot->meanGraph(0, key), 200), 80.4));
    QVERIFY(near(valueAt(plot->bandUpperGraph(0, key), 200), 80.4 + std::sqrt(0.21)));
    QVERIFY(near(valueAt(plot->bandLowerGraph(0, key), 200), 80.4 - std::sqrt(0.21)));
    // At step 300 seed 3 has stopped: 75 and 75.3, std 0.3/sqrt(2).
    QVERIFY(near(valueAt(plot->meanGraph(0, key), 300), 75.15));
    QVERIFY(near(valueAt(plot->bandUpperGraph(0, key), 300), 75.15 + 0.3 / std::sqrt(2.0)));
    QVERIFY(near(valueAt(plot->meanGraph(1, key), 100), 60.4 + 5));
    // Every band value is mean ± std of the group's values there.
    const QVector<double> mean = graphValues(plot->meanGraph(1, key));
    const QVector<double> upper = graphValues(plot->bandUpperGraph(1, key));
    for (int i = 0; i < mean.size(); ++i) QVERIFY(near(upper.at(i) - mean.at(i), std::sqrt(0.21)));

    // The 95% CI: t(0.975, 2) · s / sqrt(3).
    curves->setCurrentIndex(curves->findText(QStringLiteral("mean ± 95% CI")));
    QVERIFY(near(valueAt(plot->bandUpperGraph(0, key), 200), 80.4 + 4.302652729911275 * std::sqrt(0.21 / 3), 1e-6));
    // Back to each run: the runs' curves as before.
    curves->setCurrentIndex(curves->findText(QStringLiteral("each run")));
    QVERIFY(!plot->meanGraph(0, key));
    for (qint64 id : studyIds_) QVERIFY(plot->graph(id, key)->visible());
}

void TestCompareStudy::pageBrushingSelectsTableRows() {
    ComparePage page;
    page.setStorePath(storePath_);
    QSignalSpy loaded(&page, &ComparePage::runsLoaded);
    page.setRuns(studyIds_);
    QVERIFY(loaded.wait(10000));
    ParallelCoordinates* parallel = page.parallelCoordinates();
    QCOMPARE(page.plotTabs()->tabText(page.plotTabs()->indexOf(parallel)), QStringLiteral("Parallel coordinates"));
    // The study varied T and lr (method.name is kd in both): two field axes and the headline.
    QCOMPARE(parallel->fields(), (QStringList{"method.T", "optim.lr"}));
    QCOMPARE(parallel->data().lines().size(), 6);
    // The headline of kd-T8 seed 2: test at the best val epoch (2): 85.3 - 0.5.
    QCOMPARE(*parallel->data().runs().at(4).metric, 84.8);

    // Brushing the top of the T axis selects kd-T8's runs in the runs table.
    parallel->setBrush(0, 0.9, 1.0);
    QList<qint64> selected;
    for (const QModelIndex& index : page.tableView()->selectionModel()->selectedRows())
        selected.append(index.data(CompareTableModel::RunIdRole).toLongLong());
    QCOMPARE(sorted(selected), studyIds_.mid(3));
    parallel->clearBrushes();
    QVERIFY(page.tableView()->selectionModel()->selectedRows().isEmpty());

    // Another metric (a summary: the test accuracy has no "best") or line mode keeps the rows the user
    // selected in the table.
    page.tableView()->selectRow(0);
    parallel->perConfigurationBox()->setChecked(true);
    QCOMPARE(parallel->data().lines().size(), 2);
    parallel->metricBox()->setCurrentIndex(parallel->metricBox()->findText(QStringLiteral("test/acc1 last")));
    QCOMPARE(parallel->metricBox()->findText(QStringLiteral("test/acc1 best")), -1);
    QCOMPARE(*parallel->data().runs().at(4).metric, 79.8);
    QCOMPARE(page.tableView()->selectionModel()->selectedRows().size(), 1);
}

void TestCompareStudy::pageKeepsTheCurveModeInItsState() {
    ComparePage page;
    page.curveControls()->curveModeBox()->setCurrentIndex(2);
    QCOMPARE(page.plot()->curveMode(), MetricPlot::CurveMode::MeanCI95);
    page.plotTabs()->setCurrentIndex(1);
    const QVariantMap state = page.saveState();
    ComparePage other;
    other.restoreState(state);
    QCOMPARE(other.plot()->curveMode(), MetricPlot::CurveMode::MeanCI95);
    QCOMPARE(other.curveControls()->curveModeBox()->currentIndex(), 2);
    QCOMPARE(other.plotTabs()->currentIndex(), 1);
}

// ---- screenshots ---------------------------------------------------------------------------------

void TestCompareStudy::screenshots() {
    const QString out = qEnvironmentVariable("DISTILLERY_SCREENSHOT_DIR");
    if (out.isEmpty()) QSKIP("set DISTILLERY_SCREENSHOT_DIR to write the study screenshots");
    QVERIFY(QDir().mkpath(out));

    // A study of 12 configurations × 3 seeds: ce and AT at three learning rates (a log axis), KD at two
    // temperatures.
    QList<StudyConfig> configs;
    for (double lr : {0.003, 0.01, 0.1}) {
        const double lrEffect = lr == 0.01 ? 0.0 : (lr == 0.003 ? -1.6 : -0.7);
        configs.append({QStringLiteral("ce-lr%1").arg(lr), "ce", 0, lr, 86.0 + lrEffect});
        configs.append({QStringLiteral("at-lr%1").arg(lr), "at", 0, lr, 87.0 + lrEffect});
        for (int t : {2, 4})
            configs.append(
                {QStringLiteral("kd-T%1-lr%2").arg(t).arg(lr), "kd", t, lr, 87.6 + 0.6 * (t == 4) + lrEffect});
    }
    const QString path = dir_->filePath(QStringLiteral("sweep.sqlite"));
    QList<qint64> ids;
    {
        store::Store store(path.toStdString());
        auto valAt = [&configs](int c, int seed, int epoch) {
            const double plateau = configs.at(c).plateau + 0.35 * std::sin(seed * 2.1 + c);
            const double noise = 0.45 * std::sin(epoch * 1.7 + seed * 3.3 + c * 0.7);
            return plateau - (plateau - 55.0) * std::exp(-epoch / 2.2) + noise;
        };
        // One seed of one configuration is still training: its band narrows where it ends.
        auto epochsOf = [](int c, int seed) { return c == 7 && seed == 3 ? 6 : 10; };
        ids = insertStudy(store, configs, 3, valAt, epochsOf, /*withTrainLoss=*/true);
    }

    ComparePage page;
    page.resize(1400, 1150);
    page.setStorePath(path);
    page.plot()->setChosenKeys({QStringLiteral("val/acc1")});
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    QSignalSpy loaded(&page, &ComparePage::runsLoaded);
    // Bands: the four configurations at lr 0.01.
    QList<qint64> bandIds;
    for (int c = 4; c < 8; ++c) bandIds += ids.mid(3 * c, 3);
    page.setRuns(bandIds);
    QVERIFY(loaded.wait(10000));
    page.curveControls()->curveModeBox()->setCurrentIndex(1);
    page.plotTabs()->setCurrentIndex(0);
    QTest::qWait(200);
    page.plot()->replot();
    QVERIFY(page.plotTabs()->grab().save(QDir(out).filePath(QStringLiteral("compare-bands.png"))));

    page.setRuns(ids);
    QVERIFY(loaded.wait(10000));
    page.plotTabs()->setCurrentIndex(1);
    ParallelCoordinates* parallel = page.parallelCoordinates();
    QTest::qWait(200);
    parallel->plot()->replot();
    // The best runs: the top third of the metric axis.
    parallel->setBrush(parallel->data().metricAxis(), 0.67, 1.0);
    QTest::qWait(100);
    parallel->plot()->replot();
    QVERIFY(page.plotTabs()->grab().save(QDir(out).filePath(QStringLiteral("compare-parallel.png"))));
}

QTEST_MAIN(TestCompareStudy)
#include "test_compare_study.moc"
