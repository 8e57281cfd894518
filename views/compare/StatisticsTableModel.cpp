#include "StatisticsTableModel.h"

#include <cmath>

#include <QFont>

#include "PlainText.h"

namespace distillery::views {

namespace {

const QString kDash = QStringLiteral("—");

bool finite(double value) { return std::isfinite(value); }

QString reasonText(const std::string& reason) { return QString::fromStdString(reason); }

}  // namespace

StatisticsTableModel::StatisticsTableModel(QObject* parent) : QAbstractTableModel(parent) {}

int StatisticsTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(statistics_.rows.size());
}

int StatisticsTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

// ---- inputs --------------------------------------------------------------------------------------

void StatisticsTableModel::setRuns(const QList<ComparedRun>& runs) {
    runs_ = runs;
    groups_ = groupRuns(runs_);
    recompute();
}

void StatisticsTableModel::setMetric(const StatisticsMetric& metric) {
    if (metric == metric_) return;
    metric_ = metric;
    recompute();
}

void StatisticsTableModel::setConfidence(double confidence) {
    if (confidence == confidence_ || !(confidence > 0.0 && confidence < 1.0)) return;
    confidence_ = confidence;
    recompute();
}

void StatisticsTableModel::setBaseline(int row) {
    if (row < 0 || row >= groups_.size()) return;
    preferredBaseline_ = groups_.at(row).label;
    if (row != statistics_.baseline) recompute();
}

void StatisticsTableModel::setBaselineLabel(const QString& label) {
    preferredBaseline_ = label;
    if (!groups_.isEmpty()) recompute();
}

QString StatisticsTableModel::baselineLabel() const {
    if (statistics_.baseline >= 0) return statistics_.rows.at(statistics_.baseline).label;
    return preferredBaseline_;
}

QStringList StatisticsTableModel::configurationLabels() const {
    QStringList labels;
    for (const RunGroup& group : groups_) labels.append(group.label);
    return labels;
}

void StatisticsTableModel::recompute() {
    int baseline = -1;
    for (int g = 0; g < groups_.size() && baseline < 0; ++g)
        if (!preferredBaseline_.isEmpty() && groups_.at(g).label == preferredBaseline_) baseline = g;
    beginResetModel();
    statistics_ = ConfigurationStatistics::compute(runs_, groups_, metric_, baseline, confidence_);
    endResetModel();
    emit statisticsChanged();
}

// ---- texts ---------------------------------------------------------------------------------------

QString StatisticsTableModel::pText(double p) {
    if (!finite(p)) return kDash;
    if (p < 0.001) return QStringLiteral("<0.001");
    return QString::number(p, 'f', 3);
}

QString StatisticsTableModel::tText(double t) { return finite(t) ? QString::number(t, 'f', 2) : kDash; }

QString StatisticsTableModel::dfText(double df) {
    if (!finite(df)) return kDash;
    // A paired test has n - 1 degrees of freedom; Welch's are fractional.
    return df == std::floor(df) ? QString::number(static_cast<qlonglong>(df)) : QString::number(df, 'f', 2);
}

QString StatisticsTableModel::signedText(double value, int decimals) {
    if (!finite(value)) return kDash;
    const QString text = QString::number(value, 'f', decimals);
    // "+0.00" for a difference that rounds to zero from either side: no "-0.00".
    if (text.startsWith(QLatin1Char('-')) && text.mid(1).toDouble() == 0.0) return QLatin1Char('+') + text.mid(1);
    return value >= 0 ? QLatin1Char('+') + text : text;
}

QString StatisticsTableModel::intervalText(double low, double high, int decimals, bool withSign) {
    if (!finite(low) || !finite(high)) return kDash;
    const auto number = [&](double v) { return withSign ? signedText(v, decimals) : QString::number(v, 'f', decimals); };
    return QLatin1Char('[') + number(low) + QStringLiteral(", ") + number(high) + QLatin1Char(']');
}

QString StatisticsTableModel::confidenceText(double confidence) {
    return QString::number(confidence * 100.0, 'g', 3) + QLatin1Char('%');
}

// ---- cells ---------------------------------------------------------------------------------------

QString StatisticsTableModel::reasonOf(const ConfigurationRow& row, int column) const {
    switch (column) {
        case MeanColumn:
            return finite(row.sample.mean) ? QString() : reasonText(row.sample.reason);
        case IntervalColumn:
            return finite(row.sample.ciLow) ? QString() : reasonText(row.sample.reason);
        case DifferenceColumn: case TColumn: case DfColumn: case PColumn: case HolmColumn: case SignificanceColumn:
            return row.isBaseline || row.test().possible ? QString() : reasonText(row.test().reason);
        default:
            return {};
    }
}

QString StatisticsTableModel::cellText(const ConfigurationStatistics& statistics, const ConfigurationRow& row,
                                       int column) {
    const int decimals = statistics.metric.decimals();
    const stats::Comparison& test = row.test();
    switch (column) {
        case ConfigurationColumn: return row.label;
        case RunsColumn:
            // Runs without a value of the metric do not count; say so rather than hide them.
            return row.missing.isEmpty() ? QString::number(row.n())
                                         : tr("%1 of %2").arg(row.n()).arg(row.members.size());
        case MeanColumn: {
            if (!finite(row.sample.mean)) return kDash;
            Aggregate a;
            a.n = row.n();
            a.mean = row.sample.mean;
            a.std = finite(row.sample.std) ? row.sample.std : 0.0;
            return formatAggregate(a, decimals);
        }
        case IntervalColumn: return intervalText(row.sample.ciLow, row.sample.ciHigh, decimals, false);
        case DifferenceColumn:
            if (row.isBaseline) return tr("baseline");
            if (!test.possible) return signedText(test.difference, decimals);   // "—" without both means
            return signedText(test.difference, decimals) + QLatin1Char(' ') +
                   intervalText(test.ciLow, test.ciHigh, decimals, true);
        case TestColumn:
            if (row.isBaseline) return QString();
            return row.testUsed == stats::TestKind::Paired ? tr("paired") : tr("Welch");
        case TColumn: return row.isBaseline ? QString() : test.possible ? tText(test.t) : kDash;
        case DfColumn: return row.isBaseline ? QString() : test.possible ? dfText(test.df) : kDash;
        case PColumn: return row.isBaseline ? QString() : test.possible ? pText(test.p) : kDash;
        case HolmColumn: return row.isBaseline ? QString() : test.possible && !row.reference ? pText(test.pHolm) : kDash;
        case SignificanceColumn:
            if (row.isBaseline) return QString();
            if (!test.possible || row.reference) return kDash;
            return row.significant ? QStringLiteral("●") : QStringLiteral("○");
        default: return {};
    }
}

QVariant StatisticsTableModel::value(const ConfigurationRow& row, int column) const {
    const stats::Comparison& test = row.test();
    const auto number = [](double v) { return finite(v) ? QVariant(v) : QVariant(); };
    switch (column) {
        case RunsColumn: return static_cast<double>(row.n());
        case MeanColumn: return number(row.sample.mean);
        case DifferenceColumn: return row.isBaseline ? QVariant() : number(test.difference);
        case TColumn: return row.isBaseline || !test.possible ? QVariant() : number(test.t);
        case DfColumn: return row.isBaseline || !test.possible ? QVariant() : number(test.df);
        case PColumn: return row.isBaseline || !test.possible ? QVariant() : number(test.p);
        case HolmColumn: return row.isBaseline || row.reference || !test.possible ? QVariant() : number(test.pHolm);
        default: return {};
    }
}

QVariant StatisticsTableModel::toolTip(const ConfigurationRow& row, int column) const {
    const QString reason = reasonOf(row, column);
    if (!reason.isEmpty()) return plainToolTip(reason);
    const stats::Comparison& test = row.test();
    switch (column) {
        case ConfigurationColumn: {
            QStringList names;
            for (int member : row.members) names.append(QString::fromStdString(runs_.at(member).run.name));
            QString text = tr("Runs: %1").arg(names.join(QStringLiteral(", ")));
            if (row.isBaseline) text += QLatin1Char('\n') + tr("Every other configuration is compared with this one.");
            return plainToolTip(text);
        }
        case RunsColumn:
            if (row.missing.isEmpty()) return tr("Runs with a value of %1").arg(statistics_.metric.title());
            return plainToolTip(tr("Left out, without a value of %1:\n%2")
                                    .arg(statistics_.metric.title(), row.missing.join(QLatin1Char('\n'))));
        case MeanColumn: return tr("Mean ± sample standard deviation (n - 1) over the configuration's runs");
        case IntervalColumn:
            return tr("%1 confidence interval of the mean (Student's t, n - 1 degrees of freedom)")
                .arg(confidenceText(statistics_.confidence));
        case DifferenceColumn:
            if (row.isBaseline) return {};
            return row.testUsed == stats::TestKind::Paired
                       ? tr("Mean of the differences over the %1 seeds both configurations have, with its %2 "
                            "confidence interval")
                             .arg(test.nCandidate)
                             .arg(confidenceText(statistics_.confidence))
                       : tr("Difference of the means (this configuration minus the baseline), with its %1 "
                            "confidence interval (Welch)")
                             .arg(confidenceText(statistics_.confidence));
        case TestColumn: {
            if (row.isBaseline) return {};
            if (row.testUsed == stats::TestKind::Paired)
                return tr("Paired t-test over the %1 seeds both configurations have").arg(test.nCandidate);
            // Why not paired: the library's own sentence.
            return plainToolTip(tr("Welch's t-test (unequal variances); no paired test: %1")
                                    .arg(reasonText(row.paired.reason)));
        }
        case HolmColumn:
        case SignificanceColumn:
            if (row.isBaseline) return {};
            if (row.reference)
                return tr("Shown for reference: a study's teachers are compared with its students, but they are "
                          "not candidates, so Holm's correction does not count them");
            if (column == SignificanceColumn)
                return (row.significant ? tr("Significant: p (Holm) < %1") : tr("Not significant: p (Holm) ≥ %1"))
                    .arg(QString::number(statistics_.alpha, 'g', 3));
            return tr("p adjusted with Holm's step-down method over the %1 %2 comparisons with the baseline")
                .arg(statistics_.comparisonsOf(row.testUsed))
                .arg(row.testUsed == stats::TestKind::Paired ? tr("paired") : tr("Welch"));
        default: return {};
    }
}

QVariant StatisticsTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= statistics_.rows.size() || index.column() >= ColumnCount) return {};
    const ConfigurationRow& row = statistics_.rows.at(index.row());
    const int column = index.column();
    switch (role) {
        case Qt::DisplayRole: return cellText(statistics_, row, column);
        case Qt::ToolTipRole: return toolTip(row, column);
        case ValueRole: return value(row, column);
        case SignificantRole: return row.significant;
        case BaselineRole: return row.isBaseline;
        case ReasonRole: return reasonOf(row, column);
        case Qt::TextAlignmentRole:
            if (column == ConfigurationColumn || column == TestColumn) return QVariant(Qt::AlignLeft | Qt::AlignVCenter);
            if (column == SignificanceColumn) return QVariant(Qt::AlignCenter);
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        case Qt::FontRole:
            // The baseline and the significant differences stand out without colour.
            if (row.isBaseline && column == ConfigurationColumn) {
                QFont font;
                font.setItalic(true);
                return font;
            }
            if (row.significant && (column == DifferenceColumn || column == HolmColumn || column == SignificanceColumn)) {
                QFont font;
                font.setBold(true);
                return font;
            }
            return {};
        default: return {};
    }
}

QVariant StatisticsTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount) return {};
    if (role == Qt::DisplayRole) return headerText(section, statistics_.confidence);
    if (role == Qt::ToolTipRole) {
        switch (section) {
            case ConfigurationColumn: return tr("Runs whose specs agree except for name, seed and teacher run");
            case RunsColumn: return tr("Runs (seeds) with a value of the metric");
            case TestColumn:
                return tr("The paired t-test where at least 2 seeds are common to the configuration and the "
                          "baseline (pairs by seed), else Welch's t-test");
            case PColumn: return tr("Two-sided p of the test, before correction");
            case HolmColumn:
                return tr("p corrected for testing every configuration against the same baseline (Holm), "
                          "separately for the Welch and the paired tests");
            case SignificanceColumn:
                return tr("● p (Holm) < %1; ○ not significant; — no test possible")
                    .arg(QString::number(statistics_.alpha, 'g', 3));
            default: return {};
        }
    }
    return {};
}

QString StatisticsTableModel::headerText(int column, double confidence) {
    const QString level = confidenceText(confidence);
    switch (column) {
        case ConfigurationColumn: return tr("Configuration");
        case RunsColumn: return tr("n");
        case MeanColumn: return tr("Mean ± std");
        case IntervalColumn: return tr("%1 CI").arg(level);
        case DifferenceColumn: return tr("Δ vs baseline [%1 CI]").arg(level);
        case TestColumn: return tr("Test");
        case TColumn: return tr("t");
        case DfColumn: return tr("df");
        case PColumn: return tr("p");
        case HolmColumn: return tr("p (Holm)");
        case SignificanceColumn: return tr("Sig.");
        default: return {};
    }
}

}  // namespace distillery::views
