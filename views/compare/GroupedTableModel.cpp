#include "GroupedTableModel.h"

#include <limits>

#include "HeadlineResult.h"
#include "PlainText.h"

namespace distillery::views {

namespace {
constexpr double kMissing = -std::numeric_limits<double>::infinity();
}  // namespace

GroupedTableModel::GroupedTableModel(QObject* parent)
    : QAbstractTableModel(parent), stats_{SummaryStat::Best, SummaryStat::Last} {}

int GroupedTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(groups_.size());
}

int GroupedTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : FixedColumnCount + static_cast<int>(metricColumns_.size());
}

int GroupedTableModel::metricColumn(const QString& key, SummaryStat stat) const {
    for (int i = 0; i < metricColumns_.size(); ++i)
        if (metricColumns_.at(i).key == key && metricColumns_.at(i).stat == stat) return FixedColumnCount + i;
    return -1;
}

QVariant GroupedTableModel::aggregateData(const Aggregate& a, int decimals, int role) {
    switch (role) {
        case Qt::DisplayRole: return formatAggregate(a, decimals);
        case SortRole: return a.n > 0 ? a.mean : kMissing;
        case MeanRole: return a.n > 0 ? QVariant(a.mean) : QVariant();
        case StdRole: return a.n > 0 ? QVariant(a.std) : QVariant();
        case CountRole: return a.n;
        case Qt::TextAlignmentRole: return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    }
    return {};
}

Aggregate GroupedTableModel::aggregateAt(int row, const QString& key, SummaryStat stat) const {
    if (row < 0 || row >= groups_.size()) return {};
    return aggregateOf(runs_, groups_.at(row).members, key, stat);
}

QVariant GroupedTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= groups_.size() || index.column() >= columnCount()) return {};
    const RunGroup& group = groups_.at(index.row());
    const int column = index.column();

    if (column == LabelColumn) {
        if (role == Qt::DisplayRole || role == SortRole) return group.label;
        if (role == Qt::ToolTipRole) {
            QStringList names;
            for (int member : group.members) names.append(QString::fromStdString(runs_.at(member).run.name));
            return plainToolTip(tr("Runs: %1").arg(names.join(QStringLiteral(", "))));
        }
        return {};
    }
    if (column == RunsColumn) {
        if (role == Qt::DisplayRole) return QString::number(group.members.size());
        if (role == SortRole) return static_cast<double>(group.members.size());
        if (role == Qt::TextAlignmentRole) return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    }

    if (column == TestAtBestValColumn) {
        const QString testKey = QString::fromStdString(store::metric::kTestAcc1);
        const Aggregate a = aggregateTestAtBestVal(runs_, group.members);
        if (role != Qt::ToolTipRole) return aggregateData(a, metricDecimals(testKey), role);
        QStringList values;
        for (int member : group.members) {
            const std::optional<double>& value = runs_.at(member).selection.testAtBestVal;
            values.append(value ? formatMetricValue(testKey, *value) : QStringLiteral("—"));
        }
        return tr("Test accuracy at the best validation epoch over %1 of %2 runs (mean ± sample std): %3")
            .arg(QString::number(a.n), QString::number(group.members.size()), values.join(QStringLiteral(", ")));
    }

    const MetricColumn& metric = metricColumns_.at(column - FixedColumnCount);
    const Aggregate a = aggregateOf(runs_, group.members, metric.key, metric.stat);
    if (role != Qt::ToolTipRole) return aggregateData(a, metricDecimals(metric.key), role);
    QStringList values;
    for (int member : group.members) {
        const std::optional<double> value = runs_.at(member).value(metric.key, metric.stat);
        values.append(value ? formatMetricValue(metric.key, *value) : QStringLiteral("—"));
    }
    // One .arg() call: a key holding "%3" stays as it is.
    return plainToolTip(tr("%1 %2 over %3 of %4 runs (mean ± sample std): %5")
                            .arg(metric.key, summaryStatName(metric.stat), QString::number(a.n),
                                 QString::number(group.members.size()), values.join(QStringLiteral(", "))));
}

QVariant GroupedTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= columnCount()) return {};
    if (section == LabelColumn) {
        if (role == Qt::DisplayRole) return tr("Configuration");
        if (role == Qt::ToolTipRole) return tr("Runs whose specs agree except for name, seed and teacher run");
        return {};
    }
    if (section == RunsColumn) {
        if (role == Qt::DisplayRole) return tr("Runs");
        return {};
    }
    if (section == TestAtBestValColumn) {
        if (role == Qt::DisplayRole) return HeadlineResult::title();
        if (role == Qt::ToolTipRole)
            return HeadlineResult::explanation() + tr(" Mean ± sample standard deviation over the group's runs.");
        return {};
    }
    const MetricColumn& metric = metricColumns_.at(section - FixedColumnCount);
    if (role == Qt::DisplayRole) return metric.key + QLatin1Char(' ') + summaryStatName(metric.stat);
    if (role == Qt::ToolTipRole) return tr("Mean ± sample standard deviation over the group's runs");
    return {};
}

void GroupedTableModel::setRuns(const QList<ComparedRun>& runs, const QStringList& acrossKeys) {
    beginResetModel();
    runs_ = runs;
    groups_ = groupRuns(runs_, acrossKeys);
    endResetModel();
}

void GroupedTableModel::setMetrics(const QStringList& keys) {
    if (keys == metrics_) return;
    beginResetModel();
    metrics_ = keys;
    rebuildMetricColumns();
    endResetModel();
}

void GroupedTableModel::setStats(const QList<SummaryStat>& stats) {
    if (stats == stats_) return;
    beginResetModel();
    stats_ = stats;
    rebuildMetricColumns();
    endResetModel();
}

void GroupedTableModel::rebuildMetricColumns() {
    metricColumns_.clear();
    for (const QString& key : metrics_)
        for (SummaryStat stat : statsOffered(key, stats_)) metricColumns_.append({key, stat});
}

}  // namespace distillery::views
