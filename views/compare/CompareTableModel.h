#pragma once
// The compared runs side by side, one row per run in the order they were selected: name (with the
// run's colour swatch, the same colour as its curves), status, method, teacher → student, seed, and
// the headline result (test accuracy at the best validation epoch); then for each chosen metric its
// last/best/min/max (no "best" for a test metric: statsOffered); then config columns: the keys whose
// values differ between the runs ("differences only", the default) or every key.
//
// SortRole gives numbers for numeric columns (a missing value sorts below every number), so a
// QSortFilterProxyModel with setSortRole(SortRole) sorts 9.5 before 10.
#include <QAbstractTableModel>
#include <QColor>
#include <QHash>

#include "RunComparison.h"

namespace distillery::views {

class CompareTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum FixedColumn { NameColumn, StatusColumn, MethodColumn, PairColumn, SeedColumn, TestAtBestValColumn,
                       FixedColumnCount };
    enum Role {
        RunIdRole = Qt::UserRole + 1,   // qint64
        SortRole,                       // double for numeric columns, text otherwise
        ValueRole,                      // the number behind a metric cell; invalid when the run lacks it
    };
    enum class ColumnKind { Fixed, Metric, Config };

    explicit CompareTableModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void setRuns(const QList<ComparedRun>& runs);
    void setMetrics(const QStringList& keys);             // the chosen metrics, in column order
    // Per metric (less Best for a test metric); default last, best, min, max.
    void setStats(const QList<SummaryStat>& stats);
    void setDifferencesOnly(bool differencesOnly);
    void setRunColors(const QHash<qint64, QColor>& colors);

    const QList<ComparedRun>& runs() const { return runs_; }
    QStringList metrics() const { return metrics_; }
    QList<SummaryStat> stats() const { return stats_; }
    bool differencesOnly() const { return differencesOnly_; }
    QStringList configKeys() const { return configKeys_; }   // the config columns shown, in order

    ColumnKind columnKind(int column) const;
    int metricColumn(const QString& key, SummaryStat stat) const;   // -1 when not shown
    int configColumn(const QString& key) const;                      // -1 when not shown
    int rowOfRun(qint64 runId) const;                                // -1 when absent

private:
    struct MetricColumn {
        QString key;
        SummaryStat stat;
    };
    void rebuildColumns();
    void rebuildMetricColumns();
    QVariant fixedData(const ComparedRun& run, int column, int role) const;
    QVariant metricData(const ComparedRun& run, const MetricColumn& metric, int role) const;

    QList<ComparedRun> runs_;
    QStringList metrics_;
    QList<SummaryStat> stats_;
    QList<MetricColumn> metricColumns_;   // metrics_ × statsOffered, in column order
    bool differencesOnly_ = true;
    QStringList configKeys_;
    QHash<QString, bool> configIsNumeric_;   // every run's value of the key is a number
    QHash<qint64, QColor> runColors_;
};

}  // namespace distillery::views
