#include "DiagnosticPlot.h"

#include "PlotPalette.h"

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

void DiagnosticPlot::applyPalette() {
    applyPlotPalette(this, palette());
    hint_->setColor(palette().color(QPalette::PlaceholderText));
    emit paletteApplied();
}

}  // namespace distillery::views
