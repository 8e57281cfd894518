#pragma once
// Saving a QCustomPlot as an image, for the report and for the GUI's "export plot" action.
#include <QByteArray>
#include <QSize>
#include <QString>

class QCustomPlot;
class QWidget;

namespace distillery::views {

// Writes plot to path in the format its suffix names: .png, .svg or .pdf. size: the picture's size
// in pixels (points for PDF); empty = the plot's current size. Returns an empty string on success,
// else what went wrong and how to fix it.
QString exportPlot(QCustomPlot* plot, const QString& path, QSize size = QSize());

// The plot drawn at exactly size pixels, as PNG or SVG bytes (for embedding). Empty on failure.
QByteArray plotToPng(QCustomPlot* plot, QSize size);
QByteArray plotToSvg(QCustomPlot* plot, QSize size, const QString& title = QString());

// The file dialog filter of the formats exportPlot understands.
QString plotExportFilter();

// The GUI's "Export plot…": asks for a file (PNG, SVG or PDF; the folder used last is remembered in
// QSettings), writes the plot at its on-screen size and says what went wrong in a message box.
// Returns the file written, or an empty string when cancelled or failed.
QString exportPlotWithDialog(QCustomPlot* plot, QWidget* parent, const QString& baseName = QStringLiteral("plot"));

}  // namespace distillery::views
