#include "ReportTable.h"

#include <QCoreApplication>
#include <QVariant>

#include "Counted.h"
#include "RunClassNames.h"
#include "RunHeader.h"
#include "StatisticsTableModel.h"
#include "ViridisGradient.h"
#include "store/StoreTypes.h"

namespace distillery::views {

namespace {

QString tr(const char* text) { return QCoreApplication::translate("ReportTable", text); }

constexpr int kHeadlineColumn = 3;   // of the grouped table: test acc. at best val.

const QString kNone = QStringLiteral("—");

QString orNone(const std::string& text) { return text.empty() ? kNone : QString::fromStdString(text); }

QString configValue(const QVariantMap& config, const QString& key) {
    const auto it = config.constFind(key);
    return it == config.constEnd() ? kNone : configValueText(*it);
}

// Names (spots, paths) are concatenated or passed in one .arg() call, never to a chained .arg(): a
// later .arg() would replace a "%1" inside the name.
QString number3(double value) { return QString::number(value, 'g', 3); }

QString namedValues(const QList<QPair<QString, double>>& values, qint64 step) {
    QStringList parts;
    for (const auto& [name, value] : values) parts.append(name + QLatin1Char(' ') + number3(value));
    return tr("%1 (step %2)").arg(parts.join(QStringLiteral(", ")), QString::number(step));
}

QString channelValues(const QList<std::tuple<QString, double, double>>& distances, qint64 step) {
    QStringList parts;
    for (const auto& [spot, meanDistance, stdDistance] : distances)
        parts.append(spot + QLatin1Char(' ') + number3(meanDistance) + QStringLiteral(" / ") + number3(stdDistance));
    return tr("%1 (step %2)").arg(parts.join(QStringLiteral(", ")), QString::number(step));
}

// "step 2000 (epoch 4), the evaluation of the best val/acc1"
QString evaluationText(const RunClasses& classes, const RunResult& result) {
    const QString when = classes.epoch ? tr("step %1 (epoch %2)").arg(QString::number(classes.results.step),
                                                                      QString::number(*classes.epoch, 'g', 6))
                                       : tr("step %1").arg(classes.results.step);
    if (classes.atBestValidation) return when + tr(", the evaluation of the best val/acc1");
    if (result.bestValStep)
        return when + tr(", the newest evaluation (none was recorded at step %1, the best val/acc1's)")
                          .arg(*result.bestValStep);
    return when + tr(", the newest evaluation (the run logged no val/acc1)");
}

QString quoted(const QString& label) { return QStringLiteral("“") + label + QStringLiteral("”"); }

// "p = 0.020", "p < 0.001": the statistics table's p text in a sentence.
QString pClause(const QString& name, double p) {
    const QString text = StatisticsTableModel::pText(p);
    return text.startsWith(QLatin1Char('<')) ? name + QStringLiteral(" < ") + text.mid(1)
                                             : name + QStringLiteral(" = ") + text;
}

// A marked cell's hover text: the test and its p before and after Holm's correction.
QString significanceTitle(const ConfigurationRow& row) {
    return QString::fromStdString(stats::describeKind(row.testUsed)) + QStringLiteral(": ") +
           pClause(QStringLiteral("p"), row.test().p) + QStringLiteral(", ") +
           pClause(QStringLiteral("p (Holm)"), row.test().pHolm);
}

// What the mark means: the level and Holm's family. ConfigurationStatistics corrects the paired and
// the Welch comparisons as separate families, so a table that uses both names both.
QString significanceFootnote(const ConfigurationStatistics& statistics, const QString& marked) {
    bool paired = false, welch = false;
    for (const ConfigurationRow& row : statistics.rows) {
        if (row.isBaseline || !row.test().possible) continue;
        (row.testUsed == stats::TestKind::Paired ? paired : welch) = true;
    }
    const int pairedCount = statistics.comparisonsOf(stats::TestKind::Paired);
    const int welchCount = statistics.comparisonsOf(stats::TestKind::Welch);
    const QString family = paired && welch ? tr("%1 paired and %2 Welch comparisons").arg(pairedCount).arg(welchCount)
                                           : counted(paired ? pairedCount : welchCount, tr("comparison"),
                                                     tr("comparisons"));
    return ReportTable::kMark + QLatin1Char(' ') + marked + tr(" at α = ") + QString::number(statistics.alpha, 'g', 3) +
           tr(" after Holm correction over ") + family + tr(" with the baseline ") +
           quoted(statistics.rows.at(statistics.baseline).label) +
           (paired && welch ? tr(" (each kind corrected on its own)") : QString()) +
           tr(", paired t-test where seeds pair up, else Welch's.");
}

// Grows the table's per-cell lists as far as (row, column) and marks that cell.
void markCell(ReportTable& table, int row, int column, const QString& title) {
    const int columns = static_cast<int>(table.header.size());
    while (table.markedCells.size() <= row) table.markedCells.append(QList<bool>(columns, false));
    while (table.cellTitles.size() <= row) table.cellTitles.append(QStringList(columns, QString()));
    table.markedCells[row][column] = true;
    table.cellTitles[row][column] = title;
}

// Why a test of the table is not possible, in the library's plain sentences: one for every
// configuration of fewer than 2 runs, then one per other impossible test.
QStringList impossibleTests(const ConfigurationStatistics& statistics) {
    QStringList lines;
    const QString shortfall = statistics.shortfallNote();
    if (!shortfall.isEmpty()) lines.append(shortfall);
    if (statistics.rows.at(statistics.baseline).n() < 2) return lines;   // no test at all, and said why
    for (const ConfigurationRow& row : statistics.rows) {
        if (row.isBaseline || row.test().possible || row.n() < 2) continue;
        lines.append(quoted(row.label) + tr(": no t-test is possible: ") + QString::fromStdString(row.test().reason) +
                     QLatin1Char('.'));
    }
    return lines;
}

}  // namespace

QString ReportTable::runLabel(const ComparedRun& run) {
    return QStringLiteral("#%1 %2").arg(run.run.id).arg(QString::fromStdString(run.run.name));
}

QString ReportTable::percent(const std::optional<double>& value) {
    return value ? QString::number(*value, 'f', kDecimals) : kNone;
}

ReportTable ReportTable::runList(const ReportData& data) {
    ReportTable table;
    table.id = QStringLiteral("runs");
    table.title = tr("Runs");
    table.header = {tr("run"), tr("name"), tr("status"), tr("method"), tr("teacher → student"), tr("data set"),
                    tr("seed"), tr("trained by")};
    table.numeric = {true, false, false, false, false, false, true, false};
    for (const ComparedRun& compared : data.runs) {
        const store::RunRow& run = compared.run;
        table.rows.append({QString::number(run.id), QString::fromStdString(run.name),
                           QString::fromStdString(store::statusName(run.status)), orNone(run.method),
                           orNone(run.teacher) + QStringLiteral(" → ") + orNone(run.student), orNone(run.dataset),
                           QString::number(run.seed), orNone(store::softwareDescription(run))});
    }
    table.emptyText = tr("No runs.");
    return table;
}

ReportTable ReportTable::configDiff(const ReportData& data) {
    ReportTable table;
    table.id = QStringLiteral("config-diff");
    table.title = tr("Configuration differences");
    table.note = tr("The spec keys whose values are not the same in every run; all other keys are equal.");
    const QStringList keys = differingKeys(data.runs);
    table.header = QStringList{tr("run")} + keys;
    table.numeric = QList<bool>(table.header.size(), false);
    table.numeric[0] = true;
    if (!keys.isEmpty()) {
        for (const ComparedRun& compared : data.runs) {
            QStringList row{QString::number(compared.run.id)};
            for (const QString& key : keys) row.append(configValue(compared.config, key));
            table.rows.append(row);
        }
    }
    table.emptyText = data.runs.size() < 2 ? tr("One run: nothing to compare.")
                                           : tr("All runs have the same configuration.");
    return table;
}

ReportTable ReportTable::results(const ReportData& data) {
    ReportTable table;
    table.id = QStringLiteral("results");
    table.title = tr("Results");
    table.note = tr("Model selection on the validation split: the test accuracy is read at the step of the best "
                    "val/acc1 (the earliest, on a tie).");
    table.header = {tr("run"), tr("name"), tr("best val. acc. (%)"), tr("step of best val."),
                    tr("test acc. at best val. (%)"), tr("test acc. last (%)")};
    table.numeric = {true, false, true, true, true, true};
    for (int i = 0; i < data.runs.size(); ++i) {
        const RunResult& result = data.results.at(i);
        table.rows.append({QString::number(data.runs[i].run.id), QString::fromStdString(data.runs[i].run.name),
                           percent(result.bestVal),
                           result.bestValStep ? QString::number(*result.bestValStep) : kNone,
                           percent(result.testAtBestVal), percent(result.lastTest)});
    }
    table.emptyText = tr("No runs.");
    return table;
}

ReportTable ReportTable::grouped(const ReportData& data, bool withRunIds, const ConfigurationStatistics* marks) {
    ReportTable table;
    table.id = QStringLiteral("grouped");
    table.title = tr("Grouped over seeds");
    table.note = tr("Runs whose configurations differ only in name, seed and teacher run form one group; "
                    "mean ± sample standard deviation over its finished runs.");
    table.header = {tr("configuration"), tr("method"), tr("runs"), tr("test acc. at best val. (%)"),
                    tr("test acc. last (%)"), tr("best val. acc. (%)")};
    table.numeric = {false, false, true, true, true, true};
    if (withRunIds) {
        table.header.append(tr("run ids"));
        table.numeric.append(false);
    }
    for (const RunGroup& group : groupRuns(data.runs)) {
        QVector<double> atBest, last, bestVal;
        int finished = 0;
        QStringList ids;
        for (int member : group.members) {
            const ComparedRun& compared = data.runs[member];
            ids.append(QString::number(compared.run.id));
            // As experiments/results_table.py: only finished runs enter the statistics.
            if (compared.run.status != store::RunStatus::Finished) continue;
            ++finished;
            const RunResult& result = data.results.at(member);
            if (result.testAtBestVal) atBest.append(*result.testAtBestVal);
            if (result.lastTest) last.append(*result.lastTest);
            if (result.bestVal) bestVal.append(*result.bestVal);
        }
        const int others = static_cast<int>(group.members.size()) - finished;
        QString runs = QString::number(finished);
        if (others > 0) runs += tr(" (+%1 not finished)").arg(others);
        const ComparedRun& first = data.runs[group.members.first()];
        QStringList row{group.label, orNone(first.run.method), runs, formatAggregate(aggregate(atBest), kDecimals),
                        formatAggregate(aggregate(last), kDecimals), formatAggregate(aggregate(bestVal), kDecimals)};
        if (withRunIds) row.append(ids.join(QStringLiteral(", ")));
        table.rows.append(row);
        const int statisticsRow = marks ? marks->rowOf(group.label) : -1;
        if (statisticsRow >= 0 && marks->rows.at(statisticsRow).significant) {
            const ConfigurationRow& compared = marks->rows.at(statisticsRow);
            const int decimals = marks->metric.decimals();
            // Concatenated: a label holding "%1" stays as it is.
            markCell(table, static_cast<int>(table.rows.size()) - 1, kHeadlineColumn,
                     tr("Δ vs ") + quoted(marks->rows.at(marks->baseline).label) + QLatin1Char(' ') +
                         StatisticsTableModel::signedText(compared.test().difference, decimals) + QLatin1Char(' ') +
                         StatisticsTableModel::intervalText(compared.test().ciLow, compared.test().ciHigh, decimals,
                                                            true) +
                         QStringLiteral("; ") + significanceTitle(compared));
        }
    }
    if (!table.markedCells.isEmpty())
        table.footnotes.append(significanceFootnote(*marks, tr("significantly different")));
    table.emptyText = tr("No runs.");
    return table;
}

ReportTable ReportTable::statistics(const ConfigurationStatistics& statistics, int number) {
    ReportTable table;
    table.id = QStringLiteral("statistics-%1").arg(number);
    table.emptyText = tr("No runs.");
    if (statistics.rows.isEmpty()) {
        table.title = tr("Statistics");
        return table;
    }
    const QString level = StatisticsTableModel::confidenceText(statistics.confidence);
    const QString alpha = QString::number(statistics.alpha, 'g', 3);
    table.title = tr("Statistics against ") + statistics.rows.at(statistics.baseline).label;
    table.note = tr("%1 over the finished runs of each configuration: n, mean ± sample standard deviation and the %2 "
                    "confidence interval of the mean. Every other configuration against the baseline: the difference "
                    "(Δ) with its %2 confidence interval, the paired t-test where at least 2 seeds pair up, else "
                    "Welch's, and p adjusted with Holm's method over the comparisons with this baseline; ● significant "
                    "at α = %3 after Holm, ○ not, — no test possible.")
                     .arg(statistics.metric.title(), level, alpha);
    for (int column = 0; column < StatisticsTableModel::ColumnCount; ++column) {
        table.header.append(StatisticsTableModel::headerText(column, statistics.confidence));
        table.numeric.append(column != StatisticsTableModel::ConfigurationColumn &&
                             column != StatisticsTableModel::TestColumn);
    }
    for (const ConfigurationRow& row : statistics.rows) {
        QStringList cells;
        for (int column = 0; column < StatisticsTableModel::ColumnCount; ++column)
            cells.append(StatisticsTableModel::cellText(statistics, row, column));
        table.rows.append(cells);
        if (row.significant)
            markCell(table, static_cast<int>(table.rows.size()) - 1, StatisticsTableModel::DifferenceColumn,
                     significanceTitle(row));
    }
    if (!table.markedCells.isEmpty()) table.footnotes.append(significanceFootnote(statistics, tr("significant")));
    table.footnotes.append(impossibleTests(statistics));
    if (const QString references = statistics.referenceNote(); !references.isEmpty()) table.footnotes.append(references);
    return table;
}

ReportTable ReportTable::diagnostics(const ReportData& data) {
    ReportTable table;
    table.id = QStringLiteral("diagnostics");
    table.title = tr("Diagnostics");
    table.note = tr("Each run at its end: the gates' open rates, the channel statistics' distance from the teacher "
                    "(mean over channels) and the path weights at the last step that logged them, and the engine's "
                    "warnings and errors.");
    table.header = {tr("run"), tr("status"), tr("wall time"), tr("metric points"), tr("last step"),
                    tr("gates: open rate"), tr("channels: |Δμ| / |Δσ|"), tr("path weights"), tr("warnings / errors"),
                    tr("error")};
    table.numeric = {true, false, true, true, true, false, false, false, true, false};
    for (int i = 0; i < data.runs.size(); ++i) {
        const store::RunRow& run = data.runs[i].run;
        const RunDiagnostics& d = data.diagnostics.at(i);
        table.rows.append({QString::number(run.id), QString::fromStdString(store::statusName(run.status)),
                           d.wallSeconds ? RunHeader::formatDuration(*d.wallSeconds) : kNone,
                           QString::number(d.metricPoints), QString::number(d.lastStep),
                           d.gateStep ? namedValues(d.gateOpenRates, *d.gateStep) : kNone,
                           d.channelStep ? channelValues(d.channelDistances, *d.channelStep) : kNone,
                           d.pathStep ? namedValues(d.pathWeights, *d.pathStep) : kNone,
                           QStringLiteral("%1 / %2").arg(d.warnings).arg(d.errors), orNone(run.error)});
    }
    table.emptyText = tr("No runs.");
    return table;
}

ReportTable ReportTable::classResults(const ReportData& data, int index) {
    const ComparedRun& run = data.runs.at(index);
    const RunClasses& classes = data.classes.value(index);
    const store::ClassResults& r = classes.results;
    ReportTable table;
    table.id = QStringLiteral("classes-%1").arg(run.run.id);
    table.title = tr("Per-class results: %1").arg(runLabel(run));
    table.emptyText = tr("Per-class results were not recorded for this run (its store predates them, or its data "
                         "set has more than 1,000 classes).");
    if (!r.recorded()) return table;
    table.note = tr("Test split, %1. Accuracy: the share of the class's samples predicted as it; agreement: the "
                    "share on which the student predicted the teacher's class.")
                     .arg(evaluationText(classes, data.results.value(index)));
    table.header = {tr("class"), tr("samples"), tr("student acc. (%)")};
    if (r.teacher) table.header.append(tr("teacher acc. (%)"));
    if (!r.agreement.empty()) table.header.append(tr("agreement (%)"));
    table.numeric = QList<bool>(table.header.size(), true);
    table.numeric[0] = false;
    for (int64_t c = 0; c < r.classes(); ++c) {
        QStringList row{className(classes.classNames, c), QString::number(r.student.samples(c)),
                        percent(r.student.accuracy(c))};
        if (r.teacher) row.append(percent(r.teacher->accuracy(c)));
        if (!r.agreement.empty()) row.append(percent(r.agreement[size_t(c)]));
        table.rows.append(row);
    }
    return table;
}

ReportTable ReportTable::confusion(const ReportData& data, int index, ConfusionCells cells) {
    const ComparedRun& run = data.runs.at(index);
    const RunClasses& classes = data.classes.value(index);
    const store::ConfusionMatrix& m = classes.results.student;
    ReportTable table;
    table.id = QStringLiteral("confusion-%1").arg(run.run.id);
    table.title = tr("Confusion matrix: %1").arg(runLabel(run));
    table.note = tr("The student on the test split, %1. A row per actual class, a column per predicted class; ")
                     .arg(evaluationText(classes, data.results.value(index))) +
                 (cells == ConfusionCells::Percent
                      ? tr("each cell is its share of the row's samples in % (the diagonal is the per-class accuracy); "
                           "its count shows on hovering.")
                      : tr("each cell counts samples."));
    table.header = {tr("actual / predicted")};
    for (int64_t c = 0; c < m.classes(); ++c) table.header.append(className(classes.classNames, c));
    table.numeric = QList<bool>(table.header.size(), true);
    table.numeric[0] = false;
    QCPColorGradient gradient = ViridisGradient::make();   // color() is not const: it caches its levels
    for (int64_t actual = 0; actual < m.classes(); ++actual) {
        const QString actualName = className(classes.classNames, actual);
        QStringList row{actualName};
        QList<QColor> colours{QColor()};
        QStringList titles{QString()};
        for (int64_t predicted = 0; predicted < m.classes(); ++predicted) {
            const QString count = QString::number(m.count(actual, predicted));
            if (cells == ConfusionCells::Counts) {
                row.append(count);
                continue;
            }
            const std::optional<double> share = m.rowPercent(actual, predicted);
            row.append(percent(share));
            colours.append(share ? QColor::fromRgb(gradient.color(*share, QCPRange(0, 100))) : QColor());
            // Concatenated: a class name holding "%1" stays as it is.
            titles.append(tr("actual ") + actualName + tr(", predicted ") + className(classes.classNames, predicted) +
                          QStringLiteral(": ") +
                          tr("%1 of %2").arg(count, QString::number(m.samples(actual))));
        }
        table.rows.append(row);
        if (cells == ConfusionCells::Percent) {
            table.cellColours.append(colours);
            table.cellTitles.append(titles);
        }
    }
    return table;
}

}  // namespace distillery::views
