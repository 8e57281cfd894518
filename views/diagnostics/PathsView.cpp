#include "PathsView.h"

#include <algorithm>
#include <cmath>

#include <QCheckBox>
#include <QHBoxLayout>
#include <QVBoxLayout>

#include "DiagnosticPlot.h"
#include "OkabeItoPalette.h"

namespace distillery::views {

namespace {

// A graph's data with the point at this step replaced, so a row sent twice is drawn once.
void putPoint(QCPGraph* graph, double step, double value) {
    if (!graph->data()->isEmpty() && step <= (graph->data()->constEnd() - 1)->key) graph->data()->remove(step);
    graph->addData(step, value);
}
}  // namespace

PathsView::PathsView(QWidget* parent) : QWidget(parent) {
    logWeights_ = new QCheckBox(tr("Log scale (weights)"), this);
    logLosses_ = new QCheckBox(tr("Log scale (raw losses)"), this);
    auto* controls = new QHBoxLayout;
    controls->addStretch(1);
    controls->addWidget(logWeights_);
    controls->addWidget(logLosses_);

    plot_ = new DiagnosticPlot(this);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(controls);
    layout->addWidget(plot_, 1);

    // One plot with two stacked axis rects (one image when exported): the legend row on top, then
    // weights, then raw losses; x ranges linked, left margins aligned.
    weightRect_ = plot_->axisRect();
    lossRect_ = new QCPAxisRect(plot_);
    plot_->plotLayout()->addElement(1, 0, lossRect_);
    auto* margins = new QCPMarginGroup(plot_);
    weightRect_->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
    lossRect_->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
    plot_->legend->setVisible(true);
    plot_->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    plot_->legend->setWrap(4);
    weightRect_->insetLayout()->take(plot_->legend);
    plot_->plotLayout()->insertRow(0);
    plot_->plotLayout()->addElement(0, 0, plot_->legend);
    plot_->plotLayout()->setRowStretchFactor(0, 0.001);
    for (QCPAxisRect* rect : {weightRect_, lossRect_}) {
        rect->setRangeDrag(Qt::Horizontal | Qt::Vertical);
        rect->setRangeZoom(Qt::Horizontal | Qt::Vertical);
        rect->axis(QCPAxis::atBottom)->setLabel(tr("step"));
        connect(rect->axis(QCPAxis::atBottom), qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this,
                [this, rect](const QCPRange& range) {
                    QCPAxisRect* other = rect == weightRect_ ? lossRect_ : weightRect_;
                    if (other->axis(QCPAxis::atBottom)->range() != range) other->axis(QCPAxis::atBottom)->setRange(range);
                    if (!fitting_ && !paths_.isEmpty()) followData_ = false;
                });
    }
    weightRect_->axis(QCPAxis::atLeft)->setLabel(tr("path weight"));
    lossRect_->axis(QCPAxis::atLeft)->setLabel(tr("raw loss (unweighted)"));
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot_->setToolTip(tr("Drag to pan, scroll to zoom, double-click to follow the newest steps"));
    connect(plot_, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent*) {
        followData_ = true;
        fitAxes();
        plot_->replot(QCustomPlot::rpQueuedReplot);
    });
    connect(logWeights_, &QCheckBox::toggled, this, &PathsView::setLogWeights);
    connect(logLosses_, &QCheckBox::toggled, this, &PathsView::setLogLosses);
    plot_->applyPalette();   // the axis rect added above
    showRun(0);
}

QCustomPlot* PathsView::plot() const { return plot_; }

void PathsView::showRun(qint64 runId) {
    runId_ = runId;
    plot_->clearGraphs();
    paths_.clear();
    weightGraphs_.clear();
    lossGraphs_.clear();
    followData_ = true;
    plot_->setHint(runId == 0 ? tr("Select a run to see its path weights") : tr("Loading…"));
    plot_->legend->setVisible(false);
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void PathsView::appendPathWeights(qint64 runId, const PathWeightRows& rows) {
    if (runId != runId_ || rows.empty()) return;
    for (const store::PathWeightRow& row : rows) {
        const QString path = QString::fromStdString(row.path);
        ensurePath(path);
        putPoint(weightGraphs_.value(path), double(row.step), row.weight);
        putPoint(lossGraphs_.value(path), double(row.step), row.rawLoss);
    }
    // Sparse series get a dot per point so that a single step shows.
    for (const QString& path : paths_) {
        for (QCPGraph* graph : {weightGraphs_.value(path), lossGraphs_.value(path)})
            if (graph->dataCount() > 100) graph->setScatterStyle(QCPScatterStyle());
    }
    plot_->setHint(QString());
    plot_->legend->setVisible(true);
    if (followData_) fitAxes();
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void PathsView::ensurePath(const QString& path) {
    if (weightGraphs_.contains(path)) return;
    const QColor color = OkabeItoPalette::color(static_cast<int>(paths_.size()));
    auto make = [&](QCPAxisRect* rect) {
        QCPGraph* graph = plot_->addGraph(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
        graph->setName(path);
        graph->setPen(QPen(color, 1.5));
        graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, color, 4));
        return graph;
    };
    weightGraphs_.insert(path, make(weightRect_));
    QCPGraph* loss = make(lossRect_);
    loss->removeFromLegend();   // one legend entry per path: the colours are shared
    lossGraphs_.insert(path, loss);
    paths_.append(path);
}

void PathsView::fitAxes() {
    if (paths_.isEmpty()) return;
    fitting_ = true;
    weightRect_->axis(QCPAxis::atBottom)->rescale();
    for (QCPAxisRect* rect : {weightRect_, lossRect_}) {
        QCPAxis* axis = rect->axis(QCPAxis::atLeft);
        axis->rescale();
        if (axis->scaleType() == QCPAxis::stLogarithmic) {
            axis->setRange(axis->range().lower / 1.2, axis->range().upper * 1.2);
        } else {
            const QCPRange range = axis->range();
            const double pad = range.size() > 0 ? range.size() * 0.05 : std::max(1e-3, std::abs(range.upper) * 0.1);
            axis->setRange(range.lower - pad, range.upper + pad);
        }
    }
    fitting_ = false;
}

void PathsView::setLogScale(QCPAxis* axis, bool log) {
    axis->setScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (log) axis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    else axis->setTicker(QSharedPointer<QCPAxisTicker>::create());
}

void PathsView::setLogWeights(bool log) {
    if (logWeights_->isChecked() != log) logWeights_->setChecked(log);   // toggled() calls back once
    setLogScale(weightRect_->axis(QCPAxis::atLeft), log);
    fitAxes();
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void PathsView::setLogLosses(bool log) {
    if (logLosses_->isChecked() != log) logLosses_->setChecked(log);
    setLogScale(lossRect_->axis(QCPAxis::atLeft), log);
    fitAxes();
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace distillery::views
