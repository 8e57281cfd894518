#include "ChannelsView.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QToolTip>
#include <QVBoxLayout>

#include "DiagnosticPlot.h"
#include "OkabeItoPalette.h"

namespace distillery::views {

namespace {
constexpr double kHoverPixels = 10;   // the hover read-out names a channel whose dot is this close

QCPGraph* addScatter(QCustomPlot* plot, const QColor& color) {
    QCPGraph* graph = plot->addGraph();
    graph->setLineStyle(QCPGraph::lsNone);
    QColor fill = color;
    fill.setAlpha(170);
    graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, color, fill, 6));
    return graph;
}

QCPGraph* addLine(QCustomPlot* plot, QCPAxis* valueAxis, const QString& name, const QColor& color) {
    QCPGraph* graph = plot->addGraph(plot->xAxis, valueAxis);
    graph->setName(name);
    graph->setPen(QPen(color, 1.5));
    return graph;
}

// Both axes get the same range, so the diagonal runs at 45° and distances read the same either way.
void fitSquare(QCustomPlot* plot, const QVector<double>& x, const QVector<double>& y) {
    double low = std::numeric_limits<double>::infinity(), high = -low;
    for (const QVector<double>* values : {&x, &y})
        for (double v : *values) {
            low = std::min(low, v);
            high = std::max(high, v);
        }
    if (!std::isfinite(low)) return;
    const double pad = high > low ? (high - low) * 0.05 : 1.0;
    plot->xAxis->setRange(low - pad, high + pad);
    plot->yAxis->setRange(low - pad, high + pad);
}
}  // namespace

ChannelsView::ChannelsView(QWidget* parent) : QWidget(parent) {
    spotCombo_ = new QComboBox(this);
    spotCombo_->setToolTip(tr("The spot (teacher/student stage pair) whose channels are shown"));
    stepSlider_ = new QSlider(Qt::Horizontal, this);
    stepSlider_->setToolTip(tr("The step whose channel statistics are shown; at the right end it follows the "
                               "newest step"));
    stepLabel_ = new QLabel(this);
    stepLabel_->setMinimumWidth(stepLabel_->fontMetrics().horizontalAdvance(QStringLiteral("step 0000000 · 0000 channels")));
    auto* controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Spot:"), this));
    controls->addWidget(spotCombo_);
    controls->addSpacing(12);
    controls->addWidget(new QLabel(tr("Step:"), this));
    controls->addWidget(stepSlider_, 1);
    controls->addWidget(stepLabel_);

    meanPlot_ = new DiagnosticPlot(this);
    stdPlot_ = new DiagnosticPlot(this);
    distancePlot_ = new DiagnosticPlot(this);
    auto* scatters = new QHBoxLayout;
    scatters->addWidget(meanPlot_);
    scatters->addWidget(stdPlot_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(controls);
    layout->addLayout(scatters, 3);
    layout->addWidget(distancePlot_, 2);

    meanPlot_->xAxis->setLabel(tr("teacher channel mean"));
    meanPlot_->yAxis->setLabel(tr("student channel mean"));
    stdPlot_->xAxis->setLabel(tr("teacher channel std"));
    stdPlot_->yAxis->setLabel(tr("student channel std"));
    meanScatter_ = addScatter(meanPlot_, OkabeItoPalette::color(0));
    stdScatter_ = addScatter(stdPlot_, OkabeItoPalette::color(1));
    meanDiagonal_ = new QCPItemStraightLine(meanPlot_);
    stdDiagonal_ = new QCPItemStraightLine(stdPlot_);
    for (QCPItemStraightLine* diagonal : {meanDiagonal_, stdDiagonal_}) {
        diagonal->point1->setCoords(0, 0);
        diagonal->point2->setCoords(1, 1);
        diagonal->setLayer(QStringLiteral("grid"));   // under the dots
    }
    for (DiagnosticPlot* plot : {meanPlot_, stdPlot_}) {
        plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
        plot->setToolTip(QString());
        connect(plot, &QCustomPlot::mouseMove, this,
                [this, plot](QMouseEvent* event) { showScatterTooltip(plot, plot == meanPlot_, event); });
    }

    distancePlot_->xAxis->setLabel(tr("step"));
    distancePlot_->yAxis->setLabel(tr("mean |Δ| over channels"));
    distancePlot_->yAxis2->setLabel(tr("alignment error (MSE)"));
    meanDistance_ = addLine(distancePlot_, distancePlot_->yAxis, tr("|Δμ| (mean)"), OkabeItoPalette::color(0));
    stdDistance_ = addLine(distancePlot_, distancePlot_->yAxis, tr("|Δσ| (std)"), OkabeItoPalette::color(1));
    alignment_ = addLine(distancePlot_, distancePlot_->yAxis2, tr("alignment error"), OkabeItoPalette::color(2));
    distancePlot_->legend->setVisible(true);
    distancePlot_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    stepMarker_ = new QCPItemStraightLine(distancePlot_);
    stepMarker_->setVisible(false);
    distancePlot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    distancePlot_->setToolTip(tr("Drag to pan, scroll to zoom, double-click to follow the newest steps"));
    for (QCPAxis* axis : {distancePlot_->xAxis, distancePlot_->yAxis, distancePlot_->yAxis2})
        connect(axis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, [this] {
            if (!fittingDistances_ && meanDistance_->dataCount() > 0) followDistances_ = false;
        });
    connect(distancePlot_, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent*) {
        followDistances_ = true;
        rebuildDistances();
    });

    connect(spotCombo_, qOverload<int>(&QComboBox::currentIndexChanged), this, &ChannelsView::onSpotChosen);
    connect(stepSlider_, &QSlider::valueChanged, this, &ChannelsView::onSliderMoved);
    connect(meanPlot_, &DiagnosticPlot::paletteApplied, this, &ChannelsView::restyle);
    restyle();
    showRun(0);
}

QList<QCustomPlot*> ChannelsView::plots() const { return {meanPlot_, stdPlot_, distancePlot_}; }

void ChannelsView::restyle() {
    QColor diagonal = palette().color(QPalette::Text);
    diagonal.setAlpha(140);
    meanDiagonal_->setPen(QPen(diagonal, 1, Qt::DashLine));
    stdDiagonal_->setPen(QPen(diagonal, 1, Qt::DashLine));
    stepMarker_->setPen(QPen(diagonal, 1, Qt::DashLine));
}

void ChannelsView::showRun(qint64 runId) {
    runId_ = runId;
    spot_.clear();
    step_ = -1;
    followLatest_ = true;
    steps_.clear();
    distances_.clear();
    shown_.clear();
    followDistances_ = true;
    syncing_ = true;
    spotCombo_->clear();
    stepSlider_->setRange(0, 0);
    syncing_ = false;
    stepLabel_->clear();
    meanScatter_->data()->clear();
    stdScatter_->data()->clear();
    const QString hint = runId == 0 ? tr("Select a run to see its channel statistics") : tr("Loading…");
    meanPlot_->setHint(hint);
    stdPlot_->setHint(hint);
    rebuildDistances();
    for (QCustomPlot* plot : plots()) plot->replot(QCustomPlot::rpQueuedReplot);
}

void ChannelsView::setAvailability(qint64 runId, const QStringList& spots,
                                   const QMap<QString, QVector<qint64>>& stepsBySpot) {
    if (runId != runId_) return;
    steps_ = stepsBySpot;
    syncing_ = true;
    for (int i = 0; i < spots.size(); ++i)
        if (spotCombo_->findText(spots.at(i)) < 0) spotCombo_->insertItem(i, spots.at(i));
    syncing_ = false;
    if (spot_.isEmpty() && !spots.isEmpty()) {
        selectSpot(spots.first());
        return;
    }
    const QVector<qint64> steps = steps_.value(spot_);
    if (followLatest_ && !steps.isEmpty() && steps.last() != step_) {
        step_ = steps.last();
        requestStats();
    }
    syncSlider();
}

void ChannelsView::selectSpot(const QString& spot) {
    const int index = spotCombo_->findText(spot);
    if (index < 0) return;
    if (spotCombo_->currentIndex() != index) spotCombo_->setCurrentIndex(index);   // calls onSpotChosen
    else onSpotChosen(index);
}

void ChannelsView::onSpotChosen(int index) {
    if (syncing_ || index < 0) return;
    const QString spot = spotCombo_->itemText(index);
    if (spot == spot_ && step_ >= 0) return;
    spot_ = spot;
    // Keep the step when the new spot has it (spots are written together), else the nearest.
    const QVector<qint64> steps = steps_.value(spot_);
    if (!steps.isEmpty()) {
        if (followLatest_ || step_ < 0) {
            step_ = steps.last();
        } else {
            auto nearest = std::min_element(steps.cbegin(), steps.cend(), [this](qint64 a, qint64 b) {
                return std::llabs(a - step_) < std::llabs(b - step_);
            });
            step_ = *nearest;
        }
        requestStats();
    }
    syncSlider();
    rebuildDistances();
}

void ChannelsView::selectStep(qint64 step) {
    const QVector<qint64> steps = steps_.value(spot_);
    if (steps.isEmpty()) return;
    auto nearest = std::min_element(steps.cbegin(), steps.cend(),
                                    [step](qint64 a, qint64 b) { return std::llabs(a - step) < std::llabs(b - step); });
    followLatest_ = nearest == std::prev(steps.cend());
    if (*nearest != step_) {
        step_ = *nearest;
        requestStats();
    }
    syncSlider();
    rebuildDistances();
}

void ChannelsView::onSliderMoved(int index) {
    if (syncing_) return;
    const QVector<qint64> steps = steps_.value(spot_);
    if (index < 0 || index >= steps.size()) return;
    selectStep(steps.at(index));
}

void ChannelsView::syncSlider() {
    const QVector<qint64> steps = steps_.value(spot_);
    syncing_ = true;
    stepSlider_->setRange(0, std::max<int>(0, static_cast<int>(steps.size()) - 1));
    stepSlider_->setValue(std::max<int>(0, static_cast<int>(steps.indexOf(step_))));
    stepSlider_->setEnabled(steps.size() > 1);
    syncing_ = false;
    stepLabel_->setText(step_ >= 0 ? tr("step %1 (%2 of %3)")
                                         .arg(step_)
                                         .arg(steps.indexOf(step_) + 1)
                                         .arg(steps.size())
                                   : QString());
}

void ChannelsView::requestStats() {
    if (runId_ == 0 || spot_.isEmpty() || step_ < 0) return;
    emit channelStatsRequested(runId_, spot_, step_);
}

void ChannelsView::setChannelStats(qint64 runId, const QString& spot, qint64 step, const ChannelStatRows& rows) {
    if (runId != runId_ || spot != spot_ || step != step_) return;   // an answer to an older request
    shown_ = rows;
    QVector<double> teacherMean, studentMean, teacherStd, studentStd;
    for (const store::ChannelStatRow& row : rows) {
        teacherMean.append(row.teacherMean);
        studentMean.append(row.studentMean);
        teacherStd.append(row.teacherStd);
        studentStd.append(row.studentStd);
    }
    meanScatter_->setData(teacherMean, studentMean);
    stdScatter_->setData(teacherStd, studentStd);
    fitSquare(meanPlot_, teacherMean, studentMean);
    fitSquare(stdPlot_, teacherStd, studentStd);
    const QString hint =
        rows.empty() ? tr("No channel rows at %1, step %2").arg(spot, QString::number(step)) : QString();
    meanPlot_->setHint(hint);
    stdPlot_->setHint(hint);
    meanPlot_->replot(QCustomPlot::rpQueuedReplot);
    stdPlot_->replot(QCustomPlot::rpQueuedReplot);
}

void ChannelsView::appendDistances(qint64 runId, const QString& spot, const ChannelDistanceRows& rows) {
    if (runId != runId_) return;
    // Keyed by step: a step sent again (more of its channels arrived) replaces the earlier value.
    auto& bySpot = distances_[spot];
    for (const store::ChannelDistanceRow& row : rows) bySpot[row.step] = row;
    if (spot == spot_) rebuildDistances();
}

void ChannelsView::rebuildDistances() {
    QVector<double> steps, means, stds, alignSteps, aligns;
    auto it = distances_.find(spot_);
    if (it != distances_.end()) {
        for (const auto& [step, row] : it->second) {
            steps.append(double(step));
            means.append(row.meanAbsMeanDiff);
            stds.append(row.meanAbsStdDiff);
            if (row.meanAlignmentError) {
                alignSteps.append(double(step));
                aligns.append(*row.meanAlignmentError);
            }
        }
    }
    meanDistance_->setData(steps, means, /*alreadySorted=*/true);
    stdDistance_->setData(steps, stds, true);
    alignment_->setData(alignSteps, aligns, true);
    const bool withAlignment = !aligns.isEmpty();
    alignment_->setVisible(withAlignment);
    if (withAlignment) alignment_->addToLegend();
    else alignment_->removeFromLegend();
    distancePlot_->yAxis2->setVisible(withAlignment);
    distancePlot_->legend->setVisible(!steps.isEmpty());
    // Sparse series get a dot per point so that a single step shows.
    const QCPScatterStyle dots = steps.size() <= 100 ? QCPScatterStyle(QCPScatterStyle::ssDisc, 4) : QCPScatterStyle();
    for (QCPGraph* graph : {meanDistance_, stdDistance_, alignment_}) graph->setScatterStyle(dots);

    if (!steps.isEmpty() && followDistances_) {
        fittingDistances_ = true;
        // A little air on both sides, so the first and the newest step (and its marker) stay clear of the frame.
        const double pad = std::max(1.0, (steps.last() - steps.first()) * 0.02);
        distancePlot_->xAxis->setRange(steps.first() - pad, steps.last() + pad);
        bool found = false;
        QCPRange range = meanDistance_->getValueRange(found);
        range.expand(stdDistance_->getValueRange(found));
        distancePlot_->yAxis->setRange(0, range.upper > 0 ? range.upper * 1.08 : 1);
        if (withAlignment) {
            const QCPRange alignRange = alignment_->getValueRange(found);
            distancePlot_->yAxis2->setRange(0, alignRange.upper > 0 ? alignRange.upper * 1.08 : 1);
        }
        fittingDistances_ = false;
    }
    stepMarker_->setVisible(step_ >= 0 && !steps.isEmpty());
    stepMarker_->point1->setCoords(double(step_), 0);
    stepMarker_->point2->setCoords(double(step_), 1);
    distancePlot_->setHint(runId_ == 0 ? QString()
                           : steps.isEmpty() ? tr("No channel statistics yet")
                                             : QString());
    distancePlot_->replot(QCustomPlot::rpQueuedReplot);
}

void ChannelsView::showScatterTooltip(DiagnosticPlot* plot, bool means, QMouseEvent* event) {
    const store::ChannelStatRow* nearest = nullptr;
    double best = kHoverPixels;
    for (const store::ChannelStatRow& row : shown_) {
        const double x = plot->xAxis->coordToPixel(means ? row.teacherMean : row.teacherStd);
        const double y = plot->yAxis->coordToPixel(means ? row.studentMean : row.studentStd);
        const double distance = std::hypot(x - event->position().x(), y - event->position().y());
        if (distance < best) {
            best = distance;
            nearest = &row;
        }
    }
    if (!nearest) {
        QToolTip::hideText();
        return;
    }
    const QString text =
        means ? tr("channel %1: teacher mean %2, student mean %3")
                    .arg(nearest->channel)
                    .arg(nearest->teacherMean, 0, 'g', 4)
                    .arg(nearest->studentMean, 0, 'g', 4)
              : tr("channel %1: teacher std %2, student std %3")
                    .arg(nearest->channel)
                    .arg(nearest->teacherStd, 0, 'g', 4)
                    .arg(nearest->studentStd, 0, 'g', 4);
    QToolTip::showText(event->globalPosition().toPoint(), text, plot);
}

}  // namespace distillery::views
