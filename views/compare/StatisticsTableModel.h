#pragma once
// The Statistics table of Compare: ConfigurationStatistics of the compared runs as one row per
// configuration — n, mean ± std, the CI of the mean, the difference to the baseline with its CI, the
// test used (paired where seeds pair up, else Welch), t, df, p, Holm's p and a significance mark.
// A test that cannot be done shows "—" with the reason in the tool tip, never a number.
//
// The model keeps its inputs (runs, metric, baseline, confidence) and
// recomputes whenever one changes. The chosen baseline is remembered by label, so a new selection of
// runs that holds the same configuration keeps it as baseline.
#include <QAbstractTableModel>

#include "ConfigurationStatistics.h"

namespace distillery::views {

class StatisticsTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        ConfigurationColumn,
        RunsColumn,
        MeanColumn,          // mean ± sample std
        IntervalColumn,      // CI of the mean
        DifferenceColumn,    // Δ vs baseline [CI]; "baseline" on the baseline's row
        TestColumn,          // "paired" or "Welch"
        TColumn,
        DfColumn,
        PColumn,
        HolmColumn,          // p (Holm)
        SignificanceColumn,  // ● significant after Holm, ○ not
        ColumnCount
    };
    enum Role {
        ValueRole = Qt::UserRole + 1,   // the cell's number (double); invalid for text cells and impossible tests
        SignificantRole,                // bool, on every cell of a row
        BaselineRole,                   // bool, on every cell of a row
        ReasonRole,                     // why the row's test (or the cell's figure) is impossible; "" otherwise
    };

    explicit StatisticsTableModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // Grouped by groupRuns. The baseline becomes the remembered label's configuration if the runs have
    // it, else the default (ConfigurationStatistics::defaultBaseline).
    void setRuns(const QList<ComparedRun>& runs);
    void setMetric(const StatisticsMetric& metric);
    void setConfidence(double confidence);
    void setBaseline(int row);                     // a row (= a configuration); remembers its label
    void setBaselineLabel(const QString& label);   // remembered even when no configuration has it now

    const QList<ComparedRun>& runs() const { return runs_; }
    const ConfigurationStatistics& statistics() const { return statistics_; }
    StatisticsMetric metric() const { return metric_; }
    double confidence() const { return confidence_; }
    int baseline() const { return statistics_.baseline; }
    QString baselineLabel() const;                 // the baseline's label, or the remembered one without runs
    QStringList configurationLabels() const;

    // Cell texts, shared with reports: p below 0.001 as "<0.001", else 3 decimals; t 2 decimals; df
    // 2 decimals or a whole number; signed differences ("+0.86", "-0.51"); intervals "[a, b]".
    static QString pText(double p);
    static QString tText(double t);
    static QString dfText(double df);
    static QString signedText(double value, int decimals);
    static QString intervalText(double low, double high, int decimals, bool withSign);
    static QString confidenceText(double confidence);   // "95%"
    // The table's cell and column texts, for a table of statistics computed elsewhere: reports print
    // exactly what Compare shows.
    static QString cellText(const ConfigurationStatistics& statistics, const ConfigurationRow& row, int column);
    static QString headerText(int column, double confidence);

signals:
    void statisticsChanged();   // after every recomputation

private:
    void recompute();
    QVariant toolTip(const ConfigurationRow& row, int column) const;
    QVariant value(const ConfigurationRow& row, int column) const;
    QString reasonOf(const ConfigurationRow& row, int column) const;

    QList<ComparedRun> runs_;
    QList<RunGroup> groups_;
    StatisticsMetric metric_;
    double confidence_ = 0.95;
    QString preferredBaseline_;
    ConfigurationStatistics statistics_;
};

}  // namespace distillery::views
