#pragma once
// Points of one metric key of one run, as parallel vectors ready for QCPGraph::addData.
// A plain value type, copied across threads by queued signals.
#include <vector>

#include <QList>
#include <QMetaType>
#include <QString>
#include <QVector>

#include "store/StoreTypes.h"

namespace distillery::views {

struct MetricSeries {
    QString key;              // "train/loss", "val/acc1", …
    QVector<double> steps;    // ascending
    QVector<double> values;
    QVector<double> epochs;     // fractional epoch of each point
    QVector<double> wallTimes;  // seconds since the run started

    // The store's points (ordered by step) as one series.
    static MetricSeries fromPoints(const QString& key, const std::vector<store::MetricPoint>& points) {
        MetricSeries series;
        series.key = key;
        const int n = static_cast<int>(points.size());
        series.steps.reserve(n);
        series.values.reserve(n);
        series.epochs.reserve(n);
        series.wallTimes.reserve(n);
        for (const store::MetricPoint& point : points) {
            series.steps.append(static_cast<double>(point.step));
            series.values.append(point.value);
            series.epochs.append(point.epoch);
            series.wallTimes.append(point.wallTime);
        }
        return series;
    }
};

using MetricSeriesList = QList<MetricSeries>;

}  // namespace distillery::views

Q_DECLARE_METATYPE(distillery::views::MetricSeries)
