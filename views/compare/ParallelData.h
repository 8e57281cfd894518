#pragma once
// What the parallel-coordinates view of Compare shows, without widgets: one vertical axis per field the
// runs vary and a last one for the metric, each run (or each configuration, its mean over seeds) as a
// polyline through its values, brushes (a range on an axis) that select the lines inside every one of
// them, and each field's correlation with the metric.
//
// Axes are normalised: a value's position is 0 at the bottom of its axis and 1 at the top.
// - Numeric fields: linear between their smallest and largest value; logarithmic when every value is
//   positive and the largest is more than 20 times the smallest (learning rates, weight decays).
// - Other fields (method.name, student.model, booleans, lists): categories, evenly spaced, sorted.
// - A run without the field (method.T of a method that has no temperature, a run without the metric
//   yet) sits in an "n/a" slot below the axis, so its line stays whole and can be brushed too.
//
// Correlations are computed over runs, not configurations, whatever the lines show: seeds are
// observations of their configuration. On a logarithmic axis Pearson's r is taken on log10 of the
// values, the scale the axis shows them on (Spearman's ρ is the same either way).
//
// QtCore and the store only, so it is unit-tested on numbers.
#include <optional>
#include <utility>

#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>
#include <QVariantMap>
#include <QVector>

#include "RunComparison.h"
#include "stats/Statistics.h"

namespace distillery::views {

// One run as the view draws it.
struct ParallelRun {
    qint64 runId = 0;
    QString name;
    QString configuration;            // runs with the same one are one line in per-configuration mode
    QVariantMap fields;               // field path -> value; a field missing here is "n/a"
    std::optional<double> metric;
};

struct ParallelAxis {
    enum class Kind { Linear, Log, Categorical };
    // Where missing values sit: below the axis (0..1), clear of the lowest value.
    static constexpr double kMissingPosition = -0.12;
    // A numeric axis is logarithmic when its values are positive and span more than this factor.
    static constexpr double kLogSpanFactor = 20.0;

    QString field;                    // the spec path, or the metric's name on the metric axis
    bool isMetric = false;
    Kind kind = Kind::Linear;
    double min = 0, max = 0;          // numeric: the values' range
    QStringList categories;           // categorical: bottom to top
    bool hasMissing = false;          // some run lacks a value: the "n/a" slot is used
    bool hasValues = false;           // some run has a value (else only the "n/a" slot is used)

    bool isNumeric() const { return kind != Kind::Categorical; }
    // 0..1 from bottom to top (0.5 when every value is the same); kMissingPosition for a missing or
    // non-numeric value on a numeric axis, or an unknown category.
    double position(const QVariant& value) const;
    double positionOf(double value) const;      // numeric axes
    // Labelled positions: a few round values of a numeric axis (decades on a log axis), each category,
    // and "n/a" when used.
    QList<std::pair<double, QString>> ticks() const;
};

struct ParallelLine {
    QString label;                    // the run's name, or the configuration's label with its n
    QList<qint64> runIds;             // the run, or the configuration's runs
    QVector<double> positions;        // one per axis
    std::optional<double> metric;     // per configuration: the mean over its runs that have one
};

// A field against the metric: Pearson and Spearman for a numeric field, the mean metric of each
// category for a categorical one.
struct FieldCorrelation {
    struct CategoryMean {
        QString category;
        int n = 0;
        double mean = 0;
    };
    QString field;
    ParallelAxis::Kind kind = ParallelAxis::Kind::Linear;
    stats::Correlation pearson;       // on log10 of the values for a log axis
    stats::Correlation spearman;
    QList<CategoryMean> categoryMeans;   // categorical fields, in the axis' order
};

class ParallelData {
public:
    ParallelData() = default;
    // fields: the field axes, in order; the metric axis (named metricName) comes last.
    ParallelData(const QList<ParallelRun>& runs, const QStringList& fields, const QString& metricName,
                 bool perConfiguration);

    // The fields the runs vary: when every run belongs to a study, the fields the study gave them
    // (RunRow::studyFields) that differ between the runs (all of them if none does); otherwise the
    // spec keys that differ (differingKeys) less those that vary between seeds (defaultAcrossKeys).
    static QStringList variedFields(const QList<ComparedRun>& runs);
    // The runs with their values of the fields (the study's value first, else the flattened spec's), a
    // configuration each (the study's label, else groupRuns' label) and the metric from metricOf.
    static QList<ParallelRun> runsOf(const QList<ComparedRun>& runs, const QStringList& fields,
                                     const QHash<qint64, double>& metricOf);

    const QList<ParallelRun>& runs() const { return runs_; }
    const QList<ParallelAxis>& axes() const { return axes_; }
    const QList<ParallelLine>& lines() const { return lines_; }
    int metricAxis() const { return static_cast<int>(axes_.size()) - 1; }
    bool perConfiguration() const { return perConfiguration_; }
    // The metric's range over the lines (for colouring); empty when no line has the metric.
    std::optional<std::pair<double, double>> metricRange() const;

    // ---- brushing: ranges of normalised positions, combined with AND ------------------------------
    void setBrush(int axis, double from, double to);   // either order; replaces the axis' brush
    void clearBrush(int axis);
    void clearBrushes();
    std::optional<std::pair<double, double>> brush(int axis) const;   // (low, high)
    bool hasBrushes() const { return !brushes_.isEmpty(); }
    bool isSelected(int line) const;                   // inside every brush (every line without brushes)
    // The runs of the selected lines, in line order; empty while no axis is brushed.
    QList<qint64> selectedRunIds() const;

    // One per field axis (not the metric), in axis order.
    QList<FieldCorrelation> correlations() const;

private:
    QList<ParallelRun> runs_;
    QList<ParallelAxis> axes_;
    QList<ParallelLine> lines_;
    bool perConfiguration_ = false;
    QHash<int, std::pair<double, double>> brushes_;
};

}  // namespace distillery::views
