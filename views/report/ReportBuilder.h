#pragma once
// Turns ReportData into a report file: HTML (one self-contained file, plots as data URIs), Markdown
// (GitHub tables, plots as PNG files in "<name>_files/" beside it), PDF (the HTML on A4), CSV (every
// metric point, long format, the confusion cells in "<name>_confusion.csv" and the statistics in
// "<name>_statistics.csv" beside it) or LaTeX (the grouped results as a booktabs tabular, the
// statistics against each baseline, then each run's per-class results). Every format marks the
// significant differences (bold, a dagger, a footnote saying what it means).
//
// Threads: ReportData::load() reads the store on any thread; renderPlots() draws with MetricPlot
// off-screen and so must run on the GUI thread, as must write() for PDF (QTextDocument layout).
// exportReport() does all of it on the calling thread, for the headless command.
#include <QColor>
#include <QHash>
#include <QList>
#include <QSize>
#include <QString>
#include <QStringList>

#include "ReportData.h"
#include "ReportRequest.h"
#include "ReportStatistics.h"
#include "ReportTable.h"

namespace distillery::views {

struct ReportPlot {
    QString key;          // the metric key plotted, one graph per run
    QString fileName;     // "plot-1-val_acc1.png": Markdown writes the PNG under this name
    QSize size;           // pixels
    QByteArray png;
    QByteArray svg;       // only when the request embeds SVG
};

class ReportBuilder {
public:
    // The widest a plot is shown in the PDF: A4 minus margins at 96 dpi.
    static constexpr int kPdfImageWidth = 620;
    // LaTeX leaves out a confusion matrix of more classes than this: its columns would not fit a page.
    static constexpr int kMaxLatexConfusionClasses = 20;

    // Computes the statistics of the request's baselines (when the section is on): throws ReportError
    // naming a baseline that no configuration of the runs has.
    ReportBuilder(ReportRequest request, ReportData data);

    const ReportRequest& request() const { return request_; }
    const ReportData& data() const { return data_; }
    const ReportStatistics& statistics() const { return statistics_; }   // none without the section

    // GUI thread: draws one plot per requested key that some run has. Keys no run logged are listed by
    // missingPlotKeys() and named in the report.
    void renderPlots();
    const QList<ReportPlot>& plots() const { return plots_; }
    QStringList missingPlotKeys() const { return missingPlotKeys_; }

    QString title() const;
    // The chosen sections' tables, in report order; the results section ends with each run's
    // per-class results and, where recorded, its confusion matrix with cells as asked.
    QList<ReportTable> tables(ReportTable::ConfusionCells cells = ReportTable::ConfusionCells::Counts) const;
    QString html() const;                               // the self-contained HTML file
    QString markdown(const QString& imageFolder) const; // images linked as imageFolder/fileName
    QString latex() const;
    // What the file will hold, as text: HTML for HTML and PDF, Markdown (images in
    // "report_files/"), LaTeX. Empty for CSV, which is streamed from the store (MetricsCsvWriter).
    QString previewText() const;

    // Writes the request's format to path (Markdown: and its image folder). Throws ReportError.
    void write(const QString& path) const;

    // Loads, renders and writes on the calling thread (which must be the GUI thread unless the format
    // is CSV). Throws ReportError.
    static void exportReport(const ReportRequest& request, const QString& path);

    // "<folder>/<name>_files" for "<folder>/<name>.md"
    static QString imageFolderFor(const QString& markdownPath);

private:
    QString htmlDocument(int maxImageWidth) const;
    // The grouped table, its significant configurations marked against the first baseline.
    ReportTable groupedTable(bool withRunIds) const;
    void writePdf(const QString& path) const;
    void writeMarkdown(const QString& path) const;

    ReportRequest request_;
    ReportData data_;
    ReportStatistics statistics_;
    QList<ReportPlot> plots_;
    QStringList missingPlotKeys_;
    QHash<qint64, QColor> runColours_;   // each run's curve colour, once the plots are drawn
};

}  // namespace distillery::views
