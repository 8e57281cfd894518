// Statistics between configurations across seeds (ConfigurationStatistics, StatisticsTableModel,
// StatisticsPanel) on a fixture store of four configurations: plain CE, KD with T = 4 and KD with
// T = 8 over three seeds each, and AT with one run. CE and KD T=4 have seeds 1, 2, 3; KD T=8 has
// seeds 1, 2, 4, so it pairs with CE over two seeds only. Every figure is checked against SciPy.
#include <cmath>
#include <limits>

#include <QComboBox>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "ComparePage.h"
#include "ConfigurationStatistics.h"
#include "HeadlineResult.h"
#include "RunComparison.h"
#include "RunFixtures.h"
#include "StatisticsPanel.h"
#include "StatisticsTableModel.h"
#include "store/Store.h"

using namespace distillery;
using namespace distillery::views;

namespace {

// The headline of each run: test/acc1 at the epoch of the best val/acc1. Produced with
//   A = {1: 85.10, 2: 85.62, 3: 84.93}    # fmnist-ce
//   B = {1: 86.05, 2: 86.41, 3: 85.77}    # fmnist-kd-t4
//   C = {1: 85.48, 2: 86.20, 4: 85.02}    # fmnist-kd-t8
//   D = {1: 86.90}                        # fmnist-at
struct FixtureRun {
    const char* config;
    const char* method;   // spec and store column
    int temperature;      // 0: none
    int seed;
    double headline;
};
constexpr FixtureRun kRuns[] = {
    {"fmnist-ce", "ce", 0, 1, 85.10},    {"fmnist-ce", "ce", 0, 2, 85.62},    {"fmnist-ce", "ce", 0, 3, 84.93},
    {"fmnist-kd-t4", "kd", 4, 1, 86.05}, {"fmnist-kd-t4", "kd", 4, 2, 86.41}, {"fmnist-kd-t4", "kd", 4, 3, 85.77},
    {"fmnist-kd-t8", "kd", 8, 1, 85.48}, {"fmnist-kd-t8", "kd", 8, 2, 86.20}, {"fmnist-kd-t8", "kd", 8, 4, 85.02},
    {"fmnist-at", "at", 0, 1, 86.90},
};
enum Config { CE, KD4, KD8, AT };

// Expected values, from /usr/bin/python3 with SciPy 1.10:
//   import numpy as np; from scipy import stats
//   def desc(x): x = np.array(list(x.values())); n = len(x); m = x.mean(); s = x.std(ddof=1)
//       return m, s, stats.t.interval(0.95, n - 1, loc=m, scale=s / np.sqrt(n))
//   def welch(c, b):   # ttest_ind(equal_var=False) for t and p; SciPy 1.10 gives no df or CI for it
//       c = np.array(list(c.values())); b = np.array(list(b.values())); r = stats.ttest_ind(c, b, equal_var=False)
//       vc = c.var(ddof=1) / len(c); vb = b.var(ddof=1) / len(b); se = np.sqrt(vc + vb)
//       df = (vc + vb)**2 / (vc**2 / (len(c) - 1) + vb**2 / (len(b) - 1)); d = c.mean() - b.mean()
//       q = stats.t.ppf(0.975, df); return r.statistic, df, r.pvalue, (d - q * se, d + q * se), d
//   def pair(c, b):
//       k = sorted(set(c) & set(b)); x = np.array([c[i] for i in k]); y = np.array([b[i] for i in k])
//       r = stats.ttest_rel(x, y); return r.statistic, r.df, r.pvalue, r.confidence_interval(0.95), len(k), (x - y).mean()
//   def holm(ps): ps = np.asarray(ps); o = np.argsort(ps); m = len(ps); adj = np.empty(m); run = 0
//       for r, i in enumerate(o): run = max(run, min(1, (m - r) * ps[i])); adj[i] = run
//       return adj
//   desc(A), desc(B), desc(C); welch(B, A), pair(B, A), welch(C, A), pair(C, A)
//   holm([welch(B, A)[2], welch(C, A)[2]]), holm([pair(B, A)[2], pair(C, A)[2]]); likewise against B.
struct Described { double mean, std, ciLow, ciHigh; };
constexpr Described kDescribed[] = {
    {85.2166666667, 0.359490380029, 84.3236430566, 86.1096902767},
    {86.0766666667, 0.32083225108, 85.2796751726, 86.8736581608},
    {85.5666666667, 0.594754851458, 84.0892137109, 87.0441196225},
};
struct Tested { double t, df, p, ciLow, ciHigh, difference, pHolm; size_t n; };   // n: pairs, or runs of the candidate
// Against CE.
constexpr Tested kWelchB = {3.09142806719, 3.94932028997, 0.0371534098259,
                            0.0837000121788, 1.63629998782, 0.86, 0.0743068196518, 3};
constexpr Tested kPairedB = {18.1979168892, 2, 0.00300604130317,
                             0.656664564946, 1.06333543505, 0.86, 0.00601208260633, 3};
constexpr Tested kWelchC = {0.872308476869, 3.28927908116, 0.442056395022,
                            -0.865668556285, 1.56566855628, 0.35, 0.442056395022, 3};
constexpr Tested kPairedC = {4.8, 1, 0.130758765911,
                             -0.790620473643, 1.75062047364, 0.48, 0.130758765911, 2};
// Against KD T=4.
constexpr Tested kPairedAvsB = {-18.1979168892, 2, 0.00300604130317,
                                -1.06333543505, -0.656664564946, -0.86, 0.00601208260633, 3};
constexpr Tested kWelchCvsB = {-1.30716721631, 3.07309959024, 0.280362006141,
                               -1.73511008444, 0.715110084435, -0.51, 0.280362006141, 3};
constexpr Tested kPairedCvsB = {-2.16666666667, 1, 0.275279339654,
                                -2.67711685256, 1.89711685256, -0.39, 0.275279339654, 2};

std::string specJson(const FixtureRun& run, const std::string& name) {
    std::string method = std::string(R"({"name": ")") + run.method + "\"";
    if (run.temperature > 0) method += R"(, "T": )" + std::to_string(run.temperature) + R"(, "alpha": 0.9)";
    method += "}";
    const std::string teacher = std::string(run.method) == "ce"
                                    ? std::string()
                                    : R"(, "teacher": {"run_name": "fmnist-teacher-s)" + std::to_string(run.seed) + R"("})";
    return R"({"batch_size": 128, "data": {"name": "fashion-mnist", "val_size": 5000}, "epochs": 3, "method": )" +
           method + R"(, "name": ")" + name + R"(", "optim": {"lr": 0.1, "name": "sgd"}, "seed": )" +
           std::to_string(run.seed) + R"(, "student": {"model": "resnet8"})" + teacher + "}";
}

bool near(double actual, double expected, double tolerance = 1e-9) {
    return std::fabs(actual - expected) <= tolerance * std::max(1.0, std::fabs(expected));
}

#define CHECK_NEAR(actual, expected)                                                                         \
    QVERIFY2(near((actual), (expected)), qPrintable(QStringLiteral("%1 = %2, expected %3")                  \
                                                        .arg(QStringLiteral(#actual))                        \
                                                        .arg((actual), 0, 'g', 15)                           \
                                                        .arg((expected), 0, 'g', 15)))

void checkTest(const stats::Comparison& c, const Tested& expected, bool withHolm = true) {
    QVERIFY2(c.possible, c.reason.c_str());
    CHECK_NEAR(c.t, expected.t);
    CHECK_NEAR(c.df, expected.df);
    CHECK_NEAR(c.p, expected.p);
    CHECK_NEAR(c.ciLow, expected.ciLow);
    CHECK_NEAR(c.ciHigh, expected.ciHigh);
    CHECK_NEAR(c.difference, expected.difference);
    QCOMPARE(c.nCandidate, expected.n);
    if (withHolm) CHECK_NEAR(c.pHolm, expected.pHolm);
}

QString cell(const QAbstractItemModel& model, int row, int column, int role = Qt::DisplayRole) {
    return model.index(row, column).data(role).toString();
}

}  // namespace

class TestStatisticsTable : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    // ConfigurationStatistics
    void describesEachConfigurationAsScipy();
    void testsAgainstTheBaselineAsScipy();
    void pairsOnlyTheSeedsBothConfigurationsHave();
    void aStudysTeachersAreReferencesOutsideHolmsFamily();
    void singleRunConfigurationSaysWhyNoTest();
    void summaryMetricComparesItsStatistic();
    void defaultBaselineIsTheOnlyPlainCe();
    void metricStateRoundTrips();
    // StatisticsTableModel
    void tableShowsFormattedFigures();
    void baselineSwitchRecomputes();
    void formatsNumbersSensibly();
    // StatisticsPanel and ComparePage
    void panelDefaultsAndRestoresItsChoices();
    void comparePageFillsTheStatisticsTab();

private:
    QList<ComparedRun> loadRuns(const QList<qint64>& ids) const { return loadComparedRuns(*store_, ids); }

    std::unique_ptr<QTemporaryDir> dir_;
    QString storePath_;
    std::unique_ptr<store::Store> store_;
    QList<qint64> runIds_;   // kRuns' order
};

void TestStatisticsTable::initTestCase() { QStandardPaths::setTestModeEnabled(true); }

void TestStatisticsTable::init() {
    dir_ = std::make_unique<QTemporaryDir>();
    QVERIFY(dir_->isValid());
    storePath_ = dir_->filePath(QStringLiteral("statistics.sqlite"));
    store_ = std::make_unique<store::Store>(storePath_.toStdString());
    runIds_.clear();
    for (const FixtureRun& fixture : kRuns) {
        store::NewRun run;
        run.name = std::string(fixture.config) + "-s" + std::to_string(fixture.seed);
        run.specJson = specJson(fixture, run.name);
        run.teacher = std::string(fixture.method) == "ce" ? "" : "resnet20";
        run.student = "resnet8";
        run.method = fixture.method;
        run.dataset = "fashion-mnist";
        run.seed = fixture.seed;
        const int64_t id = store_->insertRun(run);
        runIds_.append(id);
        // Validation is best at the second epoch; the test accuracy keeps rising after it, so the last
        // and the highest test/acc1 are not the headline.
        const double offset = 0.1 * fixture.seed;
        const double val[3] = {80.0 + offset, 88.0 + offset, 87.0 + offset};
        const double test[3] = {fixture.headline - 4.0, fixture.headline, fixture.headline + 0.5};
        store::RowBatch batch;
        for (int e = 0; e < 3; ++e) {
            batch.metrics.push_back(testing::metricPoint(id, store::metric::kValAcc1, 100 * (e + 1), val[e]));
            batch.metrics.push_back(testing::metricPoint(id, store::metric::kTestAcc1, 100 * (e + 1), test[e]));
        }
        store_->writeBatch(batch);
    }
}

void TestStatisticsTable::cleanup() {
    store_.reset();
    dir_.reset();
}

// ---- ConfigurationStatistics ---------------------------------------------------------------------

void TestStatisticsTable::describesEachConfigurationAsScipy() {
    // The report's way in: a store and run ids, the headline and the default baseline.
    const ConfigurationStatistics result = ConfigurationStatistics::compute(*store_, runIds_);
    QVERIFY(result.metric.headline);
    QCOMPARE(result.confidence, 0.95);
    QCOMPARE(result.alpha, 1.0 - 0.95);
    QCOMPARE(result.rows.size(), 4);
    QCOMPARE(result.rows.at(CE).label, QStringLiteral("fmnist-ce"));
    QCOMPARE(result.rows.at(KD4).label, QStringLiteral("fmnist-kd-t4"));
    QCOMPARE(result.rows.at(KD8).label, QStringLiteral("fmnist-kd-t8"));
    QCOMPARE(result.rows.at(AT).label, QStringLiteral("fmnist-at"));
    QCOMPARE(result.baseline, int(CE));
    QVERIFY(result.rows.at(CE).isBaseline);
    for (int config : {CE, KD4, KD8}) {
        const ConfigurationRow& row = result.rows.at(config);
        QCOMPARE(row.n(), 3);
        QVERIFY(row.missing.isEmpty());
        QVERIFY2(row.sample.reason.empty(), row.sample.reason.c_str());
        CHECK_NEAR(row.sample.mean, kDescribed[config].mean);
        CHECK_NEAR(row.sample.std, kDescribed[config].std);
        CHECK_NEAR(row.sample.ciLow, kDescribed[config].ciLow);
        CHECK_NEAR(row.sample.ciHigh, kDescribed[config].ciHigh);
    }
}

void TestStatisticsTable::testsAgainstTheBaselineAsScipy() {
    const QList<ComparedRun> runs = loadRuns(runIds_);
    const ConfigurationStatistics result = ConfigurationStatistics::compute(runs, groupRuns(runs));
    const ConfigurationRow& kd4 = result.rows.at(KD4);
    const ConfigurationRow& kd8 = result.rows.at(KD8);
    checkTest(kd4.welch, kWelchB);
    checkTest(kd4.paired, kPairedB);
    checkTest(kd8.welch, kWelchC);
    checkTest(kd8.paired, kPairedC);
    // Holm's families: the two possible Welch tests, the two possible paired tests (AT's are not).
    QCOMPARE(result.comparisonsOf(stats::TestKind::Welch), 2);
    QCOMPARE(result.comparisonsOf(stats::TestKind::Paired), 2);
    // Paired where the seeds pair up; significant on the adjusted p of that test.
    QCOMPARE(kd4.testUsed, stats::TestKind::Paired);
    QVERIFY(kd4.significant);                      // paired Holm p 0.006 (Welch's alone: 0.074)
    QCOMPARE(kd8.testUsed, stats::TestKind::Paired);
    QVERIFY(!kd8.significant);                     // 0.131
    QVERIFY(!result.rows.at(CE).significant);

    // 99 %: alpha 0.01, the paired Holm p 0.006 of KD T=4 is still below it; the intervals widen.
    const ConfigurationStatistics strict = ConfigurationStatistics::compute(runs, groupRuns(runs), {}, -1, 0.99);
    QCOMPARE(strict.alpha, 1.0 - 0.99);
    QVERIFY(strict.rows.at(KD4).significant);
    QVERIFY(strict.rows.at(KD4).paired.ciLow < kPairedB.ciLow);
    CHECK_NEAR(strict.rows.at(KD4).paired.p, kPairedB.p);
    // 99.5 %: alpha 0.005 lies between KD T=4's raw p (0.003) and its Holm p (0.006): not significant.
    const ConfigurationStatistics stricter = ConfigurationStatistics::compute(runs, groupRuns(runs), {}, -1, 0.995);
    QVERIFY(stricter.rows.at(KD4).paired.p < stricter.alpha);
    QVERIFY(!stricter.rows.at(KD4).significant);
}

void TestStatisticsTable::aStudysTeachersAreReferencesOutsideHolmsFamily() {
    // KD T=8 played the study's teacher: its comparison with the student baseline is shown, but Holm's
    // family is KD T=4's test alone, so its adjusted p equals its raw p.
    QList<ComparedRun> runs = loadRuns(runIds_);
    for (int i = 0; i < runs.size(); ++i)
        runs[i].run.studyRole = std::string(kRuns[i].config) == "fmnist-kd-t8" ? "teacher" : "student";
    const ConfigurationStatistics result = ConfigurationStatistics::compute(runs, groupRuns(runs));
    const ConfigurationRow& kd4 = result.rows.at(KD4);
    const ConfigurationRow& kd8 = result.rows.at(KD8);
    QVERIFY(kd8.reference);
    QVERIFY(!kd4.reference && !result.rows.at(AT).reference && !result.rows.at(CE).reference);
    QCOMPARE(kd8.role, std::string("teacher"));
    checkTest(kd8.paired, kPairedC, /*withHolm=*/false);
    QVERIFY(std::isnan(kd8.paired.pHolm) && std::isnan(kd8.welch.pHolm));
    QVERIFY(!kd8.significant);
    QCOMPARE(result.comparisonsOf(stats::TestKind::Welch), 1);
    QCOMPARE(result.comparisonsOf(stats::TestKind::Paired), 1);
    CHECK_NEAR(kd4.welch.pHolm, kWelchB.p);
    CHECK_NEAR(kd4.paired.pHolm, kPairedB.p);
    using M = StatisticsTableModel;
    QCOMPARE(M::cellText(result, kd8, M::HolmColumn), QStringLiteral("—"));
    QCOMPARE(M::cellText(result, kd8, M::SignificanceColumn), QStringLiteral("—"));
    QCOMPARE(M::cellText(result, kd8, M::PColumn), QStringLiteral("0.131"));
    QVERIFY2(result.referenceNote().startsWith(QStringLiteral("“fmnist-kd-t8”: the study's teacher runs against a "
                                                              "student baseline")),
             qPrintable(result.referenceNote()));

    // Without study roles every configuration is a candidate.
    const ConfigurationStatistics plain = ConfigurationStatistics::compute(loadRuns(runIds_), groupRuns(loadRuns(runIds_)));
    QVERIFY(!plain.rows.at(KD8).reference);
    QVERIFY(plain.referenceNote().isEmpty());
    QCOMPARE(plain.comparisonsOf(stats::TestKind::Paired), 2);
}

void TestStatisticsTable::pairsOnlyTheSeedsBothConfigurationsHave() {
    const ConfigurationStatistics result = ConfigurationStatistics::compute(*store_, runIds_);
    const ConfigurationRow& kd8 = result.rows.at(KD8);
    // Seeds 1, 2, 4 against 1, 2, 3: two pairs, and their mean difference, not that of all runs.
    QCOMPARE(kd8.paired.nCandidate, size_t(2));
    CHECK_NEAR(kd8.paired.difference, (85.48 - 85.10 + 86.20 - 85.62) / 2);
    CHECK_NEAR(kd8.welch.difference, 0.35);
    QCOMPARE(kd8.values.size(), size_t(3));
    QCOMPARE(kd8.values.at(2).first, int64_t(4));
}

void TestStatisticsTable::singleRunConfigurationSaysWhyNoTest() {
    const ConfigurationStatistics result = ConfigurationStatistics::compute(*store_, runIds_);
    const ConfigurationRow& at = result.rows.at(AT);
    QCOMPARE(at.n(), 1);
    CHECK_NEAR(at.sample.mean, 86.90);
    QVERIFY(std::isnan(at.sample.std));
    QVERIFY(std::isnan(at.sample.ciLow));
    QVERIFY(!at.sample.reason.empty());
    QVERIFY(!at.welch.possible);
    QVERIFY(!at.paired.possible);
    QCOMPARE(at.testUsed, stats::TestKind::Welch);
    QVERIFY2(QString::fromStdString(at.welch.reason).contains(QStringLiteral("1 run")), at.welch.reason.c_str());
    QVERIFY(std::isnan(at.test().t) && std::isnan(at.test().p) && std::isnan(at.test().pHolm));
    QVERIFY(!at.significant);
    QCOMPARE(result.shortfallNote(),
             QStringLiteral("Configuration “fmnist-at” has 1 run: a t-test needs at least 2 seeds per "
                            "configuration; add seeds."));

    // A baseline of one run makes every test impossible, each saying so.
    const QList<ComparedRun> runs = loadRuns(runIds_);
    const ConfigurationStatistics againstAt = ConfigurationStatistics::compute(runs, groupRuns(runs), {}, AT);
    for (int config : {CE, KD4, KD8}) {
        QVERIFY(!againstAt.rows.at(config).test().possible);
        QVERIFY(QString::fromStdString(againstAt.rows.at(config).test().reason).contains(QStringLiteral("baseline")));
    }
    QCOMPARE(againstAt.comparisonsOf(stats::TestKind::Welch), 0);

    // Without a run with the metric, the configuration has none and says why.
    const ConfigurationStatistics noBest =
        ConfigurationStatistics::compute(runs, groupRuns(runs), StatisticsMetric::summaryOf("test/acc1", SummaryStat::Best));
    QCOMPARE(noBest.rows.at(CE).n(), 0);
    QCOMPARE(noBest.rows.at(CE).missing.size(), 3);
    QVERIFY(noBest.rows.at(CE).missing.first().startsWith(QStringLiteral("fmnist-ce-s1: ")));
    QVERIFY(noBest.shortfallNote().contains(QStringLiteral("“fmnist-kd-t8” has no run with a value")));
}

void TestStatisticsTable::summaryMetricComparesItsStatistic() {
    const QList<ComparedRun> runs = loadRuns(runIds_);
    // The last test accuracy is the headline + 0.5 in every run: the same differences and tests.
    const StatisticsMetric last = StatisticsMetric::summaryOf(QStringLiteral("test/acc1"), SummaryStat::Last);
    const ConfigurationStatistics result = ConfigurationStatistics::compute(runs, groupRuns(runs), last);
    CHECK_NEAR(result.rows.at(CE).sample.mean, kDescribed[CE].mean + 0.5);
    CHECK_NEAR(result.rows.at(KD8).sample.ciHigh, kDescribed[KD8].ciHigh + 0.5);
    checkTest(result.rows.at(KD4).welch, kWelchB);
    checkTest(result.rows.at(KD8).paired, kPairedC);
    // The best val/acc1 is 88 + 0.1 seed: every configuration alike.
    const ConfigurationStatistics val = ConfigurationStatistics::compute(
        runs, groupRuns(runs), StatisticsMetric::summaryOf(QStringLiteral("val/acc1"), SummaryStat::Best));
    CHECK_NEAR(val.rows.at(KD8).sample.mean, 88.0 + 0.7 / 3);
    QCOMPARE(val.rows.at(KD4).paired.possible, false);   // differences all 0: zero spread
    QVERIFY(!val.rows.at(KD4).paired.reason.empty());
}

void TestStatisticsTable::defaultBaselineIsTheOnlyPlainCe() {
    // CE listed last: still the baseline.
    QList<qint64> ceLast = runIds_.mid(3);
    ceLast += runIds_.mid(0, 3);
    QList<ComparedRun> runs = loadRuns(ceLast);
    QList<RunGroup> groups = groupRuns(runs);
    QCOMPARE(groups.at(ConfigurationStatistics::defaultBaseline(runs, groups)).label, QStringLiteral("fmnist-ce"));
    // No CE configuration: the first.
    runs = loadRuns(runIds_.mid(3));
    groups = groupRuns(runs);
    QCOMPARE(ConfigurationStatistics::defaultBaseline(runs, groups), 0);
    QCOMPARE(ConfigurationStatistics::defaultBaseline({}, {}), -1);
}

void TestStatisticsTable::metricStateRoundTrips() {
    const StatisticsMetric last = StatisticsMetric::summaryOf(QStringLiteral("train/loss:ce"), SummaryStat::Last);
    QCOMPARE(StatisticsMetric::fromStateText(last.stateText()), last);
    QCOMPARE(StatisticsMetric::fromStateText(QStringLiteral("headline")), StatisticsMetric::headlineResult());
    QCOMPARE(StatisticsMetric::fromStateText(QStringLiteral("bogus:val/acc1")), StatisticsMetric::headlineResult());
    QCOMPARE(StatisticsMetric::headlineResult().title(), HeadlineResult::title());
    QCOMPARE(last.title(), QStringLiteral("train/loss:ce last"));
}

// ---- StatisticsTableModel ------------------------------------------------------------------------

void TestStatisticsTable::tableShowsFormattedFigures() {
    StatisticsTableModel model;
    model.setRuns(loadRuns(runIds_));
    using M = StatisticsTableModel;
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(model.columnCount(), int(M::ColumnCount));
    QCOMPARE(model.headerData(M::IntervalColumn, Qt::Horizontal).toString(), QStringLiteral("95% CI"));
    QCOMPARE(model.headerData(M::DifferenceColumn, Qt::Horizontal).toString(), QStringLiteral("Δ vs baseline [95% CI]"));
    QCOMPARE(model.headerData(M::HolmColumn, Qt::Horizontal).toString(), QStringLiteral("p (Holm)"));

    // The baseline.
    QCOMPARE(cell(model, CE, M::ConfigurationColumn), QStringLiteral("fmnist-ce"));
    QCOMPARE(cell(model, CE, M::MeanColumn), QStringLiteral("85.22 ± 0.36"));
    QCOMPARE(cell(model, CE, M::IntervalColumn), QStringLiteral("[84.32, 86.11]"));
    QCOMPARE(cell(model, CE, M::DifferenceColumn), QStringLiteral("baseline"));
    QCOMPARE(cell(model, CE, M::PColumn), QString());
    QVERIFY(model.index(CE, M::TColumn).data(M::BaselineRole).toBool());

    // KD T=4: paired over three seeds, significant after Holm.
    QCOMPARE(cell(model, KD4, M::RunsColumn), QStringLiteral("3"));
    QCOMPARE(cell(model, KD4, M::MeanColumn), QStringLiteral("86.08 ± 0.32"));
    QCOMPARE(cell(model, KD4, M::IntervalColumn), QStringLiteral("[85.28, 86.87]"));
    QCOMPARE(cell(model, KD4, M::DifferenceColumn), QStringLiteral("+0.86 [+0.66, +1.06]"));
    QCOMPARE(cell(model, KD4, M::TestColumn), QStringLiteral("paired"));
    QCOMPARE(cell(model, KD4, M::TColumn), QStringLiteral("18.20"));
    QCOMPARE(cell(model, KD4, M::DfColumn), QStringLiteral("2"));
    QCOMPARE(cell(model, KD4, M::PColumn), QStringLiteral("0.003"));
    QCOMPARE(cell(model, KD4, M::HolmColumn), QStringLiteral("0.006"));
    QCOMPARE(cell(model, KD4, M::SignificanceColumn), QStringLiteral("●"));
    QVERIFY(model.index(KD4, M::HolmColumn).data(M::SignificantRole).toBool());
    QVERIFY(model.index(KD4, M::HolmColumn).data(Qt::FontRole).value<QFont>().bold());
    CHECK_NEAR(model.index(KD4, M::HolmColumn).data(M::ValueRole).toDouble(), kPairedB.pHolm);

    // KD T=8: paired over the two common seeds, not significant.
    QCOMPARE(cell(model, KD8, M::DifferenceColumn), QStringLiteral("+0.48 [-0.79, +1.75]"));
    QCOMPARE(cell(model, KD8, M::TestColumn), QStringLiteral("paired"));
    QVERIFY(cell(model, KD8, M::TestColumn, Qt::ToolTipRole).contains(QStringLiteral("2 seeds")));
    QCOMPARE(cell(model, KD8, M::TColumn), QStringLiteral("4.80"));
    QCOMPARE(cell(model, KD8, M::DfColumn), QStringLiteral("1"));
    QCOMPARE(cell(model, KD8, M::PColumn), QStringLiteral("0.131"));
    QCOMPARE(cell(model, KD8, M::HolmColumn), QStringLiteral("0.131"));
    QCOMPARE(cell(model, KD8, M::SignificanceColumn), QStringLiteral("○"));

    // AT, one run: no spread, no interval, no test — dashes with the library's reasons.
    QCOMPARE(cell(model, AT, M::RunsColumn), QStringLiteral("1"));
    QCOMPARE(cell(model, AT, M::MeanColumn), QStringLiteral("86.90"));
    QCOMPARE(cell(model, AT, M::IntervalColumn), QStringLiteral("—"));
    QCOMPARE(cell(model, AT, M::TestColumn), QStringLiteral("Welch"));
    const ConfigurationRow& at = model.statistics().rows.at(AT);
    for (int column : {M::TColumn, M::DfColumn, M::PColumn, M::HolmColumn, M::SignificanceColumn}) {
        QCOMPARE(cell(model, AT, column), QStringLiteral("—"));
        QCOMPARE(cell(model, AT, column, Qt::ToolTipRole), QString::fromStdString(at.welch.reason));
        QVERIFY(!model.index(AT, column).data(M::ValueRole).isValid());
    }
    QCOMPARE(cell(model, AT, M::IntervalColumn, Qt::ToolTipRole), QString::fromStdString(at.sample.reason));
    QCOMPARE(cell(model, AT, M::DifferenceColumn), QStringLiteral("+1.68"));   // the means differ; no interval
}

void TestStatisticsTable::baselineSwitchRecomputes() {
    StatisticsTableModel model;
    model.setRuns(loadRuns(runIds_));
    QCOMPARE(model.baselineLabel(), QStringLiteral("fmnist-ce"));
    using M = StatisticsTableModel;
    QSignalSpy changed(&model, &StatisticsTableModel::statisticsChanged);
    model.setBaseline(KD4);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(model.baseline(), int(KD4));
    QCOMPARE(model.baselineLabel(), QStringLiteral("fmnist-kd-t4"));
    QCOMPARE(cell(model, KD4, M::DifferenceColumn), QStringLiteral("baseline"));
    QCOMPARE(cell(model, CE, M::DifferenceColumn), QStringLiteral("-0.86 [-1.06, -0.66]"));
    QCOMPARE(cell(model, CE, M::TColumn), QStringLiteral("-18.20"));
    QCOMPARE(cell(model, CE, M::HolmColumn), QStringLiteral("0.006"));
    QCOMPARE(cell(model, KD8, M::DifferenceColumn), QStringLiteral("-0.39 [-2.68, +1.90]"));
    QCOMPARE(cell(model, KD8, M::TColumn), QStringLiteral("-2.17"));
    QCOMPARE(cell(model, KD8, M::PColumn), QStringLiteral("0.275"));
    const ConfigurationStatistics& result = model.statistics();
    checkTest(result.rows.at(CE).paired, kPairedAvsB);
    checkTest(result.rows.at(KD8).welch, kWelchCvsB);
    checkTest(result.rows.at(KD8).paired, kPairedCvsB);

    // The choice is kept by label: a new selection holding that configuration keeps it as baseline.
    QList<qint64> reordered = runIds_.mid(6);
    reordered += runIds_.mid(0, 6);
    model.setRuns(loadRuns(reordered));
    QCOMPARE(model.baselineLabel(), QStringLiteral("fmnist-kd-t4"));
    // Without it, the default; the label is remembered for later.
    model.setRuns(loadRuns(runIds_.mid(0, 3) + runIds_.mid(6)));
    QCOMPARE(model.baselineLabel(), QStringLiteral("fmnist-ce"));
    model.setRuns(loadRuns(runIds_));
    QCOMPARE(model.baselineLabel(), QStringLiteral("fmnist-kd-t4"));

    // Confidence: headers and intervals follow.
    model.setConfidence(0.99);
    QCOMPARE(model.headerData(M::IntervalColumn, Qt::Horizontal).toString(), QStringLiteral("99% CI"));
    QCOMPARE(model.statistics().alpha, 1.0 - 0.99);
}

void TestStatisticsTable::formatsNumbersSensibly() {
    using M = StatisticsTableModel;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    QCOMPARE(M::pText(0.0004), QStringLiteral("<0.001"));
    QCOMPARE(M::pText(0.001), QStringLiteral("0.001"));
    QCOMPARE(M::pText(0.0371534098259), QStringLiteral("0.037"));
    QCOMPARE(M::pText(1.0), QStringLiteral("1.000"));
    QCOMPARE(M::pText(nan), QStringLiteral("—"));
    QCOMPARE(M::tText(3.09142806719), QStringLiteral("3.09"));
    QCOMPARE(M::dfText(3.94932028997), QStringLiteral("3.95"));
    QCOMPARE(M::dfText(2.0), QStringLiteral("2"));
    QCOMPARE(M::signedText(0.86, 2), QStringLiteral("+0.86"));
    QCOMPARE(M::signedText(-0.51, 2), QStringLiteral("-0.51"));
    QCOMPARE(M::signedText(-0.001, 2), QStringLiteral("+0.00"));
    QCOMPARE(M::intervalText(-0.79, 1.75, 2, true), QStringLiteral("[-0.79, +1.75]"));
    QCOMPARE(M::intervalText(84.3236, 86.1097, 2, false), QStringLiteral("[84.32, 86.11]"));
    QCOMPARE(M::confidenceText(0.9), QStringLiteral("90%"));
}

// ---- StatisticsPanel and ComparePage -------------------------------------------------------------

void TestStatisticsTable::panelDefaultsAndRestoresItsChoices() {
    StatisticsPanel panel;
    panel.setRuns(loadRuns(runIds_));
    QCOMPARE(panel.baselineBox()->count(), 4);
    QCOMPARE(panel.baselineBox()->currentText(), QStringLiteral("fmnist-ce"));
    QCOMPARE(panel.metricBox()->currentText(), HeadlineResult::title());
    QCOMPARE(panel.confidenceBox()->currentText(), QStringLiteral("95%"));
    QVERIFY(panel.model()->metric().headline);
    QCOMPARE(panel.noteText(), panel.model()->statistics().shortfallNote());
    QVERIFY(panel.noteText().contains(QStringLiteral("“fmnist-at” has 1 run")));

    // The user's picks drive the model.
    panel.baselineBox()->setCurrentIndex(KD8);
    QCOMPARE(panel.model()->baselineLabel(), QStringLiteral("fmnist-kd-t8"));
    panel.metricBox()->setCurrentIndex(panel.metricBox()->findText(QStringLiteral("test/acc1")));
    QStringList offered;
    for (int i = 0; i < panel.statBox()->count(); ++i) offered.append(panel.statBox()->itemText(i));
    QCOMPARE(offered, (QStringList{"last", "min", "max"}));   // no "best" of a test metric
    panel.statBox()->setCurrentIndex(panel.statBox()->findText(QStringLiteral("max")));
    QCOMPARE(panel.model()->metric(), StatisticsMetric::summaryOf(QStringLiteral("test/acc1"), SummaryStat::Max));
    panel.confidenceBox()->setCurrentIndex(panel.confidenceBox()->findText(QStringLiteral("99%")));
    QCOMPARE(panel.model()->confidence(), 0.99);

    // Saved and restored into a fresh panel, before and after its runs arrive.
    const QVariantMap state = panel.saveState();
    QCOMPARE(state.value(QStringLiteral("baseline")).toString(), QStringLiteral("fmnist-kd-t8"));
    QCOMPARE(state.value(QStringLiteral("metric")).toString(), QStringLiteral("max:test/acc1"));
    StatisticsPanel restored;
    restored.restoreState(state);
    restored.setRuns(loadRuns(runIds_));
    QCOMPARE(restored.baselineBox()->currentText(), QStringLiteral("fmnist-kd-t8"));
    QCOMPARE(restored.model()->baselineLabel(), QStringLiteral("fmnist-kd-t8"));
    QCOMPARE(restored.metricBox()->currentText(), QStringLiteral("test/acc1"));
    QCOMPARE(restored.statBox()->currentText(), QStringLiteral("max"));
    QCOMPARE(restored.model()->metric(), StatisticsMetric::summaryOf(QStringLiteral("test/acc1"), SummaryStat::Max));
    QCOMPARE(restored.confidenceBox()->currentText(), QStringLiteral("99%"));
    StatisticsPanel late;
    late.setRuns(loadRuns(runIds_));
    late.restoreState(state);
    QCOMPARE(late.model()->baselineLabel(), QStringLiteral("fmnist-kd-t8"));
    QCOMPARE(late.baselineBox()->currentText(), QStringLiteral("fmnist-kd-t8"));
    QCOMPARE(late.model()->metric(), StatisticsMetric::summaryOf(QStringLiteral("test/acc1"), SummaryStat::Max));

    // Every configuration with 2 runs or more: no sentence.
    panel.setRuns(loadRuns(runIds_.mid(0, 6)));
    QCOMPARE(panel.noteText(), QString());
}

void TestStatisticsTable::comparePageFillsTheStatisticsTab() {
    ComparePage page;
    page.setStorePath(storePath_);
    QSignalSpy loaded(&page, &ComparePage::runsLoaded);
    page.setRuns(runIds_);
    QVERIFY(loaded.wait(10000));
    StatisticsPanel* panel = page.statisticsPanel();
    QVERIFY(panel);
    QCOMPARE(panel->model()->rowCount(), 4);
    QCOMPARE(panel->model()->baselineLabel(), QStringLiteral("fmnist-ce"));
    QCOMPARE(cell(*panel->model(), KD4, StatisticsTableModel::HolmColumn), QStringLiteral("0.006"));
    panel->baselineBox()->setCurrentIndex(KD4);
    const QVariantMap state = page.saveState();
    QCOMPARE(state.value(QStringLiteral("statistics")).toMap().value(QStringLiteral("baseline")).toString(),
             QStringLiteral("fmnist-kd-t4"));
    page.setRuns({});
    QCOMPARE(panel->model()->rowCount(), 0);
}

QTEST_MAIN(TestStatisticsTable)
#include "test_statistics_table.moc"
