#pragma once
// A confusion matrix made dense from the store's non-zero cells (Store::confusion): row = actual
// class, column = predicted. What the Live page's Classes tab and the report show per class is read
// from it, so the two cannot differ. No SQLite, torch or Qt.
#include <cstdint>
#include <optional>
#include <vector>

#include "store/StoreTypes.h"

namespace distillery::store {

class ConfusionMatrix {
public:
    ConfusionMatrix() = default;
    // classes × classes counts; a cell whose class lies outside 0..classes-1 is left out.
    ConfusionMatrix(int64_t classes, const std::vector<ConfusionCell>& cells);

    int64_t classes() const { return classes_; }
    int64_t count(int64_t actual, int64_t predicted) const;
    int64_t samples(int64_t actual) const;   // the row's sum: the class's samples in the split
    int64_t total() const { return total_; }
    bool empty() const { return total_ == 0; }
    // The cell as a percentage of the actual class's samples (so the diagonal is the per-class
    // accuracy); none for a class without samples, whose row has nothing to divide by.
    std::optional<double> rowPercent(int64_t actual, int64_t predicted) const;
    std::optional<double> accuracy(int64_t actual) const { return rowPercent(actual, actual); }

private:
    int64_t classes_ = 0;
    int64_t total_ = 0;
    std::vector<int64_t> counts_;   // row-major
    std::vector<int64_t> samples_;
};

}  // namespace distillery::store
