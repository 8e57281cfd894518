#include "CompareTableModel.h"

#include <limits>

#include "HeadlineResult.h"
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

QString statTip(SummaryStat stat, const QString& key) {
    switch (stat) {
        case SummaryStat::Last: return CompareTableModel::tr("%1 at the run's last logged step").arg(key);
        case SummaryStat::Best:
            return store::higherIsBetter(key.toStdString())
                       ? CompareTableModel::tr("Best (highest) %1 over the run").arg(key)
                       : CompareTableModel::tr("Best (lowest) %1 over the run").arg(key);
        case SummaryStat::Min: return CompareTableModel::tr("Lowest %1 over the run").arg(key);
        case SummaryStat::Max:
            if (isTestMetric(key))
                return CompareTableModel::tr("Highest %1 over the run: an epoch picked on the test set, not a model "
                                             "selection. The headline column reads the test accuracy at the best "
                                             "val/acc1.")
                    .arg(key);
            return CompareTableModel::tr("Highest %1 over the run").arg(key);
    }
    return {};
}

const QString kTestAcc1 = QString::fromStdString(store::metric::kTestAcc1);
const QString kValAcc1 = QString::fromStdString(store::metric::kValAcc1);

}  // namespace

CompareTableModel::CompareTableModel(QObject* parent)
    : QAbstractTableModel(parent),
      stats_{SummaryStat::Last, SummaryStat::Best, SummaryStat::Min, SummaryStat::Max} {}

int CompareTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(runs_.size());
}

int CompareTableModel::columnCount(const QModelIndex& parent) const {
    if (parent.isValid()) return 0;
    return FixedColumnCount + static_cast<int>(metricColumns_.size() + configKeys_.size());
}

CompareTableModel::ColumnKind CompareTableModel::columnKind(int column) const {
    if (column < FixedColumnCount) return ColumnKind::Fixed;
    if (column < FixedColumnCount + metricColumns_.size()) return ColumnKind::Metric;
    return ColumnKind::Config;
}

int CompareTableModel::metricColumn(const QString& key, SummaryStat stat) const {
    for (int i = 0; i < metricColumns_.size(); ++i)
        if (metricColumns_.at(i).key == key && metricColumns_.at(i).stat == stat) return FixedColumnCount + i;
    return -1;
}

int CompareTableModel::configColumn(const QString& key) const {
    const int index = static_cast<int>(configKeys_.indexOf(key));
    return index < 0 ? -1 : FixedColumnCount + static_cast<int>(metricColumns_.size()) + index;
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
    if (role == Qt::TextAlignmentRole && (column == SeedColumn || column == TestAtBestValColumn))
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (column == TestAtBestValColumn) {
        const store::ValidationSelection& selection = compared.selection;
        switch (role) {
            case Qt::DisplayRole:
                return selection.testAtBestVal ? formatMetricValue(kTestAcc1, *selection.testAtBestVal) : kDash;
            case SortRole: return selection.testAtBestVal ? *selection.testAtBestVal : kMissing;
            case ValueRole: return selection.testAtBestVal ? QVariant(*selection.testAtBestVal) : QVariant();
            case Qt::ToolTipRole: {
                const QString missing = HeadlineResult::missingReason(selection);
                if (!missing.isEmpty()) return missing;
                return tr("At step %1, the step of the best val/acc1 (%2 %)")
                    .arg(QString::number(*selection.bestValStep), formatMetricValue(kValAcc1, *selection.bestVal));
            }
        }
        return {};
    }
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

QVariant CompareTableModel::metricData(const ComparedRun& run, const MetricColumn& metric, int role) const {
    const std::optional<double> value = run.value(metric.key, metric.stat);
    switch (role) {
        case Qt::DisplayRole: return value ? formatMetricValue(metric.key, *value) : kDash;
        case SortRole: return value ? *value : kMissing;
        case ValueRole: return value ? QVariant(*value) : QVariant();
        case Qt::TextAlignmentRole: return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        case Qt::ToolTipRole:
            return value ? QVariant()
                         : QVariant(plainToolTip(tr("%1 logged no %2").arg(fromStd(run.run.name), metric.key)));
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
        case ColumnKind::Metric: return metricData(run, metricColumns_.at(column - FixedColumnCount), role);
        case ColumnKind::Config: {
            const QString& key = configKeys_.at(column - FixedColumnCount - metricColumns_.size());
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
            if (section == TestAtBestValColumn)
                return role == Qt::ToolTipRole ? HeadlineResult::explanation() : HeadlineResult::title();
            if (role == Qt::ToolTipRole) return {};
            static const char* const titles[TestAtBestValColumn] = {
                QT_TR_NOOP("Name"), QT_TR_NOOP("Status"), QT_TR_NOOP("Method"), QT_TR_NOOP("Teacher → student"),
                QT_TR_NOOP("Seed")};
            return tr(titles[section]);
        }
        case ColumnKind::Metric: {
            const MetricColumn& metric = metricColumns_.at(section - FixedColumnCount);
            if (role == Qt::ToolTipRole) return plainToolTip(statTip(metric.stat, metric.key));
            return metric.key + QLatin1Char(' ') + summaryStatName(metric.stat);
        }
        case ColumnKind::Config: {
            const QString& key = configKeys_.at(section - FixedColumnCount - metricColumns_.size());
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
    rebuildMetricColumns();
    endResetModel();
}

void CompareTableModel::setStats(const QList<SummaryStat>& stats) {
    if (stats == stats_) return;
    beginResetModel();
    stats_ = stats;
    rebuildMetricColumns();
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

void CompareTableModel::rebuildMetricColumns() {
    metricColumns_.clear();
    for (const QString& key : metrics_)
        for (SummaryStat stat : statsOffered(key, stats_)) metricColumns_.append({key, stat});
}

void CompareTableModel::rebuildColumns() {
    configKeys_ = differencesOnly_ ? differingKeys(runs_) : allConfigKeys(runs_);
    configIsNumeric_.clear();
    for (const QString& key : configKeys_) {
        bool numeric = true;
        for (const ComparedRun& run : runs_) {
            auto it = run.config.constFind(key);
            if (it != run.config.constEnd() && !isNumericValue(*it)) numeric = false;
        }
        configIsNumeric_.insert(key, numeric);
    }
}

}  // namespace distillery::views
