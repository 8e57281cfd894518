#include "CompareLoader.h"

#include "StorePoller.h"
#include "store/Store.h"

namespace distillery::views {

CompareLoader::CompareLoader(const QString& storePath, QObject* parent) : QObject(parent), storePath_(storePath) {
    registerMetaTypes();
}

CompareLoader::~CompareLoader() = default;

void CompareLoader::registerMetaTypes() {
    StorePoller::registerMetaTypes();   // MetricSeries, MetricSeriesList, QList<qint64>
    qRegisterMetaType<ComparedRun>();
    qRegisterMetaType<CompareData>();
    qRegisterMetaType<QHash<qint64, MetricSeriesList>>();
}

void CompareLoader::setStorePath(const QString& storePath) {
    if (storePath == storePath_) return;
    storePath_ = storePath;
    store_.reset();
}

bool CompareLoader::openStore(quint64 requestId) {
    if (store_) return true;
    if (storePath_.isEmpty()) {
        emit failed(requestId, tr("No results store is open: open one (Ctrl+O) to compare its runs"));
        return false;
    }
    try {
        store_ = std::make_unique<store::Store>(storePath_.toStdString(), /*readOnly=*/true);
    } catch (const std::exception& error) {
        emit failed(requestId, tr("Cannot read the results store %1: %2").arg(storePath_, QString::fromUtf8(error.what())));
        return false;
    }
    return true;
}

QHash<qint64, MetricSeriesList> CompareLoader::readSeries(const QList<qint64>& runIds, const QStringList& keys) const {
    QHash<qint64, MetricSeriesList> series;
    for (qint64 runId : runIds) {
        MetricSeriesList ofRun;
        for (const QString& key : keys) {
            const std::vector<store::MetricPoint> points = store_->metrics(runId, key.toStdString(), -1, kMaxPoints);
            if (!points.empty()) ofRun.append(MetricSeries::fromPoints(key, points));
        }
        series.insert(runId, ofRun);
    }
    return series;
}

void CompareLoader::load(quint64 requestId, const QList<qint64>& runIds, const QStringList& keys) {
    if (!openStore(requestId)) return;
    try {
        CompareData data;
        data.runs = loadComparedRuns(*store_, runIds);
        const QStringList available = metricKeysOf(data.runs);
        const QStringList wanted = keys.isEmpty() ? defaultComparedKeys(available) : keys;
        for (const QString& key : wanted)
            if (available.contains(key)) data.keys.append(key);
        data.series = readSeries(runIds, data.keys);
        emit loaded(requestId, data);
    } catch (const std::exception& error) {
        emit failed(requestId, tr("Cannot compare the selected runs: %1").arg(QString::fromUtf8(error.what())));
    }
}

void CompareLoader::loadSeries(quint64 requestId, const QList<qint64>& runIds, const QStringList& keys) {
    if (!openStore(requestId)) return;
    try {
        emit seriesLoaded(requestId, keys, readSeries(runIds, keys));
    } catch (const std::exception& error) {
        emit failed(requestId, tr("Cannot read the curves of %1 from %2: %3")
                                   .arg(keys.join(QStringLiteral(", ")), storePath_, QString::fromUtf8(error.what())));
    }
}

}  // namespace distillery::views
