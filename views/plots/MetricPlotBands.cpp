#include "MetricPlot.h"

// The metric plot's banded modes: each configuration (seed group) as its mean curve with a band.

#include <algorithm>

#include "OkabeItoPalette.h"

namespace distillery::views {

namespace {
const QString kBandLayer = QStringLiteral("raw");   // under the mean curves, like the raw ones
}  // namespace

void MetricPlot::setSeedGroups(const QList<SeedGroup>& groups) {
    hideReadout();
    groups_ = groups;
    rebuildBands();
    applyStyles();
    refresh();
}

void MetricPlot::setCurveMode(CurveMode mode) {
    if (mode == curveMode_) return;
    curveMode_ = mode;
    hideReadout();
    rebuildBands();
    applyStyles();
    followData_ = true;   // a band reaches further than the curves it replaces
    refresh();
    emit displayChanged();
}

BandKind MetricPlot::bandKindOf(CurveMode mode) {
    return mode == CurveMode::MeanCI95 ? BandKind::ConfidenceInterval95 : BandKind::StdDev;
}

QColor MetricPlot::groupColor(int groupIndex) const {
    return groupIndex < 0 || groupIndex >= groups_.size() ? QColor() : OkabeItoPalette::color(groupIndex);
}

bool MetricPlot::isGrouped(qint64 runId) const {
    return std::any_of(groups_.begin(), groups_.end(),
                       [runId](const SeedGroup& group) { return group.runIds.contains(runId); });
}

bool MetricPlot::isSeriesShown(const Series& series) const {
    return isKeyVisible(series.key) && !(banded() && isGrouped(series.runId));
}

const MetricPlot::Band* MetricPlot::findBand(int groupIndex, const QString& key) const {
    for (const auto& band : bands_)
        if (band->group == groupIndex && band->key == key) return band.get();
    return nullptr;
}

QCPGraph* MetricPlot::meanGraph(int groupIndex, const QString& key) const {
    const Band* band = findBand(groupIndex, key);
    return band ? band->mean : nullptr;
}

QCPGraph* MetricPlot::bandLowerGraph(int groupIndex, const QString& key) const {
    const Band* band = findBand(groupIndex, key);
    return band ? band->lower : nullptr;
}

QCPGraph* MetricPlot::bandUpperGraph(int groupIndex, const QString& key) const {
    const Band* band = findBand(groupIndex, key);
    return band ? band->upper : nullptr;
}

const SeedBand* MetricPlot::band(int groupIndex, const QString& key) const {
    const Band* found = findBand(groupIndex, key);
    return found ? &found->data : nullptr;
}

void MetricPlot::clearBands() {
    for (const auto& band : bands_) {
        removeGraph(band->upper);
        removeGraph(band->lower);
        removeGraph(band->mean);
    }
    bands_.clear();
}

void MetricPlot::rebuildBands() {
    clearBands();
    if (!banded()) return;
    const BandKind kind = bandKindOf(curveMode_);
    for (const QString& key : visibleKeys()) {
        for (int g = 0; g < groups_.size(); ++g) {
            QList<XYSeries> runs;
            for (qint64 runId : groups_.at(g).runIds) {
                const Series* series = findSeries(runId, key);
                if (!series || series->raw.values.isEmpty()) continue;
                // The same x and smoothing as the run's own curve would have.
                runs.append({xValues(series->raw), debiasedEma(series->raw.values, smoothing_)});
            }
            auto band = std::make_unique<Band>();
            band->data = seedBand(runs, kind);
            if (band->data.isEmpty()) continue;
            band->group = g;
            band->key = key;
            band->runs = static_cast<int>(runs.size());
            QCPAxis* valueAxis = valueAxisFor(key);
            band->lower = addGraph(xAxis, valueAxis);
            band->upper = addGraph(xAxis, valueAxis);
            band->mean = addGraph(xAxis, valueAxis);
            for (QCPGraph* edge : {band->lower, band->upper}) {
                edge->setLayer(kBandLayer);
                edge->removeFromLegend();
            }
            band->mean->removeFromLegend();   // applyStyles adds it back, in the legend's order
            // x is ascending and unique (SeedBands): already sorted.
            band->lower->setData(band->data.x, band->data.lower, true);
            band->upper->setData(band->data.x, band->data.upper, true);
            band->mean->setData(band->data.x, band->data.mean, true);
            band->upper->setChannelFillGraph(band->lower);
            bands_.push_back(std::move(band));
        }
    }
}

void MetricPlot::styleBands() {
    const QStringList shownKeys = visibleKeys();
    for (const auto& band : bands_) {
        const QColor color = groupColor(band->group);
        // Past the palette's eight colours, and between the keys of one configuration, dashes tell apart.
        const int keyIndex = static_cast<int>(shownKeys.indexOf(band->key));
        band->mean->setPen(QPen(color, 2, penStyleAt(keyIndex + band->group / OkabeItoPalette::kSize)));
        band->mean->setScatterStyle(band->mean->dataCount() <= kMaxDottedPoints
                                        ? QCPScatterStyle(QCPScatterStyle::ssDisc, color, 5)
                                        : QCPScatterStyle());
        band->mean->setAntialiased(band->mean->dataCount() <= kAntialiasLimit);
        QColor fill = color;
        fill.setAlpha(kBandAlpha);
        QColor edge = color;
        edge.setAlpha(kBandAlpha * 2);
        for (QCPGraph* graph : {band->lower, band->upper}) {
            graph->setPen(QPen(edge, 1));
            graph->setAntialiased(graph->dataCount() <= kAntialiasLimit);
        }
        band->upper->setBrush(fill);

        // The configuration's label and how many runs its curve averages; the key too when several show.
        QString name = groups_.at(band->group).label;
        if (shownKeys.size() > 1) name += QStringLiteral(" · ") + band->key;
        band->mean->setName(name + QStringLiteral(" (n=%1)").arg(band->runs));
    }
}

QList<QCPGraph*> MetricPlot::shownGraphs() const {
    QList<QCPGraph*> shown;
    for (const auto& series : series_)
        if (hasPoints(series->graph)) shown.append(series->graph);
    for (const auto& band : bands_)
        if (hasPoints(band->mean)) shown.append(band->mean);
    return shown;
}

}  // namespace distillery::views
