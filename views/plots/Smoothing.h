#pragma once
// TensorBoard's smoothing: an exponential moving average debiased like Adam's moments, so the first
// points are not dragged towards zero. Non-finite values (a NaN loss) pass through unchanged and do
// not enter the average, so one bad point does not poison the rest of the curve.
#include <QVector>

namespace distillery::views {

// The average as a running state, so live points extend a smoothed curve without recomputing it.
class DebiasedEma {
public:
    // weight in [0, 1): 0 is the identity; larger is smoother. Values outside are clamped.
    explicit DebiasedEma(double weight = 0);
    double add(double value);   // the smoothed value at this point
    void reset();
    double weight() const { return weight_; }

private:
    double weight_;
    double last_ = 0;
    double weightPower_ = 1;    // weight^(points averaged so far)
};

// last = last*w + (1-w)*v; debias = 1 - w^(i+1); out = last/debias (skip NaN/inf, weight 0 = identity).
QVector<double> debiasedEma(const QVector<double>& values, double weight);

}  // namespace distillery::views
