// The statistics library (core/stats/Statistics.h) against SciPy: every t, df, p, interval, Holm-adjusted
// p, correlation and t-distribution value comes from tests/fixtures/golden_stats.py
// (→ tests/fixtures/golden/stats.json), not from the formulas under test. The cases no test can answer
// say so with a reason naming the counts, and never crash.
#include <QtTest>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "stats/Statistics.h"

using namespace distillery::stats;

using KeyedValues = std::vector<std::pair<int64_t, double>>;
Q_DECLARE_METATYPE(std::vector<double>)
Q_DECLARE_METATYPE(KeyedValues)

namespace {

constexpr double kValueTolerance = 1e-9;  // relative, for every figure but probabilities
constexpr double kPTolerance = 1e-8;      // relative, for probabilities …
constexpr double kTinyP = 1e-12;          // … or absolute, for tiny ones
const double inf = std::numeric_limits<double>::infinity();

const QJsonObject& golden() {
    static const QJsonObject data = [] {
        const QString path = QStringLiteral(DISTILLERY_SOURCE_DIR "/tests/fixtures/golden/stats.json");
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            qFatal("%s is missing; regenerate it with /usr/bin/python3 tests/fixtures/golden_stats.py",
                   qPrintable(path));
        return QJsonDocument::fromJson(file.readAll()).object();
    }();
    return data;
}

// The reference script writes NaN as null.
double number(const QJsonValue& value) {
    return value.isNull() ? NaN : value.toDouble();
}

std::vector<double> numbers(const QJsonValue& array) {
    std::vector<double> values;
    for (const QJsonValue& v : array.toArray())
        values.push_back(number(v));
    return values;
}

KeyedValues keyedValues(const QJsonValue& array) {
    KeyedValues values;
    for (const QJsonValue& pair : array.toArray())
        values.emplace_back(pair.toArray()[0].toInteger(), pair.toArray()[1].toDouble());
    return values;
}

// One data row per case of a golden section, named after the case.
void addCaseRows(const char* section) {
    QTest::addColumn<QString>("name");
    for (const QJsonValue& c : golden()[section].toArray()) {
        const QString name = c["name"].toString();
        QTest::newRow(qPrintable(name)) << name;
    }
}

// The case of a golden section named by the current data row.
QJsonObject currentCase(const char* section) {
    QFETCH(QString, name);
    for (const QJsonValue& c : golden()[section].toArray())
        if (c["name"].toString() == name) return c.toObject();
    qFatal("no golden case %s in %s", qPrintable(name), section);
}

bool close(double actual, double expected, double relative, double absolute = 0.0) {
    if (std::isnan(expected)) return std::isnan(actual);
    if (std::isinf(expected)) return actual == expected;
    const double error = std::abs(actual - expected);
    return error <= relative * std::abs(expected) || error <= absolute;
}

std::string mismatch(const char* what, double actual, double expected) {
    char text[160];
    std::snprintf(text, sizeof text, "%s: %.17g, SciPy %.17g", what, actual, expected);
    return text;
}

#define VERIFY_VALUE(what, actual, expected) \
    QVERIFY2(close((actual), (expected), kValueTolerance), mismatch(what, (actual), (expected)).c_str())
#define VERIFY_P(what, actual, expected) \
    QVERIFY2(close((actual), (expected), kPTolerance, kTinyP), mismatch(what, (actual), (expected)).c_str())
#define VERIFY_REASON_HAS(comparison, text)                       \
    QVERIFY2((comparison).reason.find(text) != std::string::npos, \
             ("reason \"" + (comparison).reason + "\" lacks \"" + std::string(text) + "\"").c_str())

void verifyTest(const Comparison& c, const QJsonObject& expected) {
    QVERIFY2(c.possible, c.reason.c_str());
    QVERIFY(c.reason.empty());
    VERIFY_VALUE("difference", c.difference, expected["difference"].toDouble());
    VERIFY_VALUE("t", c.t, expected["t"].toDouble());
    VERIFY_VALUE("df", c.df, expected["df"].toDouble());
    VERIFY_P("p", c.p, expected["p"].toDouble());
    VERIFY_VALUE("ciLow", c.ciLow, expected["ci_low"].toDouble());
    VERIFY_VALUE("ciHigh", c.ciHigh, expected["ci_high"].toDouble());
    QVERIFY(std::isnan(c.pHolm));
}

// Whatever the reason, an impossible comparison carries no statistic.
void verifyImpossible(const Comparison& c) {
    QVERIFY(!c.possible);
    QVERIFY(!c.reason.empty());
    QVERIFY(std::isnan(c.t) && std::isnan(c.df) && std::isnan(c.p));
    QVERIFY(std::isnan(c.ciLow) && std::isnan(c.ciHigh));
}

}  // namespace

class TestStatistics : public QObject {
    Q_OBJECT

private slots:
    // ---- against SciPy ------------------------------------------------------------------------------

    void describeMatchesTInterval_data() { addCaseRows("describe"); }
    void describeMatchesTInterval() {
        const QJsonObject c = currentCase("describe");
        const Sample s = describe(numbers(c["values"]), c["confidence"].toDouble());
        QCOMPARE(s.n, size_t(c["n"].toInt()));
        QVERIFY2(s.reason.empty(), s.reason.c_str());
        VERIFY_VALUE("mean", s.mean, c["mean"].toDouble());
        VERIFY_VALUE("std", s.std, c["std"].toDouble());
        VERIFY_VALUE("ciLow", s.ciLow, c["ci_low"].toDouble());
        VERIFY_VALUE("ciHigh", s.ciHigh, c["ci_high"].toDouble());
    }

    void welchMatchesTtestInd_data() { addCaseRows("welch"); }
    void welchMatchesTtestInd() {
        const QJsonObject c = currentCase("welch");
        const Comparison result = welch(numbers(c["candidate"]), numbers(c["baseline"]), c["confidence"].toDouble());
        QCOMPARE(result.kind, TestKind::Welch);
        QCOMPARE(result.nCandidate, size_t(c["candidate"].toArray().size()));
        QCOMPARE(result.nBaseline, size_t(c["baseline"].toArray().size()));
        verifyTest(result, c);
    }

    void pairedMatchesTtestRel_data() { addCaseRows("paired"); }
    void pairedMatchesTtestRel() {
        const QJsonObject c = currentCase("paired");
        const Comparison result =
            paired(keyedValues(c["candidate"]), keyedValues(c["baseline"]), c["confidence"].toDouble());
        QCOMPARE(result.kind, TestKind::Paired);
        QCOMPARE(result.nCandidate, size_t(c["pairs"].toInt()));
        QCOMPARE(result.nBaseline, size_t(c["pairs"].toInt()));
        verifyTest(result, c);
    }

    // |t| ≈ 50 on 2 df: the tail is small but must keep its digits, not round to 0.
    void extremeTailsKeepRelativePrecision() {
        for (const QJsonValue& row : golden()["cdf"].toArray()) {
            if (row["t"].toDouble() != -50.0) continue;
            const double expected = row["cdf"].toDouble(), actual = studentTCdf(-50.0, row["df"].toDouble());
            QVERIFY(actual > 0.0);
            QVERIFY2(close(actual, expected, 1e-6), mismatch("P(T <= -50)", actual, expected).c_str());
        }
        for (const QJsonValue& c : golden()["welch"].toArray()) {
            if (c["name"].toString() != "extreme_t") continue;
            const Comparison result = welch(numbers(c["candidate"]), numbers(c["baseline"]));
            QVERIFY2(close(result.p, c["p"].toDouble(), 1e-6), mismatch("p", result.p, c["p"].toDouble()).c_str());
        }
    }

    void holmMatchesDefinition_data() { addCaseRows("holm"); }
    void holmMatchesDefinition() {
        const QJsonObject c = currentCase("holm");
        const std::vector<double> expected = numbers(c["adjusted"]);
        const std::vector<double> adjusted = holm(numbers(c["p"]));
        QCOMPARE(adjusted.size(), expected.size());
        for (size_t i = 0; i < expected.size(); ++i)
            VERIFY_P(("adjusted p #" + std::to_string(i)).c_str(), adjusted[i], expected[i]);
    }

    // holmAdjust over a family of Welch comparisons, with impossible ones among them: those are not
    // counted as tests and keep pHolm NaN.
    void holmAdjustCountsOnlyPossibleComparisons() {
        const QJsonObject family = golden()["holm_family"].toObject();
        std::vector<Comparison> comparisons;
        std::vector<double> expected;
        comparisons.push_back(welch({88.3}, {88.1, 88.4}));
        expected.push_back(NaN);
        for (const QJsonValue& name : family["welch_cases"].toArray())
            for (const QJsonValue& c : golden()["welch"].toArray())
                if (c["name"] == name) comparisons.push_back(welch(numbers(c["candidate"]), numbers(c["baseline"])));
        for (double p : numbers(family["adjusted"]))
            expected.push_back(p);
        comparisons.push_back(welch({90.0, 90.0}, {90.0, 90.0, 90.0}));
        expected.push_back(NaN);
        QCOMPARE(comparisons.size(), expected.size());

        holmAdjust(comparisons);
        for (size_t i = 0; i < comparisons.size(); ++i)
            VERIFY_P(("pHolm #" + std::to_string(i)).c_str(), comparisons[i].pHolm, expected[i]);
    }

    void correlationsMatchScipy_data() { addCaseRows("correlation"); }
    void correlationsMatchScipy() {
        const QJsonObject c = currentCase("correlation");
        const std::vector<double> x = numbers(c["x"]), y = numbers(c["y"]);
        const Correlation r = pearson(x, y), rho = spearman(x, y);
        QVERIFY2(r.reason.empty(), r.reason.c_str());
        QVERIFY2(rho.reason.empty(), rho.reason.c_str());
        QCOMPARE(r.n, x.size());
        QCOMPARE(rho.n, x.size());
        VERIFY_VALUE("pearson r", r.r, c["pearson_r"].toDouble());
        VERIFY_P("pearson p", r.p, c["pearson_p"].toDouble());
        VERIFY_VALUE("spearman rho", rho.r, c["spearman_r"].toDouble());
        VERIFY_P("spearman p", rho.p, c["spearman_p"].toDouble());
    }

    void quantileMatchesTPpf_data() {
        QTest::addColumn<double>("df");
        QTest::addColumn<double>("probability");
        QTest::addColumn<double>("expected");
        for (const QJsonValue& row : golden()["quantile"].toArray())
            QTest::addRow("df=%g p=%g", row["df"].toDouble(), row["probability"].toDouble())
                << row["df"].toDouble() << row["probability"].toDouble() << row["t"].toDouble();
    }
    void quantileMatchesTPpf() {
        QFETCH(double, df);
        QFETCH(double, probability);
        QFETCH(double, expected);
        VERIFY_VALUE("quantile", studentTQuantile(probability, df), expected);
    }

    void cdfMatchesTCdf_data() {
        QTest::addColumn<double>("df");
        QTest::addColumn<double>("t");
        QTest::addColumn<double>("expected");
        for (const QJsonValue& row : golden()["cdf"].toArray())
            QTest::addRow("df=%g t=%g", row["df"].toDouble(), row["t"].toDouble())
                << row["df"].toDouble() << row["t"].toDouble() << row["cdf"].toDouble();
    }
    void cdfMatchesTCdf() {
        QFETCH(double, df);
        QFETCH(double, t);
        QFETCH(double, expected);
        VERIFY_P("cdf", studentTCdf(t, df), expected);
    }

    void distributionEdges() {
        QCOMPARE(studentTQuantile(0.0, 3.0), -inf);
        QCOMPARE(studentTQuantile(1.0, 3.0), inf);
        QCOMPARE(studentTQuantile(0.5, 7.5), 0.0);
        QVERIFY(std::isnan(studentTQuantile(1.5, 3.0)));
        QVERIFY(std::isnan(studentTQuantile(0.9, 0.0)));
        QVERIFY(std::isnan(studentTCdf(1.0, -1.0)));
        QVERIFY(std::isnan(studentTCdf(NaN, 3.0)));
        QCOMPARE(studentTCdf(0.0, 4.0), 0.5);
        QCOMPARE(studentTCdf(-inf, 4.0), 0.0);
        QCOMPARE(studentTCdf(inf, 4.0), 1.0);
        // Infinite df is the normal distribution: Φ(1.959963984540054) = 0.975.
        QVERIFY(close(studentTCdf(1.959963984540054, inf), 0.975, 1e-12));
    }

    // ---- what cannot be computed --------------------------------------------------------------------

    void describeEdgeCases() {
        const Sample none = describe({});
        QCOMPARE(none.n, size_t(0));
        QVERIFY(std::isnan(none.mean));
        QVERIFY(none.reason.find("no runs") != std::string::npos);

        const Sample one = describe({88.34});
        QCOMPARE(one.mean, 88.34);
        QVERIFY(std::isnan(one.std) && std::isnan(one.ciLow) && std::isnan(one.ciHigh));
        QVERIFY(one.reason.find("1 run") != std::string::npos);

        const Sample same = describe({88.34, 88.34, 88.34});
        QCOMPARE(same.std, 0.0);
        QCOMPARE(same.ciLow, same.mean);
        QCOMPARE(same.ciHigh, same.mean);

        const Sample broken = describe({88.34, NaN, 88.1});
        QVERIFY(std::isnan(broken.mean));
        QVERIFY(broken.reason.find("not finite") != std::string::npos);
    }

    void impossibleWelch_data() {
        QTest::addColumn<std::vector<double>>("candidate");
        QTest::addColumn<std::vector<double>>("baseline");
        QTest::addColumn<QStringList>("reasonHas");
        QTest::addColumn<bool>("hasDifference");
        QTest::newRow("candidate 1 run") << std::vector<double>{88.3} << std::vector<double>{88.1, 88.4}
                                         << QStringList{"the candidate has 1 run", "at least 2"} << true;
        QTest::newRow("baseline 1 run") << std::vector<double>{88.1, 88.4, 88.2} << std::vector<double>{88.3}
                                        << QStringList{"the baseline has 1 run", "at least 2"} << true;
        QTest::newRow("both 1 run") << std::vector<double>{88.1} << std::vector<double>{88.3}
                                    << QStringList{"the candidate has 1 run and the baseline has 1 run"} << true;
        QTest::newRow("baseline empty") << std::vector<double>{88.1, 88.4} << std::vector<double>{}
                                        << QStringList{"the baseline has 0 runs"} << false;
        QTest::newRow("identical values")
            << std::vector<double>{88.34, 88.34, 88.34} << std::vector<double>{88.34, 88.34, 88.34}
            << QStringList{"3 runs", "zero spread", "undefined"} << true;
        QTest::newRow("constant, means differ")
            << std::vector<double>{88.34, 88.34, 88.34} << std::vector<double>{88.6, 88.6}
            << QStringList{"candidate's 3 runs", "baseline's 2 runs", "zero spread", "means differ"} << true;
        QTest::newRow("NaN in candidate") << std::vector<double>{88.1, NaN, 88.2} << std::vector<double>{88.3, 88.4}
                                          << QStringList{"the candidate has a non-finite value", "3 runs"} << false;
        QTest::newRow("inf in baseline") << std::vector<double>{88.1, 88.2} << std::vector<double>{88.3, inf}
                                         << QStringList{"the baseline has a non-finite value", "2 runs"} << false;
    }
    void impossibleWelch() {
        QFETCH(std::vector<double>, candidate);
        QFETCH(std::vector<double>, baseline);
        QFETCH(QStringList, reasonHas);
        QFETCH(bool, hasDifference);
        const Comparison c = welch(candidate, baseline);
        verifyImpossible(c);
        QCOMPARE(c.nCandidate, candidate.size());
        QCOMPARE(c.nBaseline, baseline.size());
        QCOMPARE(std::isfinite(c.difference), hasDifference);
        for (const QString& text : reasonHas)
            VERIFY_REASON_HAS(c, text.toStdString());
    }

    void impossibleConfidence() {
        const Comparison c = welch({1.0, 2.0}, {3.0, 5.0}, 1.0);
        verifyImpossible(c);
        VERIFY_REASON_HAS(c, "confidence level 1");
        const Sample s = describe({1.0, 2.0}, 0.0);
        QVERIFY(std::isnan(s.ciLow));
        QVERIFY(s.reason.find("confidence level 0") != std::string::npos);
    }

    void impossiblePaired_data() {
        QTest::addColumn<KeyedValues>("candidate");
        QTest::addColumn<KeyedValues>("baseline");
        QTest::addColumn<QStringList>("reasonHas");
        QTest::addColumn<int>("pairs");
        QTest::newRow("one common seed") << KeyedValues{{1, 88.1}, {2, 88.3}, {3, 88.0}}
                                         << KeyedValues{{3, 87.9}, {4, 88.2}}
                                         << QStringList{"only 1 seed is common", "3 runs", "2 runs", "at least 2 pairs"}
                                         << 1;
        QTest::newRow("no common seed") << KeyedValues{{1, 88.1}, {2, 88.3}} << KeyedValues{{3, 87.9}, {4, 88.2}}
                                        << QStringList{"only 0 seeds are common", "at least 2 pairs"} << 0;
        QTest::newRow("equal differences")
            << KeyedValues{{1, 88.5}, {2, 89.5}, {3, 90.5}} << KeyedValues{{1, 88.0}, {2, 89.0}, {3, 90.0}}
            << QStringList{"3 paired differences are all equal (0.5)", "zero spread"} << 3;
        // 60.6-60.3, 88.6-88.3 and 120.6-120.3 differ only in their last bits: no real spread either.
        QTest::newRow("equal up to rounding")
            << KeyedValues{{1, 60.6}, {2, 88.6}, {3, 120.6}} << KeyedValues{{1, 60.3}, {2, 88.3}, {3, 120.3}}
            << QStringList{"3 paired differences", "zero spread"} << 3;
        QTest::newRow("NaN in baseline") << KeyedValues{{1, 88.1}, {2, 88.3}, {3, 88.0}}
                                         << KeyedValues{{1, 87.9}, {2, NaN}, {3, 88.2}}
                                         << QStringList{"the baseline has a non-finite value", "seed 2"} << 3;
        QTest::newRow("repeated seed") << KeyedValues{{1, 88.1}, {3, 88.3}, {3, 88.0}}
                                       << KeyedValues{{1, 87.9}, {3, 88.2}}
                                       << QStringList{"the candidate has seed 3 more than once"} << 2;
    }
    void impossiblePaired() {
        QFETCH(KeyedValues, candidate);
        QFETCH(KeyedValues, baseline);
        QFETCH(QStringList, reasonHas);
        QFETCH(int, pairs);
        const Comparison c = paired(candidate, baseline);
        verifyImpossible(c);
        QCOMPARE(c.kind, TestKind::Paired);
        QCOMPARE(c.nCandidate, size_t(pairs));
        QCOMPARE(c.nBaseline, size_t(pairs));
        for (const QString& text : reasonHas)
            VERIFY_REASON_HAS(c, text.toStdString());
    }

    void impossibleCorrelation_data() {
        QTest::addColumn<std::vector<double>>("x");
        QTest::addColumn<std::vector<double>>("y");
        QTest::addColumn<QString>("reasonHas");
        QTest::newRow("2 runs") << std::vector<double>{0.1, 0.2} << std::vector<double>{70.0, 71.0} << "only 2 runs";
        QTest::newRow("constant field") << std::vector<double>{0.1, 0.1, 0.1} << std::vector<double>{70.0, 71.0, 72.0}
                                        << "the field has the same value in all 3 runs";
        QTest::newRow("constant metric") << std::vector<double>{0.1, 0.2, 0.3} << std::vector<double>{70.0, 70.0, 70.0}
                                         << "the metric has the same value in all 3 runs";
        QTest::newRow("lengths differ") << std::vector<double>{0.1, 0.2, 0.3} << std::vector<double>{70.0, 71.0}
                                        << "different lengths (3 and 2)";
        QTest::newRow("NaN metric") << std::vector<double>{0.1, 0.2, 0.3} << std::vector<double>{70.0, NaN, 71.0}
                                    << "the metric has a non-finite value";
    }
    void impossibleCorrelation() {
        QFETCH(std::vector<double>, x);
        QFETCH(std::vector<double>, y);
        QFETCH(QString, reasonHas);
        for (const Correlation& c : {pearson(x, y), spearman(x, y)}) {
            QVERIFY(std::isnan(c.r) && std::isnan(c.p));
            QVERIFY2(c.reason.find(reasonHas.toStdString()) != std::string::npos, c.reason.c_str());
        }
    }

    void kindNames() {
        QCOMPARE(describeKind(TestKind::Welch), std::string("Welch's t-test"));
        QCOMPARE(describeKind(TestKind::Paired), std::string("paired t-test"));
    }
};

QTEST_GUILESS_MAIN(TestStatistics)
#include "test_statistics.moc"
