#pragma once
// What a report is made of: which store, which runs, which sections, which metrics to plot and the
// output format. A plain value type: the Report page, the headless `distillery report` command and
// the tests all describe a report with it.
#include <optional>

#include <QList>
#include <QSize>
#include <QString>
#include <QStringList>

namespace distillery::views {

enum class ReportFormat { Html, Markdown, Pdf, Csv, Latex };

// How HTML embeds its plots: PNG or SVG, both as data URIs so that the file stays self-contained.
enum class PlotImageFormat { Png, Svg };

struct ReportSections {
    bool configDiff = true;    // the spec keys whose values differ between the runs
    bool results = true;       // one row per run: best val/acc1, test acc. at best val., last test acc.
    bool grouped = true;       // one row per configuration: mean ± std over its seeds
    bool plots = true;         // one plot per chosen metric key, all runs overlaid
    bool diagnostics = false;  // per run: status, wall time, points, gates and path weights at the end
    // After the grouped table, one table per baseline: n, mean ± std and CI per configuration, and
    // each configuration's difference to the baseline with its t-test and Holm-adjusted p. Last, so
    // that a positional initialiser of the five above keeps its meaning.
    bool statistics = true;
};

struct ReportRequest {
    QString storePath;
    QList<qint64> runIds;
    ReportSections sections;
    QStringList plotKeys = defaultPlotKeys();
    ReportFormat format = ReportFormat::Html;
    PlotImageFormat plotImages = PlotImageFormat::Png;
    QSize plotSize = QSize(800, 450);   // pixels of each plot image
    QString title;                      // empty: "Distillery report"
    // The configurations (labels as the grouped table shows them) the statistics compare against, one
    // table each, the first also marking the grouped table; empty: ReportStatistics::defaultBaselines.
    QStringList baselines;

    static QStringList defaultPlotKeys() { return {QStringLiteral("val/acc1"), QStringLiteral("train/loss")}; }
};

// "html", "md", "pdf", "csv", "latex": the names the command line and the settings use.
QString reportFormatName(ReportFormat format);
// Accepts the names above and the usual aliases ("htm", "markdown", "tex"); nullopt otherwise.
std::optional<ReportFormat> reportFormatFromName(const QString& name);
// The format a file name asks for by its suffix (".html", ".md", ".pdf", ".csv", ".tex").
std::optional<ReportFormat> reportFormatFromFileName(const QString& fileName);
QString reportFormatSuffix(ReportFormat format);        // "html", "md", "pdf", "csv", "tex"
QString reportFormatDisplayName(ReportFormat format);   // "HTML (self-contained)", …
QList<ReportFormat> allReportFormats();

}  // namespace distillery::views
