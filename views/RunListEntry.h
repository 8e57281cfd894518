#pragma once
// One row of the runs list as the poller reads it: the run plus the two summaries the table shows.
// A plain value type, copied across threads by queued signals.
#include <optional>

#include <QList>
#include <QMetaType>

#include "store/StoreTypes.h"

namespace distillery::views {

struct RunListEntry {
    store::RunRow run;
    std::optional<double> bestValAcc;    // summary "val/acc1", max
    std::optional<double> lastTestAcc;   // summary "test/acc1", last value

    // Compares what the window shows (not the spec JSON, which never changes after queueing), so the
    // poller emits a new list only when something visible changed.
    bool sameDisplayAs(const RunListEntry& other) const;
};

using RunList = QList<RunListEntry>;

}  // namespace distillery::views

Q_DECLARE_METATYPE(distillery::views::RunListEntry)
