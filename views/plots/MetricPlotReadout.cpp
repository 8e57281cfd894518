#include "MetricPlot.h"

// The metric plot's hover read-out (the nearest point's run, key, x and value) and its palette.

#include <cmath>
#include <limits>

#include "PlotPalette.h"
#include "RunComparison.h"

namespace distillery::views {

// ---- hover read-out ------------------------------------------------------------------------------

bool MetricPlot::showReadoutAt(const QPointF& pixel) {
    if (!axisRect()->rect().contains(pixel.toPoint())) {
        hideReadout();
        return false;
    }
    const Series* nearest = nullptr;
    const Band* nearestBand = nullptr;   // a banded mode's mean curve, instead of a run's
    int nearestIndex = 0;
    double nearestKey = 0, nearestValue = 0, nearestDistance = std::numeric_limits<double>::infinity();
    QPointF nearestPixel;
    // The candidates are the points either side of the mouse's x; the nearest in pixels wins.
    auto consider = [&](const QCPGraph* graph, const Series* series, const Band* band) {
        if (!hasPoints(graph)) return;
        const double key = graph->keyAxis()->pixelToCoord(pixel.x());
        auto after = graph->data()->findBegin(key, /*expandedRange=*/false);
        for (auto it : {after, after == graph->data()->constBegin() ? after : after - 1}) {
            if (it == graph->data()->constEnd() || !std::isfinite(it->value) || !std::isfinite(it->key)) continue;
            const QPointF at = graph->coordsToPixels(it->key, it->value);
            if (!std::isfinite(at.x()) || !std::isfinite(at.y())) continue;
            const double distance = std::hypot(at.x() - pixel.x(), at.y() - pixel.y());
            if (distance < nearestDistance) {
                nearestDistance = distance;
                nearest = series;
                nearestBand = band;
                nearestIndex = static_cast<int>(it - graph->data()->constBegin());
                nearestKey = it->key;
                nearestValue = it->value;
                nearestPixel = at;
            }
        }
    };
    for (const auto& series : series_) consider(series->graph, series.get(), nullptr);
    for (const auto& band : bands_) consider(band->mean, nullptr, band.get());
    if (!nearest && !nearestBand) {
        hideReadout();
        return false;
    }

    const QCPGraph* nearestGraph = nearestBand ? nearestBand->mean : nearest->graph;
    const QColor color = nearestGraph->pen().color();
    tracer_->position->setAxes(nearestGraph->keyAxis(), nearestGraph->valueAxis());
    tracer_->position->setCoords(nearestKey, nearestValue);
    tracer_->setPen(QPen(color, 2));
    tracer_->setVisible(true);

    QString xText;
    switch (xAxis_) {
        case XAxis::Step: xText = QString::number(nearestKey, 'f', 0); break;
        case XAxis::Epoch: xText = QString::number(nearestKey, 'f', 2); break;
        case XAxis::WallTimeMinutes: xText = QString::number(nearestKey, 'f', 1); break;
    }
    if (nearestBand) {
        readout_->setText(bandReadout(*nearestBand, nearestIndex, xText));
    } else {
        readout_->setText(runReadout(*nearest, nearestKey, nearestValue, xText));
    }
    // The text sits beside the point, towards the middle of the plot, so it never leaves the axes.
    const QRect rect = axisRect()->rect();
    const bool rightHalf = nearestPixel.x() > rect.center().x();
    const bool lowerHalf = nearestPixel.y() > rect.center().y();
    readout_->setPositionAlignment((rightHalf ? Qt::AlignRight : Qt::AlignLeft) |
                                   (lowerHalf ? Qt::AlignBottom : Qt::AlignTop));
    readout_->position->setCoords(nearestPixel.x() + (rightHalf ? -12 : 12), nearestPixel.y() + (lowerHalf ? -12 : 12));
    readout_->setVisible(true);
    layer(kReadoutLayerName)->replot();
    return true;
}

QString MetricPlot::runReadout(const Series& nearest, double nearestKey, double nearestValue,
                               const QString& xText) const {
    QString yText = formatMetricValue(nearest.key, nearestValue);
    if (smoothing_ > 0) {
        // The raw value at the same x, for the smoothed curve's point.
        auto raw = nearest.rawGraph->data()->findBegin(nearestKey, false);
        if (raw != nearest.rawGraph->data()->constEnd() && raw->key == nearestKey)
            yText += tr(" (raw %1)").arg(formatMetricValue(nearest.key, raw->value));
    }
    return tr("%1 · %2\n%3: %4\nvalue: %5")
        .arg(runLabels_.value(nearest.runId), nearest.key, xAxisLabel(xAxis_), xText, yText);
}

QString MetricPlot::bandReadout(const Band& band, int index, const QString& xText) const {
    const QString& key = band.key;
    const int n = band.data.n.value(index);
    const QString bandName = curveMode_ == CurveMode::MeanCI95 ? tr("95% CI") : tr("± std");
    const QString bandText =
        n >= 2 ? tr("%1: %2 – %3")
                     .arg(bandName, formatMetricValue(key, band.data.lower.value(index)),
                          formatMetricValue(key, band.data.upper.value(index)))
               : tr("%1: none (one run reaches this %2)").arg(bandName, xAxisLabel(xAxis_));
    return tr("%1 · %2\n%3: %4\nmean: %5\n%6\nn: %7")
        .arg(groups_.at(band.group).label, key, xAxisLabel(xAxis_), xText,
             formatMetricValue(key, band.data.mean.value(index)), bandText, QString::number(n));
}

void MetricPlot::hideReadout() {
    if (!readout_->visible() && !tracer_->visible()) return;
    readout_->setVisible(false);
    tracer_->setVisible(false);
    layer(kReadoutLayerName)->replot();
}

QString MetricPlot::readoutText() const { return readout_->visible() ? readout_->text() : QString(); }

void MetricPlot::leaveEvent(QEvent* event) {
    QCustomPlot::leaveEvent(event);
    hideReadout();
}

// ---- palette -------------------------------------------------------------------------------------

void MetricPlot::changeEvent(QEvent* event) {
    QCustomPlot::changeEvent(event);
    if (event->type() == QEvent::PaletteChange) {
        applyPalette();
        updateAxisLabels();
        replot(rpQueuedReplot);
    }
}

void MetricPlot::applyPalette() {
    applyPlotPalette(this, palette());
    const QPalette pal = palette();
    emptyHint_->setColor(pal.color(QPalette::PlaceholderText));
    readout_->setColor(pal.color(QPalette::ToolTipText));
    readout_->setBrush(pal.color(QPalette::ToolTipBase));
    readout_->setPen(QPen(pal.color(QPalette::Mid), 1));
    tracer_->setBrush(Qt::NoBrush);
}

}  // namespace distillery::views
