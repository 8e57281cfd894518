#pragma once
// What one undo step restores: the spec the form builds (for its first seed) and the seeds list,
// which the spec alone does not hold.
#include <QByteArray>
#include <QString>

namespace distillery::views {

struct DesignState {
    QByteArray specJson;
    QString seeds;   // "1, 2, 3" as typed
    bool operator==(const DesignState& other) const { return specJson == other.specJson && seeds == other.seeds; }
    bool operator!=(const DesignState& other) const { return !(*this == other); }
};

}  // namespace distillery::views
