#include "DiagnosticsFeed.h"

#include <algorithm>

#include <QTimer>

#include "SpotOrder.h"
#include "store/Store.h"

namespace distillery::views {

DiagnosticsFeed::DiagnosticsFeed(const QString& storePath, int intervalMs)
    : storePath_(storePath), intervalMs_(intervalMs) {
    registerMetaTypes();
}

DiagnosticsFeed::~DiagnosticsFeed() = default;

void DiagnosticsFeed::registerMetaTypes() {
    qRegisterMetaType<GateRows>();
    qRegisterMetaType<GateClassRows>();
    qRegisterMetaType<ChannelStatRows>();
    qRegisterMetaType<ChannelDistanceRows>();
    qRegisterMetaType<PathWeightRows>();
    qRegisterMetaType<EventRows>();
    qRegisterMetaType<DiagnosticsAvailability>();
}

void DiagnosticsFeed::start() {
    try {
        // Read-only: the GUI's own connection (opened first) has created and migrated the file.
        store_ = std::make_unique<store::Store>(storePath_.toStdString(), /*readOnly=*/true);
    } catch (const std::exception& error) {
        reportFailure(tr("Cannot read the diagnostics in the results store %1").arg(storePath_), error);
        return;
    }
    timer_ = new QTimer(this);
    timer_->setInterval(intervalMs_);
    connect(timer_, &QTimer::timeout, this, &DiagnosticsFeed::pollNow);
    timer_->start();
    pollNow();
}

void DiagnosticsFeed::watchRun(qint64 runId) {
    watched_ = WatchedRun{};
    watched_.runId = runId;
    if (store_) pollNow();
}

void DiagnosticsFeed::requestGateClasses(qint64 runId, qint64 step) {
    if (!store_) return;
    try {
        emit gateClassesLoaded(runId, step, store_->gateClasses(runId, step));
    } catch (const std::exception& error) {
        reportFailure(tr("Cannot read the per-class gate rates of run %1 at step %2 from %3")
                          .arg(runId)
                          .arg(step)
                          .arg(storePath_),
                      error);
    }
}

void DiagnosticsFeed::requestChannelStats(qint64 runId, const QString& spot, qint64 step) {
    if (!store_) return;
    try {
        emit channelStatsLoaded(runId, spot, step, store_->channelStats(runId, spot.toStdString(), step));
    } catch (const std::exception& error) {
        // One .arg() call: a spot name holding "%3" stays as it is.
        reportFailure(tr("Cannot read the channel statistics of run %1 at spot \"%2\", step %3 from %4")
                          .arg(QString::number(runId), spot, QString::number(step), storePath_),
                      error);
    }
}

void DiagnosticsFeed::pollNow() {
    if (!store_ || watched_.runId == 0) return;
    try {
        pollWatched();
    } catch (const std::exception& error) {
        reportFailure(tr("Cannot read the diagnostics of run %1 from %2").arg(watched_.runId).arg(storePath_), error);
        return;
    }
    lastFailure_.clear();
}

template <typename Row, typename NameOf>
std::vector<Row> DiagnosticsFeed::unseenRows(std::vector<Row> rows, StepCursor& cursor, NameOf nameOf) {
    // Rows come ordered by step: those of the last step seen come first, then newer steps.
    std::vector<Row> fresh;
    fresh.reserve(rows.size());
    for (Row& row : rows) {
        const std::string& name = nameOf(row);
        if (row.step < cursor.lastStep) continue;
        if (row.step == cursor.lastStep && cursor.namesAtLastStep.count(name)) continue;
        if (row.step > cursor.lastStep) {
            cursor.lastStep = row.step;
            cursor.namesAtLastStep.clear();
        }
        cursor.namesAtLastStep.insert(name);
        fresh.push_back(std::move(row));
    }
    return fresh;
}

void DiagnosticsFeed::pollWatched() {
    // Everything is read into a copy first: a query that fails leaves the cursors where they were,
    // so the next poll reads the same rows again instead of skipping them.
    WatchedRun w = watched_;
    const qint64 runId = w.runId;
    const store::DiagnosticPresence presence = store_->diagnosticPresence(runId);

    DiagnosticsAvailability next = w.availability;
    next.gates = presence.gates;
    next.gateClasses = presence.gateClasses;
    next.channels = presence.channelStats;
    next.paths = presence.pathWeights;

    if (presence.gateClasses) {
        for (int64_t step : store_->gateClassSteps(runId, w.lastGateClassStep)) {
            next.gateClassSteps.append(step);
            w.lastGateClassStep = step;
        }
    }

    std::map<QString, ChannelDistanceRows> distances;
    if (presence.channelStats) {
        for (const std::string& spot : store_->channelSpots(runId)) {
            const QString name = QString::fromStdString(spot);
            if (!next.channelSpots.contains(name)) next.channelSpots = SpotOrder::sorted(next.channelSpots << name);
            auto last = w.lastChannelStep.find(spot);
            const int64_t afterStep = last != w.lastChannelStep.end() ? last->second : -1;
            QVector<qint64>& steps = next.channelSteps[name];
            for (int64_t step : store_->channelStatSteps(runId, spot, afterStep)) {
                steps.append(step);
                w.lastChannelStep[spot] = step;
            }

            DistanceCursor& cursor = w.distances[spot];
            ChannelDistanceRows fresh;
            for (store::ChannelDistanceRow& row :
                 store_->channelDistances(runId, spot, cursor.lastStep < 0 ? -1 : cursor.lastStep - 1)) {
                // The last step again: sent only when more of its channels arrived since.
                if (row.step == cursor.lastStep && row.channels == cursor.channelsAtLastStep) continue;
                cursor.lastStep = row.step;
                cursor.channelsAtLastStep = row.channels;
                fresh.push_back(std::move(row));
            }
            if (!fresh.empty()) distances[name] = std::move(fresh);
        }
    }

    GateRows gates;
    if (presence.gates)
        gates = unseenRows(store_->gates(runId, w.gates.afterStep()), w.gates,
                           [](const store::GateRow& row) -> const std::string& { return row.spot; });
    PathWeightRows paths;
    if (presence.pathWeights)
        paths = unseenRows(store_->pathWeights(runId, w.paths.afterStep()), w.paths,
                           [](const store::PathWeightRow& row) -> const std::string& { return row.path; });
    EventRows events;
    if (presence.events) {
        events = store_->events(runId, w.lastEventId);
        if (!events.empty()) w.lastEventId = events.back().id;
    }

    const bool availabilityChanges = !w.availabilitySent || next != w.availability;
    w.availability = next;
    w.availabilitySent = true;
    watched_ = std::move(w);

    // Availability first: the views learn their spots and steps before the rows that use them.
    if (availabilityChanges) emit availabilityChanged(runId, next);
    if (!gates.empty()) emit gatesAppended(runId, gates);
    if (!paths.empty()) emit pathWeightsAppended(runId, paths);
    for (const auto& [spot, rows] : distances) emit channelDistancesAppended(runId, spot, rows);
    if (!events.empty()) emit eventsAppended(runId, events);
}

void DiagnosticsFeed::reportFailure(const QString& what, const std::exception& error) {
    const QString message = what + QStringLiteral(": ") + QString::fromUtf8(error.what());
    // A locked or vanished file fails every poll; say it once until it recovers.
    if (message == lastFailure_) return;
    lastFailure_ = message;
    emit failed(message);
}

}  // namespace distillery::views
