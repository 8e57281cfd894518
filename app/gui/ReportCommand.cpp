#include "ReportCommand.h"

#include <cstdio>
#include <optional>

#include <QCommandLineParser>
#include <QFileInfo>
#include <QRegularExpression>

#include "MetricsCsvWriter.h"
#include "ReportBuilder.h"
#include "ReportRequest.h"
#include "store/Store.h"

namespace distillery::app {

namespace {

using views::ReportFormat;

constexpr int kUsageError = 2;
constexpr int kFailure = 1;

int usageError(const QString& message) {
    std::fprintf(stderr, "distillery report: %s\nSee distillery report --help.\n", qPrintable(message));
    return kUsageError;
}

// "3,4,7" and ranges "3-7" (also "3–7"); nullopt and a message when a part is not an id.
std::optional<QList<qint64>> parseRunIds(const QString& text, QString* error) {
    QList<qint64> ids;
    for (const QString& rawPart : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString part = rawPart.trimmed();
        static const QRegularExpression range(QStringLiteral("^(\\d+)\\s*[-–]\\s*(\\d+)$"));
        const QRegularExpressionMatch match = range.match(part);
        bool ok = false;
        if (match.hasMatch()) {
            const qint64 first = match.captured(1).toLongLong();
            const qint64 last = match.captured(2).toLongLong();
            if (first < 1 || last < first || last - first > 100000) {
                *error = QStringLiteral("--runs: \"%1\" is not a range of run ids (first ≥ 1, last ≥ first)").arg(part);
                return std::nullopt;
            }
            for (qint64 id = first; id <= last; ++id) ids.append(id);
            continue;
        }
        const qint64 id = part.toLongLong(&ok);
        if (!ok || id < 1) {
            *error = QStringLiteral("--runs: \"%1\" is not a run id (a number ≥ 1); give ids like 3,4,7 or 3-7").arg(part);
            return std::nullopt;
        }
        ids.append(id);
    }
    if (ids.isEmpty()) {
        *error = QStringLiteral("--runs names no run: give ids like 3,4,7 or 3-7");
        return std::nullopt;
    }
    return ids;
}

std::optional<views::ReportSections> parseSections(const QString& text, QString* error) {
    views::ReportSections sections{false, false, false, false, false, false};
    for (const QString& rawName : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString name = rawName.trimmed().toLower();
        if (name == QLatin1String("config")) sections.configDiff = true;
        else if (name == QLatin1String("results")) sections.results = true;
        else if (name == QLatin1String("grouped")) sections.grouped = true;
        else if (name == QLatin1String("statistics")) sections.statistics = true;
        else if (name == QLatin1String("plots")) sections.plots = true;
        else if (name == QLatin1String("diagnostics")) sections.diagnostics = true;
        else {
            *error = QStringLiteral("--sections: unknown section \"%1\"; choose from config, results, grouped, "
                                    "statistics, plots, diagnostics")
                         .arg(rawName.trimmed());
            return std::nullopt;
        }
    }
    return sections;
}

std::optional<QSize> parseSize(const QString& text) {
    static const QRegularExpression pattern(QStringLiteral("^(\\d+)[x×](\\d+)$"));
    const QRegularExpressionMatch match = pattern.match(text.trimmed());
    if (!match.hasMatch()) return std::nullopt;
    const QSize size(match.captured(1).toInt(), match.captured(2).toInt());
    if (size.width() < 100 || size.height() < 100 || size.width() > 8000 || size.height() > 8000) return std::nullopt;
    return size;
}

// The runs of a study, in the order they were queued (teachers first).
std::optional<QList<qint64>> studyRunIds(const QString& storePath, const QString& name, QString* error) {
    try {
        const store::Store store(storePath.toStdString(), /*readOnly=*/true);
        const auto study = store.studyNamed(name.toStdString());
        if (!study) {
            QStringList known;
            for (const auto& row : store.studies()) known << QString::fromStdString(row.name);
            *error = QStringLiteral("%1 has no study named \"%2\"; its studies: %3")
                         .arg(storePath, name, known.isEmpty() ? QStringLiteral("none") : known.join(QStringLiteral(", ")));
            return std::nullopt;
        }
        QList<qint64> ids;
        for (const auto& run : store.studyRuns(study->id, /*withSpec=*/false)) ids << run.id;
        return ids;
    } catch (const std::exception& failure) {
        *error = QString::fromUtf8(failure.what());
        return std::nullopt;
    }
}

}  // namespace

int runReportCommand(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "distillery report: write a report of runs of a results store without opening a window.\n"
        "HTML is one self-contained file; Markdown writes its plots into <name>_files/ beside it; PDF is A4;\n"
        "CSV holds every metric point (long format), <name>_confusion.csv beside it every confusion cell and\n"
        "<name>_statistics.csv the statistics; LaTeX is the grouped results as a booktabs tabular, the statistics,\n"
        "then each run's per-class results.\n"
        "The statistics compare each configuration's test accuracy at the best validation epoch with a baseline\n"
        "configuration (paired t-test where seeds pair up, else Welch's; p adjusted with Holm's method), one table\n"
        "per baseline; significant differences are marked in every format."));
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("Show this help."));
    const QCommandLineOption db(QStringLiteral("db"), QStringLiteral("The results store (required)."), QStringLiteral("FILE"));
    const QCommandLineOption runs(QStringLiteral("runs"), QStringLiteral("Run ids, e.g. 3,4,7 or 3-7 (or --study)."),
                                  QStringLiteral("IDS"));
    const QCommandLineOption study(QStringLiteral("study"),
                                   QStringLiteral("Every run of a study of the store, by its name (or --runs)."),
                                   QStringLiteral("NAME"));
    const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("The file to write (required)."), QStringLiteral("FILE"));
    const QCommandLineOption format(QStringLiteral("format"),
                                    QStringLiteral("html, md, pdf, csv or latex (default: from the --out suffix)."),
                                    QStringLiteral("FORMAT"));
    const QCommandLineOption metrics(QStringLiteral("metrics"),
                                     QStringLiteral("Metric keys to plot (default: val/acc1,train/loss)."),
                                     QStringLiteral("KEYS"));
    const QCommandLineOption sections(QStringLiteral("sections"),
                                      QStringLiteral("Sections: config,results,grouped,statistics,plots,diagnostics "
                                                     "(default: config,results,grouped,statistics,plots)."),
                                      QStringLiteral("LIST"));
    const QCommandLineOption title(QStringLiteral("title"), QStringLiteral("The report's title."), QStringLiteral("TEXT"));
    const QCommandLineOption plotImages(QStringLiteral("plot-images"),
                                        QStringLiteral("How HTML embeds plots: png or svg (default png)."),
                                        QStringLiteral("png|svg"), QStringLiteral("png"));
    const QCommandLineOption plotSize(QStringLiteral("plot-size"), QStringLiteral("Plot size in pixels (default 800x450)."),
                                      QStringLiteral("WxH"), QStringLiteral("800x450"));
    const QCommandLineOption baseline(
        QStringLiteral("baseline"),
        QStringLiteral("A configuration to compare against, its label as the grouped table shows it; repeat for "
                       "several, one statistics table each (the first also marks the grouped table). Default: the "
                       "student configuration trained with method ce alone if exactly one (teachers — runs of study "
                       "role teacher, labels starting with \"teacher\" — left out), and the kd configuration if "
                       "exactly one; neither: the first student configuration."),
        QStringLiteral("LABEL"));
    parser.addOptions({help, db, runs, study, out, format, metrics, sections, title, plotImages, plotSize, baseline});

    if (!parser.parse(QStringList{QStringLiteral("distillery report")} + arguments)) return usageError(parser.errorText());
    if (parser.isSet(help)) {
        // helpText() names the executable, not the subcommand: say how to call this one.
        QString text = parser.helpText();
        text = QStringLiteral("Usage: distillery report [options]") + text.mid(text.indexOf(QLatin1Char('\n')));
        std::fputs(qPrintable(text), stdout);
        return 0;
    }
    if (!parser.positionalArguments().isEmpty())
        return usageError(QStringLiteral("unexpected argument \"%1\"").arg(parser.positionalArguments().first()));
    if (!parser.isSet(db)) return usageError(QStringLiteral("--db FILE is required: the results store to report on"));
    if (parser.isSet(runs) == parser.isSet(study))
        return usageError(QStringLiteral("give the runs with either --runs IDS (e.g. --runs 3,4,7) or --study NAME"));
    if (!parser.isSet(out)) return usageError(QStringLiteral("--out FILE is required: where to write the report"));

    views::ReportRequest request;
    request.storePath = parser.value(db);
    QString error;
    if (parser.isSet(runs)) {
        const std::optional<QList<qint64>> ids = parseRunIds(parser.value(runs), &error);
        if (!ids) return usageError(error);
        request.runIds = *ids;
    } else {
        const std::optional<QList<qint64>> ids = studyRunIds(request.storePath, parser.value(study), &error);
        if (!ids) {
            std::fprintf(stderr, "distillery report: %s\n", qPrintable(error));
            return kFailure;
        }
        request.runIds = *ids;
    }

    const QString outPath = parser.value(out);
    std::optional<ReportFormat> chosen;
    if (parser.isSet(format)) {
        chosen = views::reportFormatFromName(parser.value(format));
        if (!chosen)
            return usageError(QStringLiteral("--format: unknown format \"%1\"; choose html, md, pdf, csv or latex")
                                  .arg(parser.value(format)));
    } else {
        chosen = views::reportFormatFromFileName(outPath);
        if (!chosen)
            return usageError(QStringLiteral("cannot tell the format from \"%1\": add --format html|md|pdf|csv|latex "
                                             "or name the file .html, .md, .pdf, .csv or .tex")
                                  .arg(QFileInfo(outPath).fileName()));
    }
    request.format = *chosen;

    if (parser.isSet(metrics)) {
        QStringList keys;
        for (const QString& key : parser.value(metrics).split(QLatin1Char(','), Qt::SkipEmptyParts))
            if (!keys.contains(key.trimmed())) keys.append(key.trimmed());
        if (keys.isEmpty()) return usageError(QStringLiteral("--metrics names no key, e.g. --metrics val/acc1,train/loss"));
        request.plotKeys = keys;
    }
    if (parser.isSet(sections)) {
        const std::optional<views::ReportSections> parsed = parseSections(parser.value(sections), &error);
        if (!parsed) return usageError(error);
        request.sections = *parsed;
    }
    request.title = parser.value(title);
    for (const QString& label : parser.values(baseline)) {
        if (label.trimmed().isEmpty())
            return usageError(QStringLiteral("--baseline names no configuration, e.g. --baseline kd"));
        request.baselines.append(label);
    }
    const QString images = parser.value(plotImages).toLower();
    if (images != QLatin1String("png") && images != QLatin1String("svg"))
        return usageError(QStringLiteral("--plot-images: \"%1\" is neither png nor svg").arg(parser.value(plotImages)));
    request.plotImages = images == QLatin1String("svg") ? views::PlotImageFormat::Svg : views::PlotImageFormat::Png;
    const std::optional<QSize> size = parseSize(parser.value(plotSize));
    if (!size)
        return usageError(QStringLiteral("--plot-size: \"%1\" is not WIDTHxHEIGHT in pixels between 100 and 8000, "
                                         "e.g. 800x450")
                              .arg(parser.value(plotSize)));
    request.plotSize = *size;

    try {
        views::ReportBuilder::exportReport(request, outPath);
    } catch (const std::exception& failure) {
        std::fprintf(stderr, "distillery report: %s\n", failure.what());
        return kFailure;
    }
    std::printf("distillery report: wrote %s\n", qPrintable(outPath));
    if (request.format == ReportFormat::Csv) {
        std::printf("distillery report: wrote %s\n", qPrintable(views::MetricsCsvWriter::confusionFileFor(outPath)));
        std::printf("distillery report: wrote %s\n", qPrintable(views::MetricsCsvWriter::statisticsFileFor(outPath)));
    }
    return 0;
}

}  // namespace distillery::app
