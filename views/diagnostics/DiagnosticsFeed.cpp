#include "DiagnosticsFeed.h"

#include <algorithm>

#include <QTimer>

#include "RunClassNames.h"
#include "SpotOrder.h"
#include "store/Results.h"
#include "store/Store.h"

namespace distillery::views {

namespace {
const char* const kClassSplits[] = {"val", "test"};
}

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
    qRegisterMetaType<store::ClassResults>();
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

void DiagnosticsFeed::requestClassResults(qint64 runId, const QString& split, qint64 step) {
    if (!store_) return;
    try {
        qint64 classes = 0;
        if (runId == watched_.runId && watched_.classNamesRead) classes = watched_.availability.classNames.size();
        else if (const std::optional<store::RunRow> run = store_->run(runId)) classes = runClassNames(*run).size();
        emit classResultsLoaded(runId, split, step,
                                store::ClassResults::load(*store_, runId, split.toStdString(), classes, step));
    } catch (const std::exception& error) {
        reportFailure(tr("Cannot read the per-class results of run %1 (%2 split, step %3) from %4")
                          .arg(QString::number(runId), split, QString::number(step), storePath_),
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

    pollClassSteps(w, next);

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

void DiagnosticsFeed::pollClassSteps(WatchedRun& w, DiagnosticsAvailability& next) {
    const qint64 runId = w.runId;
    if (!w.classNamesRead) {
        if (const std::optional<store::RunRow> run = store_->run(runId)) next.classNames = runClassNames(*run);
        w.classNamesRead = true;
    }
    for (const char* split : kClassSplits) {
        const std::string accuracy = store::metric::evaluation(split, "acc1");
        const std::optional<store::MetricSummary> summary = store_->summary(runId, accuracy);
        const QString name = QString::fromLatin1(split);
        const QVector<qint64> known = next.classSteps.value(name);
        EvaluationMark& mark = w.classMarks[split];
        // The cells of an evaluation may reach the store a transaction after its accuracy: until they
        // do, the split is listed again at every poll (cheap while the run has few cells, or none).
        const bool cellsBehind = summary && (known.isEmpty() || known.last() < summary->lastStep);
        const int64_t lastStep = summary ? summary->lastStep : -1;
        const int64_t count = summary ? summary->count : 0;
        if (mark.listed && mark.lastStep == lastStep && mark.count == count && !cellsBehind) continue;
        mark = {true, lastStep, count};

        // Replaced, not appended: a resume discards the evaluations after its checkpoint.
        QVector<qint64> steps;
        for (int64_t step : store_->confusionSteps(runId, split)) steps.append(step);
        if (steps == known) continue;
        if (steps.isEmpty()) {
            next.classSteps.remove(name);
            continue;
        }
        next.classSteps.insert(name, steps);
        for (const store::MetricPoint& point : store_->metrics(runId, accuracy))
            if (std::binary_search(steps.cbegin(), steps.cend(), point.step))
                next.evaluationEpochs.insert(point.step, point.epoch);
    }
}

void DiagnosticsFeed::reportFailure(const QString& what, const std::exception& error) {
    const QString message = what + QStringLiteral(": ") + QString::fromUtf8(error.what());
    // A locked or vanished file fails every poll; say it once until it recovers.
    if (message == lastFailure_) return;
    lastFailure_ = message;
    emit failed(message);
}

}  // namespace distillery::views
