#pragma once
// What one undo step restores: the spec the form builds (for its first seed), the seeds list, which
// the spec alone does not hold, the study parts (the sweeps, early stopping, what a loaded study
// keeps as written) and, right after a study file was loaded, that file as shown until the next edit.
#include <QByteArray>
#include <QString>

namespace distillery::views {

struct DesignState {
    QByteArray specJson;
    QString seeds;        // "1, 2, 3" as typed
    QByteArray study;     // {"sweeps": …, "stop_below_median": …, "grace_epochs": …, "kept": …}
    QByteArray asLoaded;  // a loaded study file's JSON, or empty
    // The same form, whatever the JSON pane shows.
    bool sameForm(const DesignState& other) const {
        return specJson == other.specJson && seeds == other.seeds && study == other.study;
    }
    bool operator==(const DesignState& other) const { return sameForm(other) && asLoaded == other.asLoaded; }
    bool operator!=(const DesignState& other) const { return !(*this == other); }
};

}  // namespace distillery::views
