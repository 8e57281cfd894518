#include "CurvePlot.h"

#include "OkabeItoPalette.h"

namespace distillery::views {

namespace {
// Above this many points per graph antialiasing costs more than it shows (UI.md, Plots).
constexpr int kAntialiasLimit = 10000;
constexpr int kMaxDottedPoints = 100;
}  // namespace

CurvePlot::AxisKind CurvePlot::axisKindOf(const QString& key) {
    const QString lastPart = key.section(QLatin1Char('/'), -1);
    if (lastPart.contains(QLatin1String("acc"))) return AxisKind::Accuracy;
    if (key.split(QLatin1Char('/')).contains(QLatin1String("loss")) || lastPart.contains(QLatin1String("loss")))
        return AxisKind::Loss;
    return AxisKind::NotPlotted;
}

CurvePlot::CurvePlot(QWidget* parent) : QCustomPlot(parent) {
    xAxis->setLabel(tr("step"));
    yAxis->setLabel(tr("loss"));
    yAxis2->setLabel(tr("accuracy (%)"));
    yAxis2->setVisible(true);
    xAxis2->setVisible(false);
    xAxis->setRange(0, 1);
    yAxis->setRange(0, 1);
    yAxis2->setRange(0, 100);

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
    setToolTip(tr("Drag to pan, scroll to zoom, double-click to follow the newest points"));

    connect(xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, &CurvePlot::onRangeChanged);
    connect(yAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, &CurvePlot::onRangeChanged);
    connect(yAxis2, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, &CurvePlot::onRangeChanged);
    connect(this, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent*) { followData(); });

    emptyHint_ = new QCPItemText(this);
    emptyHint_->position->setType(QCPItemPosition::ptAxisRectRatio);
    emptyHint_->position->setCoords(0.5, 0.5);
    emptyHint_->setClipToAxisRect(false);

    applyPalette();
    updateEmptyHint();
}

void CurvePlot::showRun(qint64 runId) {
    runId_ = runId;
    historyReceived_ = false;
    clearGraphs();
    graphs_.clear();
    keys_.clear();
    followData_ = true;
    updateEmptyHint();
    replot(rpQueuedReplot);
}

void CurvePlot::setHistory(qint64 runId, const MetricSeriesList& series) {
    if (runId != runId_) return;
    // A repeated request for the same run (selected again) replaces what is shown.
    clearGraphs();
    graphs_.clear();
    keys_.clear();
    historyReceived_ = true;
    for (const MetricSeries& one : series) addSeries(one);
    fitAxes();
    updateEmptyHint();
    replot(rpQueuedReplot);
}

void CurvePlot::appendPoints(qint64 runId, const MetricSeriesList& series) {
    if (runId != runId_ || !historyReceived_) return;
    for (const MetricSeries& one : series) addSeries(one);
    if (followData_) fitAxes();
    updateEmptyHint();
    replot(rpQueuedReplot);
}

void CurvePlot::addSeries(const MetricSeries& series) {
    QCPGraph* graph = ensureGraph(series.key);
    if (!graph) return;
    graph->addData(series.steps, series.values, /*alreadySorted=*/true);
    if (graph->dataCount() > kAntialiasLimit) graph->setAntialiased(false);
    // Sparse series (evaluations, once an epoch) get a dot per point so that a single one shows;
    // dense ones (logged every few steps) would drown in dots.
    if (graph->dataCount() > kMaxDottedPoints) graph->setScatterStyle(QCPScatterStyle());
}

QCPGraph* CurvePlot::ensureGraph(const QString& key) {
    if (QCPGraph* existing = graphs_.value(key)) return existing;
    const AxisKind kind = axisKindOf(key);
    if (kind == AxisKind::NotPlotted) return nullptr;
    QCPGraph* graph = addGraph(xAxis, kind == AxisKind::Accuracy ? yAxis2 : yAxis);
    graph->setName(key);
    const QColor color = OkabeItoPalette::color(static_cast<int>(keys_.size()));
    graph->setPen(QPen(color, 1.5));
    graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, color, 5));   // until it gets dense
    graphs_.insert(key, graph);
    keys_.append(key);
    return graph;
}

QStringList CurvePlot::plottedKeys() const { return keys_; }

QCPGraph* CurvePlot::graphForKey(const QString& key) const { return graphs_.value(key); }

void CurvePlot::followData() {
    followData_ = true;
    fitAxes();
    replot(rpQueuedReplot);
}

void CurvePlot::fitAxes() {
    if (graphs_.isEmpty()) return;
    fitting_ = true;
    xAxis->rescale();
    // A little air above and below the curves, so the extremes do not sit on the frame. An axis
    // without graphs keeps its range (rescaling it would do nothing, padding would grow it).
    for (QCPAxis* axis : {yAxis, yAxis2}) {
        if (axis->graphs().isEmpty()) continue;
        axis->rescale();
        const QCPRange range = axis->range();
        const double pad = range.size() > 0 ? range.size() * 0.05 : 1.0;
        axis->setRange(range.lower - pad, range.upper + pad);
    }
    fitting_ = false;
}

void CurvePlot::onRangeChanged() {
    if (!fitting_ && historyReceived_ && !graphs_.isEmpty()) followData_ = false;
}

void CurvePlot::updateEmptyHint() {
    QString text;
    if (runId_ == 0) text = tr("Select a run to see its curves");
    else if (!historyReceived_) text = tr("Loading…");
    else if (graphs_.isEmpty()) text = tr("No loss or accuracy points yet");
    emptyHint_->setText(text);
    emptyHint_->setVisible(!text.isEmpty());
    showLegendRow(!graphs_.isEmpty());
}

void CurvePlot::showLegendRow(bool show) {
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

void CurvePlot::changeEvent(QEvent* event) {
    QCustomPlot::changeEvent(event);
    if (event->type() == QEvent::PaletteChange) {
        applyPalette();
        replot(rpQueuedReplot);
    }
}

void CurvePlot::applyPalette() {
    // Follow the system palette (light or dark) instead of QCustomPlot's fixed white.
    const QPalette pal = palette();
    const QColor base = pal.color(QPalette::Base);
    const QColor text = pal.color(QPalette::Text);
    QColor grid = pal.color(QPalette::Mid);
    grid.setAlpha(110);
    setBackground(base);
    axisRect()->setBackground(base);
    for (QCPAxis* axis : {xAxis, yAxis, xAxis2, yAxis2}) {
        axis->setBasePen(QPen(text, 1));
        axis->setTickPen(QPen(text, 1));
        axis->setSubTickPen(QPen(text, 1));
        axis->setLabelColor(text);
        axis->setTickLabelColor(text);
        axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
        axis->grid()->setZeroLinePen(Qt::NoPen);
    }
    yAxis2->grid()->setVisible(false);   // one grid is enough; the left axis owns it
    legend->setBrush(Qt::NoBrush);
    legend->setBorderPen(Qt::NoPen);
    legend->setTextColor(text);
    emptyHint_->setColor(pal.color(QPalette::PlaceholderText));
}

}  // namespace distillery::views
