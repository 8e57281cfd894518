#include "Statistics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>

namespace distillery::stats {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr double kEpsilon = std::numeric_limits<double>::epsilon();
constexpr double kPi = 3.14159265358979323846;

// ---- the t distribution ---------------------------------------------------------------------------

// The continued fraction of the regularized incomplete beta function (Abramowitz & Stegun 26.5.8),
// evaluated by the modified Lentz method; it converges quickly for x < (a+1)/(a+b+2).
double betaContinuedFraction(double a, double b, double x) {
    const double tiny = 1e-300;  // stands in for a zero denominator, as Lentz prescribes
    auto guard = [tiny](double v) { return std::abs(v) < tiny ? tiny : v; };
    double c = 1.0;
    double d = 1.0 / guard(1.0 - (a + b) * x / (a + 1.0));
    double f = d;
    for (int m = 1; m <= 20000; ++m) {
        const double twoM = 2.0 * m;
        const double even = m * (b - m) * x / ((a + twoM - 1.0) * (a + twoM));
        d = 1.0 / guard(1.0 + even * d);
        c = guard(1.0 + even / c);
        f *= c * d;
        const double odd = -(a + m) * (a + b + m) * x / ((a + twoM) * (a + twoM + 1.0));
        d = 1.0 / guard(1.0 + odd * d);
        c = guard(1.0 + odd / c);
        const double delta = c * d;
        f *= delta;
        if (std::abs(delta - 1.0) <= kEpsilon) break;
    }
    return f;
}

// Stirling's series for ln Γ(z) - ((z-0.5) ln z - z + ln √(2π)); truncation error below 1e-21 for z >= 100.
double stirlingCorrection(double z) {
    const double w = 1.0 / (z * z);
    return (1.0 / 12.0 - w * (1.0 / 360.0 - w * (1.0 / 1260.0 - w / 1680.0))) / z;
}

// ln B(a, b). For a large argument, lgamma(big) - lgamma(big + small) would cancel thousands to lose
// digits (df = 1000 costs 1e-13, df = 1e8 1e-7); Stirling's form of that difference has no cancellation.
double logBeta(double a, double b) {
    const double small = std::min(a, b), big = std::max(a, b);
    if (big < 100.0) return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b);
    const double sum = big + small;
    return std::lgamma(small) - (big - 0.5) * std::log1p(small / big) - small * std::log(sum) + small +
           stirlingCorrection(big) - stirlingCorrection(sum);
}

// I_x(a, b) with y = 1 - x given separately: callers compute it without cancellation (for t near 0,
// x is close to 1 and only y = t²/(df+t²) keeps its digits). The logs come from whichever of x and y is
// exact, since a·ln x is multiplied by a up to df/2.
double regularizedBeta(double a, double b, double x, double y) {
    if (x <= 0.0) return 0.0;
    if (y <= 0.0) return 1.0;
    const double logX = x > 0.5 ? std::log1p(-y) : std::log(x), logY = y > 0.5 ? std::log1p(-x) : std::log(y);
    const double logFront = a * logX + b * logY - logBeta(a, b);
    if (x < (a + 1.0) / (a + b + 2.0)) return std::exp(logFront) * betaContinuedFraction(a, b, x) / a;
    return 1.0 - std::exp(logFront) * betaContinuedFraction(b, a, y) / b;  // symmetry: I_x(a,b) = 1 - I_y(b,a)
}

// P(T > t) for t >= 0, computed directly so tiny tails keep their relative precision.
double upperTail(double t, double df) {
    if (std::isinf(df)) return 0.5 * std::erfc(t / std::sqrt(2.0));
    const double t2 = t * t;
    if (std::isinf(t2)) return 0.0;
    return 0.5 * regularizedBeta(0.5 * df, 0.5, df / (df + t2), t2 / (df + t2));
}

double studentTDensity(double t, double df) {
    if (std::isinf(df)) return std::exp(-0.5 * t * t) / std::sqrt(2.0 * kPi);
    return std::exp(std::lgamma(0.5 * (df + 1.0)) - std::lgamma(0.5 * df) - 0.5 * std::log(df * kPi) -
                    0.5 * (df + 1.0) * std::log1p(t * t / df));
}

// The t >= 0 with P(T > t) = tail (0 < tail <= 0.5): Newton's method on the tail, kept inside a bracket
// that bisection falls back to whenever a Newton step would leave it.
double tForUpperTail(double tail, double df) {
    double low = 0.0, high = 1.0;
    while (upperTail(high, df) > tail) {
        low = high;
        high *= 2.0;
        if (high > 1e300) return kInfinity;
    }
    double t = 0.5 * (low + high);
    for (int iteration = 0; iteration < 1000; ++iteration) {
        const double excess = upperTail(t, df) - tail;
        if (excess == 0.0) return t;
        (excess > 0.0 ? low : high) = t;  // the tail falls as t grows
        double next = t + excess / studentTDensity(t, df);
        if (!(next > low && next < high)) next = 0.5 * (low + high);
        if (std::abs(next - t) <= 2.0 * kEpsilon * next || high - low <= 2.0 * kEpsilon * high) return next;
        t = next;
    }
    return t;
}

// ---- samples --------------------------------------------------------------------------------------

std::string formatNumber(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", value);
    return text;
}

std::string runs(size_t n) {
    return std::to_string(n) + (n == 1 ? " run" : " runs");
}

bool allFinite(const std::vector<double>& values) {
    return std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); });
}

// The mean with one correction pass, so that rounding in the sum does not leak into the deviations.
double meanOf(const std::vector<double>& values) {
    const double n = static_cast<double>(values.size());
    const double rough = std::accumulate(values.begin(), values.end(), 0.0) / n;
    double correction = 0.0;
    for (double v : values)
        correction += v - rough;
    return rough + correction / n;
}

// Sample variance (ddof = 1), exactly 0 for identical values.
double varianceOf(const std::vector<double>& values, double mean) {
    const auto [lowest, highest] = std::minmax_element(values.begin(), values.end());
    if (*lowest == *highest) return 0.0;
    double squares = 0.0;
    for (double v : values)
        squares += (v - mean) * (v - mean);
    return squares / static_cast<double>(values.size() - 1);
}

double largestMagnitude(const std::vector<double>& values) {
    double largest = 0.0;
    for (double v : values)
        largest = std::max(largest, std::abs(v));
    return largest;
}

// A spread at the level of rounding error is no spread: a t computed from it would be rounding noise
// (e.g. 60.6-60.3 and 120.6-120.3 differ in the last bits).
bool spreadIsZero(double variance, double scale) {
    return std::sqrt(variance) <= 64.0 * kEpsilon * scale;
}

bool validConfidence(double confidence) {
    return confidence > 0.0 && confidence < 1.0;
}

std::string confidenceReason(double confidence) {
    return "the confidence level " + formatNumber(confidence) + " is outside (0, 1)";
}

// Fills t, p and the interval of a difference with standard error `se` on `df` degrees of freedom.
void finishTest(Comparison& c, double se, double df, double confidence) {
    c.possible = true;
    c.df = df;
    c.t = c.difference / se;
    c.p = 2.0 * upperTail(std::abs(c.t), df);
    const double halfWidth = studentTQuantile(0.5 * (1.0 + confidence), df) * se;
    c.ciLow = c.difference - halfWidth;
    c.ciHigh = c.difference + halfWidth;
}

// ---- correlations ---------------------------------------------------------------------------------

// Empty when x and y can be correlated, else why not.
std::string correlationProblem(const std::vector<double>& x, const std::vector<double>& y) {
    if (x.size() != y.size())
        return "the two inputs have different lengths (" + std::to_string(x.size()) + " and " +
               std::to_string(y.size()) + ")";
    if (x.size() < 3) return "there are only " + runs(x.size()) + ": a correlation needs at least 3";
    if (!allFinite(x)) return "the field has a non-finite value (NaN or infinity)";
    if (!allFinite(y)) return "the metric has a non-finite value (NaN or infinity)";
    auto constant = [](const std::vector<double>& v) {
        return std::all_of(v.begin(), v.end(), [&](double e) { return e == v.front(); });
    };
    if (constant(x)) return "the field has the same value in all " + runs(x.size()) + ": the correlation is undefined";
    if (constant(y)) return "the metric has the same value in all " + runs(y.size()) + ": the correlation is undefined";
    return {};
}

// r and its two-sided p from t = r·sqrt((n-2)/(1-r²)) on n-2 df; then df/(df+t²) = 1-r², so the
// incomplete beta takes 1-r² and r² directly, exact even for |r| near 1.
Correlation correlationOf(const std::vector<double>& x, const std::vector<double>& y) {
    Correlation result;
    result.n = x.size();
    const double mx = meanOf(x), my = meanOf(y);
    double sxx = 0.0, syy = 0.0, sxy = 0.0;
    for (size_t i = 0; i < x.size(); ++i) {
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
        sxy += (x[i] - mx) * (y[i] - my);
    }
    result.r = std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
    const double df = static_cast<double>(result.n) - 2.0;
    result.p = regularizedBeta(0.5 * df, 0.5, (1.0 - result.r) * (1.0 + result.r), result.r * result.r);
    return result;
}

// Ranks from 1, tied values sharing the average of the ranks they span.
std::vector<double> averageRanks(const std::vector<double>& values) {
    std::vector<size_t> order(values.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
    std::vector<double> ranks(values.size());
    for (size_t first = 0; first < order.size();) {
        size_t last = first;
        while (last + 1 < order.size() && values[order[last + 1]] == values[order[first]])
            ++last;
        const double rank = 0.5 * static_cast<double>(first + last) + 1.0;
        for (size_t k = first; k <= last; ++k)
            ranks[order[k]] = rank;
        first = last + 1;
    }
    return ranks;
}

}  // namespace

// ---- public functions -----------------------------------------------------------------------------

double studentTCdf(double t, double df) {
    if (std::isnan(t) || !(df > 0.0)) return NaN;
    const double tail = upperTail(std::abs(t), df);
    return t < 0.0 ? tail : 1.0 - tail;
}

double studentTQuantile(double probability, double df) {
    if (!(df > 0.0) || !(probability >= 0.0 && probability <= 1.0)) return NaN;
    if (probability == 0.0) return -kInfinity;
    if (probability == 1.0) return kInfinity;
    if (probability == 0.5) return 0.0;
    // Solve on the smaller tail: 1 - probability is exact for probability >= 0.5 and keeps its digits.
    return probability < 0.5 ? -tForUpperTail(probability, df) : tForUpperTail(1.0 - probability, df);
}

Sample describe(const std::vector<double>& values, double confidence) {
    Sample s;
    s.n = values.size();
    if (s.n == 0) {
        s.reason = "there are no runs";
        return s;
    }
    if (!allFinite(values)) {
        s.reason = "a value is not finite (NaN or infinity)";
        return s;
    }
    s.mean = meanOf(values);
    if (s.n < 2) {
        s.reason = "there is only 1 run: a spread and a confidence interval need at least 2";
        return s;
    }
    s.std = std::sqrt(varianceOf(values, s.mean));
    if (!validConfidence(confidence)) {
        s.reason = confidenceReason(confidence);
        return s;
    }
    const double halfWidth =
        studentTQuantile(0.5 * (1.0 + confidence), static_cast<double>(s.n - 1)) * s.std / std::sqrt(double(s.n));
    s.ciLow = s.mean - halfWidth;
    s.ciHigh = s.mean + halfWidth;
    return s;
}

Comparison welch(const std::vector<double>& candidate, const std::vector<double>& baseline, double confidence) {
    Comparison c;
    c.kind = TestKind::Welch;
    c.nCandidate = candidate.size();
    c.nBaseline = baseline.size();
    const bool candidateFinite = allFinite(candidate), baselineFinite = allFinite(baseline);
    if (candidateFinite && baselineFinite && !candidate.empty() && !baseline.empty())
        c.difference = meanOf(candidate) - meanOf(baseline);

    if (!validConfidence(confidence)) {
        c.reason = confidenceReason(confidence);
    } else if (!candidateFinite || !baselineFinite) {
        c.reason = std::string(candidateFinite ? "the baseline" : "the candidate") +
                   " has a non-finite value (NaN or infinity) among its " +
                   runs(candidateFinite ? c.nBaseline : c.nCandidate);
    } else if (c.nCandidate < 2 || c.nBaseline < 2) {
        const std::string candidateRuns = "the candidate has " + runs(c.nCandidate);
        const std::string baselineRuns = "the baseline has " + runs(c.nBaseline);
        c.reason = (c.nCandidate >= 2  ? baselineRuns
                    : c.nBaseline >= 2 ? candidateRuns
                                       : candidateRuns + " and " + baselineRuns) +
                   ": a t-test needs at least 2 per configuration";
    }
    if (!c.reason.empty()) return c;

    const double meanC = meanOf(candidate), meanB = meanOf(baseline);
    const double errorC = varianceOf(candidate, meanC) / double(c.nCandidate);  // squared standard errors
    const double errorB = varianceOf(baseline, meanB) / double(c.nBaseline);
    if (spreadIsZero(errorC * double(c.nCandidate), largestMagnitude(candidate)) &&
        spreadIsZero(errorB * double(c.nBaseline), largestMagnitude(baseline))) {
        c.reason = "the candidate's " + runs(c.nCandidate) + " and the baseline's " + runs(c.nBaseline) +
                   " each give identical values (zero spread), so the t statistic is undefined";
        if (meanC != meanB)
            c.reason += "; the means differ (" + formatNumber(meanC) + " vs " + formatNumber(meanB) +
                        ") but without any spread no test applies";
        return c;
    }
    const double se2 = errorC + errorB;
    const double df =
        se2 * se2 / (errorC * errorC / double(c.nCandidate - 1) + errorB * errorB / double(c.nBaseline - 1));
    finishTest(c, std::sqrt(se2), df, confidence);
    return c;
}

Comparison paired(const std::vector<std::pair<int64_t, double>>& candidate,
                  const std::vector<std::pair<int64_t, double>>& baseline, double confidence) {
    Comparison c;
    c.kind = TestKind::Paired;
    auto byKey = [&c](const std::vector<std::pair<int64_t, double>>& entries, const char* side) {
        std::map<int64_t, double> keyed;
        for (const auto& [key, value] : entries)
            if (!keyed.emplace(key, value).second && c.reason.empty())
                c.reason = std::string("the ") + side + " has seed " + std::to_string(key) +
                           " more than once: a paired test needs one run per seed on each side";
        return keyed;
    };
    const std::map<int64_t, double> keyedC = byKey(candidate, "candidate"), keyedB = byKey(baseline, "baseline");

    std::vector<double> differences, pairedC, pairedB;
    std::string nonFinite;
    for (const auto& [key, valueC] : keyedC) {
        const auto match = keyedB.find(key);
        if (match == keyedB.end()) continue;
        if (nonFinite.empty() && (!std::isfinite(valueC) || !std::isfinite(match->second)))
            nonFinite = std::string(std::isfinite(valueC) ? "the baseline" : "the candidate") +
                        " has a non-finite value (NaN or infinity) at seed " + std::to_string(key);
        differences.push_back(valueC - match->second);
        pairedC.push_back(valueC);
        pairedB.push_back(match->second);
    }
    c.nCandidate = c.nBaseline = differences.size();
    if (nonFinite.empty() && !differences.empty()) c.difference = meanOf(differences);

    if (!c.reason.empty()) return c;
    if (!validConfidence(confidence)) {
        c.reason = confidenceReason(confidence);
    } else if (!nonFinite.empty()) {
        c.reason = nonFinite;
    } else if (differences.size() < 2) {
        const std::string common = differences.size() == 1 ? "only 1 seed is" : "only 0 seeds are";
        c.reason = common + " common to both configurations (the candidate has " + runs(candidate.size()) +
                   ", the baseline " + runs(baseline.size()) + "): a paired t-test needs at least 2 pairs";
    }
    if (!c.reason.empty()) return c;

    const double n = static_cast<double>(differences.size());
    const double variance = varianceOf(differences, c.difference);
    if (spreadIsZero(variance, std::max(largestMagnitude(pairedC), largestMagnitude(pairedB)))) {
        c.reason = "the " + std::to_string(differences.size()) + " paired differences are all equal (" +
                   formatNumber(c.difference) + "), so with zero spread the t statistic is undefined";
        return c;
    }
    finishTest(c, std::sqrt(variance / n), n - 1.0, confidence);
    return c;
}

std::vector<double> holm(const std::vector<double>& pValues) {
    std::vector<size_t> order;
    for (size_t i = 0; i < pValues.size(); ++i)
        if (!std::isnan(pValues[i])) order.push_back(i);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return pValues[a] < pValues[b]; });
    std::vector<double> adjusted(pValues.size(), NaN);
    const size_t tests = order.size();
    double running = 0.0;  // the running maximum keeps the adjusted values in the order of the raw ones
    for (size_t rank = 0; rank < tests; ++rank) {
        running = std::max(running, std::min(1.0, double(tests - rank) * pValues[order[rank]]));
        adjusted[order[rank]] = running;
    }
    return adjusted;
}

void holmAdjust(std::vector<Comparison>& comparisons) {
    std::vector<double> pValues;
    for (const Comparison& c : comparisons)
        pValues.push_back(c.possible ? c.p : NaN);
    const std::vector<double> adjusted = holm(pValues);
    for (size_t i = 0; i < comparisons.size(); ++i)
        comparisons[i].pHolm = adjusted[i];
}

Correlation pearson(const std::vector<double>& x, const std::vector<double>& y) {
    const std::string problem = correlationProblem(x, y);
    if (!problem.empty()) return Correlation{x.size(), NaN, NaN, problem};
    return correlationOf(x, y);
}

Correlation spearman(const std::vector<double>& x, const std::vector<double>& y) {
    const std::string problem = correlationProblem(x, y);
    if (!problem.empty()) return Correlation{x.size(), NaN, NaN, problem};
    return correlationOf(averageRanks(x), averageRanks(y));
}

std::string describeKind(TestKind kind) {
    return kind == TestKind::Welch ? "Welch's t-test" : "paired t-test";
}

}  // namespace distillery::stats
