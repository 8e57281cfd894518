#include "QueueTableModel.h"

#include <algorithm>

#include <QHash>
#include <QSet>

#include "PlainText.h"
#include "RunHeader.h"
#include "StatusIcons.h"

namespace distillery::views {

namespace {

QString fromStd(const std::string& text) { return QString::fromStdString(text); }

QString pairText(const store::RunRow& run) {
    if (run.teacher.empty()) return fromStd(run.student);
    return fromStd(run.teacher) + QStringLiteral(" → ") + fromStd(run.student);
}

}  // namespace

QueueTableModel::QueueTableModel(QObject* parent) : QAbstractTableModel(parent) {}

int QueueTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int QueueTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

void QueueTableModel::setScheduler(RunScheduler* scheduler) {
    scheduler_ = scheduler;
    refresh();
}

void QueueTableModel::setCluster(ClusterFollower* cluster) {
    cluster_ = cluster;
    refresh();
}

void QueueTableModel::setRuns(const RunList& runs) {
    runs_ = runs;
    refresh();
}

QList<QueueTableModel::Row> QueueTableModel::buildRows() const {
    QList<Row> rows;
    if (!scheduler_) return rows;
    QHash<qint64, const RunListEntry*> listed;
    for (const RunListEntry& entry : runs_) listed.insert(entry.run.id, &entry);
    // The scheduler's cached row is current for its own runs; the snapshot may lag behind it.
    auto rowOf = [&](qint64 runId) {
        if (std::optional<store::RunRow> known = scheduler_->runRow(runId)) return *known;
        if (const RunListEntry* entry = listed.value(runId)) return entry->run;
        store::RunRow unknown;
        unknown.id = runId;
        return unknown;
    };

    for (qint64 runId : scheduler_->runningRuns()) {
        Row row;
        row.group = Group::Running;
        row.run = rowOf(runId);
        row.progress = scheduler_->progressOf(runId);
        row.eta = scheduler_->etaSeconds(runId);
        rows.append(row);
    }
    for (qint64 runId : scheduler_->pendingRuns()) {
        Row row;
        row.group = Group::Waiting;
        row.run = rowOf(runId);
        row.resume = scheduler_->isResumePending(runId);
        row.waitReason = scheduler_->waitReason(runId);
        row.eta = scheduler_->etaSeconds(runId);
        rows.append(row);
    }

    QSet<qint64> onCluster;
    if (cluster_)
        for (qint64 runId : cluster_->followedRuns()) {
            if (scheduler_->isRunning(runId) || scheduler_->isPending(runId)) continue;
            Row row;
            row.group = Group::Cluster;
            // The follower reads the row after each merge, the poller on its own clock: the newer heartbeat wins.
            row.run = cluster_->runRow(runId).value_or(rowOf(runId));
            if (const RunListEntry* entry = listed.value(runId))
                if (entry->run.heartbeat.value_or(-1) > row.run.heartbeat.value_or(-1)) row.run = entry->run;
            rows.append(row);
            onCluster.insert(runId);
        }

    const QList<qint64> endedHere = scheduler_->endedRuns();
    QList<Row> ended;
    for (const RunListEntry& entry : runs_) {
        const store::RunRow& run = entry.run;
        if (scheduler_->isRunning(run.id) || scheduler_->isPending(run.id) || onCluster.contains(run.id)) continue;
        const bool attention = run.status == store::RunStatus::Failed || run.status == store::RunStatus::Killed;
        // A run that ended normally (finished, or pruned by its study's stopping rule) is listed only
        // when it ended in this queue or on the cluster; failed and killed runs always, they need attention.
        const bool endedNormally = run.status == store::RunStatus::Finished || run.status == store::RunStatus::Pruned;
        const bool endedOurs = endedHere.contains(run.id) || (cluster_ && cluster_->isClusterRun(run.id));
        if (!attention && !(endedNormally && endedOurs)) continue;
        Row row;
        row.group = Group::Ended;
        row.run = run;
        ended.append(row);
    }
    std::stable_sort(ended.begin(), ended.end(), [](const Row& a, const Row& b) {
        const double endA = a.run.finishedAt.value_or(0), endB = b.run.finishedAt.value_or(0);
        if (endA != endB) return endA > endB;
        return a.run.id > b.run.id;
    });
    rows += ended;
    return rows;
}

void QueueTableModel::refresh() {
    QList<Row> rows = buildRows();
    bool sameOrder = rows.size() == rows_.size();
    for (int i = 0; sameOrder && i < rows.size(); ++i)
        sameOrder = rows.at(i).run.id == rows_.at(i).run.id && rows.at(i).group == rows_.at(i).group;
    if (sameOrder) {
        rows_ = std::move(rows);
        if (!rows_.isEmpty()) emit dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        return;
    }
    beginResetModel();
    rows_ = std::move(rows);
    endResetModel();
}

QString QueueTableModel::statusText(const Row& row) const {
    switch (row.group) {
        case Group::Running:
            if (!row.progress) return tr("starting");
            if (row.progress->epochs > 0)
                return tr("running · epoch %1 of %2").arg(row.progress->epoch).arg(row.progress->epochs);
            return tr("running");
        case Group::Waiting:
            if (!row.waitReason.isEmpty()) return row.waitReason;
            return row.resume ? tr("waiting to resume") : tr("queued");
        case Group::Cluster: return cluster_ ? cluster_->statusText(row.run.id) : tr("on Slurm");
        case Group::Ended: return StatusIcons::statusName(row.run.status);
    }
    return {};
}

QString QueueTableModel::timeText(const Row& row) const {
    switch (row.group) {
        case Group::Running:
            return row.eta ? tr("%1 left").arg(RunHeader::formatDuration(*row.eta)) : tr("estimating…");
        case Group::Waiting:
            return row.eta ? tr("about %1").arg(RunHeader::formatDuration(*row.eta)) : tr("unknown");
        case Group::Cluster: {
            const auto job = cluster_ ? cluster_->job(row.run.id) : std::nullopt;
            return job && !job->slurmTask.empty() ? tr("job %1").arg(fromStd(job->slurmTask)) : QString();
        }
        case Group::Ended:
            if (!row.run.startedAt || !row.run.finishedAt) return {};
            if (row.run.status == store::RunStatus::Finished)
                return tr("took %1").arg(RunHeader::formatDuration(*row.run.finishedAt - *row.run.startedAt));
            return tr("stopped after %1").arg(RunHeader::formatDuration(*row.run.finishedAt - *row.run.startedAt));
    }
    return {};
}

QVariant QueueTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rows_.size()) return {};
    const Row& row = rows_.at(index.row());
    const store::RunRow& run = row.run;

    if (role == RunIdRole) return QVariant::fromValue<qint64>(run.id);
    if (role == GroupRole) return static_cast<int>(row.group);
    if (role == StatusRole) return static_cast<int>(*statusOfRun(run.id));
    if (role == WaitReasonRole) return row.waitReason;
    const bool clusterRunning = row.group == Group::Cluster && run.status == store::RunStatus::Running;
    if (role == ProgressRole) {
        if (clusterRunning) return run.progress;
        if (row.group != Group::Running) return {};
        return row.progress ? row.progress->fraction : run.progress;
    }
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
            case NameColumn: return run.name.empty() ? tr("run %1").arg(run.id) : fromStd(run.name);
            case StatusColumn: return statusText(row);
            case ProgressColumn: {
                if (row.group == Group::Running) {
                    const double done = row.progress ? row.progress->fraction : run.progress;
                    return QStringLiteral("%1%").arg(qRound(done * 100));
                }
                if (clusterRunning) return QStringLiteral("%1%").arg(qRound(run.progress * 100));
                if (row.resume) return tr("from %1%").arg(qRound(run.progress * 100));
                if (row.group == Group::Ended && run.status != store::RunStatus::Finished && run.progress > 0)
                    return tr("stopped at %1%").arg(qRound(run.progress * 100));
                return {};
            }
            case TimeColumn: return timeText(row);
            case MethodColumn: return fromStd(run.method);
            case PairColumn: return pairText(run);
        }
        return {};
    }
    if (role == Qt::DecorationRole && index.column() == StatusColumn)
        return StatusIcons::forStatus(*statusOfRun(run.id));
    if (role == Qt::ToolTipRole) {
        if (!run.error.empty() && row.group == Group::Ended) return plainToolTip(fromStd(run.error));
        // The reason is longer than the status column: the whole of it on hovering.
        if (index.column() == StatusColumn && !row.waitReason.isEmpty()) return plainToolTip(row.waitReason);
        if (row.group == Group::Cluster && cluster_) {
            const auto job = cluster_->job(run.id);
            if (!job) return {};
            return plainToolTip(tr("Slurm array task %1; the run's folder (shard, checkpoints) is %2 and the job's log "
                                   "%3/logs/%1.out. Its rows are merged into this store every few seconds.")
                                    .arg(fromStd(job->slurmTask), fromStd(job->runDir()), fromStd(job->sharedRoot)));
        }
        if (index.column() == TimeColumn && row.group == Group::Waiting)
            return tr("Estimated from the mean time of the finished runs of this method and student (of all "
                      "finished runs when none matches).");
        if (index.column() == TimeColumn && row.group == Group::Running && row.progress)
            return tr("The engine's estimate from its steps per second.");
        return {};
    }
    if (role == Qt::TextAlignmentRole && (index.column() == ProgressColumn || index.column() == TimeColumn))
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant QueueTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
        case NameColumn: return tr("Run");
        case StatusColumn: return tr("Status");
        case ProgressColumn: return tr("Progress");
        case TimeColumn: return tr("Time");
        case MethodColumn: return tr("Method");
        case PairColumn: return tr("Teacher → student");
    }
    return {};
}

QList<qint64> QueueTableModel::runIds() const {
    QList<qint64> ids;
    for (const Row& row : rows_) ids.append(row.run.id);
    return ids;
}

int QueueTableModel::rowOfRun(qint64 runId) const {
    for (int i = 0; i < rows_.size(); ++i)
        if (rows_.at(i).run.id == runId) return i;
    return -1;
}

qint64 QueueTableModel::runIdAt(int row) const { return row >= 0 && row < rows_.size() ? rows_.at(row).run.id : 0; }

std::optional<QueueTableModel::Group> QueueTableModel::groupOfRun(qint64 runId) const {
    const int row = rowOfRun(runId);
    if (row < 0) return std::nullopt;
    return rows_.at(row).group;
}

std::optional<store::RunStatus> QueueTableModel::statusOfRun(qint64 runId) const {
    const int row = rowOfRun(runId);
    if (row < 0) return std::nullopt;
    switch (rows_.at(row).group) {
        case Group::Running: return store::RunStatus::Running;
        case Group::Waiting: return store::RunStatus::Queued;
        case Group::Cluster:
        case Group::Ended: return rows_.at(row).run.status;
    }
    return std::nullopt;
}

}  // namespace distillery::views
