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
    double nearestKey = 0, nearestValue = 0, nearestDistance = std::numeric_limits<double>::infinity();
    QPointF nearestPixel;
    for (const auto& series : series_) {
        const QCPGraph* graph = series->graph;
        if (!hasPoints(graph)) continue;
        // The candidates are the points either side of the mouse's x; the nearest in pixels wins.
        const double key = graph->keyAxis()->pixelToCoord(pixel.x());
        auto after = graph->data()->findBegin(key, /*expandedRange=*/false);
        for (auto it : {after, after == graph->data()->constBegin() ? after : after - 1}) {
            if (it == graph->data()->constEnd() || !std::isfinite(it->value) || !std::isfinite(it->key)) continue;
            const QPointF at = graph->coordsToPixels(it->key, it->value);
            if (!std::isfinite(at.x()) || !std::isfinite(at.y())) continue;
            const double distance = std::hypot(at.x() - pixel.x(), at.y() - pixel.y());
            if (distance < nearestDistance) {
                nearestDistance = distance;
                nearest = series.get();
                nearestKey = it->key;
                nearestValue = it->value;
                nearestPixel = at;
            }
        }
    }
    if (!nearest) {
        hideReadout();
        return false;
    }

    const QColor color = nearest->graph->pen().color();
    tracer_->position->setAxes(nearest->graph->keyAxis(), nearest->graph->valueAxis());
    tracer_->position->setCoords(nearestKey, nearestValue);
    tracer_->setPen(QPen(color, 2));
    tracer_->setVisible(true);

    QString xText;
    switch (xAxis_) {
        case XAxis::Step: xText = QString::number(nearestKey, 'f', 0); break;
        case XAxis::Epoch: xText = QString::number(nearestKey, 'f', 2); break;
        case XAxis::WallTimeMinutes: xText = QString::number(nearestKey, 'f', 1); break;
    }
    QString yText = formatMetricValue(nearest->key, nearestValue);
    if (smoothing_ > 0) {
        // The raw value at the same x, for the smoothed curve's point.
        auto raw = nearest->rawGraph->data()->findBegin(nearestKey, false);
        if (raw != nearest->rawGraph->data()->constEnd() && raw->key == nearestKey)
            yText += tr(" (raw %1)").arg(formatMetricValue(nearest->key, raw->value));
    }
    readout_->setText(tr("%1 · %2\n%3: %4\nvalue: %5")
                          .arg(runLabels_.value(nearest->runId), nearest->key, xAxisLabel(xAxis_), xText, yText));
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
