#include "StorePoller.h"

#include <algorithm>
#include <set>

#include <QTimer>

#include "RunComparison.h"
#include "RunProgress.h"
#include "store/Results.h"
#include "store/Store.h"

namespace distillery::views {

StorePoller::StorePoller(const QString& storePath, int intervalMs)
    : storePath_(storePath), intervalMs_(intervalMs) {
    registerMetaTypes();
}

StorePoller::~StorePoller() = default;

void StorePoller::registerMetaTypes() {
    qRegisterMetaType<RunListEntry>();
    qRegisterMetaType<RunList>();
    qRegisterMetaType<MetricSeries>();
    qRegisterMetaType<MetricSeriesList>();
    qRegisterMetaType<RunProgress>();
    qRegisterMetaType<QList<qint64>>();
}

void StorePoller::start() {
    try {
        // Read-only: the GUI's own connection (opened first) has created and migrated the file.
        store_ = std::make_unique<store::Store>(storePath_.toStdString(), /*readOnly=*/true);
    } catch (const std::exception& error) {
        reportFailure(tr("Cannot read the results store %1").arg(storePath_), error);
        return;
    }
    timer_ = new QTimer(this);
    timer_->setInterval(intervalMs_);
    connect(timer_, &QTimer::timeout, this, &StorePoller::pollNow);
    timer_->start();
    pollNow();
}

void StorePoller::watchRuns(const QList<qint64>& runIds) {
    std::map<qint64, WatchedRun> next;
    for (qint64 id : runIds) {
        // A run that stays watched keeps its position; a newly watched one starts with its history.
        auto it = watched_.find(id);
        next[id] = it != watched_.end() ? it->second : WatchedRun{};
    }
    watched_ = std::move(next);
    if (store_) pollNow();
}

void StorePoller::pollNow() {
    if (!store_) return;
    pollRuns();
    for (auto& [runId, watched] : watched_) pollMetrics(runId, watched);
}

void StorePoller::pollRuns() {
    RunList runs;
    try {
        std::vector<store::RunRow> rows = store_->runs(/*withSpec=*/false);
        cacheSpecs(rows);
        std::map<qint64, CachedSummaries> cache;
        runs.reserve(static_cast<int>(rows.size()));
        for (store::RunRow& row : rows) {
            // Summaries change only while a run trains, or when its status or heartbeat moves;
            // re-reading them for every idle run would cost two queries per run per poll.
            auto cached = summaryCache_.find(row.id);
            CachedSummaries summaries;
            const bool fresh = cached != summaryCache_.end() && cached->second.status == row.status &&
                               cached->second.heartbeat == row.heartbeat &&
                               row.status != store::RunStatus::Running;
            if (fresh) {
                summaries = cached->second;
            } else {
                summaries.status = row.status;
                summaries.heartbeat = row.heartbeat;
                summaries.selection = store::selectByValidation(*store_, row.id);
            }
            cache[row.id] = summaries;
            RunListEntry entry;
            entry.selection = summaries.selection;
            auto spec = specCache_.find(row.id);
            if (spec != specCache_.end()) entry.specFields = spec->second;
            entry.run = std::move(row);
            runs.append(std::move(entry));
        }
        summaryCache_ = std::move(cache);
    } catch (const std::exception& error) {
        reportFailure(tr("Cannot read the runs of %1").arg(storePath_), error);
        return;
    }
    lastFailure_.clear();

    bool changed = !runsEmitted_ || runs.size() != lastRuns_.size();
    for (int i = 0; !changed && i < runs.size(); ++i) changed = !runs.at(i).sameDisplayAs(lastRuns_.at(i));
    if (!changed) return;
    lastRuns_ = runs;
    runsEmitted_ = true;
    emit runsChanged(runs);
}

void StorePoller::cacheSpecs(const std::vector<store::RunRow>& rows) {
    std::set<int64_t> missing;
    std::map<qint64, QVariantMap> listed;
    for (const store::RunRow& row : rows) {
        auto cached = specCache_.find(row.id);
        if (cached != specCache_.end()) listed.emplace(row.id, cached->second);   // shared, not copied
        else missing.insert(row.id);
    }
    // Opening a store lists every run as new: one query for all of them beats one per run. Later
    // polls find a new run or two, read by id.
    constexpr size_t kReadAllAbove = 16;
    if (missing.size() > kReadAllAbove) {
        for (const store::RunRow& row : store_->runs(/*withSpec=*/true))
            if (missing.count(row.id)) listed.emplace(row.id, flattenSpec(row.specJson));
    } else {
        for (int64_t id : missing)
            if (std::optional<store::RunRow> row = store_->run(id)) listed.emplace(id, flattenSpec(row->specJson));
    }
    specCache_ = std::move(listed);   // deleted runs leave the cache
}

void StorePoller::pollMetrics(qint64 runId, WatchedRun& watched) {
    MetricSeriesList series;
    try {
        for (const std::string& key : store_->metricKeys(runId)) {
            auto last = watched.lastStepByKey.find(key);
            const int64_t afterStep = last != watched.lastStepByKey.end() ? last->second : -1;
            // The same bound for history and increments: a key that appears late with many
            // points is down-sampled too, and a normal increment is far below it.
            std::vector<store::MetricPoint> points = store_->metrics(runId, key, afterStep, kHistoryPoints);
            if (points.empty()) continue;
            MetricSeries one = MetricSeries::fromPoints(QString::fromStdString(key), points);
            const int64_t maxStep = std::max(afterStep, points.back().step);
            // Down-sampling may drop points inside the last bucket; those after maxStep come with
            // the next poll, so the series stays ordered and nothing is plotted twice.
            watched.lastStepByKey[key] = maxStep;
            series.append(std::move(one));
        }
    } catch (const std::exception& error) {
        reportFailure(tr("Cannot read the metrics of run %1 from %2").arg(runId).arg(storePath_), error);
        return;
    }
    if (!watched.historySent) {
        watched.historySent = true;
        emit historyLoaded(runId, series);   // also when empty: the plot then says "no points yet"
    } else if (!series.isEmpty()) {
        emit pointsAppended(runId, series);
    }
}

void StorePoller::reportFailure(const QString& what, const std::exception& error) {
    const QString message = what + QStringLiteral(": ") + QString::fromUtf8(error.what());
    // A locked or vanished file fails every 250 ms; say it once until it recovers.
    if (message == lastFailure_) return;
    lastFailure_ = message;
    emit failed(message);
}

}  // namespace distillery::views
