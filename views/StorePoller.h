#pragma once
// Reads the store on a worker thread, so the GUI thread never waits on SQLite.
//
// Qt's worker-object pattern: construct, moveToThread(thread), connect thread.started -> start()
// and thread.finished -> deleteLater. start() opens a Store of its own (a Store is one connection
// and must stay on one thread) and polls every interval: the runs list (emitted when anything
// visible changed) and, for the watched runs, the metric points with step > the last one seen,
// per key. A newly watched run first gets its history, down-sampled to about kHistoryPoints.
// The runs are listed without their spec JSON; each run's spec is read (and flattened for the
// filter) once, the first time it is listed.
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <QList>
#include <QObject>
#include <QString>
#include <QVariantMap>

#include "MetricSeries.h"
#include "RunListEntry.h"

class QTimer;

namespace distillery::store {
class Store;
}

namespace distillery::views {

class StorePoller : public QObject {
    Q_OBJECT
public:
    static constexpr int kDefaultIntervalMs = 250;
    static constexpr qint64 kHistoryPoints = 2000;   // about the pixels a plot is wide, times two

    explicit StorePoller(const QString& storePath, int intervalMs = kDefaultIntervalMs);
    ~StorePoller() override;

    // The value types of this class's signals, registered for queued connections. Idempotent.
    static void registerMetaTypes();

public slots:
    void start();                                  // in the worker thread
    void watchRuns(const QList<qint64>& runIds);   // replaces the watched set
    void pollNow();

signals:
    void runsChanged(const distillery::views::RunList& runs);
    void historyLoaded(qint64 runId, const distillery::views::MetricSeriesList& series);
    void pointsAppended(qint64 runId, const distillery::views::MetricSeriesList& series);
    void failed(const QString& message);

private:
    struct WatchedRun {
        std::map<std::string, int64_t> lastStepByKey;
        bool historySent = false;
    };
    struct CachedSummaries {
        store::RunStatus status = store::RunStatus::Queued;
        std::optional<double> heartbeat;
        store::ValidationSelection selection;
    };

    void pollRuns();
    // The flattened specs of the listed runs that specCache_ lacks, read once each.
    void cacheSpecs(const std::vector<store::RunRow>& rows);
    void pollMetrics(qint64 runId, WatchedRun& watched);
    void reportFailure(const QString& what, const std::exception& error);

    QString storePath_;
    int intervalMs_;
    std::unique_ptr<store::Store> store_;
    QTimer* timer_ = nullptr;
    std::map<qint64, WatchedRun> watched_;
    std::map<qint64, CachedSummaries> summaryCache_;
    std::map<qint64, QVariantMap> specCache_;   // by run id: flattenSpec of its spec JSON
    RunList lastRuns_;
    bool runsEmitted_ = false;
    QString lastFailure_;
};

}  // namespace distillery::views
