#pragma once
// The values DiagnosticsFeed sends to the diagnostics views: plain types, copied across threads by
// queued signals. Rows are the store's own; what a run has is summarised in DiagnosticsAvailability.
#include <vector>

#include <QMap>
#include <QMetaType>
#include <QStringList>
#include <QVector>

#include "store/ClassResults.h"
#include "store/Store.h"
#include "store/StoreTypes.h"

namespace distillery::views {

using GateRows = std::vector<store::GateRow>;
using GateClassRows = std::vector<store::GateClassRow>;
using ChannelStatRows = std::vector<store::ChannelStatRow>;
using ChannelDistanceRows = std::vector<store::ChannelDistanceRow>;
using PathWeightRows = std::vector<store::PathWeightRow>;
using EventRows = std::vector<store::EventRow>;

// Which diagnostics a run has, and where the on-demand ones can be loaded.
struct DiagnosticsAvailability {
    bool gates = false;                          // gates rows: the heat map
    bool gateClasses = false;                    // gate_classes rows: per-class bars at evaluations
    bool channels = false;                       // channel_stats rows
    bool paths = false;                          // path_weights rows
    QStringList channelSpots;                    // first stage first, logits last (SpotOrder)
    QMap<QString, QVector<qint64>> channelSteps; // per spot, ascending
    QVector<qint64> gateClassSteps;              // ascending
    // Per-class results (confusion cells): per split ("val", "test"), the evaluations that have
    // student cells, ascending (a split without any is absent); the epoch of each evaluation step;
    // the run's class names (RunClassNames), empty when its spec cannot tell.
    QMap<QString, QVector<qint64>> classSteps;
    QMap<qint64, double> evaluationEpochs;
    QStringList classNames;

    bool hasGatesTab() const { return gates || gateClasses; }
    bool hasClassesTab() const { return !classSteps.isEmpty(); }
    bool operator==(const DiagnosticsAvailability& other) const {
        return gates == other.gates && gateClasses == other.gateClasses && channels == other.channels &&
               paths == other.paths && channelSpots == other.channelSpots && channelSteps == other.channelSteps &&
               gateClassSteps == other.gateClassSteps && classSteps == other.classSteps &&
               evaluationEpochs == other.evaluationEpochs && classNames == other.classNames;
    }
    bool operator!=(const DiagnosticsAvailability& other) const { return !(*this == other); }
};

}  // namespace distillery::views

Q_DECLARE_METATYPE(distillery::views::GateRows)
Q_DECLARE_METATYPE(distillery::views::GateClassRows)
Q_DECLARE_METATYPE(distillery::views::ChannelStatRows)
Q_DECLARE_METATYPE(distillery::views::ChannelDistanceRows)
Q_DECLARE_METATYPE(distillery::views::PathWeightRows)
Q_DECLARE_METATYPE(distillery::views::EventRows)
Q_DECLARE_METATYPE(distillery::views::DiagnosticsAvailability)
Q_DECLARE_METATYPE(distillery::store::ClassResults)
