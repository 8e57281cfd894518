#pragma once
// Reads the watched run's diagnostics from the store on a worker thread (StorePoller's pattern):
// construct, moveToThread(thread), connect thread.started -> start() and thread.finished ->
// deleteLater. start() opens a read-only Store of its own and polls every interval.
//
// Each poll reads only what is new: gate and path-weight rows and channel distances of steps after
// the last one seen, events after the last id, evaluation and channel steps after the last ones.
// The last step seen is read again, because a step's rows can straddle two of the writer's
// transactions; rows already sent are not sent twice, and a channel distance whose step gained
// channels is sent again (the view replaces it). The first poll after watchRun() sends the whole
// history as appends, after an availability signal.
//
// Per-channel statistics, per-class gate rates and per-class results (confusion matrices) are large
// and wanted for one step at a time: they are loaded on request. The evaluations that have per-class
// results are listed again only when the split's accuracy moved (it is written at every evaluation)
// or its newest evaluation has no cells yet: listing them walks every cell of the run.
#include <map>
#include <memory>
#include <set>
#include <string>

#include <QObject>
#include <QString>

#include "DiagnosticsTypes.h"

class QTimer;

namespace distillery::views {

class DiagnosticsFeed : public QObject {
    Q_OBJECT
public:
    static constexpr int kDefaultIntervalMs = 250;

    explicit DiagnosticsFeed(const QString& storePath, int intervalMs = kDefaultIntervalMs);
    ~DiagnosticsFeed() override;

    // The value types of this class's signals, registered for queued connections. Idempotent.
    static void registerMetaTypes();

public slots:
    void start();                      // in the worker thread
    void watchRun(qint64 runId);       // 0: none; a run watched again starts from its history
    void requestGateClasses(qint64 runId, qint64 step);
    void requestChannelStats(qint64 runId, const QString& spot, qint64 step);
    void requestClassResults(qint64 runId, const QString& split, qint64 step);
    void pollNow();

signals:
    // After the first poll of a watched run, then whenever something in it changed.
    void availabilityChanged(qint64 runId, const distillery::views::DiagnosticsAvailability& availability);
    void gatesAppended(qint64 runId, const distillery::views::GateRows& rows);
    void pathWeightsAppended(qint64 runId, const distillery::views::PathWeightRows& rows);
    void channelDistancesAppended(qint64 runId, const QString& spot,
                                  const distillery::views::ChannelDistanceRows& rows);
    void eventsAppended(qint64 runId, const distillery::views::EventRows& rows);
    void gateClassesLoaded(qint64 runId, qint64 step, const distillery::views::GateClassRows& rows);
    void channelStatsLoaded(qint64 runId, const QString& spot, qint64 step,
                            const distillery::views::ChannelStatRows& rows);
    void classResultsLoaded(qint64 runId, const QString& split, qint64 step,
                            const distillery::store::ClassResults& results);
    void failed(const QString& message);

private:
    // Where a step-keyed table was read up to: the last step and the names (spots, paths) seen at it.
    struct StepCursor {
        int64_t lastStep = -1;
        std::set<std::string> namesAtLastStep;
        int64_t afterStep() const { return lastStep < 0 ? -1 : lastStep - 1; }   // re-reads lastStep
    };
    struct DistanceCursor {
        int64_t lastStep = -1;
        int64_t channelsAtLastStep = 0;
    };
    // The split's accuracy summary when its evaluations were last listed.
    struct EvaluationMark {
        bool listed = false;
        int64_t lastStep = -1;
        int64_t count = 0;
    };
    struct WatchedRun {
        qint64 runId = 0;
        bool availabilitySent = false;
        DiagnosticsAvailability availability;
        StepCursor gates;
        StepCursor paths;
        int64_t lastEventId = 0;
        int64_t lastGateClassStep = -1;
        std::map<std::string, int64_t> lastChannelStep;    // per spot, for the steps list
        std::map<std::string, DistanceCursor> distances;   // per spot
        bool classNamesRead = false;
        std::map<std::string, EvaluationMark> classMarks;   // per split
    };

    template <typename Row, typename NameOf>
    static std::vector<Row> unseenRows(std::vector<Row> rows, StepCursor& cursor, NameOf nameOf);
    void pollWatched();
    void pollClassSteps(WatchedRun& w, DiagnosticsAvailability& next);
    void reportFailure(const QString& what, const std::exception& error);

    QString storePath_;
    int intervalMs_;
    std::unique_ptr<store::Store> store_;
    QTimer* timer_ = nullptr;
    WatchedRun watched_;
    QString lastFailure_;
};

}  // namespace distillery::views
