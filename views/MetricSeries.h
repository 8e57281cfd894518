#pragma once
// Points of one metric key of one run, as parallel vectors ready for QCPGraph::addData.
// A plain value type, copied across threads by queued signals.
#include <QList>
#include <QMetaType>
#include <QString>
#include <QVector>

namespace distillery::views {

struct MetricSeries {
    QString key;              // "train/loss", "val/acc1", …
    QVector<double> steps;    // ascending
    QVector<double> values;
};

using MetricSeriesList = QList<MetricSeries>;

}  // namespace distillery::views

Q_DECLARE_METATYPE(distillery::views::MetricSeries)
