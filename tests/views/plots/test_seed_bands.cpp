// Seed-aggregated curves: SeedBands' alignment and statistics against hand-computed numbers, and the
// metric plot's banded modes (one mean curve and one band per configuration, smoothing before the
// mean, the legend's n, the hover read-out, and the per-run mode left as it was).
#include <cmath>
#include <limits>

#include <QtTest>

#include "MetricPlot.h"
#include "SeedBands.h"
#include "Smoothing.h"

using namespace distillery::views;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// scipy.stats.t.ppf(0.975, 2)
constexpr double kT975Df2 = 4.302652729911275;

bool near(double a, double b, double tolerance = 1e-9) { return std::fabs(a - b) <= tolerance; }

// Three runs of one configuration: A logs every 10 steps to 30, B every 20 steps to 40, C stops at 10.
QList<XYSeries> threeRuns() {
    return {
        {{0, 10, 20, 30}, {1, 2, 3, 4}},   // A
        {{0, 20, 40}, {2, 4, 6}},           // B: 3 at 10 and 5 at 30 by interpolation
        {{0, 10}, {3, 5}},                  // C
    };
}

MetricSeries series(const QString& key, const QVector<double>& steps, const QVector<double>& values) {
    MetricSeries out;
    out.key = key;
    out.steps = steps;
    out.values = values;
    for (double step : steps) {
        out.epochs.append(step / 100.0);
        out.wallTimes.append(step * 1.5);
    }
    return out;
}

QVector<double> graphValues(const QCPGraph* graph) {
    QVector<double> values;
    for (int i = 0; graph && i < graph->dataCount(); ++i) values.append(graph->data()->at(i)->value);
    return values;
}

QVector<double> graphKeys(const QCPGraph* graph) {
    QVector<double> keys;
    for (int i = 0; graph && i < graph->dataCount(); ++i) keys.append(graph->data()->at(i)->key);
    return keys;
}

double sampleStd(const QVector<double>& values) {
    double mean = 0;
    for (double v : values) mean += v;
    mean /= values.size();
    double squares = 0;
    for (double v : values) squares += (v - mean) * (v - mean);
    return std::sqrt(squares / (values.size() - 1));
}

}  // namespace

class TestSeedBands : public QObject {
    Q_OBJECT

private slots:
    // SeedBands
    void alignsOnTheUnionOfStepsWithoutExtrapolating();
    void stdBandIsSampleStd();
    void ciBandUsesStudentT();
    void leavesOutNonFinitePointsAndEmptyRuns();
    void sortsAnUnorderedRun();
    // MetricPlot banded modes
    void plotDrawsOneMeanAndBandPerConfiguration();
    void plotSmoothsEachRunBeforeAveraging();
    void plotBandFollowsTheXAxisChoice();
    void plotReadoutShowsMeanBandAndN();
    void plotEachRunModeIsUnchanged();
};

// ---- SeedBands ------------------------------------------------------------------------------------

void TestSeedBands::alignsOnTheUnionOfStepsWithoutExtrapolating() {
    const SeedBand band = seedBand(threeRuns(), BandKind::StdDev);
    QCOMPARE(band.x, (QVector<double>{0, 10, 20, 30, 40}));
    QCOMPARE(band.n, (QVector<int>{3, 3, 2, 2, 1}));
    // x=0: 1,2,3; x=10: 2,3(B interpolated),5; x=20: 3,4 (C ended at 10); x=30: 4,5; x=40: B alone.
    const QVector<double> means{2.0, 10.0 / 3.0, 3.5, 4.5, 6.0};
    for (int i = 0; i < means.size(); ++i) QVERIFY2(near(band.mean.at(i), means.at(i)), qPrintable(QString::number(i)));
    // Where one run is left there is no band, only its value.
    QVERIFY(std::isnan(band.lower.at(4)));
    QVERIFY(std::isnan(band.upper.at(4)));
}

void TestSeedBands::stdBandIsSampleStd() {
    const SeedBand band = seedBand(threeRuns(), BandKind::StdDev);
    // Sample std (n-1): x=0 {1,2,3} -> 1; x=10 {2,3,5} -> sqrt(7/3); x=20 {3,4} -> sqrt(0.5).
    const QVector<double> stds{1.0, std::sqrt(7.0 / 3.0), std::sqrt(0.5), std::sqrt(0.5)};
    for (int i = 0; i < stds.size(); ++i) {
        QVERIFY2(near(band.upper.at(i), band.mean.at(i) + stds.at(i)), qPrintable(QString::number(i)));
        QVERIFY2(near(band.lower.at(i), band.mean.at(i) - stds.at(i)), qPrintable(QString::number(i)));
    }
    QVERIFY(near(band.upper.at(0), 3.0));
    QVERIFY(near(band.lower.at(1), 10.0 / 3.0 - 1.5275252316519468));
}

void TestSeedBands::ciBandUsesStudentT() {
    // n = 3: t(0.975, 2) = 4.303; half-width = 4.303 · s / sqrt(3).
    QVERIFY(near(bandHalfWidth(BandKind::ConfidenceInterval95, 1.0, 3), kT975Df2 / std::sqrt(3.0), 1e-6));
    QVERIFY(std::isnan(bandHalfWidth(BandKind::ConfidenceInterval95, 1.0, 1)));
    QCOMPARE(bandHalfWidth(BandKind::StdDev, 0.7, 2), 0.7);

    const SeedBand band = seedBand(threeRuns(), BandKind::ConfidenceInterval95);
    QVERIFY(near(band.upper.at(0), 2.0 + kT975Df2 / std::sqrt(3.0), 1e-6));   // 4.4841
    QVERIFY(near(band.lower.at(0), 2.0 - 2.4841377, 1e-6));
    // n = 2: t(0.975, 1) = 12.706; s = sqrt(0.5), half-width = 12.706 · 0.7071 / 1.4142 = 6.353.
    QVERIFY(near(band.upper.at(2) - band.mean.at(2), 12.706204736174698 * 0.5, 1e-6));
    QVERIFY(std::isnan(band.upper.at(4)));
}

void TestSeedBands::leavesOutNonFinitePointsAndEmptyRuns() {
    const QList<XYSeries> runs{
        {{0, 10, 20}, {1, kNaN, 3}},   // a NaN loss at 10: interpolated over, as the plot draws it
        {{0, 10, 20}, {3, 4, 5}},
        {{}, {}},                      // a run that logged nothing yet
    };
    const SeedBand band = seedBand(runs, BandKind::StdDev);
    QCOMPARE(band.x, (QVector<double>{0, 10, 20}));
    QCOMPARE(band.n, (QVector<int>{2, 2, 2}));
    QVERIFY(near(band.mean.at(1), 3.0));   // (2 + 4) / 2
    QVERIFY(seedBand({}, BandKind::StdDev).isEmpty());
}

void TestSeedBands::sortsAnUnorderedRun() {
    // A resumed run's wall times may step back: the run is read in x order.
    const SeedBand band = seedBand({{{20, 0, 10}, {3, 1, 2}}, {{0, 20}, {1, 3}}}, BandKind::StdDev);
    QCOMPARE(band.x, (QVector<double>{0, 10, 20}));
    QCOMPARE(band.mean, (QVector<double>{1, 2, 3}));
    QCOMPARE(band.upper, (QVector<double>{1, 2, 3}));   // the runs agree: zero width
}

// ---- MetricPlot -----------------------------------------------------------------------------------

namespace {

// Configuration "kd-T4": runs 1..3; "kd-T8": runs 4, 5. Evaluations every 100 steps, run 3 stops early.
void fillPlot(MetricPlot& plot) {
    const QString key = QStringLiteral("val/acc1");
    plot.setColourBy(MetricPlot::ColourBy::Run);
    plot.setSeries(1, QStringLiteral("kd-T4-s1"), {series(key, {100, 200, 300}, {60, 70, 80})});
    plot.setSeries(2, QStringLiteral("kd-T4-s2"), {series(key, {100, 200, 300}, {62, 71, 83})});
    plot.setSeries(3, QStringLiteral("kd-T4-s3"), {series(key, {100, 200}, {64, 75})});
    plot.setSeries(4, QStringLiteral("kd-T8-s1"), {series(key, {100, 200, 300}, {50, 55, 58})});
    plot.setSeries(5, QStringLiteral("kd-T8-s2"), {series(key, {100, 200, 300}, {52, 57, 60})});
    plot.setSeedGroups({{QStringLiteral("kd-T4"), {1, 2, 3}}, {QStringLiteral("kd-T8"), {4, 5}}});
}

}  // namespace

void TestSeedBands::plotDrawsOneMeanAndBandPerConfiguration() {
    MetricPlot plot;
    fillPlot(plot);
    const QString key = QStringLiteral("val/acc1");
    QVERIFY(!plot.meanGraph(0, key));   // each run until a banded mode is chosen
    plot.setCurveMode(MetricPlot::CurveMode::MeanStd);

    QCPGraph* mean = plot.meanGraph(0, key);
    QVERIFY(mean && mean->visible());
    QCOMPARE(graphKeys(mean), (QVector<double>{100, 200, 300}));
    QVERIFY(near(graphValues(mean).at(0), 62.0));
    QVERIFY(near(graphValues(mean).at(1), 72.0));
    QVERIFY(near(graphValues(mean).at(2), 81.5));   // run 3 ended at 200
    const QVector<double> upper = graphValues(plot.bandUpperGraph(0, key));
    const QVector<double> lower = graphValues(plot.bandLowerGraph(0, key));
    QVERIFY(near(upper.at(0), 62.0 + sampleStd({60, 62, 64})));
    QVERIFY(near(lower.at(1), 72.0 - sampleStd({70, 71, 75})));
    QVERIFY(near(upper.at(2), 81.5 + sampleStd({80, 83})));
    QCOMPARE(plot.bandUpperGraph(0, key)->channelFillGraph(), plot.bandLowerGraph(0, key));
    QCOMPARE(plot.bandUpperGraph(0, key)->brush().color().alpha(), MetricPlot::kBandAlpha);

    // One colour per configuration; the runs' own curves are hidden.
    QCOMPARE(mean->pen().color(), plot.groupColor(0));
    QCOMPARE(plot.meanGraph(1, key)->pen().color(), plot.groupColor(1));
    QVERIFY(plot.groupColor(0) != plot.groupColor(1));
    QCOMPARE(plot.bandUpperGraph(1, key)->brush().color().rgb(), plot.groupColor(1).rgb());
    for (qint64 run = 1; run <= 5; ++run) QVERIFY(!plot.graph(run, key)->visible());
    QVERIFY(!plot.meanGraph(2, key));

    // The legend: one entry per configuration with its n.
    QCOMPARE(plot.legend->itemCount(), 2);
    QCOMPARE(mean->name(), QStringLiteral("kd-T4 (n=3)"));
    QCOMPARE(plot.meanGraph(1, key)->name(), QStringLiteral("kd-T8 (n=2)"));
    QVERIFY(plot.legend->itemWithPlottable(mean));
    QVERIFY(plot.hintText().isEmpty());

    // CI: n = 3 at step 100, half-width t(0.975, 2) · 2 / sqrt(3).
    plot.setCurveMode(MetricPlot::CurveMode::MeanCI95);
    QVERIFY(near(graphValues(plot.bandUpperGraph(0, key)).at(0), 62.0 + kT975Df2 * 2.0 / std::sqrt(3.0), 1e-6));
    // A run appended live moves its configuration's mean.
    plot.appendPoints(3, {series(key, {300}, {86})});
    QVERIFY(near(graphValues(plot.meanGraph(0, key)).at(2), (80.0 + 83.0 + 86.0) / 3.0));

    // A run in no configuration keeps its own curve.
    plot.setSeries(6, QStringLiteral("ce"), {series(key, {100, 200}, {40, 45})});
    QVERIFY(plot.graph(6, key)->visible());
    QCOMPARE(plot.legend->itemCount(), 3);
}

void TestSeedBands::plotSmoothsEachRunBeforeAveraging() {
    MetricPlot plot;
    fillPlot(plot);
    const QString key = QStringLiteral("val/acc1");
    plot.setCurveMode(MetricPlot::CurveMode::MeanStd);
    plot.setSmoothing(0.5);
    // Debiased EMA of each run, then the mean: run 1 {60, 70, 80} -> {60, 66.667, 74.286}.
    const QVector<double> a = debiasedEma({60, 70, 80}, 0.5);
    const QVector<double> b = debiasedEma({62, 71, 83}, 0.5);
    const QVector<double> c = debiasedEma({64, 75}, 0.5);
    const QVector<double> mean = graphValues(plot.meanGraph(0, key));
    QVERIFY(near(a.at(1), 60.0 * 1.0 / 3.0 + 70.0 * 2.0 / 3.0));
    QVERIFY(near(mean.at(1), (a.at(1) + b.at(1) + c.at(1)) / 3.0));
    QVERIFY(near(mean.at(2), (a.at(2) + b.at(2)) / 2.0));
    QVERIFY(!plot.rawGraph(1, key)->visible());   // no faint per-run curves under the bands
}

void TestSeedBands::plotBandFollowsTheXAxisChoice() {
    MetricPlot plot;
    fillPlot(plot);
    plot.setCurveMode(MetricPlot::CurveMode::MeanStd);
    plot.setXAxis(MetricPlot::XAxis::Epoch);
    QCOMPARE(graphKeys(plot.meanGraph(0, QStringLiteral("val/acc1"))), (QVector<double>{1, 2, 3}));
    plot.setXAxis(MetricPlot::XAxis::WallTimeMinutes);
    QCOMPARE(graphKeys(plot.meanGraph(1, QStringLiteral("val/acc1"))), (QVector<double>{2.5, 5, 7.5}));
}

void TestSeedBands::plotReadoutShowsMeanBandAndN() {
    MetricPlot plot;
    plot.resize(800, 500);
    fillPlot(plot);
    const QString key = QStringLiteral("val/acc1");
    plot.setCurveMode(MetricPlot::CurveMode::MeanStd);
    plot.replot();
    QCPGraph* mean = plot.meanGraph(0, key);
    QVERIFY(plot.showReadoutAt(mean->coordsToPixels(200, 72.0) + QPointF(1, 1)));
    const double std = sampleStd({70, 71, 75});
    QCOMPARE(plot.readoutText(), QStringLiteral("kd-T4 · val/acc1\nstep: 200\nmean: 72.00\n± std: %1 – %2\nn: 3")
                                     .arg(QString::number(72.0 - std, 'f', 2), QString::number(72.0 + std, 'f', 2)));
    QVERIFY(plot.showReadoutAt(mean->coordsToPixels(300, 81.5) - QPointF(2, 0)));   // inside the right edge
    QVERIFY(plot.readoutText().endsWith(QStringLiteral("n: 2")));
}

void TestSeedBands::plotEachRunModeIsUnchanged() {
    MetricPlot plot;
    fillPlot(plot);
    const QString key = QStringLiteral("val/acc1");
    plot.setCurveMode(MetricPlot::CurveMode::MeanCI95);
    plot.setCurveMode(MetricPlot::CurveMode::EachRun);
    QVERIFY(!plot.meanGraph(0, key));
    for (qint64 run = 1; run <= 5; ++run) {
        QVERIFY(plot.graph(run, key)->visible());
        QCOMPARE(plot.graph(run, key)->pen().color(), plot.runColor(run));
    }
    QCOMPARE(plot.graphCount(), 10);   // a displayed and a raw graph per run, nothing else
    QCOMPARE(plot.legend->itemCount(), 5);
    QCOMPARE(plot.graph(1, key)->name(), QStringLiteral("kd-T4-s1"));
    // Clearing the series forgets the groups.
    plot.clearSeries();
    QVERIFY(plot.seedGroups().isEmpty());
}

QTEST_MAIN(TestSeedBands)
#include "test_seed_bands.moc"
