#pragma once
// The number a paper reports for a run, as every table of the window shows it: the test accuracy of
// the model selected on the validation split (test/acc1 at the epoch of the best val/acc1), computed
// by store::selectByValidation only. One title, one explanation, one way to say why a run has none,
// so that the runs list and Compare never drift apart.
#include <optional>

#include <QString>

#include "store/Results.h"

namespace distillery::views {

class HeadlineResult {
public:
    static QString title();         // "Test % @ best val"
    static QString explanation();   // the column's tool tip
    // "" when the selection has the headline; otherwise why not, for the cell's tool tip.
    static QString missingReason(const store::ValidationSelection& selection);
};

}  // namespace distillery::views
