#include "Smoothing.h"

#include <algorithm>
#include <cmath>

namespace distillery::views {

namespace {
// At weight 1 the average would never move from its first point; the slider stops well before.
constexpr double kMaxWeight = 0.999;
}  // namespace

DebiasedEma::DebiasedEma(double weight) : weight_(std::clamp(weight, 0.0, kMaxWeight)) {}

double DebiasedEma::add(double value) {
    if (!std::isfinite(value)) return value;
    last_ = last_ * weight_ + (1.0 - weight_) * value;
    weightPower_ *= weight_;
    return last_ / (1.0 - weightPower_);
}

void DebiasedEma::reset() {
    last_ = 0;
    weightPower_ = 1;
}

QVector<double> debiasedEma(const QVector<double>& values, double weight) {
    if (weight <= 0) return values;
    DebiasedEma ema(weight);
    QVector<double> out;
    out.reserve(values.size());
    for (double value : values) out.append(ema.add(value));
    return out;
}

}  // namespace distillery::views
