#pragma once
// Every plot of the window follows the widget palette (light or dark) instead of QCustomPlot's
// fixed white: backgrounds, axes, grids, legends, titles and colour scales.
#include <QPalette>

class QCustomPlot;

namespace distillery::views {

// Styles every element the plot holds now; call again after adding axis rects or colour scales,
// and on QEvent::PaletteChange.
void applyPlotPalette(QCustomPlot* plot, const QPalette& palette);

}  // namespace distillery::views
