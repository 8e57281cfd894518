#pragma once
// A table of a report, independent of the output format: HTML, Markdown, PDF and LaTeX all print
// the same ReportTable, so the numbers cannot differ between formats.
#include <QColor>
#include <QList>
#include <QString>
#include <QStringList>

#include "ReportData.h"

namespace distillery::views {

struct ReportTable {
    QString id;              // "runs", "config-diff", "results", "grouped", "diagnostics"
    QString title;
    QString note;            // one sentence under the title: what the numbers are
    QStringList header;
    QList<bool> numeric;     // per column: numbers, right-aligned
    QList<QStringList> rows;
    QString emptyText;       // said instead of an empty table
    QList<QColor> rowColours;  // a swatch before each row, where the format can show one (HTML)

    // The runs: id, name, status, method, teacher → student, data set, seed.
    static ReportTable runList(const ReportData& data);
    // One row per run, one column per spec key whose value is not the same in every run.
    static ReportTable configDiff(const ReportData& data);
    // One row per run: best val/acc1, its step, test/acc1 at that step, last test/acc1.
    static ReportTable results(const ReportData& data);
    // One row per configuration (RunGroup): mean ± std over its finished runs (seeds).
    static ReportTable grouped(const ReportData& data, bool withRunIds = true);
    // One row per run: status, wall time, points, gates and path weights at the end, events.
    static ReportTable diagnostics(const ReportData& data);

    static QString runLabel(const ComparedRun& run);       // "#3 fmnist-kd-s1"
    static QString percent(const std::optional<double>& value);   // "88.60", "—"
    static constexpr int kDecimals = 2;
};

}  // namespace distillery::views
