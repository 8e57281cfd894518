#pragma once
// The rows of the Queue panel: the runs a RunScheduler trains (oldest start first), then the runs
// waiting for a slot or for their teacher run (in start order; the status says which), then the runs
// on a Slurm cluster that have not ended there (ClusterFollower; by id), then the runs that need
// attention or just ended: every failed or killed run of the store, and the runs this
// scheduler trained to the end, latest end first.
//
// Rebuilt from the scheduler and the poller's snapshot on every change; a queue is short, so a full
// rebuild costs nothing, and rows whose run keeps its place emit dataChanged instead of a reset.
#include <optional>

#include <QAbstractTableModel>
#include <QList>
#include <QPointer>

#include "ClusterFollower.h"
#include "RunListEntry.h"
#include "RunProgress.h"
#include "RunScheduler.h"
#include "RunsTableModel.h"

namespace distillery::views {

class QueueTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { NameColumn, StatusColumn, ProgressColumn, TimeColumn, MethodColumn, PairColumn, ColumnCount };
    enum class Group { Running, Waiting, Cluster, Ended };
    enum Role {
        RunIdRole = Qt::UserRole + 1,                     // qint64
        // ProgressBarDelegate draws a bar where this role holds 0..1 (running rows only).
        ProgressRole = RunsTableModel::ProgressRole,
        GroupRole = Qt::UserRole + 20,                    // int(Group)
        StatusRole,                                       // int(store::RunStatus) as the row shows it
        WaitReasonRole,                                   // QString: why a waiting run waits for its teacher
    };

    explicit QueueTableModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // nullptr: no store open, no rows.
    void setScheduler(RunScheduler* scheduler);
    // The store's runs on a Slurm cluster; nullptr: none shown.
    void setCluster(ClusterFollower* cluster);
    // The poller's snapshot (newest first): names and statuses of runs that are not queued here.
    void setRuns(const RunList& runs);
    // Re-reads the scheduler's state.
    void refresh();

    QList<qint64> runIds() const;                 // in row order
    int rowOfRun(qint64 runId) const;             // -1 when absent
    qint64 runIdAt(int row) const;                // 0 when out of range
    std::optional<Group> groupOfRun(qint64 runId) const;
    // The status the row shows: running and waiting rows are "running"/"queued" whatever the store
    // says (a resume waits as a killed or failed run).
    std::optional<store::RunStatus> statusOfRun(qint64 runId) const;

private:
    struct Row {
        Group group = Group::Running;
        store::RunRow run;
        bool resume = false;                      // waiting to resume rather than to start
        QString waitReason;                       // waiting for its teacher run (RunScheduler::waitReason)
        std::optional<RunProgress> progress;
        std::optional<double> eta;                // running and waiting rows
    };
    QList<Row> buildRows() const;
    QString statusText(const Row& row) const;
    QString timeText(const Row& row) const;

    QPointer<RunScheduler> scheduler_;
    QPointer<ClusterFollower> cluster_;
    RunList runs_;
    QList<Row> rows_;
};

}  // namespace distillery::views
