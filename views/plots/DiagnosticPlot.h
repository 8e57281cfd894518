#pragma once
// A QCustomPlot that follows the widget palette (light or dark) instead of QCustomPlot's fixed white:
// every axis rect, axis, legend, title and colour scale takes its colours from the palette, again on
// every QEvent::PaletteChange. It also shows a centred hint ("Loading…", "No rows yet") while the
// plot has nothing to show.
#include <qcustomplot.h>

#include <utility>

namespace distillery::views {

class DiagnosticPlot : public QCustomPlot {
    Q_OBJECT
public:
    explicit DiagnosticPlot(QWidget* parent = nullptr);

    // Empty text hides the hint. It sits in the middle of the first axis rect.
    void setHint(const QString& text);
    QString hint() const;

    // Re-applies the palette to elements added after construction (axis rects, colour scales).
    void applyPalette();

    // A title row on top and the legend in a row of its own below it, filled columns first: a legend
    // inside the axis rect would hide bars or cells. Returns the (empty) title.
    QCPTextElement* addTitleAndLegendRows();

    // A heat map on the axis rect, unsmoothed, with a viridis colour scale on its right that keeps the
    // axis rect's height (a margin group). The map and the scale, for their data range and label.
    std::pair<QCPColorMap*, QCPColorScale*> addViridisColorMap();

signals:
    void paletteApplied();   // for owners that colour their own items (lines, labels) from the palette

protected:
    void changeEvent(QEvent* event) override;

private:
    QCPItemText* hint_ = nullptr;
};

}  // namespace distillery::views
