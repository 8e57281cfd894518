#include "DiagnosticPlot.h"

#include "PlotPalette.h"
#include "ViridisGradient.h"

namespace distillery::views {

DiagnosticPlot::DiagnosticPlot(QWidget* parent) : QCustomPlot(parent) {
    setNoAntialiasingOnDrag(true);
    hint_ = new QCPItemText(this);
    hint_->position->setType(QCPItemPosition::ptAxisRectRatio);
    hint_->position->setCoords(0.5, 0.5);
    hint_->setClipToAxisRect(false);
    hint_->setVisible(false);
    applyPalette();
}

void DiagnosticPlot::setHint(const QString& text) {
    hint_->setText(text);
    hint_->setVisible(!text.isEmpty());
}

QString DiagnosticPlot::hint() const { return hint_->visible() ? hint_->text() : QString(); }

void DiagnosticPlot::changeEvent(QEvent* event) {
    QCustomPlot::changeEvent(event);
    if (event->type() == QEvent::PaletteChange) {
        applyPalette();
        replot(rpQueuedReplot);
    }
}

QCPTextElement* DiagnosticPlot::addTitleAndLegendRows() {
    plotLayout()->insertRow(0);
    auto* title = new QCPTextElement(this, QString());
    plotLayout()->addElement(0, 0, title);
    legend->setVisible(true);
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    axisRect()->insetLayout()->take(legend);
    plotLayout()->insertRow(1);
    plotLayout()->addElement(1, 0, legend);
    plotLayout()->setRowStretchFactor(0, 0.001);
    plotLayout()->setRowStretchFactor(1, 0.001);
    return title;
}

std::pair<QCPColorMap*, QCPColorScale*> DiagnosticPlot::addViridisColorMap() {
    auto* map = new QCPColorMap(xAxis, yAxis);
    map->setInterpolate(false);
    map->setTightBoundary(false);
    auto* scale = new QCPColorScale(this);
    plotLayout()->addElement(0, 1, scale);
    scale->setType(QCPAxis::atRight);
    scale->setGradient(ViridisGradient::make());
    map->setColorScale(scale);
    map->setGradient(ViridisGradient::make());
    auto* margins = new QCPMarginGroup(this);
    axisRect()->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
    scale->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
    return {map, scale};
}

void DiagnosticPlot::applyPalette() {
    applyPlotPalette(this, palette());
    hint_->setColor(palette().color(QPalette::PlaceholderText));
    emit paletteApplied();
}

}  // namespace distillery::views
