#pragma once
// A table of a report, independent of the output format: HTML, Markdown, PDF and LaTeX all print
// the same ReportTable, so the numbers cannot differ between formats.
#include <QColor>
#include <QList>
#include <QString>
#include <QStringList>

#include "ConfigurationStatistics.h"
#include "ReportData.h"

namespace distillery::views {

struct ReportTable {
    QString id;              // "runs", "config-diff", "results", "grouped", "statistics-<n>", "diagnostics",
                             // "classes-<run id>", "confusion-<run id>"
    QString title;
    QString note;            // one sentence under the title: what the numbers are
    QStringList header;
    QList<bool> numeric;     // per column: numbers, right-aligned
    QList<QStringList> rows;
    QString emptyText;       // said instead of an empty table
    QList<QColor> rowColours;  // a swatch before each row, where the format can show one (HTML)
    // Per cell (row, column), where the format can show them (HTML): a background colour (an invalid
    // colour: none) and a hover text (empty: none). Empty lists: none at all.
    QList<QList<QColor>> cellColours;
    QList<QStringList> cellTitles;
    // Cells that stand out, per cell (row, column): significant differences. Every format prints them
    // bold followed by kMark (HTML: their hover text in cellTitles), and a line of footnotes says what
    // the mark means. Empty list: none.
    QList<QList<bool>> markedCells;
    QStringList footnotes;   // lines under the table: what a mark means, why a test is impossible

    static inline const QString kMark = QStringLiteral("†");

    // How a confusion matrix's cells are printed: sample counts, or each cell's share of its row
    // (the actual class) in %, coloured on the viridis scale with the count in its hover text.
    enum class ConfusionCells { Counts, Percent };

    // The runs: id, name, status, method, teacher → student, data set, seed.
    static ReportTable runList(const ReportData& data);
    // One row per run, one column per spec key whose value is not the same in every run.
    static ReportTable configDiff(const ReportData& data);
    // One row per run: best val/acc1, its step, test/acc1 at that step, last test/acc1.
    static ReportTable results(const ReportData& data);
    // One row per configuration (RunGroup): mean ± std over its finished runs (seeds). With marks: the
    // headline cell of each configuration significantly different from marks' baseline is marked.
    static ReportTable grouped(const ReportData& data, bool withRunIds = true,
                               const ConfigurationStatistics* marks = nullptr);
    // The statistics against one baseline (ReportStatistics), the table Compare shows: per
    // configuration n, mean ± std, CI, and against the baseline Δ [CI], test, t, df, p, p (Holm) and
    // significance, the significant Δ marked. Impossible tests show "—"; the footnotes say why.
    // number: 1 for the first baseline, … (the table's id is "statistics-<number>").
    static ReportTable statistics(const ConfigurationStatistics& statistics, int number);
    // One row per run: status, wall time, points, gates and path weights at the end, events.
    static ReportTable diagnostics(const ReportData& data);
    // The run data.runs[index] on the test split at the report's evaluation (RunClasses): per class
    // its samples, the student's accuracy, the teacher's and their agreement (%), the last two only
    // for a run with a teacher. No rows (its emptyText one sentence) when none were recorded.
    static ReportTable classResults(const ReportData& data, int index);
    // That evaluation's confusion matrix: a row per actual class, a column per predicted class. Call
    // only for a run whose per-class results were recorded.
    static ReportTable confusion(const ReportData& data, int index, ConfusionCells cells);

    static QString runLabel(const ComparedRun& run);       // "#3 fmnist-kd-s1"
    static QString percent(const std::optional<double>& value);   // "88.60", "—"
    static constexpr int kDecimals = 2;
};

}  // namespace distillery::views
