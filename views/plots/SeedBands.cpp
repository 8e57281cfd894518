#include "SeedBands.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include "stats/Statistics.h"

namespace distillery::views {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The run's finite points sorted by x (epochs and wall times of a resumed run may step back).
std::vector<std::pair<double, double>> finitePoints(const XYSeries& run) {
    std::vector<std::pair<double, double>> points;
    const int n = static_cast<int>(std::min(run.x.size(), run.y.size()));
    points.reserve(n);
    for (int i = 0; i < n; ++i)
        if (std::isfinite(run.x.at(i)) && std::isfinite(run.y.at(i))) points.emplace_back(run.x.at(i), run.y.at(i));
    std::stable_sort(points.begin(), points.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    return points;
}

// The run's value at x by linear interpolation between its neighbours; NaN outside its own range.
double valueAt(const std::vector<std::pair<double, double>>& points, double x) {
    if (points.empty() || x < points.front().first || x > points.back().first) return kNaN;
    auto after = std::lower_bound(points.begin(), points.end(), x,
                                  [](const auto& point, double key) { return point.first < key; });
    if (after->first == x) {
        // Several points at one x (a repeated evaluation): the last one logged stands.
        auto last = after;
        while (std::next(last) != points.end() && std::next(last)->first == x) ++last;
        return last->second;
    }
    const auto before = std::prev(after);
    const double t = (x - before->first) / (after->first - before->first);
    return before->second + t * (after->second - before->second);
}

}  // namespace

double bandHalfWidth(BandKind kind, double std, int n) {
    if (n < 2) return kNaN;
    switch (kind) {
        case BandKind::StdDev: return std;
        case BandKind::ConfidenceInterval95:
            return stats::studentTQuantile(0.975, n - 1) * std / std::sqrt(static_cast<double>(n));
    }
    return kNaN;
}

SeedBand seedBand(const QList<XYSeries>& runs, BandKind kind) {
    std::vector<std::vector<std::pair<double, double>>> curves;
    std::vector<double> xs;
    for (const XYSeries& run : runs) {
        auto points = finitePoints(run);
        if (points.empty()) continue;
        for (const auto& point : points) xs.push_back(point.first);
        curves.push_back(std::move(points));
    }
    std::sort(xs.begin(), xs.end());
    xs.erase(std::unique(xs.begin(), xs.end()), xs.end());

    SeedBand band;
    band.x.reserve(static_cast<int>(xs.size()));
    std::vector<double> values;
    values.reserve(curves.size());
    for (double x : xs) {
        values.clear();
        for (const auto& curve : curves) {
            const double value = valueAt(curve, x);
            if (std::isfinite(value)) values.push_back(value);
        }
        const int n = static_cast<int>(values.size());
        const double mean = std::accumulate(values.begin(), values.end(), 0.0) / n;
        double half = kNaN;
        if (n >= 2) {
            double squares = 0;
            for (double value : values) squares += (value - mean) * (value - mean);
            half = bandHalfWidth(kind, std::sqrt(squares / (n - 1)), n);
        }
        band.x.append(x);
        band.mean.append(mean);
        band.lower.append(mean - half);
        band.upper.append(mean + half);
        band.n.append(n);
    }
    return band;
}

}  // namespace distillery::views
