#include "PlotExport.h"

#include <memory>

#include <QBuffer>
#include <QCoreApplication>
#include <QDir>
#include <QFileDialog>
#include <QMessageBox>
#include <QSettings>
#include <QFileInfo>
#include <QPainter>
#include <QPixmap>
#include <QSaveFile>
#include <QSvgGenerator>

#include <qcustomplot.h>

#include "PlainText.h"

namespace distillery::views {

namespace {

QString tr(const char* text) { return QCoreApplication::translate("PlotExport", text); }

QSize sizeFor(QCustomPlot* plot, QSize size) {
    if (size.isValid() && !size.isEmpty()) return size;
    if (plot->width() > 0 && plot->height() > 0) return plot->size();
    return QSize(800, 450);
}

QString cannotWrite(const QString& path, const QString& reason) {
    return tr("cannot write the plot to %1: %2. Choose a folder you can write to.").arg(path, reason);
}

// Qt 6.4's QSvgGenerator writes the title into the SVG as it is, so a title holding "&" or "<"
// (a metric key, a file name) made the file malformed XML; a later Qt may escape it itself. Checked
// once, so that the title is escaped exactly once.
bool svgGeneratorEscapesTitle() {
    static const bool escapes = [] {
        QByteArray bytes;
        QBuffer buffer(&bytes);
        buffer.open(QIODevice::WriteOnly);
        QSvgGenerator generator;
        generator.setOutputDevice(&buffer);
        generator.setSize(QSize(1, 1));
        generator.setTitle(QStringLiteral("&"));
        QPainter painter;
        if (painter.begin(&generator)) painter.end();
        return bytes.contains("<title>&amp;</title>");
    }();
    return escapes;
}

QString writeBytes(const QString& path, const QByteArray& bytes) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) return cannotWrite(path, file.errorString());
    if (file.write(bytes) != bytes.size() || !file.commit()) return cannotWrite(path, file.errorString());
    return {};
}

}  // namespace

QByteArray plotToPng(QCustomPlot* plot, QSize size) {
    const QSize pixels = sizeFor(plot, size);
    // scale 1: the image has exactly the requested pixels, whatever the screen's device pixel ratio.
    const QPixmap pixmap = plot->toPixmap(pixels.width(), pixels.height(), 1.0);
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    if (pixmap.isNull() || !pixmap.save(&buffer, "PNG")) return {};
    return bytes;
}

QByteArray plotToSvg(QCustomPlot* plot, QSize size, const QString& title) {
    const QSize pixels = sizeFor(plot, size);
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    QSvgGenerator generator;
    generator.setOutputDevice(&buffer);
    generator.setSize(pixels);
    generator.setViewBox(QRect(QPoint(0, 0), pixels));
    generator.setTitle(svgGeneratorEscapesTitle() ? title : title.toHtmlEscaped());
    generator.setDescription(tr("Drawn by Distillery"));
    QCPPainter painter;
    if (!painter.begin(&generator)) return {};
    // As QCustomPlot's own savePdf: vector output, no cached pixmaps inside the SVG.
    painter.setMode(QCPPainter::pmVectorized);
    painter.setMode(QCPPainter::pmNoCaching);
    plot->toPainter(&painter, pixels.width(), pixels.height());
    painter.end();
    return bytes;
}

QString exportPlot(QCustomPlot* plot, const QString& path, QSize size) {
    if (!plot) return tr("there is no plot to export");
    const QString suffix = QFileInfo(path).suffix().toLower();
    const QSize pixels = sizeFor(plot, size);
    if (suffix == QLatin1String("png")) {
        const QByteArray png = plotToPng(plot, pixels);
        if (png.isEmpty()) return tr("cannot draw the plot as PNG (%1×%2 pixels)").arg(pixels.width()).arg(pixels.height());
        return writeBytes(path, png);
    }
    if (suffix == QLatin1String("svg")) {
        const QByteArray svg = plotToSvg(plot, pixels, QFileInfo(path).completeBaseName());
        if (svg.isEmpty()) return tr("cannot draw the plot as SVG");
        return writeBytes(path, svg);
    }
    if (suffix == QLatin1String("pdf")) {
        // QCustomPlot writes the file itself; check the folder first so that the message can say why.
        const QFileInfo folder(QFileInfo(path).absolutePath());
        if (!folder.isDir() || !folder.isWritable()) return cannotWrite(path, tr("the folder is missing or read-only"));
        if (!plot->savePdf(path, pixels.width(), pixels.height(), QCP::epNoCosmetic, QStringLiteral("Distillery")))
            return cannotWrite(path, tr("QCustomPlot could not create the PDF"));
        return {};
    }
    return tr("cannot export a plot as \"%1\": name the file .png, .svg or .pdf").arg(QFileInfo(path).fileName());
}

QString plotExportFilter() {
    return tr("PNG image (*.png);;SVG image (*.svg);;PDF document (*.pdf)");
}

QString exportPlotWithDialog(QCustomPlot* plot, QWidget* parent, const QString& baseName) {
    static const QString kFolderKey = QStringLiteral("export/lastPlotFolder");
    QSettings settings;
    const QString folder = settings.value(kFolderKey, QDir::homePath()).toString();
    QString selectedFilter;
    QString path = QFileDialog::getSaveFileName(parent, tr("Export plot"), QDir(folder).filePath(baseName + QStringLiteral(".png")),
                                                plotExportFilter(), &selectedFilter);
    if (path.isEmpty()) return {};
    // A name without a known suffix gets the one of the filter chosen.
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix != QLatin1String("png") && suffix != QLatin1String("svg") && suffix != QLatin1String("pdf")) {
        if (selectedFilter.contains(QLatin1String("*.svg"))) path += QStringLiteral(".svg");
        else if (selectedFilter.contains(QLatin1String("*.pdf"))) path += QStringLiteral(".pdf");
        else path += QStringLiteral(".png");
    }
    settings.setValue(kFolderKey, QFileInfo(path).absolutePath());
    const QString error = exportPlot(plot, path);
    if (!error.isEmpty()) {
        // The message quotes the path as chosen: shown as written, never as markup.
        std::unique_ptr<QMessageBox> box(
            plainMessageBox(QMessageBox::Warning, tr("Cannot export the plot"), error, QMessageBox::Ok, parent));
        box->exec();
        return {};
    }
    return path;
}

}  // namespace distillery::views
