#include "store/ConfusionMatrix.h"

namespace distillery::store {

ConfusionMatrix::ConfusionMatrix(int64_t classes, const std::vector<ConfusionCell>& cells)
    : classes_(classes > 0 ? classes : 0),
      counts_(size_t(classes_) * size_t(classes_), 0),
      samples_(size_t(classes_), 0) {
    for (const ConfusionCell& cell : cells) {
        if (cell.actual < 0 || cell.actual >= classes_ || cell.predicted < 0 || cell.predicted >= classes_) continue;
        counts_[size_t(cell.actual) * size_t(classes_) + size_t(cell.predicted)] += cell.count;
        samples_[size_t(cell.actual)] += cell.count;
        total_ += cell.count;
    }
}

int64_t ConfusionMatrix::count(int64_t actual, int64_t predicted) const {
    if (actual < 0 || actual >= classes_ || predicted < 0 || predicted >= classes_) return 0;
    return counts_[size_t(actual) * size_t(classes_) + size_t(predicted)];
}

int64_t ConfusionMatrix::samples(int64_t actual) const {
    return actual < 0 || actual >= classes_ ? 0 : samples_[size_t(actual)];
}

std::optional<double> ConfusionMatrix::rowPercent(int64_t actual, int64_t predicted) const {
    const int64_t row = samples(actual);
    if (row <= 0) return std::nullopt;
    return 100.0 * double(count(actual, predicted)) / double(row);
}

}  // namespace distillery::store
