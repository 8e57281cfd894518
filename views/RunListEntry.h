#pragma once
// One row of the runs list as the poller reads it: the run, its headline result and its spec's fields.
// A plain value type, copied across threads by queued signals.
#include <QList>
#include <QMetaType>
#include <QVariantMap>

#include "store/Results.h"
#include "store/StoreTypes.h"

namespace distillery::views {

struct RunListEntry {
    store::RunRow run;   // without its spec JSON (Store::runs(false)), with its study, note and tags
    // store::selectByValidation of the run: the headline (test at best val) and the best val/acc1.
    store::ValidationSelection selection;
    // The spec flattened to dotted paths ("method.T", "optim.lr": flattenSpec), for the filter's field
    // conditions. Read once per run: a spec never changes after queueing.
    QVariantMap specFields;

    // Compares what the window shows (not the spec, which never changes after queueing), so the
    // poller emits a new list only when something visible changed.
    bool sameDisplayAs(const RunListEntry& other) const;
};

using RunList = QList<RunListEntry>;

}  // namespace distillery::views

Q_DECLARE_METATYPE(distillery::views::RunListEntry)
