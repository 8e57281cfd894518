#pragma once
// Reads what the Compare page shows on a worker thread, so the GUI thread never waits on SQLite.
//
// Qt's worker-object pattern (as StorePoller): construct, moveToThread(thread), connect
// thread.finished -> deleteLater, call the slots through queued invocations. The loader opens a Store
// of its own, read-only, on first use (a Store is one connection and must stay on one thread).
//
// A request loads the runs with their summaries (cheap: run_summary) and the points of the requested
// keys only, down-sampled in SQL to about kMaxPoints each; further keys come with loadSeries() when
// the user picks them, so comparing long runs never reads every metric.
#include <memory>

#include <QHash>
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QStringList>

#include "MetricSeries.h"
#include "RunComparison.h"

namespace distillery::store {
class Store;
}

namespace distillery::views {

struct CompareData {
    QList<ComparedRun> runs;                      // in the requested order
    QStringList keys;                             // the metric keys whose points were read
    QHash<qint64, MetricSeriesList> series;       // by run id: the points of those keys
};

class CompareLoader : public QObject {
    Q_OBJECT
public:
    static constexpr qint64 kMaxPoints = 2000;   // about the pixels a plot is wide, times two

    explicit CompareLoader(const QString& storePath = {}, QObject* parent = nullptr);
    ~CompareLoader() override;

    // The value types of this class's signals, registered for queued connections. Idempotent.
    static void registerMetaTypes();

public slots:
    void setStorePath(const QString& storePath);   // closes the connection; the next request opens it
    // keys empty: defaultComparedKeys() of the runs' keys.
    void load(quint64 requestId, const QList<qint64>& runIds, const QStringList& keys);
    void loadSeries(quint64 requestId, const QList<qint64>& runIds, const QStringList& keys);

signals:
    void loaded(quint64 requestId, const distillery::views::CompareData& data);
    void seriesLoaded(quint64 requestId, const QStringList& keys,
                      const QHash<qint64, distillery::views::MetricSeriesList>& series);
    void failed(quint64 requestId, const QString& message);

private:
    bool openStore(quint64 requestId);
    QHash<qint64, MetricSeriesList> readSeries(const QList<qint64>& runIds, const QStringList& keys) const;

    QString storePath_;
    std::unique_ptr<store::Store> store_;
};

}  // namespace distillery::views

Q_DECLARE_METATYPE(distillery::views::CompareData)
