#include "GatesView.h"

#include <tuple>
#include <algorithm>
#include <cmath>
#include <numeric>

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QToolTip>
#include <QVBoxLayout>

#include "DiagnosticPlot.h"
#include "OkabeItoPalette.h"
#include "PlainText.h"
#include "SpotOrder.h"
#include "ViridisGradient.h"

namespace distillery::views {

namespace {
constexpr int kClickSlopPixels = 4;   // a press and release closer than this are a click, not a drag
}

QString GatesView::cellToolTip(const QString& spot, qint64 step, double rate) {
    // One .arg() call (a spot holding "%2" stays as it is), and no markup from the spot's name.
    return plainToolTip(
        tr("%1, step %2: open rate %3").arg(spot, QString::number(step), QString::number(rate, 'f', 3)));
}

GatesView::GatesView(QWidget* parent) : QWidget(parent) {
    heatPlot_ = new DiagnosticPlot(this);
    classPlot_ = new DiagnosticPlot(this);
    scaleChoice_ = new QComboBox(this);
    scaleChoice_->addItem(tr("log-odds of the open rate"), int(Scale::LogOdds));
    scaleChoice_->addItem(tr("open rate, linear"), int(Scale::OpenRate));
    scaleChoice_->setToolTip(tr("Log-odds tells 0.99 from 0.9996: a gate that has begun to close from one that has not"));
    auto* scaleLabel = new QLabel(tr("Colour:"), this);
    scaleLabel->setBuddy(scaleChoice_);
    auto* scaleRow = new QHBoxLayout;
    scaleRow->addWidget(scaleLabel);
    scaleRow->addWidget(scaleChoice_);
    scaleRow->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(scaleRow);
    layout->addWidget(heatPlot_, 3);
    layout->addWidget(classPlot_, 2);

    heatPlot_->xAxis->setLabel(tr("step"));
    heatPlot_->yAxis->setLabel(tr("spot"));
    heatPlot_->yAxis->setTicker(QSharedPointer<QCPAxisTickerText>::create());
    heatPlot_->yAxis->grid()->setVisible(false);
    heatPlot_->xAxis->grid()->setVisible(false);
    heatPlot_->yAxis->setSubTicks(false);
    std::tie(map_, colorScale_) = heatPlot_->addViridisColorMap();
    // The selected evaluation: a light dashed line over a dark one, visible on every colour of the map.
    selectionShadow_ = new QCPItemStraightLine(heatPlot_);
    selectionShadow_->setPen(QPen(QColor(0, 0, 0, 200), 3));
    selectionLine_ = new QCPItemStraightLine(heatPlot_);
    selectionLine_->setPen(QPen(Qt::white, 1.5, Qt::DashLine));
    for (QCPItemStraightLine* line : {selectionShadow_, selectionLine_}) line->setVisible(false);
    heatPlot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    heatPlot_->axisRect()->setRangeDrag(Qt::Horizontal);
    heatPlot_->axisRect()->setRangeZoom(Qt::Horizontal);
    heatPlot_->setToolTip(tr("Click a column for the per-class open rates at the nearest evaluation; "
                             "drag to pan, scroll to zoom, double-click to see every step"));
    connect(heatPlot_, &QCustomPlot::mousePress, this, &GatesView::onMousePress);
    connect(heatPlot_, &QCustomPlot::mouseRelease, this, &GatesView::onMouseRelease);
    connect(heatPlot_, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent*) {
        followData_ = true;
        rebuildMap();
    });
    connect(heatPlot_->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, [this] {
        if (!fitting_ && !rates_.empty()) followData_ = false;
    });
    connect(heatPlot_, &QCustomPlot::mouseMove, this, [this](QMouseEvent* event) {
        if (!map_->data() || rates_.empty()) return;
        const double x = heatPlot_->xAxis->pixelToCoord(event->pos().x());
        const double y = heatPlot_->yAxis->pixelToCoord(event->pos().y());
        const int spotIndex = static_cast<int>(spots_.size()) - 1 - static_cast<int>(std::lround(y));
        if (spotIndex < 0 || spotIndex >= spots_.size()) return;
        int key = 0, value = 0;
        map_->data()->coordToCell(x, y, &key, &value);
        const double rate = rateAt(key, value);
        if (std::isnan(rate)) return;
        double cellStep = 0, cellY = 0;
        map_->data()->cellToCoord(key, value, &cellStep, &cellY);
        QToolTip::showText(event->globalPosition().toPoint(), cellToolTip(spots_.at(spotIndex), qint64(cellStep), rate),
                           heatPlot_);
    });

    classPlot_->xAxis->setLabel(tr("class"));
    classPlot_->yAxis->setLabel(tr("open rate"));
    classPlot_->yAxis->setRange(0, 1.05);
    auto classTicker = QSharedPointer<QCPAxisTickerFixed>::create();
    classTicker->setTickStep(1);
    classTicker->setTickCount(20);   // every class up to about 20, then every 2nd, 5th, … (ssMultiples)
    classTicker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    classPlot_->xAxis->setTicker(classTicker);
    classPlot_->xAxis->setSubTicks(false);
    classPlot_->xAxis->grid()->setVisible(false);
    // Rows: the title, the legend (a row of its own, never over the bars), the bars.
    classPlot_->addTitleAndLegendRows();
    classPlot_->legend->setWrap(8);
    barsGroup_ = new QCPBarsGroup(classPlot_);
    barsGroup_->setSpacingType(QCPBarsGroup::stAbsolute);
    barsGroup_->setSpacing(0);

    heatPlot_->applyPalette();
    classPlot_->applyPalette();
    connect(scaleChoice_, qOverload<int>(&QComboBox::currentIndexChanged), this,
            [this] { setScale(Scale(scaleChoice_->currentData().toInt())); });
    setScale(Scale::LogOdds);
    showRun(0);
}

double GatesView::cellValue(double rate, Scale scale) {
    if (scale == Scale::OpenRate) return rate;
    const double p = std::clamp(rate, 1e-12, 1 - 1e-12);
    return std::log10(p / (1 - p));
}

double GatesView::rateOfCell(double value, Scale scale) {
    if (scale == Scale::OpenRate || std::isnan(value)) return value;
    return 1 / (1 + std::pow(10.0, -value));
}

QCPRange GatesView::dataRange(Scale scale) {
    return scale == Scale::OpenRate ? QCPRange(0, 1) : QCPRange(-kLogOddsLimit, kLogOddsLimit);
}

double GatesView::rateAt(int key, int value) const { return rateOfCell(map_->data()->cell(key, value), scale_); }

void GatesView::setScale(Scale scale) {
    scale_ = scale;
    if (scaleChoice_->currentData().toInt() != int(scale)) scaleChoice_->setCurrentIndex(scaleChoice_->findData(int(scale)));
    if (scale == Scale::OpenRate) {
        colorScale_->axis()->setTicker(QSharedPointer<QCPAxisTicker>::create());
        colorScale_->axis()->setLabel(tr("open rate"));
    } else {
        // Ticks at the rates a reader thinks in, placed at their log-odds.
        auto ticker = QSharedPointer<QCPAxisTickerText>::create();
        for (const char* rate : {"0.0001", "0.001", "0.01", "0.1", "0.5", "0.9", "0.99", "0.999", "0.9999"})
            ticker->addTick(cellValue(QString(rate).toDouble(), scale), rate);
        colorScale_->axis()->setTicker(ticker);
        colorScale_->axis()->setLabel(tr("open rate (log-odds scale)"));
    }
    map_->setDataRange(dataRange(scale));   // fixed: a rate's colour means the same in every run
    rebuildMap();
}

QList<QCustomPlot*> GatesView::plots() const { return {heatPlot_, classPlot_}; }

void GatesView::showRun(qint64 runId) {
    runId_ = runId;
    rates_.clear();
    spots_.clear();
    followData_ = true;
    evaluationSteps_.clear();
    selectedEvaluation_ = -1;
    userSelected_ = false;
    clearBars();
    rebuildMap();
    classPlot_->setHint(runId == 0 ? QString() : tr("Loading…"));
    classPlot_->replot(QCustomPlot::rpQueuedReplot);
}

void GatesView::appendGates(qint64 runId, const GateRows& rows) {
    if (runId != runId_ || rows.empty()) return;
    // Keyed by step and spot: rows sent twice (a run watched again) land on the same cell.
    for (const store::GateRow& row : rows) rates_[row.step][QString::fromStdString(row.spot)] = row.openRate;
    rebuildMap();
}

void GatesView::rebuildMap() {
    QStringList spots;
    for (const auto& [step, bySpot] : rates_)
        for (const auto& [spot, rate] : bySpot)
            if (!spots.contains(spot)) spots.append(spot);
    spots_ = SpotOrder::sorted(spots);

    auto ticker = heatPlot_->yAxis->ticker().dynamicCast<QCPAxisTickerText>();
    ticker->clear();
    if (rates_.empty() || spots_.isEmpty()) {
        map_->data()->clear();
        for (QCPItemStraightLine* line : {selectionShadow_, selectionLine_}) line->setVisible(false);
        heatPlot_->setHint(runId_ == 0 ? tr("Select a run to see its gates")
                                       : tr("No gate rows yet: sakd writes them every diagnostics_every steps"));
        heatPlot_->replot(QCustomPlot::rpQueuedReplot);
        return;
    }
    heatPlot_->setHint(QString());

    const qint64 first = rates_.begin()->first;
    const qint64 last = rates_.rbegin()->first;
    qint64 stride = 0;   // the steps' common stride: diagnostics_every, or a divisor of it after a resume
    for (auto it = std::next(rates_.begin()); it != rates_.end(); ++it)
        stride = std::gcd(stride, it->first - std::prev(it)->first);
    if (stride <= 0) stride = 1;
    qint64 width = stride;
    const qint64 columnsAtStride = (last - first) / stride + 1;
    if (columnsAtStride > kMaxColumns) width = stride * ((columnsAtStride + kMaxColumns - 1) / kMaxColumns);
    const int columns = static_cast<int>((last - first) / width + 1);
    const int spotCount = static_cast<int>(spots_.size());

    // QCustomPlot draws a one-cell-wide or one-cell-high map with zero size: such a map gets a
    // transparent (NaN) second column or row, outside the visible range.
    const int keySize = std::max(2, columns);
    const int valueSize = std::max(2, spotCount);
    const double valueLow = spotCount - valueSize;   // y of the bottom cell; spots sit at 0..count-1
    auto* data = new QCPColorMapData(keySize, valueSize,
                                     QCPRange(double(first), double(first + (keySize - 1) * width)),
                                     QCPRange(valueLow, valueLow + valueSize - 1));
    data->fill(qQNaN());
    std::vector<double> sum(size_t(columns) * size_t(spotCount), 0.0);
    std::vector<int> count(sum.size(), 0);
    for (const auto& [step, bySpot] : rates_) {
        const int column = static_cast<int>((step - first) / width);
        for (const auto& [spot, rate] : bySpot) {
            const int spotIndex = static_cast<int>(spots_.indexOf(spot));
            const size_t at = size_t(column) * size_t(spotCount) + size_t(spotIndex);
            sum[at] += rate;
            ++count[at];
        }
    }
    for (int column = 0; column < columns; ++column) {
        for (int spotIndex = 0; spotIndex < spotCount; ++spotIndex) {
            const size_t at = size_t(column) * size_t(spotCount) + size_t(spotIndex);
            if (count[at] == 0) continue;
            const int y = spotCount - 1 - spotIndex;   // the first stage on top
            data->setCell(column, static_cast<int>(y - valueLow), cellValue(sum[at] / count[at], scale_));
        }
    }
    map_->setData(data, /*copy=*/false);
    map_->setDataRange(dataRange(scale_));

    for (int spotIndex = 0; spotIndex < spotCount; ++spotIndex)
        ticker->addTick(spotCount - 1 - spotIndex, spots_.at(spotIndex));
    heatPlot_->yAxis->setRange(-0.5, spotCount - 0.5);
    if (followData_) {
        fitting_ = true;
        heatPlot_->xAxis->setRange(double(first) - width / 2.0, double(first + (columns - 1) * width) + width / 2.0);
        fitting_ = false;
    }

    for (QCPItemStraightLine* line : {selectionShadow_, selectionLine_}) {
        line->point1->setCoords(double(selectedEvaluation_), 0);
        line->point2->setCoords(double(selectedEvaluation_), 1);
        line->setVisible(selectedEvaluation_ >= 0);
    }
    heatPlot_->replot(QCustomPlot::rpQueuedReplot);
}

double GatesView::rowOfSpot(const QString& spot) const {
    const int index = static_cast<int>(spots_.indexOf(spot));
    return index < 0 ? -1 : double(spots_.size() - 1 - index);
}

void GatesView::setGateClassSteps(qint64 runId, const QVector<qint64>& steps) {
    if (runId != runId_) return;
    evaluationSteps_ = steps;
    if (steps.isEmpty()) {
        classPlot_->setHint(tr("No per-class rates yet: sakd records them after each evaluation"));
        classPlot_->replot(QCustomPlot::rpQueuedReplot);
        return;
    }
    // Until the user picks one, the newest evaluation is shown.
    if (!userSelected_ && steps.last() != selectedEvaluation_) {
        selectedEvaluation_ = steps.last();
        rebuildMap();
        emit gateClassesRequested(runId_, selectedEvaluation_);
    }
}

qint64 GatesView::selectStep(qint64 step) {
    if (runId_ == 0 || evaluationSteps_.isEmpty()) return -1;
    auto after = std::lower_bound(evaluationSteps_.cbegin(), evaluationSteps_.cend(), step);
    qint64 nearest = after == evaluationSteps_.cend() ? evaluationSteps_.last() : *after;
    if (after != evaluationSteps_.cbegin() && (after == evaluationSteps_.cend() || step - *std::prev(after) <= *after - step))
        nearest = *std::prev(after);
    userSelected_ = true;
    if (nearest != selectedEvaluation_) {
        selectedEvaluation_ = nearest;
        clearBars();
        classPlot_->setHint(tr("Loading…"));
        classPlot_->replot(QCustomPlot::rpQueuedReplot);
        rebuildMap();
    }
    emit gateClassesRequested(runId_, nearest);
    return nearest;
}

void GatesView::setGateClasses(qint64 runId, qint64 step, const GateClassRows& rows) {
    if (runId != runId_ || step != selectedEvaluation_) return;   // an answer to an older request
    clearBars();
    std::map<QString, std::vector<const store::GateClassRow*>> bySpot;
    qint64 maxClass = 0;
    for (const store::GateClassRow& row : rows) {
        bySpot[QString::fromStdString(row.spot)].push_back(&row);
        maxClass = std::max<qint64>(maxClass, row.classIndex);
    }
    QStringList spots;
    for (const auto& entry : bySpot) spots.append(entry.first);
    spots = SpotOrder::sorted(spots);

    const double width = 0.8 / std::max<qsizetype>(1, spots.size());
    for (int i = 0; i < spots.size(); ++i) {
        auto* bars = new QCPBars(classPlot_->xAxis, classPlot_->yAxis);
        bars->setName(spots.at(i));
        const QColor color = OkabeItoPalette::color(i);
        bars->setPen(QPen(color.darker(120), 1));
        bars->setBrush(color);
        bars->setWidth(width);
        bars->setBarsGroup(barsGroup_);
        for (const store::GateClassRow* row : bySpot[spots.at(i)]) bars->addData(double(row->classIndex), row->openRate);
        bars_.append(bars);
    }
    auto* title = qobject_cast<QCPTextElement*>(classPlot_->plotLayout()->element(0, 0));
    title->setText(tr("Per-class open rate at the evaluation of step %1").arg(step));
    classPlot_->xAxis->setRange(-0.6, double(maxClass) + 0.6);
    classPlot_->setHint(rows.empty() ? tr("No per-class rates at step %1").arg(step) : QString());
    classPlot_->replot(QCustomPlot::rpQueuedReplot);
}

QCPBars* GatesView::classBars(const QString& spot) const {
    for (QCPBars* bars : bars_)
        if (bars->name() == spot) return bars;
    return nullptr;
}

void GatesView::clearBars() {
    for (QCPBars* bars : bars_) classPlot_->removePlottable(bars);
    bars_.clear();
    if (auto* title = qobject_cast<QCPTextElement*>(classPlot_->plotLayout()->element(0, 0))) title->setText(QString());
}

void GatesView::onMousePress(QMouseEvent* event) { pressPosition_ = event->pos(); }

void GatesView::onMouseRelease(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton) return;
    if ((event->pos() - pressPosition_).manhattanLength() > kClickSlopPixels) return;   // a drag
    if (!heatPlot_->axisRect()->rect().contains(event->pos())) return;
    selectStep(std::llround(heatPlot_->xAxis->pixelToCoord(event->pos().x())));
}

}  // namespace distillery::views
