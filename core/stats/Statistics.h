#pragma once
// Statistics for comparing configurations across seeds: summaries with confidence intervals, Welch's
// and the paired t-test, Holm's correction and correlations. Pure C++17 (no Qt, no torch) so the
// Compare page, report generation and the CLI share it. Conventions follow SciPy (ttest_ind with
// equal_var=False, ttest_rel, t.interval, pearsonr, spearmanr) and statsmodels' Holm; what cannot be
// computed says why in `reason` instead of returning a bare NaN.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace distillery::stats {

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

// One configuration's values across seeds.
struct Sample {
    size_t n = 0;
    double mean = NaN, std = NaN;      // std: sample standard deviation (ddof=1); NaN when n < 2
    double ciLow = NaN, ciHigh = NaN;  // confidence interval of the mean (Student t, n-1 df); NaN when n < 2
    std::string reason;                // empty, or why a field above is NaN, in one plain sentence
};

// Mean, sample standard deviation and the Student-t confidence interval of the mean. Identical values
// give std 0 and a zero-width interval; a non-finite value leaves every figure NaN with a reason.
Sample describe(const std::vector<double>& values, double confidence = 0.95);

enum class TestKind { Welch, Paired };

// Candidate against baseline: difference = mean(candidate) - mean(baseline).
struct Comparison {
    TestKind kind = TestKind::Welch;
    bool possible = false;                 // false: not computable; `reason` says why in one plain sentence
    std::string reason;                    // e.g. "the baseline has 1 run: a t-test needs at least 2 per configuration"
    size_t nCandidate = 0, nBaseline = 0;  // paired: number of pairs in both
    double difference = NaN;               // candidate mean - baseline mean (paired: mean of differences); set
                                           // whenever both sides have finite values, even if the test is impossible
    double t = NaN, df = NaN, p = NaN;     // two-sided p
    double ciLow = NaN, ciHigh = NaN;      // confidence interval of the difference
    double pHolm = NaN;                    // filled by holmAdjust; NaN until then
};

// Welch's unequal-variance t-test; df is the (non-integer) Welch–Satterthwaite value.
Comparison welch(const std::vector<double>& candidate, const std::vector<double>& baseline, double confidence = 0.95);

// Paired t-test on (key, value) pairs, the key being the run's seed: only keys present on both sides take
// part; fewer than 2 pairs, a key repeated on one side, or differences without spread are not possible.
Comparison paired(const std::vector<std::pair<int64_t, double>>& candidate,
                  const std::vector<std::pair<int64_t, double>>& baseline, double confidence = 0.95);

// Holm–Bonferroni step-down over the comparisons that are possible (the others get NaN); monotone in p,
// capped at 1. Sets pHolm in place.
void holmAdjust(std::vector<Comparison>& comparisons);

// Holm-adjusted p-values in the input's order; NaN stays NaN and is not counted among the tests.
std::vector<double> holm(const std::vector<double>& pValues);

// Correlation of a field (x) with the metric (y) over runs, for the parallel-coordinates table; r and p
// are NaN with a reason for fewer than 3 runs, a constant input, a non-finite value or unequal lengths.
struct Correlation {
    size_t n = 0;
    double r = NaN;
    double p = NaN;  // two-sided, against r = 0
    std::string reason;
};

// Pearson's product-moment correlation, p from the t distribution with n-2 df (as scipy.stats.pearsonr).
Correlation pearson(const std::vector<double>& x, const std::vector<double>& y);

// Spearman's rank correlation, ties given their average rank (as scipy.stats.spearmanr).
Correlation spearman(const std::vector<double>& x, const std::vector<double>& y);

// P(T <= t) for Student's t with df > 0 degrees of freedom (df may be non-integer or infinite). Tails keep
// their relative precision: about 1e-14 up to df = 1000, degrading to 1e-9 at df = 1e8.
double studentTCdf(double t, double df);

// The t with P(T <= t) = probability; -inf at 0, +inf at 1, NaN outside [0, 1] or for df <= 0.
double studentTQuantile(double probability, double df);

// The test's name for tables and reports: "Welch's t-test", "paired t-test".
std::string describeKind(TestKind kind);

}  // namespace distillery::stats
