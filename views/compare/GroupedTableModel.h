#pragma once
// The compared runs grouped by configuration across seeds (groupRuns): one row per group with its
// label, the number of runs, the headline (test accuracy at the best validation epoch), and for each
// chosen metric the mean ± sample std of the runs' best and last values (no "best" for a test metric:
// statsOffered). SortRole gives the mean (a group without the metric sorts below every number).
#include <QAbstractTableModel>

#include "RunComparison.h"

namespace distillery::views {

class GroupedTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum FixedColumn { LabelColumn, RunsColumn, TestAtBestValColumn, FixedColumnCount };
    enum Role {
        SortRole = Qt::UserRole + 1,   // double for numeric columns, text otherwise
        MeanRole,                      // the aggregate's mean; invalid when no run of the group has the metric
        StdRole,                       // its sample std
        CountRole,                     // how many of the group's runs have the metric
    };

    explicit GroupedTableModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void setRuns(const QList<ComparedRun>& runs, const QStringList& acrossKeys = defaultAcrossKeys());
    void setMetrics(const QStringList& keys);
    // The statistics aggregated per metric, in column order (less Best for a test metric); default best, last.
    void setStats(const QList<SummaryStat>& stats);

    const QList<RunGroup>& groups() const { return groups_; }
    const QList<ComparedRun>& runs() const { return runs_; }
    QStringList metrics() const { return metrics_; }
    QList<SummaryStat> stats() const { return stats_; }
    Aggregate aggregateAt(int row, const QString& key, SummaryStat stat) const;
    int metricColumn(const QString& key, SummaryStat stat) const;   // -1 when not shown

private:
    struct MetricColumn {
        QString key;
        SummaryStat stat;
    };
    void rebuildMetricColumns();
    // Display, sort, mean, std, count and alignment of an aggregate; the tool tip is the caller's.
    static QVariant aggregateData(const Aggregate& a, int decimals, int role);

    QList<ComparedRun> runs_;
    QList<RunGroup> groups_;
    QStringList metrics_;
    QList<SummaryStat> stats_;
    QList<MetricColumn> metricColumns_;   // metrics_ × statsOffered, in column order
};

}  // namespace distillery::views
