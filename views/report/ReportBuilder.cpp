#include "ReportBuilder.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QAbstractTextDocumentLayout>
#include <QFont>
#include <QImage>
#include <QPageLayout>
#include <QPageSize>
#include <QPalette>
#include <QPdfWriter>
#include <QRegularExpression>
#include <QSaveFile>
#include <QTextDocument>
#include <QUrl>

#include "Counted.h"
#include "MetricPlot.h"
#include "MetricsCsvWriter.h"
#include "PlotExport.h"

namespace distillery::views {

namespace {

constexpr int kLayoutDotsPerMeter = 3780;   // 96 dpi

QString tr(const char* text, int n = -1) { return QCoreApplication::translate("ReportBuilder", text, nullptr, n); }

// Reports look the same whatever the desktop's theme: dark text on white, like the page they end on.
QPalette reportPalette() {
    QPalette palette;
    palette.setColor(QPalette::Window, Qt::white);
    palette.setColor(QPalette::Base, Qt::white);
    palette.setColor(QPalette::WindowText, QColor(0x1a, 0x1a, 0x1a));
    palette.setColor(QPalette::Text, QColor(0x1a, 0x1a, 0x1a));
    palette.setColor(QPalette::Mid, QColor(0xa0, 0xa0, 0xa0));
    palette.setColor(QPalette::PlaceholderText, QColor(0x70, 0x70, 0x70));
    return palette;
}

const char* const kCss = R"(
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1a1a1a; background: #ffffff; max-width: 1150px; margin: 2em auto; padding: 0 1em; line-height: 1.4; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { font-size: 1.3em; margin-top: 1.6em; border-bottom: 1px solid #dddddd; padding-bottom: 0.2em; }
h3 { font-size: 1.05em; margin-bottom: 0.3em; }
.meta, .note { color: #555555; }
.note { font-size: 0.92em; margin-top: 0; }
table { border-collapse: collapse; margin: 0.4em 0 1.2em 0; font-size: 0.92em; }
th, td { border: 1px solid #c8c8c8; padding: 3px 8px; vertical-align: top; }
th { background: #f0f0f0; text-align: left; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fafafa; }
code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.92em; }
img { max-width: 100%; height: auto; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } img, table { break-inside: avoid; } }
)";

// Every text a report prints may hold what a user typed (run names, spec values, metric keys,
// file names, the title): each format escapes it so that a reader sees exactly that text and no
// markup of the format comes from it. A line break is LF, CRLF or a lone CR, each one break.

bool isLineBreak(const QString& text, int i) { return text[i] == QLatin1Char('\n') || text[i] == QLatin1Char('\r'); }

// Advances i past the line break at i (a CRLF is one).
void skipLineBreak(const QString& text, int& i) {
    if (text[i] == QLatin1Char('\r') && i + 1 < text.size() && text[i + 1] == QLatin1Char('\n')) ++i;
}

// HTML text content: the five HTML specials as entities, a line break as <br> (the page shows the
// text's lines). lineBreak replaces it in contexts that cannot hold an element (<title>, attributes).
QString htmlEscaped(const QString& text, const QString& lineBreak = QStringLiteral("<br>")) {
    QString out;
    out.reserve(text.size() + text.size() / 8);
    for (int i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        switch (c.unicode()) {
        case '&': out += QLatin1String("&amp;"); break;
        case '<': out += QLatin1String("&lt;"); break;
        case '>': out += QLatin1String("&gt;"); break;
        case '"': out += QLatin1String("&quot;"); break;
        case '\'': out += QLatin1String("&#39;"); break;
        case '\n':
        case '\r':
            skipLineBreak(text, i);
            out += lineBreak;
            break;
        default: out += c;
        }
    }
    return out;
}

QString htmlAttribute(const QString& text) { return htmlEscaped(text, QStringLiteral("&#10;")); }
QString htmlOneLine(const QString& text) { return htmlEscaped(text, QStringLiteral(" ")); }

QString htmlTable(const ReportTable& table) {
    QString out;
    out += QStringLiteral("<h2>") + htmlEscaped(table.title) + QStringLiteral("</h2>\n");
    if (!table.note.isEmpty())
        out += QStringLiteral("<p class=\"note\">") + htmlEscaped(table.note) + QStringLiteral("</p>\n");
    if (table.rows.isEmpty()) {
        out += QStringLiteral("<p>") + htmlEscaped(table.emptyText) + QStringLiteral("</p>\n");
        return out;
    }
    // The attributes are for QTextDocument (the preview and the PDF), which reads little CSS.
    out += QStringLiteral("<table id=\"%1\" border=\"1\" cellspacing=\"0\" cellpadding=\"4\">\n<thead><tr>")
               .arg(htmlAttribute(table.id));
    for (int c = 0; c < table.header.size(); ++c) {
        const bool numeric = table.numeric.value(c);
        out += numeric ? QStringLiteral("<th class=\"num\" align=\"right\">") : QStringLiteral("<th align=\"left\">");
        out += htmlEscaped(table.header[c]) + QStringLiteral("</th>");
    }
    out += QStringLiteral("</tr></thead>\n<tbody>\n");
    for (int r = 0; r < table.rows.size(); ++r) {
        const QStringList& row = table.rows[r];
        out += QStringLiteral("<tr>");
        for (int c = 0; c < row.size(); ++c) {
            out += table.numeric.value(c) ? QStringLiteral("<td class=\"num\" align=\"right\"") : QStringLiteral("<td");
            const QColor background = table.cellColours.value(r).value(c);
            const bool marked = table.markedCells.value(r).value(c);
            QStringList style;
            if (background.isValid()) {
                // Light text on the dark end of the scale, dark text on the light end.
                const QString text =
                    qGray(background.rgb()) < 128 ? QStringLiteral("#ffffff") : QStringLiteral("#1a1a1a");
                style.append(QStringLiteral("background-color: %1; color: %2").arg(background.name(), text));
            }
            if (marked) style.append(QStringLiteral("font-weight: bold"));
            if (!style.isEmpty()) out += QStringLiteral(" style=\"") + style.join(QStringLiteral("; ")) + QLatin1Char('"');
            const QString title = table.cellTitles.value(r).value(c);
            if (!title.isEmpty()) out += QStringLiteral(" title=\"") + htmlAttribute(title) + QLatin1Char('"');
            out += QLatin1Char('>');
            if (c == 0 && r < table.rowColours.size())
                out += QStringLiteral("<span style=\"color: %1\">&#9632;</span> ").arg(table.rowColours[r].name());
            out += htmlEscaped(row[c]) + (marked ? htmlEscaped(ReportTable::kMark) : QString()) + QStringLiteral("</td>");
        }
        out += QStringLiteral("</tr>\n");
    }
    out += QStringLiteral("</tbody></table>\n");
    for (const QString& footnote : table.footnotes)
        out += QStringLiteral("<p class=\"note\">") + htmlEscaped(footnote) + QStringLiteral("</p>\n");
    return out;
}

// Markdown (CommonMark with GitHub's tables) inline text: the HTML specials as entities, so that no
// tag, entity or autolink comes from the text; the characters that start Markdown inline syntax
// (code, emphasis, strikethrough, links, math on GitHub, a heading's closing #) and the table cell
// separator | backslash-escaped; a line break as <br>, the one way a table cell holds one; a tab,
// and a space that a cell or heading would trim, as a character reference. An image's alt text
// holds no element: lineBreak replaces the <br> there.
QString markdownText(const QString& text, const QString& lineBreak = QStringLiteral("<br>")) {
    static const QString kBackslashed = QStringLiteral("\\`*_[]|~$#");
    QString out;
    out.reserve(text.size() + text.size() / 4);
    for (int i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (isLineBreak(text, i)) {
            skipLineBreak(text, i);
            out += lineBreak;
        } else if (c == QLatin1Char('&')) {
            out += QLatin1String("&amp;");
        } else if (c == QLatin1Char('<')) {
            out += QLatin1String("&lt;");
        } else if (c == QLatin1Char('>')) {
            out += QLatin1String("&gt;");
        } else if (c == QLatin1Char('"')) {
            out += QLatin1String("&quot;");
        } else if (c == QLatin1Char('\t')) {
            out += QLatin1String("&#9;");
        } else if (c == QLatin1Char(' ') && (i == 0 || i == text.size() - 1)) {
            out += QLatin1String("&#32;");
        } else {
            if (kBackslashed.contains(c)) out += QLatin1Char('\\');
            out += c;
        }
    }
    return out;
}

QString markdownTable(const ReportTable& table) {
    QString out = QStringLiteral("## ") + markdownText(table.title) + QStringLiteral("\n\n");
    if (!table.note.isEmpty()) out += markdownText(table.note) + QStringLiteral("\n\n");
    if (table.rows.isEmpty()) return out + markdownText(table.emptyText) + QStringLiteral("\n\n");
    QStringList header, separator;
    for (int c = 0; c < table.header.size(); ++c) {
        header.append(markdownText(table.header[c]));
        separator.append(table.numeric.value(c) ? QStringLiteral("---:") : QStringLiteral("---"));
    }
    out += QStringLiteral("| ") + header.join(QStringLiteral(" | ")) + QStringLiteral(" |\n");
    out += QStringLiteral("|") + separator.join(QStringLiteral("|")) + QStringLiteral("|\n");
    for (int r = 0; r < table.rows.size(); ++r) {
        QStringList cells;
        for (int c = 0; c < table.rows[r].size(); ++c) {
            const QString text = markdownText(table.rows[r][c]);
            // Bold, then the mark: a cell's text is escaped, so no ** of its own ends the emphasis.
            cells.append(table.markedCells.value(r).value(c)
                             ? QStringLiteral("**") + text + QStringLiteral("**") + markdownText(ReportTable::kMark)
                             : text);
        }
        out += QStringLiteral("| ") + cells.join(QStringLiteral(" | ")) + QStringLiteral(" |\n");
    }
    out += QLatin1Char('\n');
    for (const QString& footnote : table.footnotes) out += markdownText(footnote) + QStringLiteral("\n\n");
    return out;
}

// LaTeX text mode, for the default OT1 fonts as much as T1: the ten specials escaped (\ { } $ & #
// ^ _ % ~), < > | as their text commands (OT1 would print ¡ ¿ —), [ ] braced (a cell starting with
// [ after a row's \\ would be read as \\'s argument), the ligatures -- ``  '' ,, !` ?` broken with
// {}, a line break or tab as a space (a blank line would end the tabular's paragraph). Other
// non-ASCII stays UTF-8 (LaTeX's default input encoding), except the symbols the tables print
// themselves (± — → Δ α † ● ○), written as commands that any font has.
QString latexEscaped(const QString& text) {
    QString out;
    out.reserve(text.size() + text.size() / 4);
    for (int i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        const QChar next = i + 1 < text.size() ? text[i + 1] : QChar();
        switch (c.unicode()) {
        case '\\': out += QStringLiteral("\\textbackslash{}"); break;
        case '&': case '%': case '$': case '#': case '_': case '{': case '}':
            out += QLatin1Char('\\') + c;
            break;
        case '~': out += QStringLiteral("\\textasciitilde{}"); break;
        case '^': out += QStringLiteral("\\textasciicircum{}"); break;
        case '<': out += QStringLiteral("\\textless{}"); break;
        case '>': out += QStringLiteral("\\textgreater{}"); break;
        case '|': out += QStringLiteral("\\textbar{}"); break;
        case '[': out += QStringLiteral("{[}"); break;
        case ']': out += QStringLiteral("{]}"); break;
        case '-': case '`': case '\'': case ',':
            out += c;
            if (next == c) out += QStringLiteral("{}");
            break;
        case '!': case '?':
            out += c;
            if (next == QLatin1Char('`')) out += QStringLiteral("{}");
            break;
        case '\n': case '\r': case '\t':
            skipLineBreak(text, i);
            out += QLatin1Char(' ');
            break;
        case 0x00B1: out += QStringLiteral("$\\pm$"); break;   // ±
        case 0x2014: out += QStringLiteral("---"); break;      // — (no value)
        case 0x2192: out += QStringLiteral("$\\to$"); break;   // →
        case 0x0394: out += QStringLiteral("$\\Delta$"); break;   // Δ (a difference)
        case 0x03B1: out += QStringLiteral("$\\alpha$"); break;   // α (the significance level)
        case 0x2020: out += QStringLiteral("$^{\\dagger}$"); break;   // † (significant)
        case 0x25CF: out += QStringLiteral("$\\bullet$"); break;   // ● (significant)
        case 0x25CB: out += QStringLiteral("$\\circ$"); break;     // ○ (not significant)
        default: out += c;
        }
    }
    return out;
}

// A LaTeX comment runs to the end of its line: text in one must not start a new line. Each line
// break becomes a space; the rest stays as it is (a comment needs no escapes).
QString latexCommentText(const QString& text) {
    QString out;
    out.reserve(text.size());
    for (int i = 0; i < text.size(); ++i) {
        if (isLineBreak(text, i)) {
            skipLineBreak(text, i);
            out += QLatin1Char(' ');
        } else {
            out += text[i];
        }
    }
    return out;
}

// A booktabs tabular: the header, a rule, the rows.
QString latexTabular(const ReportTable& table) {
    QString columns;
    for (int c = 0; c < table.header.size(); ++c) columns += table.numeric.value(c) ? QLatin1Char('r') : QLatin1Char('l');
    QString out = QStringLiteral("\\begin{tabular}{%1}\n\\toprule\n").arg(columns);
    QStringList header;
    for (const QString& cell : table.header) header.append(latexEscaped(cell));
    out += header.join(QStringLiteral(" & ")) + QStringLiteral(" \\\\\n\\midrule\n");
    for (int r = 0; r < table.rows.size(); ++r) {
        QStringList cells;
        for (int c = 0; c < table.rows[r].size(); ++c) {
            const QString text = latexEscaped(table.rows[r][c]);
            cells.append(table.markedCells.value(r).value(c)
                             ? QStringLiteral("\\textbf{") + text + QLatin1Char('}') + latexEscaped(ReportTable::kMark)
                             : text);
        }
        out += cells.join(QStringLiteral(" & ")) + QStringLiteral(" \\\\\n");
    }
    return out + QStringLiteral("\\bottomrule\n\\end{tabular}\n");
}

// The table's footnotes under it, in small type: text a reader needs to read the marks and the "—"
// (not comments, as titles and notes are).
QString latexFootnotes(const ReportTable& table) {
    if (table.footnotes.isEmpty()) return {};
    QString out = QStringLiteral("\\par\\smallskip\n");
    for (const QString& footnote : table.footnotes)
        out += QStringLiteral("\\noindent{\\footnotesize ") + latexEscaped(footnote) + QStringLiteral("\\par}\n");
    return out;
}

QString fileNameFor(int index, const QString& key) {
    QString safe = key;
    safe.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9.-]+")), QStringLiteral("_"));
    return QStringLiteral("plot-%1-%2.png").arg(index).arg(safe);
}

void writeText(const QString& path, const QString& text) {
    QSaveFile file(path);
    const QByteArray bytes = text.toUtf8();
    if (!file.open(QIODevice::WriteOnly))
        throw ReportError(tr("cannot write %1: %2. Choose a folder you can write to.").arg(path, file.errorString())
                              .toStdString());
    if (file.write(bytes) != bytes.size() || !file.commit())
        throw ReportError(tr("cannot write %1: %2. Check the free space and the folder's permissions.")
                              .arg(path, file.errorString()).toStdString());
}

}  // namespace

ReportBuilder::ReportBuilder(ReportRequest request, ReportData data)
    : request_(std::move(request)), data_(std::move(data)) {
    if (request_.sections.statistics) statistics_ = ReportStatistics::compute(data_.runs, request_.baselines);
}

ReportTable ReportBuilder::groupedTable(bool withRunIds) const {
    const QList<ConfigurationStatistics>& perBaseline = statistics_.perBaseline;
    return ReportTable::grouped(data_, withRunIds, perBaseline.isEmpty() ? nullptr : &perBaseline.first());
}

QString ReportBuilder::title() const {
    return request_.title.isEmpty() ? tr("Distillery report") : request_.title;
}

QString ReportBuilder::imageFolderFor(const QString& markdownPath) {
    const QFileInfo info(markdownPath);
    return info.dir().filePath(info.completeBaseName() + QStringLiteral("_files"));
}

void ReportBuilder::renderPlots() {
    plots_.clear();
    missingPlotKeys_.clear();
    runColours_.clear();
    if (!request_.sections.plots || request_.format == ReportFormat::Csv || request_.format == ReportFormat::Latex)
        return;
    const QSize size = request_.plotSize.isValid() && !request_.plotSize.isEmpty() ? request_.plotSize : QSize(800, 450);

    // Never shown: QCustomPlot draws into the pixmap or SVG generator at the requested size.
    MetricPlot plot;
    plot.setAttribute(Qt::WA_DontShowOnScreen);
    plot.resize(size);
    plot.setPalette(reportPalette());
    plot.setColourBy(MetricPlot::ColourBy::Run);
    plot.setXAxis(MetricPlot::XAxis::Step);
    plot.setSmoothing(0);
    plot.setLogY(false);

    for (const QString& key : request_.plotKeys) {
        plot.clearSeries();
        bool anyPoints = false;
        for (const ComparedRun& compared : data_.runs) {
            MetricSeriesList series;
            for (const MetricSeries& one : data_.plotSeries.value(compared.run.id)) {
                if (one.key != key) continue;
                anyPoints = anyPoints || !one.steps.isEmpty();
                series.append(one);
            }
            // Every run, even one without the key: a run's colour follows its place, so it keeps
            // the same colour in every plot and in the runs table.
            plot.setSeries(compared.run.id, ReportTable::runLabel(compared), series);
            runColours_.insert(compared.run.id, plot.runColor(compared.run.id));
        }
        if (!anyPoints) {
            missingPlotKeys_.append(key);
            continue;
        }
        // Exactly this key, also one the interactive plot leaves out by default (lr, …).
        plot.setChosenKeys({key});
        // A value axis no curve uses would show an empty scale ("loss" beside an accuracy plot).
        for (QCPAxis* axis : {plot.yAxis, plot.yAxis2}) {
            bool used = false;
            for (const ComparedRun& compared : data_.runs) {
                const QCPGraph* graph = plot.graph(compared.run.id, key);
                used = used || (graph && graph->valueAxis() == axis && graph->dataCount() > 0);
            }
            axis->setVisible(used);
        }
        plot.followData();
        ReportPlot out;
        out.key = key;
        out.fileName = fileNameFor(static_cast<int>(plots_.size()) + 1, key);
        out.size = size;
        out.png = plotToPng(&plot, size);
        if (out.png.isEmpty())
            throw ReportError(tr("cannot draw the plot of %1 (%2×%3 pixels)")
                                  .arg(key, QString::number(size.width()), QString::number(size.height()))
                                  .toStdString());
        if (request_.plotImages == PlotImageFormat::Svg && request_.format == ReportFormat::Html)
            out.svg = plotToSvg(&plot, size, key);
        plots_.append(out);
    }
}

QList<ReportTable> ReportBuilder::tables(ReportTable::ConfusionCells cells) const {
    QList<ReportTable> tables{ReportTable::runList(data_)};
    // The runs table shows each run's curve colour once the plots are drawn.
    for (const ComparedRun& compared : data_.runs) {
        if (!runColours_.contains(compared.run.id)) break;
        tables.first().rowColours.append(runColours_.value(compared.run.id));
    }
    if (request_.sections.configDiff) tables.append(ReportTable::configDiff(data_));
    if (request_.sections.results) tables.append(ReportTable::results(data_));
    if (request_.sections.grouped) tables.append(groupedTable(/*withRunIds=*/true));
    for (int i = 0; i < statistics_.perBaseline.size(); ++i)
        tables.append(ReportTable::statistics(statistics_.perBaseline[i], i + 1));
    if (request_.sections.diagnostics) tables.append(ReportTable::diagnostics(data_));
    // Per run, and long: after every table that compares the runs.
    if (request_.sections.results) {
        for (int i = 0; i < data_.runs.size(); ++i) {
            tables.append(ReportTable::classResults(data_, i));
            if (data_.classes.value(i).results.recorded()) tables.append(ReportTable::confusion(data_, i, cells));
        }
    }
    return tables;
}

QString ReportBuilder::html() const { return htmlDocument(0); }

QString ReportBuilder::htmlDocument(int maxImageWidth) const {
    QString out;
    out += QStringLiteral("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out += QStringLiteral("<meta name=\"generator\" content=\"Distillery\">\n");
    out += QStringLiteral("<title>%1</title>\n<style>%2</style>\n</head>\n<body>\n")
               .arg(htmlOneLine(title()), QString::fromLatin1(kCss));
    out += QStringLiteral("<h1>") + htmlEscaped(title()) + QStringLiteral("</h1>\n");
    out += QStringLiteral("<p class=\"meta\">%1</p>\n")
               .arg(tr("Store <code>%1</code> · generated %2 · %3")
                        .arg(htmlEscaped(data_.storePath),
                             data_.generatedAt.toString(QStringLiteral("yyyy-MM-dd HH:mm")),
                             counted(data_.runs.size(), tr("run"), tr("runs"))));
    for (const ReportTable& table : tables(ReportTable::ConfusionCells::Percent)) out += htmlTable(table);

    if (request_.sections.plots) {
        // On paper the plots start a page of their own rather than leave their heading at a page's foot.
        out += maxImageWidth > 0 ? QStringLiteral("<h2 style=\"page-break-before: always\">%1</h2>\n").arg(tr("Plots"))
                                 : QStringLiteral("<h2>%1</h2>\n").arg(tr("Plots"));
        out += QStringLiteral("<p class=\"note\">%1</p>\n")
                   .arg(tr("One curve per run, x = training step; series of more than %1 points are down-sampled "
                           "keeping each bucket's minimum and maximum.")
                            .arg(ReportData::kPlotPoints));
        for (const ReportPlot& plot : plots_) {
            int width = plot.size.width(), height = plot.size.height();
            if (maxImageWidth > 0 && width > maxImageWidth) {
                height = height * maxImageWidth / width;
                width = maxImageWidth;
            }
            const bool svg = !plot.svg.isEmpty();
            const QString uri = svg ? QStringLiteral("data:image/svg+xml;base64,") + QString::fromLatin1(plot.svg.toBase64())
                                    : QStringLiteral("data:image/png;base64,") + QString::fromLatin1(plot.png.toBase64());
            // Concatenated, not chained .arg(): a key holding "%3" must stay as it is.
            out += QStringLiteral("<h3>") + htmlEscaped(plot.key) + QStringLiteral("</h3>\n<p><img src=\"") + uri +
                   QStringLiteral("\" width=\"%1\" height=\"%2\" alt=\"").arg(width).arg(height) +
                   htmlAttribute(tr("%1 of each run over the training steps").arg(plot.key)) +
                   QStringLiteral("\"></p>\n");
        }
        for (const QString& key : missingPlotKeys_)
            out += QStringLiteral("<p class=\"note\">") +
                   htmlEscaped(tr("No plot of %1: none of these runs logged it.").arg(key)) + QStringLiteral("</p>\n");
    }
    out += QStringLiteral("</body>\n</html>\n");
    return out;
}

QString ReportBuilder::markdown(const QString& imageFolder) const {
    QString out = QStringLiteral("# ") + markdownText(title()) + QStringLiteral("\n\n");
    // <code> rather than a `code span`: inside backticks no escape works, and a path may hold any of them.
    out += tr("Store <code>%1</code> · generated %2 · %3")
               .arg(markdownText(data_.storePath), data_.generatedAt.toString(QStringLiteral("yyyy-MM-dd HH:mm")),
                    counted(data_.runs.size(), tr("run"), tr("runs"))) +
           QStringLiteral("\n\n");
    for (const ReportTable& table : tables()) out += markdownTable(table);
    if (request_.sections.plots) {
        out += QStringLiteral("## %1\n\n").arg(tr("Plots"));
        for (const ReportPlot& plot : plots_) {
            // Percent-encoded: a folder name with spaces, parentheses or any other character still links.
            const QString link = QString::fromUtf8(
                QUrl::toPercentEncoding(imageFolder + QLatin1Char('/') + plot.fileName, "/"));
            out += QStringLiteral("### ") + markdownText(plot.key) + QStringLiteral("\n\n![") +
                   markdownText(plot.key, QStringLiteral(" ")) + QStringLiteral("](") + link + QStringLiteral(")\n\n");
        }
        for (const QString& key : missingPlotKeys_)
            out += markdownText(tr("No plot of %1: none of these runs logged it.").arg(key)) + QStringLiteral("\n\n");
    }
    return out;
}

QString ReportBuilder::latex() const {
    const ReportTable table = groupedTable(/*withRunIds=*/false);
    QStringList ids;
    for (const ComparedRun& compared : data_.runs) ids.append(QString::number(compared.run.id));
    QString out;
    out += QStringLiteral("% %1: runs %2 of %3, %4.\n")
               .arg(latexCommentText(title()), ids.join(QStringLiteral(", ")),
                    latexCommentText(QFileInfo(data_.storePath).fileName()),
                    data_.generatedAt.toString(QStringLiteral("yyyy-MM-dd HH:mm")));
    out += QStringLiteral("% %1\n").arg(latexCommentText(table.note));
    out += QStringLiteral("% Needs \\usepackage{booktabs} in the preamble; the text is UTF-8.\n");
    out += latexTabular(table) + latexFootnotes(table);
    for (int i = 0; i < statistics_.perBaseline.size(); ++i) {
        const ReportTable statistics = ReportTable::statistics(statistics_.perBaseline[i], i + 1);
        out += QStringLiteral("\n% ") + latexCommentText(statistics.title) + QLatin1Char('\n');
        if (statistics.rows.isEmpty()) continue;
        out += QStringLiteral("% ") + latexCommentText(statistics.note) + QLatin1Char('\n') +
               latexTabular(statistics) + latexFootnotes(statistics);
    }
    if (!request_.sections.results) return out;

    // Each run's per-class results, a paragraph apart (a blank line); titles, notes and what a table
    // leaves out are comments, as the grouped table's note is.
    for (int i = 0; i < data_.runs.size(); ++i) {
        const ReportTable classes = ReportTable::classResults(data_, i);
        out += QStringLiteral("\n% ") + latexCommentText(classes.title) + QLatin1Char('\n');
        if (classes.rows.isEmpty()) {
            out += QStringLiteral("% ") + latexCommentText(classes.emptyText) + QLatin1Char('\n');
            continue;
        }
        out += QStringLiteral("% ") + latexCommentText(classes.note) + QLatin1Char('\n') + latexTabular(classes);
        const ReportTable confusion = ReportTable::confusion(data_, i, ReportTable::ConfusionCells::Counts);
        out += QStringLiteral("\n% ") + latexCommentText(confusion.title) + QLatin1Char('\n');
        if (confusion.rows.size() > kMaxLatexConfusionClasses) {
            out += QStringLiteral("% ") +
                   tr("Left out: its %1 classes make more columns than a page holds (LaTeX gets at most %2); the HTML, "
                      "Markdown and CSV reports hold it.")
                       .arg(confusion.rows.size())
                       .arg(kMaxLatexConfusionClasses) +
                   QLatin1Char('\n');
            continue;
        }
        out += QStringLiteral("% ") + latexCommentText(confusion.note) + QLatin1Char('\n') + latexTabular(confusion);
    }
    return out;
}

QString ReportBuilder::previewText() const {
    switch (request_.format) {
    case ReportFormat::Html:
    case ReportFormat::Pdf: return request_.format == ReportFormat::Pdf ? htmlDocument(kPdfImageWidth) : html();
    case ReportFormat::Markdown: return markdown(QStringLiteral("report_files"));
    case ReportFormat::Latex: return latex();
    case ReportFormat::Csv: return {};
    }
    return {};
}

void ReportBuilder::write(const QString& path) const {
    if (path.isEmpty()) throw ReportError(tr("no output file given: choose where to write the report (--out FILE)").toStdString());
    switch (request_.format) {
    case ReportFormat::Html: writeText(path, html()); return;
    case ReportFormat::Markdown: writeMarkdown(path); return;
    case ReportFormat::Pdf: writePdf(path); return;
    case ReportFormat::Csv:
        MetricsCsvWriter::writeFile(request_.storePath, request_.runIds, path, request_.baselines);
        return;
    case ReportFormat::Latex: writeText(path, latex()); return;
    }
}

void ReportBuilder::writeMarkdown(const QString& path) const {
    const QString folder = imageFolderFor(path);
    // The image folder is made beside the file, never the file's own folder: a mistyped path fails
    // as it does for the other formats instead of growing a tree of folders.
    const QDir parent = QFileInfo(path).absoluteDir();
    if (!parent.exists())
        throw ReportError(tr("cannot write %1: the folder %2 does not exist. Choose a folder you can write to.")
                              .arg(path, parent.path()).toStdString());
    if (!plots_.isEmpty()) {
        if (!QDir().mkpath(folder))
            throw ReportError(tr("cannot create the image folder %1: choose a folder you can write to.").arg(folder)
                                  .toStdString());
        for (const ReportPlot& plot : plots_) {
            QSaveFile file(QDir(folder).filePath(plot.fileName));
            if (!file.open(QIODevice::WriteOnly) || file.write(plot.png) != plot.png.size() || !file.commit())
                throw ReportError(tr("cannot write the plot %1: %2. Choose a folder you can write to.")
                                      .arg(file.fileName(), file.errorString()).toStdString());
        }
    }
    writeText(path, markdown(QFileInfo(folder).fileName()));
}

void ReportBuilder::writePdf(const QString& path) const {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        throw ReportError(tr("cannot write %1: %2. Choose a folder you can write to.").arg(path, file.errorString())
                              .toStdString());
    {
        QPdfWriter writer(&file);
        writer.setPageSize(QPageSize(QPageSize::A4));
        writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout::Millimeter);
        writer.setResolution(300);
        writer.setTitle(title());
        writer.setCreator(QStringLiteral("Distillery"));
        // Laid out as on a 96 dpi screen, one page the size of A4's printable area, then scaled onto
        // the page: the PDF then looks like the preview instead of a page of 12-point text in
        // narrow columns (QTextDocument's default when it lays out at the printer's resolution).
        QImage layoutDevice(1, 1, QImage::Format_RGB32);
        layoutDevice.setDotsPerMeterX(kLayoutDotsPerMeter);
        layoutDevice.setDotsPerMeterY(kLayoutDotsPerMeter);
        QTextDocument document;
        document.documentLayout()->setPaintDevice(&layoutDevice);
        QFont font = document.defaultFont();
        font.setPointSizeF(8.5);
        document.setDefaultFont(font);
        const QRectF printable = writer.pageLayout().paintRect(QPageLayout::Point);
        document.setPageSize(printable.size() * (96.0 / 72.0));
        document.setHtml(htmlDocument(kPdfImageWidth));
        document.print(&writer);
    }
    if (!file.commit())
        throw ReportError(tr("cannot write %1: %2. Check the free space and the folder's permissions.")
                              .arg(path, file.errorString()).toStdString());
}

void ReportBuilder::exportReport(const ReportRequest& request, const QString& path) {
    if (path.isEmpty()) throw ReportError(tr("no output file given: choose where to write the report (--out FILE)").toStdString());
    if (request.format == ReportFormat::Csv) {
        MetricsCsvWriter::writeFile(request.storePath, request.runIds, path, request.baselines);
        return;
    }
    ReportBuilder builder(request, ReportData::load(request));
    builder.renderPlots();
    builder.write(path);
}

}  // namespace distillery::views
