#include "DiagnosticPlot.h"

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

void DiagnosticPlot::styleAxis(QCPAxis* axis, const QColor& text, const QColor& grid) {
    axis->setBasePen(QPen(text, 1));
    axis->setTickPen(QPen(text, 1));
    axis->setSubTickPen(QPen(text, 1));
    axis->setLabelColor(text);
    axis->setTickLabelColor(text);
    axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
    axis->grid()->setZeroLinePen(Qt::NoPen);
}

void DiagnosticPlot::applyPalette() {
    const QPalette pal = palette();
    const QColor base = pal.color(QPalette::Base);
    const QColor text = pal.color(QPalette::Text);
    QColor grid = pal.color(QPalette::Mid);
    grid.setAlpha(110);
    setBackground(base);
    for (QCPAxisRect* rect : axisRects()) {
        rect->setBackground(base);
        for (QCPAxis* axis : rect->axes()) styleAxis(axis, text, grid);
    }
    for (QCPLayoutElement* element : plotLayout()->elements(true)) {
        if (auto* legend = qobject_cast<QCPLegend*>(element)) {
            legend->setBrush(Qt::NoBrush);
            legend->setBorderPen(Qt::NoPen);
            legend->setTextColor(text);
        } else if (auto* title = qobject_cast<QCPTextElement*>(element)) {
            title->setTextColor(text);
        } else if (auto* scale = qobject_cast<QCPColorScale*>(element)) {
            styleAxis(scale->axis(), text, grid);
            scale->axis()->grid()->setVisible(false);
        }
    }
    hint_->setColor(pal.color(QPalette::PlaceholderText));
    emit paletteApplied();
}

}  // namespace distillery::views
