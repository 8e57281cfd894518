#include "CompareTableModel.h"

#include <limits>

#include "PlainText.h"
#include "StatusIcons.h"
#include "store/Results.h"

namespace distillery::views {

namespace {

constexpr double kMissing = -std::numeric_limits<double>::infinity();
const QString kDash = QStringLiteral("—");

QString fromStd(const std::string& text) { return QString::fromStdString(text); }

QString pairText(const store::RunRow& run) {
    // A run without a teacher (plain cross-entropy) shows only its student.
    if (run.teacher.empty()) return fromStd(run.student);
    return fromStd(run.teacher) + QStringLiteral(" → ") + fromStd(run.student);
}

bool isNumber(const QVariant& value) {
    switch (value.metaType().id()) {
        case QMetaType::Int:
        case QMetaType::LongLong:
        case QMetaType::Double: return true;
        default: return false;
    }
}

QString statTip(SummaryStat stat, const QString& key) {
    switch (stat) {
        case SummaryStat::Last: return CompareTableModel::tr("%1 at the run's last logged step").arg(key);
        case SummaryStat::Best:
            return store::higherIsBetter(key.toStdString())
                       ? CompareTableModel::tr("Best (highest) %1 over the run").arg(key)
                       : CompareTableModel::tr("Best (lowest) %1 over the run").arg(key);
        case SummaryStat::Min: return CompareTableModel::tr("Lowest %1 over the run").arg(key);
        case SummaryStat::Max: return CompareTableModel::tr("Highest %1 over the run").arg(key);
    }
    return {};
}

}  // namespace

CompareTableModel::CompareTableModel(QObject* parent)
    : QAbstractTableModel(parent),
      stats_{SummaryStat::Last, SummaryStat::Best, SummaryStat::Min, SummaryStat::Max} {}

int CompareTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(runs_.size());
}

int CompareTableModel::columnCount(const QModelIndex& parent) const {
    if (parent.isValid()) return 0;
    return FixedColumnCount + static_cast<int>(metrics_.size() * stats_.size() + configKeys_.size());
}

CompareTableModel::ColumnKind CompareTableModel::columnKind(int column) const {
    if (column < FixedColumnCount) return ColumnKind::Fixed;
    if (column < FixedColumnCount + metrics_.size() * stats_.size()) return ColumnKind::Metric;
    return ColumnKind::Config;
}

int CompareTableModel::metricColumn(const QString& key, SummaryStat stat) const {
    const int metric = static_cast<int>(metrics_.indexOf(key));
    const int statIndex = static_cast<int>(stats_.indexOf(stat));
    if (metric < 0 || statIndex < 0) return -1;
    return FixedColumnCount + metric * static_cast<int>(stats_.size()) + statIndex;
}

int CompareTableModel::configColumn(const QString& key) const {
    const int index = static_cast<int>(configKeys_.indexOf(key));
    return index < 0 ? -1 : FixedColumnCount + static_cast<int>(metrics_.size() * stats_.size()) + index;
}

int CompareTableModel::rowOfRun(qint64 runId) const {
    for (int row = 0; row < runs_.size(); ++row)
        if (runs_.at(row).run.id == runId) return row;
    return -1;
}

QVariant CompareTableModel::fixedData(const ComparedRun& compared, int column, int role) const {
    const store::RunRow& run = compared.run;
    if (role == Qt::DecorationRole) {
        if (column == NameColumn) return runColors_.value(run.id);   // the swatch of its curves
        if (column == StatusColumn) return StatusIcons::forStatus(run.status);
        return {};
    }
    // Tool tips render markup; names, keys and errors are the user's text (plainToolTip throughout).
    if (role == Qt::ToolTipRole && !run.error.empty()) return plainToolTip(fromStd(run.error));
    if (role == Qt::TextAlignmentRole && column == SeedColumn) return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole && role != SortRole) return {};
    switch (column) {
        case NameColumn: return fromStd(run.name);
        case StatusColumn: return StatusIcons::statusName(run.status);
        case MethodColumn: return fromStd(run.method);
        case PairColumn: return pairText(run);
        case SeedColumn: return role == SortRole ? QVariant(static_cast<double>(run.seed)) : QVariant(QString::number(run.seed));
    }
    return {};
}

QVariant CompareTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= runs_.size() || index.column() >= columnCount()) return {};
    const ComparedRun& run = runs_.at(index.row());
    const int column = index.column();
    if (role == RunIdRole) return QVariant::fromValue<qint64>(run.run.id);

    switch (columnKind(column)) {
        case ColumnKind::Fixed: return fixedData(run, column, role);
        case ColumnKind::Metric: {
            const int offset = column - FixedColumnCount;
            const QString& key = metrics_.at(offset / stats_.size());
            const SummaryStat stat = stats_.at(offset % stats_.size());
            const std::optional<double> value = run.value(key, stat);
            switch (role) {
                case Qt::DisplayRole: return value ? formatMetricValue(key, *value) : kDash;
                case SortRole: return value ? *value : kMissing;
                case ValueRole: return value ? QVariant(*value) : QVariant();
                case Qt::TextAlignmentRole: return QVariant(Qt::AlignRight | Qt::AlignVCenter);
                case Qt::ToolTipRole:
                    return value ? QVariant()
                                 : QVariant(plainToolTip(tr("%1 logged no %2").arg(fromStd(run.run.name), key)));
            }
            return {};
        }
        case ColumnKind::Config: {
            const QString& key = configKeys_.at(column - FixedColumnCount - metrics_.size() * stats_.size());
            auto it = run.config.constFind(key);
            const bool present = it != run.config.constEnd();
            switch (role) {
                case Qt::DisplayRole: return present ? configValueText(*it) : kDash;
                case SortRole:
                    if (configIsNumeric_.value(key)) return present ? it->toDouble() : kMissing;
                    return present ? configValueText(*it) : QString();
                case Qt::TextAlignmentRole:
                    if (configIsNumeric_.value(key)) return QVariant(Qt::AlignRight | Qt::AlignVCenter);
                    return {};
                case Qt::ToolTipRole:
                    return present
                               ? QVariant()
                               : QVariant(plainToolTip(tr("The spec of %1 has no %2").arg(fromStd(run.run.name), key)));
            }
            return {};
        }
    }
    return {};
}

QVariant CompareTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= columnCount()) return {};
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole) return {};
    switch (columnKind(section)) {
        case ColumnKind::Fixed: {
            if (role == Qt::ToolTipRole) return {};
            static const char* const titles[FixedColumnCount] = {
                QT_TR_NOOP("Name"), QT_TR_NOOP("Status"), QT_TR_NOOP("Method"), QT_TR_NOOP("Teacher → student"),
                QT_TR_NOOP("Seed")};
            return tr(titles[section]);
        }
        case ColumnKind::Metric: {
            const int offset = section - FixedColumnCount;
            const QString& key = metrics_.at(offset / stats_.size());
            const SummaryStat stat = stats_.at(offset % stats_.size());
            if (role == Qt::ToolTipRole) return plainToolTip(statTip(stat, key));
            return key + QLatin1Char(' ') + summaryStatName(stat);
        }
        case ColumnKind::Config: {
            const QString& key = configKeys_.at(section - FixedColumnCount - metrics_.size() * stats_.size());
            if (role == Qt::ToolTipRole) return plainToolTip(tr("Spec field %1").arg(key));
            return key;
        }
    }
    return {};
}

void CompareTableModel::setRuns(const QList<ComparedRun>& runs) {
    beginResetModel();
    runs_ = runs;
    rebuildColumns();
    endResetModel();
}

void CompareTableModel::setMetrics(const QStringList& keys) {
    if (keys == metrics_) return;
    beginResetModel();
    metrics_ = keys;
    endResetModel();
}

void CompareTableModel::setStats(const QList<SummaryStat>& stats) {
    if (stats == stats_) return;
    beginResetModel();
    stats_ = stats;
    endResetModel();
}

void CompareTableModel::setDifferencesOnly(bool differencesOnly) {
    if (differencesOnly == differencesOnly_) return;
    beginResetModel();
    differencesOnly_ = differencesOnly;
    rebuildColumns();
    endResetModel();
}

void CompareTableModel::setRunColors(const QHash<qint64, QColor>& colors) {
    runColors_ = colors;
    if (!runs_.isEmpty()) emit dataChanged(index(0, NameColumn), index(rowCount() - 1, NameColumn), {Qt::DecorationRole});
}

void CompareTableModel::rebuildColumns() {
    configKeys_ = differencesOnly_ ? differingKeys(runs_) : allConfigKeys(runs_);
    configIsNumeric_.clear();
    for (const QString& key : configKeys_) {
        bool numeric = true;
        for (const ComparedRun& run : runs_) {
            auto it = run.config.constFind(key);
            if (it != run.config.constEnd() && !isNumber(*it)) numeric = false;
        }
        configIsNumeric_.insert(key, numeric);
    }
}

}  // namespace distillery::views
