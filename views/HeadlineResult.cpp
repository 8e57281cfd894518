#include "HeadlineResult.h"

#include <QCoreApplication>

namespace distillery::views {

namespace {
QString tr(const char* text) { return QCoreApplication::translate("HeadlineResult", text); }
}  // namespace

QString HeadlineResult::title() { return tr("Test % @ best val"); }

QString HeadlineResult::explanation() {
    return tr("The test accuracy of the model selected on the validation split: test/acc1 at the epoch with the "
              "best val/acc1 (the earliest, on a tie), in %. This is what a paper reports; the highest test/acc1 "
              "over the epochs would be chosen on the test set.");
}

QString HeadlineResult::missingReason(const store::ValidationSelection& selection) {
    if (selection.testAtBestVal) return {};
    if (!selection.bestValStep) {
        // A run without a validation split cannot select a model: its last test accuracy is another
        // number, and the table does not pass it off as the headline.
        return selection.lastTest
                   ? tr("No val/acc1 logged (no validation split yet, or none at all): no model is selected. "
                        "The last test/acc1 is %1 %.")
                         .arg(QString::number(*selection.lastTest, 'f', 2))
                   : tr("No val/acc1 logged yet: no model is selected.");
    }
    return tr("No test/acc1 was logged at step %1, the step of the best val/acc1.").arg(*selection.bestValStep);
}

}  // namespace distillery::views
