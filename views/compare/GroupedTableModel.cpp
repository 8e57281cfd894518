#include "GroupedTableModel.h"

#include <limits>

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
    return parent.isValid() ? 0 : FixedColumnCount + static_cast<int>(metrics_.size() * stats_.size());
}

int GroupedTableModel::metricColumn(const QString& key, SummaryStat stat) const {
    const int metric = static_cast<int>(metrics_.indexOf(key));
    const int statIndex = static_cast<int>(stats_.indexOf(stat));
    if (metric < 0 || statIndex < 0) return -1;
    return FixedColumnCount + metric * static_cast<int>(stats_.size()) + statIndex;
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

    const int offset = column - FixedColumnCount;
    const QString& key = metrics_.at(offset / stats_.size());
    const SummaryStat stat = stats_.at(offset % stats_.size());
    const Aggregate a = aggregateOf(runs_, group.members, key, stat);
    switch (role) {
        case Qt::DisplayRole: return formatAggregate(a, metricDecimals(key));
        case SortRole: return a.n > 0 ? a.mean : kMissing;
        case MeanRole: return a.n > 0 ? QVariant(a.mean) : QVariant();
        case StdRole: return a.n > 0 ? QVariant(a.std) : QVariant();
        case CountRole: return a.n;
        case Qt::TextAlignmentRole: return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        case Qt::ToolTipRole: {
            QStringList values;
            for (int member : group.members) {
                const std::optional<double> value = runs_.at(member).value(key, stat);
                values.append(value ? formatMetricValue(key, *value) : QStringLiteral("—"));
            }
            // One .arg() call: a key holding "%3" stays as it is.
            return plainToolTip(tr("%1 %2 over %3 of %4 runs (mean ± sample std): %5")
                                    .arg(key, summaryStatName(stat), QString::number(a.n),
                                         QString::number(group.members.size()), values.join(QStringLiteral(", "))));
        }
    }
    return {};
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
    const int offset = section - FixedColumnCount;
    const QString& key = metrics_.at(offset / stats_.size());
    const SummaryStat stat = stats_.at(offset % stats_.size());
    if (role == Qt::DisplayRole) return key + QLatin1Char(' ') + summaryStatName(stat);
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
    endResetModel();
}

void GroupedTableModel::setStats(const QList<SummaryStat>& stats) {
    if (stats == stats_) return;
    beginResetModel();
    stats_ = stats;
    endResetModel();
}

}  // namespace distillery::views
