#pragma once
// The curves of one configuration's seeds as one mean curve with a band: ± the sample standard
// deviation, or the 95% confidence interval of the mean (mean ± t(0.975, n-1) · s / √n).
//
// Seeds of one configuration usually log at the same steps, but not always (a run logged less often,
// a run that stopped early or is still training). So the runs are aligned on the union of their x
// values, each run giving its value at x by linear interpolation between its own points, and only
// within its own x range: no extrapolation, a run that ended is not carried forward. At each x, n says
// how many runs reached it; the band needs n >= 2 and is NaN elsewhere (a gap in the plot).
//
// QtCore only: no widgets, so it is unit-tested on numbers.
#include <QList>
#include <QVector>

namespace distillery::views {

enum class BandKind {
    StdDev,                 // mean ± sample std (n-1)
    ConfidenceInterval95,   // mean ± t(0.975, n-1) · std / √n
};

// One run's curve: x ascending (as a plot's keys), y at each x. Points with a non-finite x or y (a
// NaN loss) are left out, like the plot leaves them out.
struct XYSeries {
    QVector<double> x;
    QVector<double> y;
};

struct SeedBand {
    QVector<double> x;       // the union of the runs' x values, ascending, each once
    QVector<double> mean;    // over the runs that reach x
    QVector<double> lower;   // NaN where n < 2
    QVector<double> upper;
    QVector<int> n;          // how many runs reach x
    bool isEmpty() const { return x.isEmpty(); }
};

// The runs' curves aggregated per x. A run with no finite point takes no part.
SeedBand seedBand(const QList<XYSeries>& runs, BandKind kind);

// The half-width of the band for n values of sample std s: s, or t(0.975, n-1) · s / √n. NaN for n < 2.
double bandHalfWidth(BandKind kind, double std, int n);

}  // namespace distillery::views
