#pragma once
// Which differences between configurations are real: one row per configuration (groupRuns) with
// n, mean, sample std and the confidence interval of the mean over its seeds, and for every other
// configuration the difference to a baseline with Welch's t-test and, where their seeds pair up, the
// paired t-test; Holm-corrected over all comparisons with the baseline. The figures come from
// core/stats (stats::describe, welch, paired, holmAdjust) only; a test that cannot be done carries
// the library's reason instead of a number.
//
// QtCore, the store and core/stats only, so the headless `distillery report` uses it as Compare does:
//
//   store::Store store(path, /*readOnly=*/true);
//   const ConfigurationStatistics table = ConfigurationStatistics::compute(store, runIds);   // headline, default baseline
//
// or, with the runs already read (loadComparedRuns: each with its summaries and its
// store::selectByValidation, which the headline reads):
//
//   ConfigurationStatistics::compute(runs, groupRuns(runs), metric, baseline);
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <QList>
#include <QString>
#include <QStringList>

#include "RunComparison.h"
#include "stats/Statistics.h"

namespace distillery::store {
class Store;
}

namespace distillery::views {

// The one number per run that is compared: the headline (test accuracy at the best validation epoch,
// ComparedRun::selection) or a summary statistic of any metric (no Best of a test metric: that would
// be chosen on the test set, see isTestMetric).
struct StatisticsMetric {
    bool headline = true;
    QString key;                            // when !headline: the metric key
    SummaryStat stat = SummaryStat::Best;   // when !headline: which of its summaries

    static StatisticsMetric headlineResult() { return {}; }
    static StatisticsMetric summaryOf(const QString& key, SummaryStat stat) { return {false, key, stat}; }

    QString title() const;        // "Test % @ best val", "val/acc1 best"
    int decimals() const;         // 2 for accuracies (percent), 4 for losses and the rest
    // The run's value; empty when it has none (why: missingReason).
    std::optional<double> valueOf(const ComparedRun& run) const;
    QString missingReason(const ComparedRun& run) const;

    // "headline" or "<stat>:<key>" ("best:val/acc1"), for QSettings; fromStateText of anything else
    // (empty, damaged) gives the headline.
    QString stateText() const;
    static StatisticsMetric fromStateText(const QString& text);

    bool operator==(const StatisticsMetric& other) const;
    bool operator!=(const StatisticsMetric& other) const { return !(*this == other); }
};

// One configuration's row.
struct ConfigurationRow {
    QString label;                          // RunGroup::label
    QList<int> members;                     // indexes into the runs, as RunGroup::members
    QStringList missing;                    // "run name: why" for members without a value of the metric
    std::vector<std::pair<int64_t, double>> values;   // (RunRow::seed, value) of the members that have one
    stats::Sample sample;                   // stats::describe of the values

    bool isBaseline = false;
    // A study's teachers against a student baseline (or students against a teacher baseline): the
    // difference and its test are shown for reference, but the row is not one of the candidates Holm's
    // correction counts, and it is never marked significant (pHolm stays NaN).
    bool reference = false;
    std::string role;                       // the study role all its runs have ("teacher", "student"), else ""
    // Against the baseline (not computed for the baseline's own row). welch.pHolm and paired.pHolm are
    // each Holm-adjusted over the comparisons of their own kind that are possible.
    stats::Comparison welch;
    stats::Comparison paired;               // pairs by seed; possible only with >= 2 seeds in common
    // The paired test when it is possible (it removes the seed-to-seed spread both configurations
    // share), else Welch's.
    stats::TestKind testUsed = stats::TestKind::Welch;
    bool significant = false;               // test().pHolm < alpha

    const stats::Comparison& test() const { return testUsed == stats::TestKind::Paired ? paired : welch; }
    int n() const { return static_cast<int>(values.size()); }
};

struct ConfigurationStatistics {
    StatisticsMetric metric;
    double confidence = 0.95;
    // The significance level: 1 - confidence, so that a difference is marked significant exactly when
    // its (unadjusted) confidence interval would exclude 0; 0.05 at the default 95 %.
    double alpha = 0.05;
    int baseline = -1;                      // index into rows; -1 only when there are no rows
    QList<ConfigurationRow> rows;           // in the order of the groups

    // The runs' values of the metric grouped by configuration (groups: groupRuns(runs)), compared with
    // groups[baseline] (out of range: defaultBaseline). confidence in (0, 1).
    static ConfigurationStatistics compute(const QList<ComparedRun>& runs, const QList<RunGroup>& groups,
                                           const StatisticsMetric& metric = StatisticsMetric::headlineResult(),
                                           int baseline = -1, double confidence = 0.95);
    // The same for runs of a store, read with loadComparedRuns and grouped by groupRuns. Throws
    // std::runtime_error naming a run id the store does not hold.
    static ConfigurationStatistics compute(const store::Store& store, const QList<qint64>& runIds,
                                           const StatisticsMetric& metric = StatisticsMetric::headlineResult(),
                                           int baseline = -1, double confidence = 0.95);

    // The configuration whose runs' method is "ce" (students trained without a teacher) when exactly
    // one is; else the first. -1 without groups.
    static int defaultBaseline(const QList<ComparedRun>& runs, const QList<RunGroup>& groups);

    // The row of that label, -1 when none.
    int rowOf(const QString& label) const;
    // Holm's family: how many comparisons of that kind were possible (reference rows not counted).
    int comparisonsOf(stats::TestKind kind) const;
    // One plain sentence when some configuration has fewer than 2 values, so that no t-test involving
    // it is possible ("Configuration “kd” has 1 run: a t-test needs at least 2 seeds per configuration;
    // add seeds."); empty otherwise.
    QString shortfallNote() const;
    // One sentence naming the reference rows (a study's teachers against a student baseline), why their
    // p (Holm) is "—"; empty without them.
    QString referenceNote() const;
};

}  // namespace distillery::views
