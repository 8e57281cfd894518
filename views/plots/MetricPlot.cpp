#include "MetricPlot.h"

#include "PlotPalette.h"

#include <cmath>
#include <limits>

#include "OkabeItoPalette.h"
#include "RunComparison.h"
#include "store/StoreTypes.h"

namespace distillery::views {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// A legend longer than this hides more curve than it explains; the hover read-out (and Compare's
// table swatches) name the curves instead.
constexpr int kMaxLegendItems = 24;
constexpr int kRawAlpha = 70;
const QString kRawLayer = QStringLiteral("raw");

// A vector of the same length as steps: the given one, or NaN (an x the series does not carry).
QVector<double> sameLength(const QVector<double>& values, int length) {
    if (values.size() == length) return values;
    QVector<double> out(length, kNaN);
    for (int i = 0; i < std::min<int>(length, static_cast<int>(values.size())); ++i) out[i] = values.at(i);
    return out;
}

}  // namespace

// Dashes tell apart the keys of one run (ColourBy::Run) or the runs of one key (ColourBy::Key).
Qt::PenStyle MetricPlot::penStyleAt(int index) {
    static const Qt::PenStyle styles[] = {Qt::SolidLine, Qt::DashLine, Qt::DotLine, Qt::DashDotLine,
                                          Qt::DashDotDotLine};
    constexpr int count = static_cast<int>(sizeof(styles) / sizeof(styles[0]));
    return index < 0 ? Qt::SolidLine : styles[index % count];
}

QString MetricPlot::xAxisLabel(XAxis axis) {
    switch (axis) {
        case XAxis::Step: return tr("step");
        case XAxis::Epoch: return tr("epoch");
        case XAxis::WallTimeMinutes: return tr("wall time (min)");
    }
    return {};
}

MetricPlot::AxisKind MetricPlot::axisKindOf(const QString& key) { return store::metricKind(key.toStdString()); }

MetricPlot::MetricPlot(QWidget* parent) : QCustomPlot(parent), emptyText_(tr("Select a run to see its curves")) {
    yAxis2->setVisible(true);
    xAxis2->setVisible(false);
    xAxis->setRange(0, 1);
    yAxis->setRange(0, 1);
    yAxis2->setRange(0, 100);
    linearTicker_ = yAxis->ticker();
    logTicker_.reset(new QCPAxisTickerLog);

    // The faint raw curves lie under the smoothed ones; the read-out above everything, on a buffered
    // layer of its own so that moving the mouse repaints only the read-out.
    addLayer(kRawLayer, layer(QStringLiteral("main")), limBelow);
    addLayer(kReadoutLayerName, layer(QStringLiteral("overlay")), limAbove);
    layer(kReadoutLayerName)->setMode(QCPLayer::lmBuffered);

    // The legend sits in a row of its own above the axes: inside them it would hide the curves'
    // starts (losses, top left) or ends (accuracies, top right).
    legend->setVisible(true);
    legend->setIconSize(18, 10);
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    legend->setWrap(6);
    legend->setMargins(QMargins(4, 2, 4, 2));
    axisRect()->insetLayout()->take(legend);
    plotLayout()->setRowSpacing(0);

    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    axisRect()->setRangeDragAxes({xAxis}, {yAxis, yAxis2});
    axisRect()->setRangeZoomAxes({xAxis}, {yAxis, yAxis2});
    setNoAntialiasingOnDrag(true);
    setMouseTracking(true);   // the read-out follows the mouse without a button pressed
    // No widget tool tip: it would pop up over the hover read-out. CurveControls says how to zoom.

    connect(xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, &MetricPlot::onRangeChanged);
    connect(yAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, &MetricPlot::onRangeChanged);
    connect(yAxis2, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, &MetricPlot::onRangeChanged);
    connect(this, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent*) { followData(); });
    connect(this, &QCustomPlot::mouseMove, this, [this](QMouseEvent* event) { showReadoutAt(event->position()); });

    emptyHint_ = new QCPItemText(this);
    emptyHint_->position->setType(QCPItemPosition::ptAxisRectRatio);
    emptyHint_->position->setCoords(0.5, 0.5);
    emptyHint_->setClipToAxisRect(false);

    tracer_ = new QCPItemTracer(this);
    tracer_->setLayer(kReadoutLayerName);
    tracer_->setStyle(QCPItemTracer::tsCircle);
    tracer_->setSize(9);
    tracer_->setVisible(false);
    readout_ = new QCPItemText(this);
    readout_->setLayer(kReadoutLayerName);
    readout_->position->setType(QCPItemPosition::ptAbsolute);
    readout_->setClipToAxisRect(false);
    readout_->setPadding(QMargins(6, 4, 6, 4));
    readout_->setTextAlignment(Qt::AlignLeft);
    readout_->setVisible(false);

    applyPalette();
    updateAxisLabels();
    updateEmptyHint();
}

MetricPlot::~MetricPlot() = default;

// ---- data ----------------------------------------------------------------------------------------

void MetricPlot::clearSeries() {
    hideReadout();
    clearBands();
    groups_.clear();   // they name runs that are gone
    for (const auto& series : series_) {
        removeGraph(series->graph);
        removeGraph(series->rawGraph);
    }
    series_.clear();
    seriesById_.clear();
    runOrder_.clear();
    runLabels_.clear();
    const bool hadKeys = !keys_.isEmpty();
    keys_.clear();
    followData_ = true;
    applyStyles();
    updateAxisLabels();
    updateEmptyHint();
    replot(rpQueuedReplot);
    if (hadKeys) {
        emit keysChanged(keys_);
        emit visibleKeysChanged(visibleKeys());
    }
}

void MetricPlot::setSeries(qint64 runId, const QString& runLabel, const MetricSeriesList& history) {
    deleteSeriesOfRun(runId);
    if (!runOrder_.contains(runId)) runOrder_.append(runId);
    runLabels_.insert(runId, runLabel);
    const QStringList keysBefore = keys_;
    for (const MetricSeries& one : history) addPoints(ensureSeries(runId, one.key), one);
    rebuildBands();
    applyStyles();
    updateAxisLabels();
    refresh();
    announceNewKeys(keysBefore);
}

void MetricPlot::appendPoints(qint64 runId, const MetricSeriesList& points) {
    if (!runOrder_.contains(runId)) return;
    const QStringList keysBefore = keys_;
    const size_t seriesBefore = series_.size();
    for (const MetricSeries& one : points) addPoints(ensureSeries(runId, one.key), one);
    if (banded() && isGrouped(runId)) rebuildBands();
    if (series_.size() != seriesBefore || (banded() && isGrouped(runId))) {
        applyStyles();
        updateAxisLabels();
    }
    refresh();
    announceNewKeys(keysBefore);
}

void MetricPlot::announceNewKeys(const QStringList& keysBefore) {
    if (keys_ == keysBefore) return;
    emit keysChanged(keys_);
    emit visibleKeysChanged(visibleKeys());
}

void MetricPlot::removeRun(qint64 runId) {
    if (!runOrder_.contains(runId)) return;
    hideReadout();
    deleteSeriesOfRun(runId);
    runOrder_.removeAll(runId);
    runLabels_.remove(runId);
    rebuildBands();
    applyStyles();
    updateAxisLabels();
    refresh();
}

void MetricPlot::declareKeys(const QStringList& keys) {
    const QStringList keysBefore = keys_;
    const QStringList visibleBefore = visibleKeys();
    for (const QString& key : keys) noteKey(key);
    if (keys_ == keysBefore) return;
    updateAxisLabels();
    updateEmptyHint();
    emit keysChanged(keys_);
    if (visibleKeys() != visibleBefore) emit visibleKeysChanged(visibleKeys());
}

void MetricPlot::deleteSeriesOfRun(qint64 runId) {
    for (auto it = series_.begin(); it != series_.end();) {
        Series& series = **it;
        if (series.runId != runId) {
            ++it;
            continue;
        }
        removeGraph(series.graph);
        removeGraph(series.rawGraph);
        seriesById_.erase({series.runId, series.key});
        it = series_.erase(it);
    }
}

MetricPlot::Series* MetricPlot::findSeries(qint64 runId, const QString& key) const {
    auto it = seriesById_.find({runId, key});
    return it != seriesById_.end() ? it->second : nullptr;
}

MetricPlot::Series& MetricPlot::ensureSeries(qint64 runId, const QString& key) {
    if (Series* existing = findSeries(runId, key)) return *existing;
    noteKey(key);
    auto series = std::make_unique<Series>();
    series->runId = runId;
    series->key = key;
    series->raw.key = key;
    series->ema = DebiasedEma(smoothing_);
    QCPAxis* valueAxis = valueAxisFor(key);
    series->rawGraph = addGraph(xAxis, valueAxis);
    series->rawGraph->setLayer(kRawLayer);
    series->rawGraph->removeFromLegend();
    series->graph = addGraph(xAxis, valueAxis);
    Series* raw = series.get();
    seriesById_[{runId, key}] = raw;
    series_.push_back(std::move(series));
    return *raw;
}

void MetricPlot::noteKey(const QString& key) {
    if (!keys_.contains(key)) keys_.append(key);
}

QCPGraph* MetricPlot::graph(qint64 runId, const QString& key) const {
    const Series* series = findSeries(runId, key);
    return series ? series->graph : nullptr;
}

QCPGraph* MetricPlot::rawGraph(qint64 runId, const QString& key) const {
    const Series* series = findSeries(runId, key);
    return series && smoothing_ > 0 ? series->rawGraph : nullptr;
}

QVector<double> MetricPlot::xValues(const MetricSeries& points) const {
    const int n = static_cast<int>(points.steps.size());
    switch (xAxis_) {
        case XAxis::Step: return points.steps;
        case XAxis::Epoch: return sameLength(points.epochs, n);
        case XAxis::WallTimeMinutes: {
            QVector<double> minutes = sameLength(points.wallTimes, n);
            for (double& x : minutes) x /= 60.0;
            return minutes;
        }
    }
    return points.steps;
}

void MetricPlot::addPoints(Series& series, const MetricSeries& points) {
    const int n = static_cast<int>(std::min(points.steps.size(), points.values.size()));
    if (n == 0) return;
    MetricSeries added;
    added.steps = points.steps.mid(0, n);
    added.values = points.values.mid(0, n);
    added.epochs = sameLength(points.epochs, n);
    added.wallTimes = sameLength(points.wallTimes, n);
    series.raw.steps += added.steps;
    series.raw.values += added.values;
    series.raw.epochs += added.epochs;
    series.raw.wallTimes += added.wallTimes;

    const QVector<double> xs = xValues(added);
    // Steps arrive in order; epochs and wall times almost always do, but a resumed run may restart
    // its clock, and QCustomPlot needs its keys sorted.
    const bool sorted = xAxis_ == XAxis::Step;
    if (smoothing_ > 0) {
        QVector<double> smoothed;
        smoothed.reserve(n);
        for (double value : added.values) smoothed.append(series.ema.add(value));
        series.graph->addData(xs, smoothed, sorted);
        series.rawGraph->addData(xs, added.values, sorted);
    } else {
        series.graph->addData(xs, added.values, sorted);
    }
    series.graph->setAntialiased(series.graph->dataCount() <= kAntialiasLimit);
    series.rawGraph->setAntialiased(series.rawGraph->dataCount() <= kAntialiasLimit);
    if (series.graph->dataCount() > kMaxDottedPoints) series.graph->setScatterStyle(QCPScatterStyle());
}

void MetricPlot::rebuildGraphData(Series& series) {
    const QVector<double> xs = xValues(series.raw);
    const bool sorted = xAxis_ == XAxis::Step;
    series.ema = DebiasedEma(smoothing_);
    if (smoothing_ > 0) {
        QVector<double> smoothed;
        smoothed.reserve(series.raw.values.size());
        for (double value : series.raw.values) smoothed.append(series.ema.add(value));
        series.graph->setData(xs, smoothed, sorted);
        series.rawGraph->setData(xs, series.raw.values, sorted);
    } else {
        series.graph->setData(xs, series.raw.values, sorted);
        series.rawGraph->data()->clear();
    }
    series.graph->setAntialiased(series.graph->dataCount() <= kAntialiasLimit);
    series.rawGraph->setAntialiased(series.rawGraph->dataCount() <= kAntialiasLimit);
}

QCPAxis* MetricPlot::valueAxisFor(const QString& key) const {
    switch (axisKindOf(key)) {
        case AxisKind::Loss: return yAxis;
        case AxisKind::Accuracy: return yAxis2;
        case AxisKind::Other: return yAxis;   // lr, epoch_time, …: a chosen key is shown on its own scale
    }
    return yAxis;
}

bool MetricPlot::isDefaultKey(const QString& key) {
    // What a researcher reads first: the training loss and its terms, and the top-1 accuracies.
    // Everything else (val/loss, top-5, agreement, lr, …) is one tick away in the key list.
    switch (axisKindOf(key)) {
        case AxisKind::Loss: return key.startsWith(QLatin1String("train/"));
        case AxisKind::Accuracy: return key.endsWith(QLatin1String("/acc1"));
        case AxisKind::Other: return false;
    }
    return false;
}

// ---- display -------------------------------------------------------------------------------------

void MetricPlot::setXAxis(XAxis axis) {
    if (axis == xAxis_) return;
    xAxis_ = axis;
    hideReadout();
    for (const auto& series : series_) rebuildGraphData(*series);
    if (banded()) {
        rebuildBands();
        applyStyles();
    }
    updateAxisLabels();
    followData_ = true;   // the old x range means nothing on the new axis
    refresh();
    emit displayChanged();
}

void MetricPlot::setSmoothing(double weight) {
    weight = weight > 0 ? std::min(weight, 0.999) : 0.0;
    if (weight == smoothing_) return;
    smoothing_ = weight;
    hideReadout();
    for (const auto& series : series_) rebuildGraphData(*series);
    rebuildBands();   // each run is smoothed before the runs are averaged
    applyStyles();
    refresh();
    emit displayChanged();
}

void MetricPlot::setLogY(bool on) {
    if (on == logY_) return;
    logY_ = on;
    fitting_ = true;   // QCustomPlot moves a non-positive range into the log domain itself
    yAxis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    yAxis->setTicker(on ? QSharedPointer<QCPAxisTicker>(logTicker_) : linearTicker_);
    yAxis->setNumberFormat(on ? QStringLiteral("gb") : QStringLiteral("g"));
    fitting_ = false;
    updateAxisLabels();
    followData_ = true;
    refresh();
    emit displayChanged();
}

void MetricPlot::setColourBy(ColourBy colourBy) {
    if (colourBy == colourBy_) return;
    colourBy_ = colourBy;
    applyStyles();
    replot(rpQueuedReplot);
    emit displayChanged();
}

void MetricPlot::setVisibleKeys(const QStringList& keys) { applyKeyChoice(!keys.isEmpty(), keys); }

void MetricPlot::setChosenKeys(const QStringList& keys) { applyKeyChoice(true, keys); }

void MetricPlot::setKeyVisible(const QString& key, bool visible) {
    if (isKeyVisible(key) == visible && keysChosen_) return;
    QStringList chosen = keysChosen_ ? chosenKeys_ : visibleKeys();
    if (visible && !chosen.contains(key)) chosen.append(key);
    if (!visible) chosen.removeAll(key);
    applyKeyChoice(true, chosen);
}

void MetricPlot::applyKeyChoice(bool chosen, const QStringList& keys) {
    const QStringList before = visibleKeys();
    const bool choiceChanged = chosen != keysChosen_ || keys != chosenKeys_;
    keysChosen_ = chosen;
    chosenKeys_ = chosen ? keys : QStringList();
    rebuildBands();
    applyStyles();
    updateAxisLabels();
    followData_ = true;   // newly shown curves may lie outside a zoomed range
    refresh();
    // Also when only the choice changed (e.g. back to the default): the controls show it.
    if (visibleKeys() != before || choiceChanged) emit visibleKeysChanged(visibleKeys());
}

bool MetricPlot::isKeyVisible(const QString& key) const {
    return keysChosen_ ? chosenKeys_.contains(key) : isDefaultKey(key);
}

QStringList MetricPlot::visibleKeys() const {
    QStringList shown;
    for (const QString& key : keys_)
        if (isKeyVisible(key)) shown.append(key);
    return shown;
}

QColor MetricPlot::runColor(qint64 runId) const {
    const int index = static_cast<int>(runOrder_.indexOf(runId));
    return index < 0 ? QColor() : OkabeItoPalette::color(index);
}

QColor MetricPlot::keyColor(const QString& key) const {
    const int index = static_cast<int>(keys_.indexOf(key));
    return index < 0 ? QColor() : OkabeItoPalette::color(index);
}

void MetricPlot::setEmptyText(const QString& text) {
    emptyText_ = text;
    updateEmptyHint();
    replot(rpQueuedReplot);
}

void MetricPlot::applyStyles() {
    const QStringList shownKeys = visibleKeys();
    int shownRuns = 0;
    for (qint64 runId : runOrder_) {
        const bool shown = std::any_of(series_.begin(), series_.end(), [&](const auto& series) {
            return series->runId == runId && isKeyVisible(series->key);
        });
        if (shown) ++shownRuns;
    }
    legend->clearItems();
    int legendItems = 0;
    for (const auto& seriesPointer : series_) {
        Series& series = *seriesPointer;
        const bool visible = isSeriesShown(series);
        const bool byRun = colourBy_ == ColourBy::Run;
        const QColor color = byRun ? runColor(series.runId) : keyColor(series.key);
        // Past the palette's eight colours, dashes keep repeated colours apart.
        const int keyIndex = static_cast<int>(keys_.indexOf(series.key));
        const int shownKeyIndex = static_cast<int>(shownKeys.indexOf(series.key));
        const int runIndex = static_cast<int>(runOrder_.indexOf(series.runId));
        const Qt::PenStyle style = byRun ? penStyleAt(shownKeyIndex + runIndex / OkabeItoPalette::kSize)
                                         : penStyleAt(runIndex + keyIndex / OkabeItoPalette::kSize);
        series.graph->setPen(QPen(color, 1.5, style));
        if (series.graph->dataCount() <= kMaxDottedPoints)
            series.graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, color, 5));
        QColor faint = color;
        faint.setAlpha(kRawAlpha);
        series.rawGraph->setPen(QPen(faint, 1));

        // The legend names what tells the curves apart: the key in Live, the run in Compare.
        const QString runLabel = runLabels_.value(series.runId);
        QString name;
        if (byRun) name = shownKeys.size() > 1 ? runLabel + QStringLiteral(" · ") + series.key : runLabel;
        else name = shownRuns > 1 ? runLabel + QStringLiteral(" · ") + series.key : series.key;
        series.graph->setName(name);
        series.graph->setVisible(visible);
        series.rawGraph->setVisible(visible && smoothing_ > 0);
        if (visible) {
            series.graph->addToLegend();
            ++legendItems;
        }
    }
    if (banded()) {
        styleBands();
        for (const auto& band : bands_) {
            band->mean->addToLegend();
            ++legendItems;
        }
    }
    if (legendItems > kMaxLegendItems) legend->clearItems();
    updateEmptyHint();
}

void MetricPlot::updateAxisLabels() {
    xAxis->setLabel(xAxisLabel(xAxis_));
    QStringList leftKeys;
    bool onlyLosses = true;
    for (const QString& key : visibleKeys()) {
        if (valueAxisFor(key) != yAxis) continue;
        leftKeys.append(key);
        if (axisKindOf(key) != AxisKind::Loss) onlyLosses = false;
    }
    QString left = tr("loss");
    if (!onlyLosses) left = leftKeys.size() == 1 ? leftKeys.first() : tr("value");
    if (logY_) left += tr(" (log scale)");

    // An axis without shown curves keeps its line but not its numbers, which would mean nothing;
    // the grid follows the axis that has curves (the left one when both have).
    const bool hasLeft = !leftKeys.isEmpty();
    const bool hasRight = visibleKeys().size() > leftKeys.size();
    const bool showLeft = hasLeft || !hasRight;
    const bool showRight = hasRight || !hasLeft;
    yAxis->setTickLabels(showLeft);
    yAxis->setLabel(showLeft ? left : QString());
    yAxis2->setTickLabels(showRight);
    yAxis2->setLabel(showRight ? tr("accuracy (%)") : QString());
    yAxis->grid()->setVisible(showLeft);
    yAxis2->grid()->setVisible(!showLeft);
}

void MetricPlot::followData() {
    followData_ = true;
    fitAxes();
    replot(rpQueuedReplot);
}

void MetricPlot::fitAxes() {
    const QList<QCPGraph*> shown = shownGraphs();
    if (shown.isEmpty()) return;
    fitting_ = true;
    xAxis->rescale(/*onlyVisiblePlottables=*/true);
    // A little air above and below the curves, so the extremes do not sit on the frame. An axis
    // without shown curves keeps its range (rescaling it would do nothing, padding would grow it).
    for (QCPAxis* axis : {yAxis, yAxis2}) {
        const bool onAxis = std::any_of(shown.begin(), shown.end(),
                                        [axis](const QCPGraph* graph) { return graph->valueAxis() == axis; });
        if (!onAxis) continue;
        axis->rescale(/*onlyVisiblePlottables=*/true);
        const QCPRange range = axis->range();
        if (axis->scaleType() == QCPAxis::stLogarithmic) {
            if (range.lower <= 0) continue;
            const double factor = range.upper > range.lower ? std::pow(range.upper / range.lower, 0.05) : 1.5;
            axis->setRange(range.lower / factor, range.upper * factor);
        } else {
            const double pad = range.size() > 0 ? range.size() * 0.05 : 1.0;
            axis->setRange(range.lower - pad, range.upper + pad);
        }
    }
    fitting_ = false;
}

void MetricPlot::refresh() {
    if (followData_) fitAxes();
    updateEmptyHint();
    replot(rpQueuedReplot);
}

void MetricPlot::onRangeChanged() {
    if (fitting_) return;
    const bool anyPoints = std::any_of(series_.begin(), series_.end(),
                                       [](const auto& series) { return series->graph->dataCount() > 0; });
    if (anyPoints) followData_ = false;
}

QString MetricPlot::hintText() const {
    if (runOrder_.isEmpty()) return emptyText_;
    if (visibleKeys().isEmpty() && (keysChosen_ || !keys_.isEmpty())) {
        return keys_.isEmpty() ? tr("No points yet") : tr("Pick a metric to plot");
    }
    return shownGraphs().isEmpty() ? tr("No points of the chosen metrics yet") : QString();
}

void MetricPlot::updateEmptyHint() {
    const QString text = hintText();
    emptyHint_->setText(text);
    emptyHint_->setVisible(!text.isEmpty());
    showLegendRow(legend->itemCount() > 0);
}

void MetricPlot::showLegendRow(bool show) {
    // QCustomPlot sizes its layout from every element, visible or not, and an empty legend has a
    // tiny maximum width that squeezes the axes: so the legend's row exists only while it has items.
    legend->setVisible(show);
    const bool shown = plotLayout()->rowCount() > 1;
    if (show == shown) return;
    if (show) {
        plotLayout()->insertRow(0);
        plotLayout()->addElement(0, 0, legend);
        plotLayout()->setRowStretchFactor(0, 0.001);
    } else {
        plotLayout()->take(legend);
        plotLayout()->simplify();   // drops the now empty row
    }
}

}  // namespace distillery::views
