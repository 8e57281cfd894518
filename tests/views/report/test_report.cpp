// Report export on a fixture store of 4 runs (2 configurations × 2 seeds): the HTML's tables hold
// hand-computed numbers and its images are PNGs of the requested size; Markdown tables parse and
// link images that exist; the PDF is a PDF with pages; the CSV holds every point with proper quoting;
// LaTeX is a booktabs table with one row per group; plots export as PNG/SVG/PDF; the headless
// command and the Report page write the same files and name what is wrong. Per-class results (a
// store of its own) come out at the best validation step with hand-computed numbers in every format.
// Statistics (a store of 3 configurations × 3 seeds and one of 1 run) carry t, df, p and Holm's p
// computed with SciPy, the significance marks on the right cells, one table per baseline, and the
// sentence that says why a test is impossible, in every format and from the headless command.
//
// Hostile text (tests/views/HostileText.h) in run names, spec values, metric keys, spots, paths,
// errors, the title and the store's file name comes out escaped and intact in every format: each
// file is read back by an independent parser (Python's html.parser and csv, cmark-gfm for Markdown,
// a LaTeX unescaper written here from the escapes' definitions) and compared with the original.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unistd.h>

#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QListWidget>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QTextDocument>
#include <QUrl>
#include <QXmlStreamReader>
#include <QtTest>

#include "MetricPlot.h"
#include "MetricsCsvWriter.h"
#include "PlotExport.h"
#include "ReportBuilder.h"
#include "ReportCommand.h"
#include "ReportData.h"
#include "ReportPage.h"
#include "ReportStatistics.h"
#include "ReportTable.h"
#include "ViridisGradient.h"
#include "store/Store.h"
#include "views/HostileText.h"

using namespace distillery;
using namespace distillery::views;

namespace {

constexpr int kTimeoutMs = 20000;
constexpr int kEvalEvery = 500;      // val/acc1 and test/acc1 at steps 500, 1000, …, 3000
constexpr int kLogEvery = 10;        // train/loss, train/loss/kd and lr at steps 10, 20, …, 3000
constexpr int kLastStep = 3000;

// Per run: val/acc1 and test/acc1 at the six evaluations. Hand-computed below: run 1's best val is
// tied (88 at steps 2000 and 3000), so the earliest step, 2000, is the one selected.
struct FixtureRun {
    const char* name;
    int seed;
    int temperature;
    double val[6];
    double test[6];
};
const FixtureRun kRuns[4] = {
    {"fx_kd-T4-s1", 1, 4, {70, 80, 85, 88, 87, 88}, {69, 79, 84, 86.5, 87.2, 87.9}},
    {"fx_kd-T4-s2", 2, 4, {72, 81, 86, 87, 89, 88.5}, {71, 80, 85, 86, 88.3, 88}},
    // A comma in the name: the CSV must quote it.
    {"fx_kd,T2-s1", 1, 2, {65, 75, 80, 83, 84, 84.5}, {64, 74, 79, 82, 83, 84}},
    {"fx_kd,T2-s2", 2, 2, {66, 76, 81, 85, 84, 83}, {65, 75, 80, 84.5, 83.5, 82}},
};

std::string specJson(const FixtureRun& run) {
    return QStringLiteral(R"({"name": "%1", "seed": %2, "epochs": 6,
        "method": {"name": "kd", "T": %3, "alpha": 0.9},
        "teacher": {"run_name": "fx-teacher-s%2"}, "student": {"model": "resnet8"},
        "data": {"name": "fashion-mnist"}, "optim": {"name": "sgd", "lr": 0.1},
        "schedule": {"name": "multistep", "milestones": [4, 5]}})")
        .arg(QString::fromUtf8(run.name))
        .arg(run.seed)
        .arg(run.temperature)
        .toStdString();
}

store::MetricPoint point(int64_t runId, const std::string& key, int64_t step, double value) {
    store::MetricPoint p;
    p.runId = runId;
    p.key = key;
    p.step = step;
    p.epoch = static_cast<double>(step) / kEvalEvery;
    p.value = value;
    p.wallTime = static_cast<double>(step) * 0.02;
    return p;
}

QString readText(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return {};
    return QString::fromUtf8(file.readAll());
}

QByteArray readBytes(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return {};
    return file.readAll();
}

QString htmlUnescaped(QString text) {
    text.remove(QRegularExpression(QStringLiteral("<[^>]*>")));
    text.replace(QLatin1String("&lt;"), QLatin1String("<"));
    text.replace(QLatin1String("&gt;"), QLatin1String(">"));
    text.replace(QLatin1String("&quot;"), QLatin1String("\""));
    text.replace(QLatin1String("&amp;"), QLatin1String("&"));
    return text.trimmed();
}

struct HtmlTable {
    QStringList header;
    QList<QStringList> rows;
};

// The table with this id attribute, cells as text.
HtmlTable htmlTable(const QString& html, const QString& id) {
    HtmlTable table;
    const QRegularExpression tablePattern(QStringLiteral("<table id=\"%1\"[^>]*>(.*?)</table>").arg(id),
                                          QRegularExpression::DotMatchesEverythingOption);
    const QRegularExpressionMatch match = tablePattern.match(html);
    if (!match.hasMatch()) return table;
    const QString body = match.captured(1);
    const QRegularExpression cellPattern(QStringLiteral("<t([hd])[^>]*>(.*?)</t[hd]>"),
                                         QRegularExpression::DotMatchesEverythingOption);
    const QRegularExpression rowPattern(QStringLiteral("<tr>(.*?)</tr>"), QRegularExpression::DotMatchesEverythingOption);
    for (auto rows = rowPattern.globalMatch(body); rows.hasNext();) {
        QStringList cells;
        bool header = false;
        for (auto cells_ = cellPattern.globalMatch(rows.next().captured(1)); cells_.hasNext();) {
            const QRegularExpressionMatch cell = cells_.next();
            header = cell.captured(1) == QLatin1String("h");
            cells.append(htmlUnescaped(cell.captured(2)));
        }
        if (header) table.header = cells;
        else table.rows.append(cells);
    }
    return table;
}

// The row whose first cell is text.
QStringList rowStartingWith(const QList<QStringList>& rows, const QString& text) {
    for (const QStringList& row : rows)
        if (!row.isEmpty() && row.first() == text) return row;
    return {};
}

// One CSV record split on commas outside quotes, quotes undone.
QStringList csvFields(const QString& line) {
    QStringList fields;
    QString field;
    bool quoted = false;
    for (int i = 0; i < line.size(); ++i) {
        const QChar c = line[i];
        if (quoted) {
            if (c == QLatin1Char('"') && i + 1 < line.size() && line[i + 1] == QLatin1Char('"')) {
                field += c;
                ++i;
            } else if (c == QLatin1Char('"')) {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == QLatin1Char('"')) {
            quoted = true;
        } else if (c == QLatin1Char(',')) {
            fields.append(field);
            field.clear();
        } else {
            field += c;
        }
    }
    fields.append(field);
    return fields;
}

QStringList markdownCells(const QString& line) {
    QString inner = line.trimmed();
    inner = inner.mid(1, inner.size() - 2);   // without the outer pipes
    QStringList cells;
    for (const QString& cell : inner.split(QRegularExpression(QStringLiteral("(?<!\\\\)\\|")))) cells.append(cell.trimmed());
    return cells;
}

// The table under "## title": header, separator and body lines.
QStringList markdownTableLines(const QString& markdown, const QString& title) {
    const QStringList lines = markdown.split(QLatin1Char('\n'));
    int i = static_cast<int>(lines.indexOf(QStringLiteral("## ") + title));
    if (i < 0) return {};
    while (i < lines.size() && !lines[i].startsWith(QLatin1Char('|'))) ++i;
    QStringList table;
    while (i < lines.size() && lines[i].startsWith(QLatin1Char('|'))) table.append(lines[i++]);
    return table;
}

// ---- hostile text --------------------------------------------------------------------------------

// Three runs whose names, spec strings (teacher.checkpoint, data.root), one metric key, gate spot,
// path, event and error all hold text; the store's own file name is hostile too. Runs 1 and 2 are
// seeds of one configuration (label: text), run 3 another (label: text + "-other"), so the grouped
// table (and the LaTeX) prints the text as well.
struct HostileStore {
    QString path;
    QList<qint64> ids;
    QStringList names;
    qint64 points = 0;
};

HostileStore writeHostileStore(const QString& folder, const QString& text) {
    HostileStore fixture;
    fixture.path = QDir(folder).filePath(testing::hostileFileName(QStringLiteral("sqlite")));
    store::Store store(fixture.path.toStdString());
    struct Spec {
        QString name;
        int seed;
        QString checkpoint, root;
    };
    const Spec specs[3] = {
        {text + QStringLiteral("-s1"), 1, text + QStringLiteral("/t1.pt"), text},
        {text + QStringLiteral("-s2"), 2, text + QStringLiteral("/t2.pt"), text},
        {text + QStringLiteral("-other"), 1, text + QStringLiteral("/t1.pt"), text + QStringLiteral("2")}};
    for (int i = 0; i < 3; ++i) {
        store::NewRun run;
        run.name = specs[i].name.toStdString();
        run.specJson = testing::hostileSpecJson(specs[i].name, specs[i].seed, specs[i].checkpoint, specs[i].root);
        run.teacher = "resnet20";
        run.student = "resnet8";
        run.method = "kd";
        run.dataset = "fashion-mnist";
        run.seed = specs[i].seed;
        const int64_t id = store.insertRun(run);
        store.claimRun(id, 4242, "fixture-host", "cpu");
        store::RowBatch batch;
        for (int64_t step : {10, 20}) {
            batch.metrics.push_back(point(id, "val/acc1", step, 50.0 + i + step));
            batch.metrics.push_back(point(id, "test/acc1", step, 49.0 + i + step));
            batch.metrics.push_back(point(id, text.toStdString(), step, 2.0 / step));
        }
        if (i == 0) batch.gates = {{id, 10, text.toStdString(), 0.25}, {id, 20, text.toStdString(), 0.5}};
        if (i == 1)
            batch.pathWeights = {{id, 10, text.toStdString(), 1.0, 0.3}, {id, 20, text.toStdString(), 0.75, 0.2}};
        if (i == 2) batch.events = {{0, id, 1.0, "warn", text.toStdString(), std::nullopt}};
        store.writeBatch(batch);
        fixture.points += static_cast<qint64>(batch.metrics.size());
        store.finishRun(id, i == 2 ? store::RunStatus::Failed : store::RunStatus::Finished,
                        i == 2 ? text.toStdString() : std::string());
        fixture.ids.append(id);
        fixture.names.append(specs[i].name);
    }
    return fixture;
}

// Runs a program to its end; its standard output, or a null array and *error saying why not.
QByteArray runTool(const QString& program, const QStringList& arguments, QString* error) {
    QProcess process;
    process.start(program, arguments);
    if (!process.waitForFinished(60000) || process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        *error = QStringLiteral("%1 %2 failed: %3 %4")
                     .arg(program, arguments.join(QLatin1Char(' ')), process.errorString(),
                          QString::fromUtf8(process.readAllStandardError()));
        return {};
    }
    return process.readAllStandardOutput();
}

// The tools the hostile-text tests read reports with; packaging/install-deps.sh installs both.
QString tool(const char* name) { return QStandardPaths::findExecutable(QLatin1String(name)); }

QString readerScript() { return QStringLiteral(DISTILLERY_SOURCE_DIR "/tests/views/report/read_report.py"); }

// The report as tests/views/report/read_report.py reads it (html or csv).
QJsonDocument readWithPython(const QString& mode, const QString& path, QString* error) {
    const QByteArray json = runTool(tool("python3"), {readerScript(), mode, path}, error);
    return json.isNull() ? QJsonDocument() : QJsonDocument::fromJson(json);
}

QStringList strings(const QJsonValue& value) {
    QStringList out;
    for (const QJsonValue& item : value.toArray()) out.append(item.toString());
    return out;
}

// The rows (the header first) of the table under the h2 heading, as cell texts.
QList<QStringList> tableUnder(const QJsonObject& report, const QString& heading) {
    QList<QStringList> rows;
    for (const QJsonValue& table : report.value(QStringLiteral("tables")).toArray()) {
        if (table.toObject().value(QStringLiteral("heading")).toString() != heading) continue;
        for (const QJsonValue& row : table.toObject().value(QStringLiteral("rows")).toArray())
            rows.append(strings(row));
    }
    return rows;
}

QStringList column(const QList<QStringList>& rows, int index) {
    QStringList cells;
    for (int r = 1; r < rows.size(); ++r) cells.append(rows[r].value(index));
    return cells;
}

// Line breaks (and, for LaTeX, tabs) as one space each: what a one-line context shows.
QString lineBreaksAsSpaces(const QString& text) {
    return testing::lineBreaksAsLf(text).replace(QLatin1Char('\n'), QLatin1Char(' '));
}

// What the HTML report and cmark-gfm's rendering of the Markdown report have in common: the text of
// every table, heading and note is the original (line breaks as LF), and the elements are the
// report's own. Fails the current test on the first difference.
void checkRenderedReport(const QJsonObject& report, const QString& text, const HostileStore& fixture,
                         const QSet<QString>& allowedTags) {
    const auto lf = [](const QString& s) { return testing::lineBreaksAsLf(s); };
    const QStringList tags = strings(report.value(QStringLiteral("tags")));
    for (const QString& tag : tags)
        QVERIFY2(allowedTags.contains(tag), qPrintable(QStringLiteral("element <%1>").arg(tag)));
    QCOMPARE(tags.count(QStringLiteral("img")), 2);   // the two plots and nothing else
    for (const QJsonValue& attribute : report.value(QStringLiteral("attributes")).toArray()) {
        const QString name = attribute.toArray().at(1).toString();
        QVERIFY2(!name.startsWith(QLatin1String("on")), qPrintable(name));
    }

    QCOMPARE(strings(report.value(QStringLiteral("h1"))), QStringList{lf(text)});
    bool storeShown = false;
    for (const QString& paragraph : strings(report.value(QStringLiteral("p"))))
        storeShown =
            storeShown || paragraph.startsWith(QStringLiteral("Store ") + lf(fixture.path) + QStringLiteral(" · "));
    QVERIFY2(storeShown, "the store's path is not shown as it is");

    QStringList names;
    for (const QString& name : fixture.names) names.append(lf(name));
    const QList<QStringList> runs = tableUnder(report, QStringLiteral("Runs"));
    QCOMPARE(column(runs, 1), names);
    QCOMPARE(column(tableUnder(report, QStringLiteral("Results")), 1), names);

    const QList<QStringList> diff = tableUnder(report, QStringLiteral("Configuration differences"));
    QCOMPARE(diff.value(0), (QStringList{"run", "data.root", "name", "seed", "teacher.checkpoint"}));
    QCOMPARE(diff.value(1).mid(1), (QStringList{lf(text), names[0], "1", lf(text + QStringLiteral("/t1.pt"))}));
    QCOMPARE(diff.value(2).mid(1), (QStringList{lf(text), names[1], "2", lf(text + QStringLiteral("/t2.pt"))}));
    QCOMPARE(diff.value(3).mid(1),
             (QStringList{lf(text + QStringLiteral("2")), names[2], "1", lf(text + QStringLiteral("/t1.pt"))}));

    QCOMPARE(column(tableUnder(report, QStringLiteral("Grouped over seeds")), 0),
             (QStringList{lf(text), lf(text + QStringLiteral("-other"))}));

    const QList<QStringList> diagnostics = tableUnder(report, QStringLiteral("Diagnostics"));
    QCOMPARE(diagnostics.value(1).value(5), lf(text) + QStringLiteral(" 0.5 (step 20)"));    // gates
    QCOMPARE(diagnostics.value(2).value(7), lf(text) + QStringLiteral(" 0.75 (step 20)"));   // path weights
    QCOMPARE(diagnostics.value(3).value(8), QStringLiteral("1 / 0"));                        // its warning
    QCOMPARE(diagnostics.value(3).value(9), lf(text));                                       // its error

    QCOMPARE(strings(report.value(QStringLiteral("h3"))), (QStringList{"val/acc1", lf(text)}));
}

// An independent reading of the LaTeX escapes (their definitions, not ReportBuilder's code): each
// escape back to its character, the {} that breaks a ligature dropped. nullopt when a LaTeX special
// (\ { } $ & # ^ _ % ~) stands bare, outside an escape.
std::optional<QString> latexUnescaped(const QString& latex) {
    static const QList<QPair<QString, QString>> escapes = {
        {"\\textbackslash{}", "\\"}, {"\\textasciicircum{}", "^"}, {"\\textasciitilde{}", "~"},
        {"\\textless{}", "<"},       {"\\textgreater{}", ">"},     {"\\textbar{}", "|"},
        {"\\&", "&"}, {"\\%", "%"}, {"\\$", "$"}, {"\\#", "#"}, {"\\_", "_"}, {"\\{", "{"}, {"\\}", "}"},
        {"$\\pm$", "±"}, {"$\\to$", "→"}, {"---", "—"}, {"{[}", "["}, {"{]}", "]"}, {"{}", ""}};
    static const QString specials = QStringLiteral("\\{}$&#^_%~");
    QString text;
    for (int i = 0; i < latex.size();) {
        bool matched = false;
        for (const auto& [escape, character] : escapes) {
            if (latex.mid(i, escape.size()) != escape) continue;
            text += character;
            i += static_cast<int>(escape.size());
            matched = true;
            break;
        }
        if (matched) continue;
        if (specials.contains(latex[i])) return std::nullopt;
        text += latex[i++];
    }
    return text;
}

// The LaTeX shows a line break or a tab as a space.
QString latexShown(const QString& text) {
    QString shown = lineBreaksAsSpaces(text);
    return shown.replace(QLatin1Char('\t'), QLatin1Char(' '));
}

// QTextDocument (the preview, and the PDF it prints) collapses runs of spaces and tabs into one space.
QString textDocumentShown(const QString& text) {
    return testing::lineBreaksAsLf(text).replace(QRegularExpression(QStringLiteral("[ \\t]+")), QStringLiteral(" "));
}

// Captures what the code under test prints to stderr (fd 2).
class StderrCapture {
public:
    explicit StderrCapture(const QString& path) : path_(path) {
        std::fflush(stderr);
        saved_ = dup(STDERR_FILENO);
        FILE* file = std::fopen(qPrintable(path), "w");
        dup2(fileno(file), STDERR_FILENO);
        std::fclose(file);
    }
    QString finish() {
        std::fflush(stderr);
        dup2(saved_, STDERR_FILENO);
        close(saved_);
        return readText(path_);
    }

private:
    QString path_;
    int saved_ = -1;
};

// ---- per-class results ---------------------------------------------------------------------------

// A store of four runs with per-class results on the test split (3 classes unless said otherwise):
//   1 kd-3cls: val/acc1 best at step 200 (of 100, 200, 300): the report reads step 200, not the
//     newest 300. By hand at step 200, per class (samples; student, teacher, agreement in %):
//       class 0 (8): 6 right, 2 as class 1 -> 75.00; teacher 7 of 8 -> 87.50; agree 5 of 8 -> 62.50
//       class 1 (4): 1 as 0, 2 right, 1 as 2 -> 50.00; teacher 3 of 4 -> 75.00; agree 3 of 4 -> 75.00
//       class 2 (6): 1 as 0, 5 right -> 83.33; teacher 6 of 6 -> 100.00; agree 4 of 6 -> 66.67
//     At step 300 every class is 100 % right.
//   2 ce-old: metrics only, as a store older than schema 6 holds them.
//   3 ce-noval: no validation split, no teacher: the newest evaluation (200), student columns only.
//   4 ce-25: 25 classes, too many for a LaTeX matrix.
struct ClassesStore {
    QString path;
    qint64 cells = 0;   // every confusion cell written
};

ClassesStore writeClassesStore(const QString& folder) {
    ClassesStore fixture;
    fixture.path = QDir(folder).filePath(QStringLiteral("classes.sqlite"));
    store::Store store(fixture.path.toStdString());
    const auto addRun = [&](const char* name, const std::string& spec) {
        store::NewRun run;
        run.name = name;
        run.specJson = spec;
        run.method = "kd";
        run.dataset = "synthetic";
        const int64_t id = store.insertRun(run);
        store.claimRun(id, 4242, "fixture-host", "cpu");
        return id;
    };
    const int64_t kd = addRun("kd-3cls", R"({"name": "kd-3cls", "data": {"name": "synthetic", "num_classes": 3},
        "method": {"name": "kd"}, "teacher": {"run_name": "teacher-3cls"}})");
    const int64_t old = addRun("ce-old", R"({"name": "ce-old"})");
    const int64_t noVal =
        addRun("ce-noval", R"({"name": "ce-noval", "data": {"name": "synthetic", "num_classes": 3}})");
    const int64_t many = addRun("ce-25", R"({"name": "ce-25", "data": {"name": "synthetic", "num_classes": 25}})");

    store::RowBatch batch;
    const auto cell = [&](int64_t run, int64_t step, const char* split, const char* model, int64_t actual,
                          int64_t predicted, int64_t count) {
        batch.confusion.push_back({run, step, split, model, actual, predicted, count});
    };
    const double val[] = {50, 70, 65};
    for (int i = 0; i < 3; ++i) {
        const int64_t step = 100 * (i + 1);
        for (int64_t run : {kd, old}) {
            batch.metrics.push_back(point(run, "val/acc1", step, val[i]));
            batch.metrics.push_back(point(run, "test/acc1", step, 60.0 + i));
        }
        batch.metrics.push_back(point(noVal, "test/acc1", step, 40.0 + i));
    }
    cell(kd, 100, "test", "student", 0, 2, 8);
    cell(kd, 100, "test", "student", 1, 1, 4);
    cell(kd, 100, "test", "student", 2, 2, 6);
    cell(kd, 200, "test", "student", 0, 0, 6);
    cell(kd, 200, "test", "student", 0, 1, 2);
    cell(kd, 200, "test", "student", 1, 0, 1);
    cell(kd, 200, "test", "student", 1, 1, 2);
    cell(kd, 200, "test", "student", 1, 2, 1);
    cell(kd, 200, "test", "student", 2, 0, 1);
    cell(kd, 200, "test", "student", 2, 2, 5);
    for (int64_t c = 0; c < 3; ++c) cell(kd, 300, "test", "student", c, c, std::vector<int64_t>{8, 4, 6}[size_t(c)]);
    cell(kd, 100, "test", "teacher", 0, 0, 7);
    cell(kd, 100, "test", "teacher", 0, 1, 1);
    cell(kd, 100, "test", "teacher", 1, 1, 3);
    cell(kd, 100, "test", "teacher", 1, 2, 1);
    cell(kd, 100, "test", "teacher", 2, 2, 6);
    cell(kd, 200, "val", "student", 0, 0, 3);   // the validation split's: in the CSV, not in the tables
    for (int64_t c = 0; c < 3; ++c) {
        batch.classAgreement.push_back({kd, 200, "test", c, std::vector<int64_t>{5, 3, 4}[size_t(c)],
                                        std::vector<int64_t>{8, 4, 6}[size_t(c)]});
        batch.classAgreement.push_back({kd, 300, "test", c, 1, 1});
    }
    cell(noVal, 100, "test", "student", 0, 0, 1);
    cell(noVal, 200, "test", "student", 0, 0, 3);
    cell(noVal, 200, "test", "student", 0, 2, 1);
    cell(noVal, 200, "test", "student", 2, 2, 2);
    for (int64_t c = 0; c < 25; ++c) cell(many, 100, "test", "student", c, c, 2);
    fixture.cells = static_cast<qint64>(batch.confusion.size());
    store.writeBatch(batch);
    for (int64_t run : {kd, old, noVal, many}) store.finishRun(run, store::RunStatus::Finished);
    return fixture;
}

// The LaTeX tabular rows (between \midrule and \bottomrule) that follow the comment line starting with `comment`.
QStringList latexRowsAfter(const QString& latex, const QString& comment) {
    const QStringList lines = latex.split(QLatin1Char('\n'));
    int i = 0;
    while (i < lines.size() && !lines[i].startsWith(comment)) ++i;
    while (i < lines.size() && lines[i] != QLatin1String("\\midrule")) ++i;
    QStringList rows;
    for (++i; i < lines.size() && lines[i] != QLatin1String("\\bottomrule"); ++i) rows.append(lines[i]);
    return rows;
}


// ---- statistics ----------------------------------------------------------------------------------

// A store of 3 configurations × 3 seeds (ce, kd, at) and one of 1 run (fitnet), each run with one
// evaluation, so that its headline (test/acc1 at the best val/acc1) is its test value below. ce and
// kd share seeds 1–3 (paired t-test); at has seeds 4–6 (none in common: Welch). Run 11 is a 4th seed
// of kd still running: only finished runs count, so its 99.0 must not move kd's numbers. Runs 12
// (study role teacher) and 13 (label "teacher") are teachers trained with ce: a default baseline
// leaves them out.
struct StatisticsRun {
    const char* name;
    const char* method;
    int seed;
    double test;
    const char* studyRole;
    const char* model;
    bool finished;
};
const StatisticsRun kStatisticsRuns[] = {
    {"ce-s1", "ce", 1, 80.0, "", "resnet8", true},          {"ce-s2", "ce", 2, 81.0, "", "resnet8", true},
    {"ce-s3", "ce", 3, 79.5, "", "resnet8", true},          {"kd-s1", "kd", 1, 82.0, "", "resnet8", true},
    {"kd-s2", "kd", 2, 83.5, "", "resnet8", true},          {"kd-s3", "kd", 3, 81.0, "", "resnet8", true},
    {"at-s4", "at", 4, 82.0, "", "resnet8", true},          {"at-s5", "at", 5, 82.4, "", "resnet8", true},
    {"at-s6", "at", 6, 82.2, "", "resnet8", true},          {"fitnet-s1", "fitnet", 1, 81.0, "", "resnet8", true},
    {"kd-s4", "kd", 4, 99.0, "", "resnet8", false},         {"big-s1", "ce", 1, 90.0, "teacher", "resnet20", true},
    {"teacher-s1", "ce", 1, 91.0, "", "resnet32", true},
};
const QList<qint64> kStudentRuns = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};

QString writeStatisticsStore(const QString& folder) {
    const QString path = QDir(folder).filePath(QStringLiteral("statistics.sqlite"));
    store::Store store(path.toStdString());
    for (const StatisticsRun& fixture : kStatisticsRuns) {
        store::NewRun run;
        run.name = fixture.name;
        run.specJson = QStringLiteral(R"({"name": "%1", "seed": %2, "method": {"name": "%3"},
            "student": {"model": "%4"}, "data": {"name": "fashion-mnist"}})")
                           .arg(QString::fromUtf8(fixture.name))
                           .arg(fixture.seed)
                           .arg(QString::fromUtf8(fixture.method), QString::fromUtf8(fixture.model))
                           .toStdString();
        run.student = fixture.model;
        run.method = fixture.method;
        run.dataset = "fashion-mnist";
        run.seed = fixture.seed;
        run.studyRole = fixture.studyRole;
        const int64_t id = store.insertRun(run);
        store.claimRun(id, 4242, "fixture-host", "cpu");
        store::RowBatch batch;
        batch.metrics.push_back(point(id, "val/acc1", kEvalEvery, 70.0));
        batch.metrics.push_back(point(id, "test/acc1", kEvalEvery, fixture.test));
        store.writeBatch(batch);
        if (fixture.finished) store.finishRun(id, store::RunStatus::Finished);
    }
    return path;
}

// The opening <td …> tags of the table with this id attribute, per body row.
QList<QStringList> htmlCellTags(const QString& html, const QString& id) {
    QList<QStringList> rows;
    const QRegularExpression tablePattern(QStringLiteral("<table id=\"%1\"[^>]*>(.*?)</table>").arg(id),
                                          QRegularExpression::DotMatchesEverythingOption);
    const QString body = tablePattern.match(html).captured(1);
    const QRegularExpression rowPattern(QStringLiteral("<tr>(.*?)</tr>"), QRegularExpression::DotMatchesEverythingOption);
    for (auto it = rowPattern.globalMatch(body); it.hasNext();) {
        QStringList tags;
        for (auto cells = QRegularExpression(QStringLiteral("<td[^>]*>")).globalMatch(it.next().captured(1));
             cells.hasNext();)
            tags.append(cells.next().captured(0));
        if (!tags.isEmpty()) rows.append(tags);
    }
    return rows;
}

// The statistics CSV's records, by "baseline/configuration".
QHash<QString, QStringList> statisticsRecords(const QString& path) {
    QHash<QString, QStringList> records;
    const QStringList lines = readText(path).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (const QString& line : lines.mid(1)) {
        const QStringList fields = csvFields(line);
        records.insert(fields.value(0) + QLatin1Char('/') + fields.value(1), fields);
    }
    return records;
}

}  // namespace

class TestReport : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();

    void htmlHoldsTablesAndPlotsOfTheRequestedSize();
    void htmlCanEmbedPlotsAsSvg();
    void markdownTablesParseAndLinkWrittenImages();
    void pdfIsAPdfWithPages();
    void csvHoldsEveryPointQuoted();
    void latexIsBooktabsWithOneRowPerGroup();
    void exportPlotWritesEachFormat();
    void errorsSayWhatIsWrong();
    void commandNamesAnUnknownRun();
    void commandWritesHtml();
    void commandReportsAStudy();
    void commandRejectsBadUsage();
    void pagePreviewsAndExportsWhatItShows();
    void pageReportsAnUnknownRun();
    void hostileTextComesOutIntact_data();
    void hostileTextComesOutIntact();
    void commandWritesHostileTextIntact();
    void pageShowsHostileTextAsWritten();
    void perClassResultsInEveryFormat();
    void statisticsInEveryFormat();
    void statisticsDefaultBaselinesLeaveTeachersOut();
    void commandWritesStatisticsAgainstChosenBaselines();
    void pageChoosesBaselines();

private:
    ReportRequest request(ReportFormat format) const;

    QTemporaryDir storeDir_;
    QString storePath_;
    QList<qint64> runIds_;
    qint64 metricRows_ = 0;
    std::unique_ptr<QTemporaryDir> out_;
};

void TestReport::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(storeDir_.isValid());
    storePath_ = storeDir_.filePath(QStringLiteral("fixture.sqlite"));
    store::Store store(storePath_.toStdString());
    for (const FixtureRun& fixture : kRuns) {
        store::NewRun run;
        run.name = fixture.name;
        run.specJson = specJson(fixture);
        run.teacher = "resnet20";
        run.student = "resnet8";
        run.method = "kd";
        run.dataset = "fashion-mnist";
        run.seed = fixture.seed;
        const int64_t id = store.insertRun(run);
        QVERIFY(store.claimRun(id, 4242, "fixture-host", "cpu"));
        store.setRunSoftware(id, BuildInfo{"0.9.1", "abcdef012345", "1.13.0", "6.4.2"});
        store::RowBatch batch;
        for (int i = 0; i < 6; ++i) {
            const int64_t step = (i + 1) * kEvalEvery;
            batch.metrics.push_back(point(id, "val/acc1", step, fixture.val[i]));
            batch.metrics.push_back(point(id, "test/acc1", step, fixture.test[i]));
        }
        for (int64_t step = kLogEvery; step <= kLastStep; step += kLogEvery) {
            const double decay = std::exp(-static_cast<double>(step) / 1000.0);
            batch.metrics.push_back(point(id, "train/loss", step, 2.3 * decay + 0.05 * fixture.temperature));
            batch.metrics.push_back(point(id, "train/loss/kd", step, 1.1 * decay));
            batch.metrics.push_back(point(id, "lr", step, step <= 2000 ? 0.1 : 0.01));
        }
        if (runIds_.isEmpty()) {
            for (int64_t step : {1000, 2000}) {
                batch.gates.push_back({id, step, "stage1", step == 2000 ? 0.25 : 0.5});
                batch.gates.push_back({id, step, "stage2", step == 2000 ? 0.75 : 0.5});
            }
            batch.events.push_back({0, id, 1.0, "warn", "gradient norm above 100 at step 700"});
            // At step 2000: |Δμ| = (0.5 + 0.5) / 2 = 0.5, |Δσ| = (0.25 + 0.25) / 2 = 0.25.
            for (int64_t step : {1000, 2000}) {
                batch.channelStats.push_back({id, step, "stage1", 0, 1.0, 1.0, 0.5, 1.25, std::nullopt});
                batch.channelStats.push_back({id, step, "stage1", 1, 2.0, 1.0, step == 2000 ? 2.5 : 2.0, 0.75,
                                              std::nullopt});
            }
        } else if (runIds_.size() == 1) {
            batch.pathWeights.push_back({id, 2000, "kd@logits", 0.9, 0.4});
            batch.pathWeights.push_back({id, 3000, "kd@logits", 0.6, 0.3});
            batch.pathWeights.push_back({id, 3000, "at@stages", 1.5, 0.2});
        }
        store.writeBatch(batch);
        metricRows_ += static_cast<qint64>(batch.metrics.size());
        store.finishRun(id, store::RunStatus::Finished);
        runIds_.append(id);
    }
    QCOMPARE(runIds_, (QList<qint64>{1, 2, 3, 4}));
    QCOMPARE(metricRows_, 4 * (2 * 6 + 3 * 300));
}

void TestReport::init() {
    out_ = std::make_unique<QTemporaryDir>();
    QVERIFY(out_->isValid());
}

ReportRequest TestReport::request(ReportFormat format) const {
    ReportRequest request;
    request.storePath = storePath_;
    request.runIds = runIds_;
    request.format = format;
    request.plotSize = QSize(640, 360);
    return request;
}

void TestReport::htmlHoldsTablesAndPlotsOfTheRequestedSize() {
    ReportRequest html = request(ReportFormat::Html);
    html.sections.diagnostics = true;
    const QString path = out_->filePath(QStringLiteral("report.html"));
    ReportBuilder::exportReport(html, path);
    const QString text = readText(path);
    QVERIFY(text.startsWith(QLatin1String("<!DOCTYPE html>")));
    QVERIFY(text.contains(QLatin1String("<style>")));   // CSS inline
    QVERIFY(text.contains(storePath_.toHtmlEscaped()));
    QVERIFY(!text.contains(QLatin1String("src=\"http")) && !text.contains(QLatin1String("<link")));   // self-contained

    const HtmlTable runs = htmlTable(text, QStringLiteral("runs"));
    QCOMPARE(runs.rows.size(), 4);
    QCOMPARE(runs.header.last(), QStringLiteral("trained by"));   // the build of each run
    for (const QStringList& row : runs.rows)
        QCOMPARE(row.last(), QStringLiteral("Distillery 0.9.1 (git abcdef012345) · LibTorch 1.13.0 · Qt 6.4.2"));

    // Exactly the keys whose values differ; equal ones (optim.lr, method.alpha, …) are left out.
    const HtmlTable diff = htmlTable(text, QStringLiteral("config-diff"));
    QCOMPARE(diff.header, (QStringList{"run", "method.T", "name", "seed", "teacher.run_name"}));
    QCOMPARE(diff.rows.size(), 4);
    QCOMPARE(rowStartingWith(diff.rows, QStringLiteral("3")),
             (QStringList{"3", "2", "fx_kd,T2-s1", "1", "fx-teacher-s1"}));

    // run, name, best val, its step, test at best val, last test.
    const HtmlTable results = htmlTable(text, QStringLiteral("results"));
    QCOMPARE(results.rows.size(), 4);
    QCOMPARE(rowStartingWith(results.rows, QStringLiteral("1")),
             (QStringList{"1", "fx_kd-T4-s1", "88.00", "2000", "86.50", "87.90"}));   // tie: earliest step
    QCOMPARE(rowStartingWith(results.rows, QStringLiteral("2")),
             (QStringList{"2", "fx_kd-T4-s2", "89.00", "2500", "88.30", "88.00"}));
    QCOMPARE(rowStartingWith(results.rows, QStringLiteral("3")),
             (QStringList{"3", "fx_kd,T2-s1", "84.50", "3000", "84.00", "84.00"}));
    QCOMPARE(rowStartingWith(results.rows, QStringLiteral("4")),
             (QStringList{"4", "fx_kd,T2-s2", "85.00", "2000", "84.50", "82.00"}));

    // Mean ± sample std: (86.5, 88.3) -> 87.40 ± 1.27; (84.0, 84.5) -> 84.25 ± 0.35.
    const HtmlTable grouped = htmlTable(text, QStringLiteral("grouped"));
    QCOMPARE(grouped.rows.size(), 2);
    QCOMPARE(grouped.rows[0], (QStringList{"fx_kd-T4", "kd", "2", "87.40 ± 1.27", "87.95 ± 0.07", "88.50 ± 0.71", "1, 2"}));
    QCOMPARE(grouped.rows[1], (QStringList{"fx_kd,T2", "kd", "2", "84.25 ± 0.35", "83.00 ± 1.41", "84.75 ± 0.35", "3, 4"}));

    const QStringList diagnostics = rowStartingWith(htmlTable(text, QStringLiteral("diagnostics")).rows, QStringLiteral("1"));
    QVERIFY2(diagnostics.value(5) == QLatin1String("stage1 0.25, stage2 0.75 (step 2000)"), qPrintable(diagnostics.join('|')));
    QCOMPARE(diagnostics.value(3), QString::number(metricRows_ / 4));
    QCOMPARE(diagnostics.value(6), QStringLiteral("stage1 0.5 / 0.25 (step 2000)"));
    QCOMPARE(diagnostics.value(8), QStringLiteral("1 / 0"));
    const QString paths = rowStartingWith(htmlTable(text, QStringLiteral("diagnostics")).rows, QStringLiteral("2")).value(7);
    QVERIFY2(paths.contains(QLatin1String("kd@logits 0.6")) && paths.contains(QLatin1String("at@stages 1.5")) &&
                 paths.endsWith(QLatin1String("(step 3000)")),
             qPrintable(paths));

    // One image per requested key (val/acc1, train/loss), each a PNG of exactly the requested size.
    const QRegularExpression image(QStringLiteral("<img src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\""));
    int images = 0;
    for (auto it = image.globalMatch(text); it.hasNext(); ++images) {
        const QByteArray png = QByteArray::fromBase64(it.next().captured(1).toLatin1());
        QVERIFY(png.startsWith("\x89PNG\r\n\x1a\n"));
        QImage decoded;
        QVERIFY(decoded.loadFromData(png, "PNG"));
        QCOMPARE(decoded.size(), QSize(640, 360));
        // Not blank: curves of several colours on the white background.
        QSet<QRgb> colours;
        for (int y = 0; y < decoded.height(); y += 4)
            for (int x = 0; x < decoded.width(); x += 4) colours.insert(decoded.pixel(x, y));
        QVERIFY(colours.size() > 4);
    }
    QCOMPARE(images, 2);
    QVERIFY(text.indexOf(QLatin1String("<h3>val/acc1</h3>")) < text.indexOf(QLatin1String("<h3>train/loss</h3>")));
}

void TestReport::htmlCanEmbedPlotsAsSvg() {
    ReportRequest html = request(ReportFormat::Html);
    html.plotImages = PlotImageFormat::Svg;
    html.plotKeys = {QStringLiteral("train/loss"), QStringLiteral("no/such-key")};
    const QString path = out_->filePath(QStringLiteral("svg.html"));
    ReportBuilder::exportReport(html, path);
    const QString text = readText(path);
    const QRegularExpression image(QStringLiteral("<img src=\"data:image/svg\\+xml;base64,([A-Za-z0-9+/=]+)\""));
    const QRegularExpressionMatch match = image.match(text);
    QVERIFY(match.hasMatch());
    const QByteArray svg = QByteArray::fromBase64(match.captured(1).toLatin1());
    QVERIFY(svg.contains("<svg"));
    QVERIFY(svg.contains("<path") || svg.contains("<polyline"));
    QVERIFY(!text.contains(QLatin1String("data:image/png")));
    QVERIFY(text.contains(QLatin1String("No plot of no/such-key: none of these runs logged it.")));
}

void TestReport::markdownTablesParseAndLinkWrittenImages() {
    const QString path = out_->filePath(QStringLiteral("report.md"));
    ReportBuilder::exportReport(request(ReportFormat::Markdown), path);
    const QString text = readText(path);
    QVERIFY(text.startsWith(QLatin1String("# Distillery report\n")));

    const QRegularExpression separator(QStringLiteral("^\\|(\\s*:?-{3,}:?\\s*\\|)+$"));
    for (const QString& title : {QStringLiteral("Runs"), QStringLiteral("Results")}) {
        const QStringList lines = markdownTableLines(text, title);
        QCOMPARE(lines.size(), 2 + 4);   // header, separator, one row per run
        const int columns = static_cast<int>(markdownCells(lines[0]).size());
        QVERIFY2(separator.match(lines[1]).hasMatch(), qPrintable(lines[1]));
        QCOMPARE(markdownCells(lines[1]).size(), columns);
        for (int i = 2; i < lines.size(); ++i) QCOMPARE(markdownCells(lines[i]).size(), columns);
    }
    const QStringList results = markdownTableLines(text, QStringLiteral("Results"));
    // Markdown's emphasis character _ is backslash-escaped (hostileTextComesOutIntact renders it).
    QCOMPARE(markdownCells(results[2]), (QStringList{"1", "fx\\_kd-T4-s1", "88.00", "2000", "86.50", "87.90"}));
    const QStringList grouped = markdownTableLines(text, QStringLiteral("Grouped over seeds"));
    QCOMPARE(grouped.size(), 2 + 2);
    QCOMPARE(markdownCells(grouped[3]).value(3), QStringLiteral("84.25 ± 0.35"));

    const QRegularExpression link(QStringLiteral("!\\[[^\\]]*\\]\\(([^)]+)\\)"));
    QStringList links;
    for (auto it = link.globalMatch(text); it.hasNext();) links.append(it.next().captured(1));
    QCOMPARE(links, (QStringList{"report_files/plot-1-val_acc1.png", "report_files/plot-2-train_loss.png"}));
    for (const QString& relative : links) {
        QImage image;
        QVERIFY2(image.load(out_->filePath(relative), "PNG"), qPrintable(relative));
        QCOMPARE(image.size(), QSize(640, 360));
    }
}

void TestReport::pdfIsAPdfWithPages() {
    const QString path = out_->filePath(QStringLiteral("report.pdf"));
    ReportBuilder::exportReport(request(ReportFormat::Pdf), path);
    const QByteArray pdf = readBytes(path);
    QVERIFY(pdf.startsWith("%PDF-"));
    const QRegularExpression page(QStringLiteral("/Type\\s*/Page(?!s)"));
    int pages = 0;
    for (auto it = page.globalMatch(QString::fromLatin1(pdf)); it.hasNext(); it.next()) ++pages;
    QVERIFY2(pages >= 1, qPrintable(QString::number(pages)));
    QVERIFY(pdf.contains("/Subtype /Image"));   // the plots are in it
}

void TestReport::csvHoldsEveryPointQuoted() {
    const QString path = out_->filePath(QStringLiteral("metrics.csv"));
    ReportBuilder::exportReport(request(ReportFormat::Csv), path);
    const QStringList lines = readText(path).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.first(), QStringLiteral("run_id,run_name,key,step,epoch,wall_time,value"));

    // Every stored row of those runs, never down-sampled.
    store::Store store(storePath_.toStdString(), true);
    qint64 stored = 0;
    for (qint64 id : runIds_)
        for (const std::string& key : store.metricKeys(id)) stored += store.metricCount(id, key);
    QCOMPARE(stored, metricRows_);
    QCOMPARE(lines.size() - 1, stored);

    // A name with a comma is quoted and reads back whole.
    const QString quotedRow = QStringLiteral("3,\"fx_kd,T2-s1\",test/acc1,2500,5,50,83");
    QVERIFY2(lines.contains(quotedRow), qPrintable(lines.filter(QStringLiteral("test/acc1")).join('\n')));
    QCOMPARE(csvFields(quotedRow), (QStringList{"3", "fx_kd,T2-s1", "test/acc1", "2500", "5", "50", "83"}));
    QVERIFY(lines.contains(QStringLiteral("1,fx_kd-T4-s1,test/acc1,2000,4,40,86.5")));
    for (const QString& line : lines) QCOMPARE(csvFields(line).size(), 7);

    QCOMPARE(MetricsCsvWriter::field(QStringLiteral("say \"hi\", twice")), QStringLiteral("\"say \"\"hi\"\", twice\""));
    QCOMPARE(MetricsCsvWriter::number(0.1), QStringLiteral("0.1"));
}

void TestReport::latexIsBooktabsWithOneRowPerGroup() {
    const QString path = out_->filePath(QStringLiteral("results.tex"));
    ReportBuilder::exportReport(request(ReportFormat::Latex), path);
    const QString text = readText(path);
    const int top = static_cast<int>(text.indexOf(QLatin1String("\\toprule")));
    const int mid = static_cast<int>(text.indexOf(QLatin1String("\\midrule")));
    const int bottom = static_cast<int>(text.indexOf(QLatin1String("\\bottomrule")));
    QVERIFY(text.contains(QLatin1String("\\begin{tabular}{llrrrr}")));
    QVERIFY(top >= 0 && top < mid && mid < bottom);
    QVERIFY(text.contains(QLatin1String("test acc. at best val. (\\%)")));

    const QStringList rows = text.mid(mid, bottom - mid).split(QLatin1Char('\n'), Qt::SkipEmptyParts).mid(1);
    QCOMPARE(rows.size(), 2);
    QCOMPARE(rows[0], QStringLiteral("fx\\_kd-T4 & kd & 2 & 87.40 $\\pm$ 1.27 & 87.95 $\\pm$ 0.07 & 88.50 $\\pm$ 0.71 \\\\"));
    QVERIFY(rows[1].startsWith(QLatin1String("fx\\_kd,T2 & kd & 2 & 84.25 $\\pm$ 0.35")));
    const QRegularExpression bareSpecial(QStringLiteral("(?<!\\\\)[_%&#]"));
    for (const QString& row : rows) {
        QString cells = row;
        cells.remove(QStringLiteral(" & "));   // the column separators are meant
        QVERIFY2(!bareSpecial.match(cells).hasMatch(), qPrintable(row));
    }
}

void TestReport::exportPlotWritesEachFormat() {
    MetricPlot plot;
    plot.resize(500, 300);
    MetricSeries series;
    series.key = QStringLiteral("train/loss");
    for (int i = 0; i < 50; ++i) {
        series.steps.append(i * 10);
        series.values.append(2.0 / (1 + i));
        series.epochs.append(i / 10.0);
        series.wallTimes.append(i);
    }
    plot.setSeries(1, QStringLiteral("#1 run"), {series});

    const QString png = out_->filePath(QStringLiteral("plot.png"));
    QCOMPARE(exportPlot(&plot, png, QSize(400, 250)), QString());
    QVERIFY(readBytes(png).startsWith("\x89PNG\r\n\x1a\n"));
    QCOMPARE(QImage(png).size(), QSize(400, 250));

    const QString svg = out_->filePath(QStringLiteral("plot.svg"));
    QCOMPARE(exportPlot(&plot, svg), QString());
    const QByteArray svgBytes = readBytes(svg);
    QVERIFY(svgBytes.startsWith("<?xml"));
    QVERIFY(svgBytes.contains("<svg"));
    // The file's name is the SVG's title: one holding "&" and "<" still gives well-formed XML.
    const QString hostileSvg = out_->filePath(QStringLiteral("plot & <b>x \"q\".svg"));
    QCOMPARE(exportPlot(&plot, hostileSvg), QString());
    QXmlStreamReader xml(readBytes(hostileSvg));
    QString title;
    while (!xml.atEnd())
        if (xml.readNext() == QXmlStreamReader::StartElement && xml.name() == QLatin1String("title"))
            title = xml.readElementText();
    QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
    QCOMPARE(title, QStringLiteral("plot & <b>x \"q\""));

    const QString pdf = out_->filePath(QStringLiteral("plot.pdf"));
    QCOMPARE(exportPlot(&plot, pdf), QString());
    QVERIFY(readBytes(pdf).startsWith("%PDF"));

    const QString jpg = exportPlot(&plot, out_->filePath(QStringLiteral("plot.jpg")));
    QVERIFY2(jpg.contains(QLatin1String(".png, .svg or .pdf")), qPrintable(jpg));
    const QString missingFolder = out_->filePath(QStringLiteral("no/such/folder/plot.png"));
    QVERIFY(exportPlot(&plot, missingFolder).contains(missingFolder));
    const QString missingPdfFolder = out_->filePath(QStringLiteral("no/such/folder/plot.pdf"));
    QVERIFY(exportPlot(&plot, missingPdfFolder).contains(missingPdfFolder));
}

void TestReport::errorsSayWhatIsWrong() {
    const auto messageOf = [](const ReportRequest& request, const QString& path) -> QString {
        try {
            ReportBuilder::exportReport(request, path);
        } catch (const ReportError& error) {
            return QString::fromUtf8(error.what());
        }
        return {};
    };
    const QString out = out_->filePath(QStringLiteral("r.html"));

    ReportRequest unknown = request(ReportFormat::Html);
    unknown.runIds = {2, 12};
    QCOMPARE(messageOf(unknown, out), QStringLiteral("run 12 is not in fixture.sqlite (ids 1–4)"));
    unknown.format = ReportFormat::Csv;
    QCOMPARE(messageOf(unknown, out), QStringLiteral("run 12 is not in fixture.sqlite (ids 1–4)"));
    QVERIFY(!QFile::exists(out));

    ReportRequest none = request(ReportFormat::Html);
    none.runIds.clear();
    QVERIFY(messageOf(none, out).startsWith(QLatin1String("no runs chosen for the report")));

    ReportRequest noStore = request(ReportFormat::Html);
    noStore.storePath = out_->filePath(QStringLiteral("missing.sqlite"));
    QVERIFY(messageOf(noStore, out).contains(QLatin1String("there is no results store at")));

    for (ReportFormat format : allReportFormats()) {
        const QString unwritable =
            out_->filePath(QStringLiteral("no/such/folder/r.") + reportFormatSuffix(format));
        const QString message = messageOf(request(format), unwritable);
        QVERIFY2(message.contains(QLatin1String("cannot ")) && message.contains(QLatin1String("no/such/folder")),
                 qPrintable(reportFormatName(format) + QStringLiteral(": ") + message));
    }

    QCOMPARE(ReportData::describeIds({7, 1, 2, 3, 4, 9, 10, 12}), QStringLiteral("1–4, 7, 9, 10, 12"));
}

void TestReport::commandNamesAnUnknownRun() {
    const QString out = out_->filePath(QStringLiteral("r.html"));
    StderrCapture capture(out_->filePath(QStringLiteral("stderr.txt")));
    const int code = app::runReportCommand(
        {"--db", storePath_, "--runs", "1,12", "--format", "html", "--out", out});
    const QString stderrText = capture.finish();
    QCOMPARE(code, 1);
    QCOMPARE(stderrText, QStringLiteral("distillery report: run 12 is not in fixture.sqlite (ids 1–4)\n"));
    QVERIFY(!QFile::exists(out));
}

void TestReport::commandWritesHtml() {
    const QString out = out_->filePath(QStringLiteral("r.html"));
    const int code = app::runReportCommand({"--db", storePath_, "--runs", "1-2,4", "--format", "html", "--out", out,
                                            "--metrics", "val/acc1,train/loss/kd", "--plot-size", "500x300"});
    QCOMPARE(code, 0);
    const QString text = readText(out);
    QCOMPARE(htmlTable(text, QStringLiteral("results")).rows.size(), 3);
    QCOMPARE(text.count(QLatin1String("<img src=\"data:image/png;base64,")), 2);
    QVERIFY(text.contains(QLatin1String("<h3>train/loss/kd</h3>")));

    // The format from the suffix.
    const QString tex = out_->filePath(QStringLiteral("r.tex"));
    QCOMPARE(app::runReportCommand({"--db", storePath_, "--runs", "1,2,3,4", "--out", tex}), 0);
    QVERIFY(readText(tex).contains(QLatin1String("\\toprule")));
}

// --study NAME reports every run of a study (and only those); an unknown name lists the store's studies.
void TestReport::commandReportsAStudy() {
    const QString path = out_->filePath(QStringLiteral("study.sqlite"));
    {
        store::Store store(path.toStdString());
        const int64_t study = store.insertStudy("sweep", "{}", "");
        for (const char* name : {"sweep-a-s1", "sweep-a-s2", "outside"}) {
            store::NewRun run;
            run.name = name;
            run.specJson = "{}";
            if (std::string(name) != "outside") {
                run.studyId = study;
                run.studyRole = "student";
            }
            store.insertRun(run);
        }
    }
    const QString out = out_->filePath(QStringLiteral("study.md"));
    QCOMPARE(app::runReportCommand({"--db", path, "--study", "sweep", "--sections", "results", "--out", out}), 0);
    const QString text = readText(out);
    QVERIFY2(text.contains(QLatin1String("sweep-a-s1")) && text.contains(QLatin1String("sweep-a-s2")), qPrintable(text));
    QVERIFY(!text.contains(QLatin1String("outside")));

    StderrCapture capture(out_->filePath(QStringLiteral("stderr.txt")));
    const int unknown = app::runReportCommand({"--db", path, "--study", "other", "--out", out_->filePath("o.md")});
    const int both = app::runReportCommand({"--db", path, "--study", "sweep", "--runs", "1", "--out", out});
    const QString stderrText = capture.finish();
    QCOMPARE(unknown, 1);
    QCOMPARE(both, 2);
    QVERIFY2(stderrText.contains(QLatin1String("has no study named \"other\"; its studies: sweep")), qPrintable(stderrText));
    QVERIFY(stderrText.contains(QLatin1String("either --runs IDS")));
    QVERIFY(!QFile::exists(out_->filePath("o.md")));
}

void TestReport::commandRejectsBadUsage() {
    const QString out = out_->filePath(QStringLiteral("r.html"));
    StderrCapture capture(out_->filePath(QStringLiteral("stderr.txt")));
    const int noDb = app::runReportCommand({"--runs", "1", "--out", out});
    const int badFormat = app::runReportCommand({"--db", storePath_, "--runs", "1", "--format", "docx", "--out", out});
    const int badIds = app::runReportCommand({"--db", storePath_, "--runs", "1,x", "--out", out});
    const int noSuffix = app::runReportCommand({"--db", storePath_, "--runs", "1", "--out", out_->filePath("r")});
    const int badSection = app::runReportCommand({"--db", storePath_, "--runs", "1", "--sections", "plots,tables",
                                                   "--out", out});
    const QString stderrText = capture.finish();
    QCOMPARE(noDb, 2);
    QCOMPARE(badFormat, 2);
    QCOMPARE(badIds, 2);
    QCOMPARE(noSuffix, 2);
    QCOMPARE(badSection, 2);
    QVERIFY(stderrText.contains(QLatin1String("--db FILE is required")));
    QVERIFY(stderrText.contains(QLatin1String("unknown format \"docx\"")));
    QVERIFY(stderrText.contains(QLatin1String("\"x\" is not a run id")));
    QVERIFY(stderrText.contains(QLatin1String("unknown section \"tables\"")));
    QVERIFY(!QFile::exists(out));
}

void TestReport::pagePreviewsAndExportsWhatItShows() {
    ReportPage page;
    page.resize(1000, 700);
    QSignalSpy previews(&page, &ReportPage::previewUpdated);
    page.setStorePath(storePath_);
    page.setRuns(runIds_);
    QTRY_VERIFY_WITH_TIMEOUT(previews.count() >= 1 && !page.isBusy(), kTimeoutMs);
    const QString html = page.preview()->toPlainText();
    QVERIFY2(html.contains(QStringLiteral("87.40 ± 1.27")), qPrintable(html.right(1500)));
    QVERIFY(html.contains(QLatin1String("Configuration differences")));
    QVERIFY2(page.statusText().contains(QLatin1String("2 plots")), qPrintable(page.statusText()));

    page.setFormat(ReportFormat::Latex);
    QTRY_VERIFY_WITH_TIMEOUT(page.preview()->toPlainText().contains(QLatin1String("\\toprule")) && !page.isBusy(),
                             kTimeoutMs);
    QSignalSpy exported(&page, &ReportPage::exported);
    const QString tex = out_->filePath(QStringLiteral("page.tex"));
    page.exportTo(tex);
    QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, kTimeoutMs);
    QCOMPARE(exported.first().first().toString(), tex);
    // The preview shows exactly what was written.
    QCOMPARE(readText(tex).trimmed(), page.preview()->toPlainText().trimmed());

    page.setFormat(ReportFormat::Csv);
    QTRY_VERIFY_WITH_TIMEOUT(page.preview()->toPlainText().startsWith(MetricsCsvWriter::header()) && !page.isBusy(),
                             kTimeoutMs);
    QCOMPARE(page.preview()->toPlainText().split(QLatin1Char('\n'), Qt::SkipEmptyParts).size(),
             ReportPage::kCsvPreviewRows + 1);
    const QString csv = out_->filePath(QStringLiteral("page.csv"));
    page.exportTo(csv);   // on a worker
    QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 2, kTimeoutMs);
    QCOMPARE(readText(csv).split(QLatin1Char('\n'), Qt::SkipEmptyParts).size(), metricRows_ + 1);
    QVERIFY(readText(csv).startsWith(page.preview()->toPlainText()));

    // Choices survive a round trip through the state the lead persists.
    ReportPage restored;
    restored.restoreState(page.saveState());
    QCOMPARE(restored.request().format, ReportFormat::Csv);
    QCOMPARE(restored.request().plotKeys, page.request().plotKeys);
}

void TestReport::pageReportsAnUnknownRun() {
    ReportPage page;
    QSignalSpy failures(&page, &ReportPage::exportFailed);
    page.setStorePath(storePath_);
    page.setRuns({1, 12});
    QTRY_VERIFY_WITH_TIMEOUT(page.statusText().contains(QLatin1String("run 12 is not in fixture.sqlite")), kTimeoutMs);
    page.exportTo(out_->filePath(QStringLiteral("never.html")));
    QTRY_COMPARE_WITH_TIMEOUT(failures.count(), 1, kTimeoutMs);
    QVERIFY(!QFile::exists(out_->filePath(QStringLiteral("never.html"))));
}

void TestReport::hostileTextComesOutIntact_data() {
    QTest::addColumn<QString>("text");
    for (const testing::HostileText& hostile : testing::hostileTexts()) QTest::newRow(hostile.tag) << hostile.text;
}

void TestReport::hostileTextComesOutIntact() {
    QFETCH(QString, text);
    const QString python = tool("python3"), cmark = tool("cmark-gfm");
    QVERIFY2(!python.isEmpty(), "python3 reads the reports back: install it (packaging/install-deps.sh)");
    QVERIFY2(!cmark.isEmpty(), "cmark-gfm renders the Markdown report: install it (packaging/install-deps.sh)");
    const HostileStore fixture = writeHostileStore(out_->path(), text);
    ReportRequest request;
    request.storePath = fixture.path;
    request.runIds = fixture.ids;
    request.title = text;
    request.sections.diagnostics = true;
    request.plotKeys = {QStringLiteral("val/acc1"), text};
    request.plotSize = QSize(320, 200);
    QString error;

    // HTML, read by Python's html.parser: visible text equal to the original, no element from it.
    request.format = ReportFormat::Html;
    const QString htmlPath = out_->filePath(QStringLiteral("report.html"));
    ReportBuilder::exportReport(request, htmlPath);
    const QJsonObject html = readWithPython(QStringLiteral("html"), htmlPath, &error).object();
    QVERIFY2(!html.isEmpty(), qPrintable(error));
    checkRenderedReport(html, text, fixture,
                        {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "code", "table",
                         "thead", "tbody", "tr", "th", "td", "span", "img", "br"});
    if (QTest::currentTestFailed()) return;
    QCOMPARE(strings(html.value(QStringLiteral("title"))), QStringList{lineBreaksAsSpaces(text)});
    QStringList alts;
    for (const QJsonValue& attribute : html.value(QStringLiteral("attributes")).toArray())
        if (attribute.toArray().at(1).toString() == QLatin1String("alt"))
            alts.append(attribute.toArray().at(2).toString());
    QCOMPARE(alts,
             (QStringList{QStringLiteral("val/acc1 of each run over the training steps"),
                          testing::lineBreaksAsLf(text) + QStringLiteral(" of each run over the training steps")}));

    // Markdown, rendered by cmark-gfm (GitHub's tables; raw HTML let through, so that any that came
    // from the text would show) and read the same way; the image links lead to the written PNGs.
    request.format = ReportFormat::Markdown;
    const QString mdPath = out_->filePath(QStringLiteral("report (1) [draft] é#%.md"));
    ReportBuilder::exportReport(request, mdPath);
    const QByteArray rendered = runTool(
        cmark, {QStringLiteral("--unsafe"), QStringLiteral("--extension"), QStringLiteral("table"), mdPath}, &error);
    QVERIFY2(!rendered.isNull(), qPrintable(error));
    const QString renderedPath = out_->filePath(QStringLiteral("rendered.html"));
    {
        QFile file(renderedPath);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(rendered);
    }
    const QJsonObject markdown = readWithPython(QStringLiteral("html"), renderedPath, &error).object();
    QVERIFY2(!markdown.isEmpty(), qPrintable(error));
    checkRenderedReport(markdown, text, fixture,
                        {"h1", "h2", "h3", "p", "code", "table", "thead", "tbody", "tr", "th", "td", "img", "br"});
    if (QTest::currentTestFailed()) return;
    QStringList images;
    for (const QJsonValue& attribute : markdown.value(QStringLiteral("attributes")).toArray()) {
        const QJsonArray a = attribute.toArray();
        if (a.at(0).toString() != QLatin1String("img")) continue;
        if (a.at(1).toString() == QLatin1String("alt"))
            QCOMPARE(a.at(2).toString(), images.size() == 1 ? QStringLiteral("val/acc1") : lineBreaksAsSpaces(text));
        if (a.at(1).toString() != QLatin1String("src")) continue;
        const QString file = QFileInfo(mdPath).dir().filePath(QUrl::fromPercentEncoding(a.at(2).toString().toUtf8()));
        QVERIFY2(QFileInfo(file).isFile(), qPrintable(file));
        images.append(file);
    }
    QCOMPARE(images.size(), 2);

    // LaTeX: the comment lines stay comments (a title's line break cannot start a line of code), and
    // each group's label reads back as the text, with no LaTeX special left bare.
    request.format = ReportFormat::Latex;
    const QString texPath = out_->filePath(QStringLiteral("results.tex"));
    ReportBuilder::exportReport(request, texPath);
    const QStringList lines = readText(texPath).split(QLatin1Char('\n'));
    const int begin = static_cast<int>(lines.indexOf(QStringLiteral("\\begin{tabular}{llrrrr}")));
    QVERIFY(begin > 0);
    for (int i = 0; i < begin; ++i) QVERIFY2(lines[i].startsWith(QLatin1Char('%')), qPrintable(lines[i]));
    QVERIFY2(lines[0].contains(lineBreaksAsSpaces(text)) &&
                 lines[0].contains(lineBreaksAsSpaces(QFileInfo(fixture.path).fileName())),
             qPrintable(lines[0]));
    const int mid = static_cast<int>(lines.indexOf(QStringLiteral("\\midrule")));
    const int bottom = static_cast<int>(lines.indexOf(QStringLiteral("\\bottomrule")));
    QCOMPARE(bottom - mid - 1, 2);   // one row per group
    QStringList labels;
    for (int i = mid + 1; i < bottom; ++i) {
        QVERIFY(lines[i].endsWith(QLatin1String(" \\\\")));
        const QStringList cells = lines[i].chopped(3).split(QStringLiteral(" & "));   // a cell's own & is \&
        QCOMPARE(cells.size(), 6);
        for (const QString& cell : cells) QVERIFY2(latexUnescaped(cell).has_value(), qPrintable(cell));
        labels.append(latexUnescaped(cells[0]).value_or(QString()));
    }
    QCOMPARE(labels, (QStringList{latexShown(text), latexShown(text + QStringLiteral("-other"))}));

    // CSV, read by Python's csv module: every field exactly the original, line breaks included.
    request.format = ReportFormat::Csv;
    const QString csvPath = out_->filePath(QStringLiteral("metrics.csv"));
    ReportBuilder::exportReport(request, csvPath);
    const QJsonArray records = readWithPython(QStringLiteral("csv"), csvPath, &error).array();
    QVERIFY2(!records.isEmpty(), qPrintable(error));
    QCOMPARE(strings(records.first()), MetricsCsvWriter::header().split(QLatin1Char(',')));
    QCOMPARE(records.size(), fixture.points + 1);
    QSet<QString> names, keys;
    for (int i = 1; i < records.size(); ++i) {
        const QStringList fields = strings(records[i]);
        QCOMPARE(fields.size(), 7);
        names.insert(fields[1]);
        keys.insert(fields[2]);
    }
    QCOMPARE(names, QSet<QString>(fixture.names.begin(), fixture.names.end()));
    QCOMPARE(keys, (QSet<QString>{QStringLiteral("val/acc1"), QStringLiteral("test/acc1"), text}));

    // PDF: QTextDocument lays out the same escaped HTML, so the pages show the text (whitespace
    // collapsed, as HTML does); the plots' legends are QCustomPlot text, plain by construction.
    request.format = ReportFormat::Pdf;
    const QString pdfPath = out_->filePath(QStringLiteral("report.pdf"));
    ReportBuilder::exportReport(request, pdfPath);
    QVERIFY(readBytes(pdfPath).startsWith("%PDF-"));
    ReportBuilder builder(request, ReportData::load(request));
    builder.renderPlots();
    QTextDocument document;
    document.setHtml(builder.previewText());
    const QString pdfText = document.toPlainText();
    for (const QString& name : fixture.names)
        QVERIFY2(pdfText.contains(textDocumentShown(name)), qPrintable(name));
    QCOMPARE(ReportTable::runLabel(builder.data().runs.first()),
             QStringLiteral("#%1 ").arg(fixture.ids.first()) + fixture.names.first());

    // SVG plots embedded in HTML stay well-formed XML whatever the key (the SVG's title) and the
    // legend say; the legend's text (split into runs of one font each) is the run's label.
    request.format = ReportFormat::Html;
    request.plotImages = PlotImageFormat::Svg;
    ReportBuilder svgBuilder(request, ReportData::load(request));
    svgBuilder.renderPlots();
    QCOMPARE(svgBuilder.plots().size(), 2);
    for (const ReportPlot& plot : svgBuilder.plots()) {
        QXmlStreamReader xml(plot.svg);
        QString svgText;
        while (!xml.atEnd())
            if (xml.readNext() == QXmlStreamReader::Characters && !xml.isWhitespace()) svgText += xml.text();
        QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
        if (!text.contains(QLatin1Char('\n')) && !text.contains(QLatin1Char('\r')))
            QVERIFY2(svgText.contains(fixture.names.first()), qPrintable(svgText.left(400)));
    }
}

void TestReport::commandWritesHostileTextIntact() {
    const QString text = testing::allHostileText();
    const HostileStore fixture = writeHostileStore(out_->path(), text);
    QString error;

    // Markdown under a hostile file name (its image folder too), with a hostile title.
    const QString md = out_->filePath(testing::hostileFileName(QStringLiteral("md")));
    QCOMPARE(app::runReportCommand({"--db", fixture.path, "--runs", "1-3", "--title", text, "--out", md,
                                    "--sections", "config,results,grouped,plots,diagnostics"}),
             0);
    const QByteArray rendered = runTool(tool("cmark-gfm"), {"--unsafe", "--extension", "table", md}, &error);
    QVERIFY2(!rendered.isNull(), qPrintable(error));
    const QString renderedPath = out_->filePath(QStringLiteral("rendered.html"));
    {
        QFile file(renderedPath);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(rendered);
    }
    const QJsonObject markdown = readWithPython(QStringLiteral("html"), renderedPath, &error).object();
    QVERIFY2(!markdown.isEmpty(), qPrintable(error));
    QCOMPARE(strings(markdown.value(QStringLiteral("h1"))), QStringList{testing::lineBreaksAsLf(text)});
    QStringList names;
    for (const QString& name : fixture.names) names.append(testing::lineBreaksAsLf(name));
    QCOMPARE(column(tableUnder(markdown, QStringLiteral("Runs")), 1), names);
    int images = 0;
    for (const QJsonValue& attribute : markdown.value(QStringLiteral("attributes")).toArray()) {
        if (attribute.toArray().at(1).toString() != QLatin1String("src")) continue;
        const QString relative = QUrl::fromPercentEncoding(attribute.toArray().at(2).toString().toUtf8());
        QVERIFY2(QFileInfo(QFileInfo(md).dir().filePath(relative)).isFile(), qPrintable(relative));
        ++images;
    }
    QCOMPARE(images, 1);   // val/acc1; train/loss was not logged

    // CSV: every field back exactly.
    const QString csv = out_->filePath(QStringLiteral("metrics.csv"));
    QCOMPARE(app::runReportCommand({"--db", fixture.path, "--runs", "1,2,3", "--out", csv}), 0);
    const QJsonArray records = readWithPython(QStringLiteral("csv"), csv, &error).array();
    QVERIFY2(!records.isEmpty(), qPrintable(error));
    QCOMPARE(records.size(), fixture.points + 1);
    QCOMPARE(strings(records[1]).value(1), fixture.names.first());

    // LaTeX: the title's and the store name's line breaks do not end the comment.
    const QString tex = out_->filePath(QStringLiteral("results.tex"));
    QCOMPARE(app::runReportCommand({"--db", fixture.path, "--runs", "1-3", "--title", text, "--out", tex}), 0);
    const QStringList lines = readText(tex).split(QLatin1Char('\n'));
    for (int i = 0; i < lines.indexOf(QStringLiteral("\\toprule")) - 1; ++i)
        QVERIFY2(lines[i].startsWith(QLatin1Char('%')), qPrintable(lines[i]));
}

void TestReport::pageShowsHostileTextAsWritten() {
    const QString text = testing::allHostileText();
    const HostileStore fixture = writeHostileStore(out_->path(), text);
    ReportPage page;
    page.setStorePath(fixture.path);
    page.setRuns({fixture.ids.first(), 12});
    // The error names the store's file as it is: the status label shows it as plain text.
    QTRY_VERIFY_WITH_TIMEOUT(page.statusText().contains(QFileInfo(fixture.path).fileName()), kTimeoutMs);
    const QLabel* status = nullptr;
    for (const QLabel* label : page.findChildren<QLabel*>())
        if (label->text() == page.statusText()) status = label;
    QVERIFY(status);
    QCOMPARE(status->textFormat(), Qt::PlainText);

    QSignalSpy previews(&page, &ReportPage::previewUpdated);
    page.setRuns(fixture.ids);
    page.setPlotKeys({QStringLiteral("val/acc1"), text + QStringLiteral(" (never logged)")});
    QTRY_VERIFY_WITH_TIMEOUT(previews.count() >= 1 && !page.isBusy(), kTimeoutMs);
    const QString preview = page.preview()->toPlainText();
    for (const QString& name : fixture.names)
        QVERIFY2(preview.contains(textDocumentShown(name)), qPrintable(preview.left(2000)));

    // The runs list names each run as it is; a key no run logged says so in a tool tip shown literally.
    QStringList items, tips;
    for (const QListWidget* list : page.findChildren<QListWidget*>())
        for (int row = 0; row < list->count(); ++row) {
            items.append(list->item(row)->text());
            tips.append(testing::shownText(list->item(row)->toolTip()));
        }
    QVERIFY(items.contains(
        QStringLiteral("#%1 %2 · kd · seed 1").arg(QString::number(fixture.ids.first()), fixture.names.first())));
    QVERIFY2(tips.contains(QStringLiteral("None of these runs logged ") + testing::lineBreaksAsLf(text) +
                           QStringLiteral(" (never logged)")),
             qPrintable(tips.join(QLatin1Char('|'))));
}

// Each run's per-class results at the evaluation of its best val/acc1 (writeClassesStore: step 200,
// not the newest 300), with the percentages and counts computed by hand, in HTML (the matrix in %,
// coloured, counts in the title), Markdown and LaTeX (counts), and every cell in the CSV's
// confusion file; a run without cells says so in one sentence.
void TestReport::perClassResultsInEveryFormat() {
    const ClassesStore fixture = writeClassesStore(out_->path());
    ReportRequest request;
    request.storePath = fixture.path;
    request.runIds = {1, 2, 3, 4};
    request.sections.plots = false;
    const QString notRecorded = QStringLiteral("Per-class results were not recorded for this run");

    request.format = ReportFormat::Html;
    const QString htmlPath = out_->filePath(QStringLiteral("classes.html"));
    ReportBuilder::exportReport(request, htmlPath);
    const QString html = readText(htmlPath);
    const HtmlTable classes = htmlTable(html, QStringLiteral("classes-1"));
    QCOMPARE(classes.header,
             (QStringList{"class", "samples", "student acc. (%)", "teacher acc. (%)", "agreement (%)"}));
    QCOMPARE(classes.rows, (QList<QStringList>{{"class 0", "8", "75.00", "87.50", "62.50"},
                                               {"class 1", "4", "50.00", "75.00", "75.00"},
                                               {"class 2", "6", "83.33", "100.00", "66.67"}}));
    QVERIFY(html.contains(QLatin1String("Test split, step 200 (epoch 0.4), the evaluation of the best val/acc1.")));
    const HtmlTable matrix = htmlTable(html, QStringLiteral("confusion-1"));
    QCOMPARE(matrix.header, (QStringList{"actual / predicted", "class 0", "class 1", "class 2"}));
    QCOMPARE(matrix.rows, (QList<QStringList>{{"class 0", "75.00", "25.00", "0.00"},
                                              {"class 1", "25.00", "50.00", "25.00"},
                                              {"class 2", "16.67", "0.00", "83.33"}}));
    // Each cell coloured on the viridis scale (100 % its yellow end), its count in the title.
    QVERIFY(html.contains(QLatin1String("title=\"actual class 0, predicted class 1: 2 of 8\">25.00</td>")));
    const QRegularExpression coloured(
        QStringLiteral("<td class=\"num\" align=\"right\" style=\"background-color: (#[0-9a-f]{6}); "
                       "color: #[0-9a-f]{6}\" title=\"actual class 2, predicted class 2: 5 of 6\">"));
    const QRegularExpressionMatch colourMatch = coloured.match(html);
    QVERIFY2(colourMatch.hasMatch(), "the cell (2, 2) is coloured and titled");
    QCOMPARE(colourMatch.captured(1),
             QColor::fromRgb(ViridisGradient::make().color(500.0 / 6.0, QCPRange(0, 100))).name());
    // ce-old: one sentence, no table; ce-noval: the newest evaluation, student columns only.
    QVERIFY(htmlTable(html, QStringLiteral("classes-2")).rows.isEmpty());
    QVERIFY(htmlTable(html, QStringLiteral("confusion-2")).rows.isEmpty());
    QCOMPARE(html.count(notRecorded), 1);
    const HtmlTable noVal = htmlTable(html, QStringLiteral("classes-3"));
    QCOMPARE(noVal.header, (QStringList{"class", "samples", "student acc. (%)"}));
    QCOMPARE(noVal.rows,
             (QList<QStringList>{{"class 0", "4", "75.00"}, {"class 1", "0", "—"}, {"class 2", "2", "100.00"}}));
    QVERIFY(html.contains(
        QLatin1String("Test split, step 200 (epoch 0.4), the newest evaluation (the run logged no val/acc1).")));
    QCOMPARE(htmlTable(html, QStringLiteral("confusion-4")).rows.size(), 25);

    request.format = ReportFormat::Markdown;
    const QString mdPath = out_->filePath(QStringLiteral("classes.md"));
    ReportBuilder::exportReport(request, mdPath);
    const QString md = readText(mdPath);
    const QStringList mdClasses = markdownTableLines(md, QStringLiteral("Per-class results: \\#1 kd-3cls"));
    QCOMPARE(mdClasses.size(), 2 + 3);
    QCOMPARE(markdownCells(mdClasses[2]), (QStringList{"class 0", "8", "75.00", "87.50", "62.50"}));
    QCOMPARE(markdownCells(mdClasses[4]), (QStringList{"class 2", "6", "83.33", "100.00", "66.67"}));
    const QStringList mdMatrix = markdownTableLines(md, QStringLiteral("Confusion matrix: \\#1 kd-3cls"));
    QCOMPARE(mdMatrix.size(), 2 + 3);
    QCOMPARE(markdownCells(mdMatrix[0]), (QStringList{"actual / predicted", "class 0", "class 1", "class 2"}));
    QCOMPARE(markdownCells(mdMatrix[2]), (QStringList{"class 0", "6", "2", "0"}));
    QCOMPARE(markdownCells(mdMatrix[3]), (QStringList{"class 1", "1", "2", "1"}));
    QCOMPARE(markdownCells(mdMatrix[4]), (QStringList{"class 2", "1", "0", "5"}));
    QVERIFY(md.contains(QStringLiteral("## Per-class results: \\#2 ce-old\n\n") + notRecorded));
    QVERIFY(markdownTableLines(md, QStringLiteral("Confusion matrix: \\#2 ce-old")).isEmpty());

    request.format = ReportFormat::Latex;
    const QString texPath = out_->filePath(QStringLiteral("classes.tex"));
    ReportBuilder::exportReport(request, texPath);
    const QString tex = readText(texPath);
    QCOMPARE(latexRowsAfter(tex, QStringLiteral("% Per-class results: #1 kd-3cls")),
             (QStringList{"class 0 & 8 & 75.00 & 87.50 & 62.50 \\\\", "class 1 & 4 & 50.00 & 75.00 & 75.00 \\\\",
                          "class 2 & 6 & 83.33 & 100.00 & 66.67 \\\\"}));
    QCOMPARE(latexRowsAfter(tex, QStringLiteral("% Confusion matrix: #1 kd-3cls")),
             (QStringList{"class 0 & 6 & 2 & 0 \\\\", "class 1 & 1 & 2 & 1 \\\\", "class 2 & 1 & 0 & 5 \\\\"}));
    QVERIFY(tex.contains(QStringLiteral("% Per-class results: #2 ce-old\n% ") + notRecorded));
    QVERIFY(tex.contains(QLatin1String("% Confusion matrix: #4 ce-25\n% Left out: its 25 classes make more columns "
                                       "than a page holds")));
    // grouped; statistics; runs 1 and 3: 2 each; run 4: 1
    QCOMPARE(tex.count(QLatin1String("\\begin{tabular}")), 1 + 1 + 2 + 2 + 1);
    for (const QString& line : tex.split(QLatin1Char('\n')))   // nothing but comments and tabulars
        QVERIFY2(line.isEmpty() || line.startsWith(QLatin1Char('%')) || line.startsWith(QLatin1Char('\\')) ||
                     line.endsWith(QLatin1String(" \\\\")),
                 qPrintable(line));

    // CSV: the metrics file as ever, and beside it every stored cell, long format.
    request.format = ReportFormat::Csv;
    const QString csvPath = out_->filePath(QStringLiteral("classes.csv"));
    ReportBuilder::exportReport(request, csvPath);
    QVERIFY(readText(csvPath).startsWith(MetricsCsvWriter::header()));
    const QString confusionPath = MetricsCsvWriter::confusionFileFor(csvPath);
    QCOMPARE(confusionPath, out_->filePath(QStringLiteral("classes_confusion.csv")));
    const QStringList lines = readText(confusionPath).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.first(), QStringLiteral("run_id,split,model,step,actual,predicted,count"));
    QCOMPARE(lines.size() - 1, fixture.cells);
    for (const char* row : {"1,test,student,200,0,1,2", "1,test,student,200,2,0,1", "1,test,student,300,1,1,4",
                               "1,test,teacher,100,1,2,1", "1,val,student,200,0,0,3", "3,test,student,200,0,2,1",
                               "4,test,student,100,24,24,2"})
        QVERIFY2(lines.contains(QLatin1String(row)), row);
    QCOMPARE(lines.indexOf(QStringLiteral("1,val,student,200,0,0,3")), 1);   // per run: val, then test
    QCOMPARE(lines.filter(QRegularExpression(QStringLiteral("^2,"))).size(), 0);

    // The headless command writes both files too.
    const QString commandCsv = out_->filePath(QStringLiteral("command.csv"));
    QCOMPARE(app::runReportCommand({"--db", fixture.path, "--runs", "1", "--out", commandCsv}), 0);
    // Run 1's cells: 3 + 7 + 3 of the student on test, 5 of the teacher, 1 on val; and the header.
    QCOMPARE(readText(MetricsCsvWriter::confusionFileFor(commandCsv)).count(QLatin1Char('\n')), 1 + 19);
}

// The numbers below were computed offline with SciPy 1.10 (/usr/bin/python3), independently of
// core/stats:
//   from scipy import stats; import numpy as np
//   ce = {1: 80.0, 2: 81.0, 3: 79.5}; kd = {1: 82.0, 2: 83.5, 3: 81.0}; at = {4: 82.0, 5: 82.4, 6: 82.2}
//   stats.ttest_rel([kd[s] for s in (1, 2, 3)], [ce[s] for s in (1, 2, 3)])
//     -> t = 6.92820323027551, p = 0.020204102886728754 (df 2); alone in its Holm family, so p (Holm) = p
//   stats.ttest_ind(list(at.values()), list(ce.values()), equal_var=False)
//     -> t = 4.460761787175489, p = 0.03675188583162777; Welch-Satterthwaite df (by its formula, as
//        ttest_ind uses) = 2.273002047515364
//   stats.ttest_ind(list(kd.values()), list(ce.values()), equal_var=False) -> p = 0.09213399118385907
//   Holm over the two Welch p against ce: sorted (0.0368, 0.0921) -> (2 * 0.0368, max(0.0735, 0.0921))
//     -> at: 0.07350377166325554 (not significant, though its raw p is below 0.05), kd: 0.09213399118385907
//   stats.ttest_ind(list(at.values()), list(kd.values()), equal_var=False)
//     -> t = 0.04531432544294178, p = 0.9677979491772435, df 2.1009881781821274; Holm over it and
//        ce-vs-kd Welch (p 0.0921): 0.9677979491772435
//   means and 95 % CIs (stats.t.ppf(0.975, n - 1) * s / sqrt(n)): ce 80.1667 [78.2694, 82.0640],
//   kd 82.1667 [79.0409, 85.2925], at 82.2 [81.7032, 82.6968]; kd - ce paired Δ 2 [0.7579, 3.2421];
//   at - ce Welch Δ 2.0333 [0.2814, 3.7853]; at - kd Welch Δ 0.0333 [-2.9903, 3.0570]
void TestReport::statisticsInEveryFormat() {
    const QString storePath = writeStatisticsStore(out_->path());
    ReportRequest request;
    request.storePath = storePath;
    request.runIds = kStudentRuns;
    request.sections.plots = false;
    request.sections.results = false;   // no per-class tables: none were recorded
    const QString significantCe = QStringLiteral(
        "† significant at α = 0.05 after Holm correction over 1 paired and 2 Welch comparisons with the baseline "
        "“ce” (each kind corrected on its own), paired t-test where seeds pair up, else Welch's.");
    const QString significantKd = QString(significantCe).replace(QStringLiteral("“ce”"), QStringLiteral("“kd”"));
    const QString differentCe = QString(significantCe).replace(QStringLiteral("† significant"),
                                                               QStringLiteral("† significantly different"));
    const QString oneRun = QStringLiteral(
        "Configuration “fitnet” has 1 run: a t-test needs at least 2 seeds per configuration; add seeds.");

    // Markdown: the default baselines (ce, then kd), one table each, after the grouped table.
    request.format = ReportFormat::Markdown;
    const QString mdPath = out_->filePath(QStringLiteral("statistics.md"));
    ReportBuilder::exportReport(request, mdPath);
    const QString md = readText(mdPath);
    QVERIFY(md.indexOf(QLatin1String("## Grouped over seeds")) < md.indexOf(QLatin1String("## Statistics against ce")));
    QVERIFY(md.indexOf(QLatin1String("## Statistics against ce")) < md.indexOf(QLatin1String("## Statistics against kd")));
    const QStringList againstCe = markdownTableLines(md, QStringLiteral("Statistics against ce"));
    QCOMPARE(againstCe.size(), 2 + 4);
    QCOMPARE(markdownCells(againstCe[0]), (QStringList{"Configuration", "n", "Mean ± std", "95% CI",
                                                       "Δ vs baseline \\[95% CI\\]", "Test", "t", "df", "p",
                                                       "p (Holm)", "Sig."}));
    QCOMPARE(markdownCells(againstCe[2]),
             (QStringList{"ce", "3", "80.17 ± 0.76", "\\[78.27, 82.06\\]", "baseline", "", "", "", "", "", ""}));
    QCOMPARE(markdownCells(againstCe[3]), (QStringList{"kd", "3", "82.17 ± 1.26", "\\[79.04, 85.29\\]",
                                                       "**+2.00 \\[+0.76, +3.24\\]**†", "paired", "6.93", "2",
                                                       "0.020", "0.020", "●"}));
    QCOMPARE(markdownCells(againstCe[4]), (QStringList{"at", "3", "82.20 ± 0.20", "\\[81.70, 82.70\\]",
                                                       "+2.03 \\[+0.28, +3.79\\]", "Welch", "4.46", "2.27", "0.037",
                                                       "0.074", "○"}));
    QCOMPARE(markdownCells(againstCe[5]),
             (QStringList{"fitnet", "1", "81.00", "—", "+0.83", "Welch", "—", "—", "—", "—", "—"}));
    const QStringList againstKd = markdownTableLines(md, QStringLiteral("Statistics against kd"));
    QCOMPARE(againstKd.size(), 2 + 4);
    QCOMPARE(markdownCells(againstKd[2]), (QStringList{"ce", "3", "80.17 ± 0.76", "\\[78.27, 82.06\\]",
                                                       "**-2.00 \\[-3.24, -0.76\\]**†", "paired", "-6.93", "2",
                                                       "0.020", "0.020", "●"}));
    QCOMPARE(markdownCells(againstKd[3]).value(4), QStringLiteral("baseline"));
    QCOMPARE(markdownCells(againstKd[4]), (QStringList{"at", "3", "82.20 ± 0.20", "\\[81.70, 82.70\\]",
                                                       "+0.03 \\[-2.99, +3.06\\]", "Welch", "0.05", "2.10", "0.968",
                                                       "0.968", "○"}));
    QCOMPARE(markdownCells(againstKd[5]),
             (QStringList{"fitnet", "1", "81.00", "—", "-1.17", "Welch", "—", "—", "—", "—", "—"}));
    // Under each table: what the mark means, and why the impossible tests are impossible.
    const auto after = [&](const QString& heading, const QString& line) {
        const qsizetype at = md.indexOf(line, md.indexOf(QStringLiteral("## ") + heading));
        const qsizetype next = md.indexOf(QLatin1String("\n## "), md.indexOf(QStringLiteral("## ") + heading) + 3);
        return at >= 0 && (next < 0 || at < next);
    };
    QVERIFY2(after(QStringLiteral("Statistics against ce"), QStringLiteral("\n\n") + significantCe + QStringLiteral("\n\n")),
             qPrintable(md));
    QVERIFY(after(QStringLiteral("Statistics against ce"), QStringLiteral("\n\n") + oneRun + QStringLiteral("\n\n")));
    QVERIFY(after(QStringLiteral("Statistics against kd"), significantKd));
    QVERIFY(after(QStringLiteral("Statistics against kd"), oneRun));
    // The grouped table marks kd's headline, significantly above the first baseline (ce); at's raw p
    // is below 0.05 but its Holm p is not, so it stays plain. kd's running 4th seed counts nowhere.
    const QStringList grouped = markdownTableLines(md, QStringLiteral("Grouped over seeds"));
    QCOMPARE(grouped.size(), 2 + 4);
    QCOMPARE(markdownCells(grouped[3]), (QStringList{"kd", "kd", "3 (+1 not finished)", "**82.17 ± 1.26**†",
                                                     "82.17 ± 1.26", "70.00 ± 0.00", "4, 5, 6, 11"}));
    QCOMPARE(markdownCells(grouped[4]).value(3), QStringLiteral("82.20 ± 0.20"));
    QCOMPARE(markdownCells(grouped[2]).value(3), QStringLiteral("80.17 ± 0.76"));
    QVERIFY(after(QStringLiteral("Grouped over seeds"), differentCe));
    // GitHub's Markdown reads the marks as bold.
    QString error;
    const QString rendered = QString::fromUtf8(
        runTool(tool("cmark-gfm"), {QStringLiteral("--extension"), QStringLiteral("table"), mdPath}, &error));
    QVERIFY2(!rendered.isEmpty(), qPrintable(error));
    QVERIFY2(rendered.contains(QStringLiteral("<strong>+2.00 [+0.76, +3.24]</strong>†")), qPrintable(rendered));
    QVERIFY(rendered.contains(QStringLiteral("<strong>82.17 ± 1.26</strong>†")));
    QCOMPARE(rendered.count(QLatin1String("<strong>")), 3);

    // HTML: the same cells; the marked ones bold, their p and Holm's p in the hover text.
    request.format = ReportFormat::Html;
    const QString htmlPath = out_->filePath(QStringLiteral("statistics.html"));
    ReportBuilder::exportReport(request, htmlPath);
    const QString html = readText(htmlPath);
    const HtmlTable htmlCe = htmlTable(html, QStringLiteral("statistics-1"));
    QCOMPARE(htmlCe.rows.size(), 4);
    QCOMPARE(htmlCe.rows[1], (QStringList{"kd", "3", "82.17 ± 1.26", "[79.04, 85.29]", "+2.00 [+0.76, +3.24]†",
                                          "paired", "6.93", "2", "0.020", "0.020", "●"}));
    QCOMPARE(htmlCe.rows[2], (QStringList{"at", "3", "82.20 ± 0.20", "[81.70, 82.70]", "+2.03 [+0.28, +3.79]",
                                          "Welch", "4.46", "2.27", "0.037", "0.074", "○"}));
    QCOMPARE(htmlCe.rows[3].mid(4), (QStringList{"+0.83", "Welch", "—", "—", "—", "—", "—"}));
    const QList<QStringList> tagsCe = htmlCellTags(html, QStringLiteral("statistics-1"));
    QCOMPARE(tagsCe[1][4], QStringLiteral("<td class=\"num\" align=\"right\" style=\"font-weight: bold\" "
                                          "title=\"paired t-test: p = 0.020, p (Holm) = 0.020\">"));
    for (int row : {0, 2, 3})
        for (const QString& tag : tagsCe[row]) QVERIFY2(!tag.contains(QLatin1String("bold")), qPrintable(tag));
    QCOMPARE(htmlTable(html, QStringLiteral("statistics-2")).rows[0].value(4), QStringLiteral("-2.00 [-3.24, -0.76]†"));
    QVERIFY(htmlCellTags(html, QStringLiteral("statistics-2"))[0][4].contains(QLatin1String("font-weight: bold")));
    const QList<QStringList> groupedTags = htmlCellTags(html, QStringLiteral("grouped"));
    QCOMPARE(groupedTags[1][3], QStringLiteral("<td class=\"num\" align=\"right\" style=\"font-weight: bold\" "
                                               "title=\"Δ vs “ce” +2.00 [+0.76, +3.24]; paired t-test: p = 0.020, "
                                               "p (Holm) = 0.020\">"));
    for (int row : {0, 2, 3}) QVERIFY(!groupedTags[row][3].contains(QLatin1String("bold")));
    QCOMPARE(htmlTable(html, QStringLiteral("grouped")).rows[1].value(3), QStringLiteral("82.17 ± 1.26†"));
    QVERIFY(html.contains(QStringLiteral("<p class=\"note\">") + QString(significantCe).replace('\'', "&#39;") +
                          QStringLiteral("</p>")));
    QVERIFY(html.contains(QStringLiteral("<p class=\"note\">") + oneRun + QStringLiteral("</p>")));

    // LaTeX: bold Δ with a dagger, the footnote and the sentence as text under each tabular.
    request.format = ReportFormat::Latex;
    const QString texPath = out_->filePath(QStringLiteral("statistics.tex"));
    ReportBuilder::exportReport(request, texPath);
    const QString tex = readText(texPath);
    const QStringList texGrouped = latexRowsAfter(tex, QStringLiteral("% Runs whose"));
    QCOMPARE(texGrouped.size(), 4);
    QCOMPARE(texGrouped[1], QStringLiteral("kd & kd & 3 (+1 not finished) & \\textbf{82.17 $\\pm$ 1.26}$^{\\dagger}$ & "
                                           "82.17 $\\pm$ 1.26 & 70.00 $\\pm$ 0.00 \\\\"));
    QCOMPARE(texGrouped[2], QStringLiteral("at & at & 3 & 82.20 $\\pm$ 0.20 & 82.20 $\\pm$ 0.20 & 70.00 $\\pm$ 0.00 \\\\"));
    const QStringList texCe = latexRowsAfter(tex, QStringLiteral("% Statistics against ce"));
    QCOMPARE(texCe, (QStringList{
        "ce & 3 & 80.17 $\\pm$ 0.76 & {[}78.27, 82.06{]} & baseline &  &  &  &  &  &  \\\\",
        "kd & 3 & 82.17 $\\pm$ 1.26 & {[}79.04, 85.29{]} & \\textbf{+2.00 {[}+0.76, +3.24{]}}$^{\\dagger}$ & paired & "
        "6.93 & 2 & 0.020 & 0.020 & $\\bullet$ \\\\",
        "at & 3 & 82.20 $\\pm$ 0.20 & {[}81.70, 82.70{]} & +2.03 {[}+0.28, +3.79{]} & Welch & 4.46 & 2.27 & 0.037 & "
        "0.074 & $\\circ$ \\\\",
        "fitnet & 1 & 81.00 & --- & +0.83 & Welch & --- & --- & --- & --- & --- \\\\"}));
    const QStringList texKd = latexRowsAfter(tex, QStringLiteral("% Statistics against kd"));
    QCOMPARE(texKd.size(), 4);
    QCOMPARE(texKd[0], QStringLiteral("ce & 3 & 80.17 $\\pm$ 0.76 & {[}78.27, 82.06{]} & "
                                      "\\textbf{-2.00 {[}-3.24, -0.76{]}}$^{\\dagger}$ & paired & -6.93 & 2 & 0.020 & "
                                      "0.020 & $\\bullet$ \\\\"));
    QCOMPARE(texKd[2], QStringLiteral("at & 3 & 82.20 $\\pm$ 0.20 & {[}81.70, 82.70{]} & +0.03 {[}-2.99, +3.06{]} & "
                                      "Welch & 0.05 & 2.10 & 0.968 & 0.968 & $\\circ$ \\\\"));
    QVERIFY(tex.contains(QLatin1String("Configuration & n & Mean $\\pm$ std & 95\\% CI & $\\Delta$ vs baseline "
                                       "{[}95\\% CI{]} & Test & t & df & p & p (Holm) & Sig. \\\\")));
    const QString texFootnote = QStringLiteral(
        "\\noindent{\\footnotesize $^{\\dagger}$ significant at $\\alpha$ = 0.05 after Holm correction over 1 paired and 2 Welch "
        "comparisons with the baseline “ce” (each kind corrected on its own), paired t-test where seeds pair up, else "
        "Welch's.\\par}\n");
    QVERIFY2(tex.contains(QStringLiteral("\\end{tabular}\n\\par\\smallskip\n") + texFootnote), qPrintable(tex));
    QVERIFY(tex.contains(QStringLiteral("\\noindent{\\footnotesize ") + oneRun + QStringLiteral("\\par}\n")));
    QVERIFY(tex.contains(
        QStringLiteral("\\noindent{\\footnotesize $^{\\dagger}$ significantly different at $\\alpha$ = 0.05")));
    QCOMPARE(tex.count(QLatin1String("\\begin{tabular}")), 3);   // grouped, against ce, against kd

    // CSV: the statistics file beside the metrics, every figure in full.
    request.format = ReportFormat::Csv;
    const QString csvPath = out_->filePath(QStringLiteral("statistics-metrics.csv"));
    ReportBuilder::exportReport(request, csvPath);
    const QString statisticsPath = MetricsCsvWriter::statisticsFileFor(csvPath);
    QCOMPARE(statisticsPath, out_->filePath(QStringLiteral("statistics-metrics_statistics.csv")));
    QCOMPARE(readText(statisticsPath).section(QLatin1Char('\n'), 0, 0), MetricsCsvWriter::statisticsHeader());
    QCOMPARE(MetricsCsvWriter::statisticsHeader(),
             QStringLiteral("baseline,configuration,n,mean,std,ci_low,ci_high,diff,diff_ci_low,diff_ci_high,test,t,df,p,"
                            "p_holm,significant,reason"));
    const QHash<QString, QStringList> records = statisticsRecords(statisticsPath);
    QCOMPARE(records.size(), 8);   // 2 baselines × 4 configurations
    const auto checkNumbers = [](const QStringList& record, const QList<std::pair<int, double>>& expected) {
        for (const auto& [column, value] : expected) {
            bool ok = false;
            const double read = record.value(column).toDouble(&ok);
            QVERIFY2(ok && std::abs(read - value) <= 1e-9 * std::max(1.0, std::abs(value)),
                     qPrintable(record.join(',') + QStringLiteral(" column %1").arg(column)));
        }
    };
    const QStringList kdCe = records.value(QStringLiteral("ce/kd"));
    checkNumbers(kdCe, {{2, 3}, {3, 82.16666666666667}, {4, 1.2583057392117918}, {5, 79.04086192686123},
                        {6, 85.29247140647212}, {7, 2.0}, {8, 0.7579311440781236}, {9, 3.242068855921876},
                        {11, 6.92820323027551}, {12, 2}, {13, 0.020204102886728754}, {14, 0.020204102886728754}});
    QCOMPARE(kdCe.value(10), QStringLiteral("paired"));
    QCOMPARE(kdCe.value(15), QStringLiteral("1"));
    const QStringList atCe = records.value(QStringLiteral("ce/at"));
    checkNumbers(atCe, {{7, 2.0333333333333314}, {8, 0.28137820513519474}, {9, 3.785288461531468},
                        {11, 4.460761787175489}, {12, 2.273002047515364}, {13, 0.03675188583162777},
                        {14, 0.07350377166325554}});
    QCOMPARE(atCe.value(10), QStringLiteral("welch"));
    QCOMPARE(atCe.value(15), QStringLiteral("0"));
    const QStringList ceCe = records.value(QStringLiteral("ce/ce"));
    checkNumbers(ceCe, {{2, 3}, {3, 80.16666666666667}, {4, 0.7637626158259733}, {5, 78.26937514979694},
                        {6, 82.0639581835364}});
    QCOMPARE(ceCe.mid(7), QStringList(10, QString()));   // the baseline's own row compares nothing
    const QStringList fitnetCe = records.value(QStringLiteral("ce/fitnet"));
    checkNumbers(fitnetCe, {{2, 1}, {3, 81.0}, {7, 81.0 - 80.16666666666667}});
    QCOMPARE(fitnetCe.mid(10, 6), QStringList(6, QString()));
    QCOMPARE(fitnetCe.value(16), QStringLiteral("the candidate has 1 run: a t-test needs at least 2 per configuration"));
    const QStringList ceKd = records.value(QStringLiteral("kd/ce"));
    checkNumbers(ceKd, {{7, -2.0}, {11, -6.92820323027551}, {12, 2}, {13, 0.020204102886728754},
                        {14, 0.020204102886728754}});
    QCOMPARE(ceKd.value(15), QStringLiteral("1"));
    const QStringList atKd = records.value(QStringLiteral("kd/at"));
    checkNumbers(atKd, {{11, 0.04531432544294178}, {12, 2.1009881781821274}, {13, 0.9677979491772435},
                        {14, 0.9677979491772435}});
    QCOMPARE(atKd.value(15), QStringLiteral("0"));

    // Without the section: no statistics, no marks.
    request.format = ReportFormat::Markdown;
    request.sections.statistics = false;
    ReportBuilder::exportReport(request, mdPath);
    const QString plain = readText(mdPath);
    QVERIFY(!plain.contains(QLatin1String("## Statistics")));
    QVERIFY(!plain.contains(QStringLiteral("†")));
}

void TestReport::statisticsDefaultBaselinesLeaveTeachersOut() {
    const QString storePath = writeStatisticsStore(out_->path());
    const store::Store store(storePath.toStdString(), true);
    // With the teachers (both trained with ce alone): still the student's ce, then kd.
    const QList<ComparedRun> all = loadComparedRuns(store, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13});
    QStringList labels;
    for (const RunGroup& group : groupRuns(all)) labels.append(group.label);
    QCOMPARE(labels, (QStringList{"ce", "kd", "at", "fitnet", "big", "teacher"}));
    QCOMPARE(ReportStatistics::defaultBaselines(all), (QStringList{"ce", "kd"}));
    // No student trained with ce alone: the teachers' ce is no baseline; kd still is.
    QCOMPARE(ReportStatistics::defaultBaselines(loadComparedRuns(store, {4, 5, 12, 13})), (QStringList{"kd"}));
    // Neither ce nor kd among the students: the first student configuration, not the teacher.
    QCOMPARE(ReportStatistics::defaultBaselines(loadComparedRuns(store, {12, 7, 8, 10})), (QStringList{"at"}));

    const ReportStatistics statistics = ReportStatistics::compute(all, {});
    QCOMPARE(statistics.perBaseline.size(), 2);
    QCOMPARE(statistics.perBaseline[1].rows.at(statistics.perBaseline[1].baseline).label, QStringLiteral("kd"));
    // A label no configuration has: the error names it and the labels there are.
    try {
        ReportStatistics::compute(all, {QStringLiteral("kd"), QStringLiteral("dkd")});
        QFAIL("an unknown baseline was accepted");
    } catch (const ReportError& error) {
        QCOMPARE(QString::fromUtf8(error.what()),
                 QStringLiteral("no configuration of these runs is labelled “dkd”: choose a baseline among “ce”, "
                                "“kd”, “at”, “fitnet”, “big”, “teacher” (labels as the grouped table shows them)"));
    }
}

void TestReport::commandWritesStatisticsAgainstChosenBaselines() {
    const QString storePath = writeStatisticsStore(out_->path());
    const QString md = out_->filePath(QStringLiteral("kd.md"));
    QCOMPARE(app::runReportCommand({"--db", storePath, "--runs", "1-11", "--baseline", "kd", "--out", md}), 0);
    const QString text = readText(md);
    QVERIFY(text.contains(QLatin1String("## Statistics against kd")));
    QVERIFY(!text.contains(QLatin1String("## Statistics against ce")));
    const QStringList againstKd = markdownTableLines(text, QStringLiteral("Statistics against kd"));
    QCOMPARE(markdownCells(againstKd[2]).mid(4), (QStringList{"**-2.00 \\[-3.24, -0.76\\]**†", "paired", "-6.93", "2",
                                                             "0.020", "0.020", "●"}));
    // The grouped table marks against kd now: ce is significantly below it.
    const QStringList grouped = markdownTableLines(text, QStringLiteral("Grouped over seeds"));
    QCOMPARE(markdownCells(grouped[2]).value(3), QStringLiteral("**80.17 ± 0.76**†"));
    QCOMPARE(markdownCells(grouped[3]).value(3), QStringLiteral("82.17 ± 1.26"));

    // Two baselines, in the order given: two tables.
    const QString html = out_->filePath(QStringLiteral("two.html"));
    QCOMPARE(app::runReportCommand({"--db", storePath, "--runs", "1-11", "--baseline", "at", "--baseline", "ce",
                                    "--sections", "grouped,statistics", "--out", html}),
             0);
    const QString htmlText = readText(html);
    QVERIFY(htmlText.contains(QLatin1String("<h2>Statistics against at</h2>\n<p class=\"note\">")));
    QVERIFY(htmlText.indexOf(QLatin1String("<table id=\"statistics-1\"")) >
            htmlText.indexOf(QLatin1String("<h2>Statistics against at</h2>")));
    QVERIFY(htmlText.indexOf(QLatin1String("<h2>Statistics against ce</h2>")) >
            htmlText.indexOf(QLatin1String("<table id=\"statistics-1\"")));
    QCOMPARE(htmlTable(htmlText, QStringLiteral("statistics-2")).rows.value(2).mid(4),
             (QStringList{"+2.03 [+0.28, +3.79]", "Welch", "4.46", "2.27", "0.037", "0.074", "○"}));
    QVERIFY(!htmlText.contains(QLatin1String("statistics-3")));

    // CSV: the statistics file holds the rows against kd only.
    const QString csv = out_->filePath(QStringLiteral("kd.csv"));
    QCOMPARE(app::runReportCommand({"--db", storePath, "--runs", "1-11", "--baseline", "kd", "--out", csv}), 0);
    const QHash<QString, QStringList> records = statisticsRecords(MetricsCsvWriter::statisticsFileFor(csv));
    QCOMPARE(QSet<QString>(records.keyBegin(), records.keyEnd()),
             (QSet<QString>{"kd/ce", "kd/kd", "kd/at", "kd/fitnet"}));
    QCOMPARE(records.value(QStringLiteral("kd/ce")).value(13).toDouble(), 0.020204102886728754);

    // A label no configuration has: exit 1 and say which, before any file is written.
    const QString never = out_->filePath(QStringLiteral("never.csv"));
    StderrCapture capture(out_->filePath(QStringLiteral("stderr.txt")));
    const int code = app::runReportCommand({"--db", storePath, "--runs", "1-11", "--baseline", "KD", "--out", never});
    const int mdCode = app::runReportCommand({"--db", storePath, "--runs", "1-11", "--baseline", "KD", "--out",
                                              out_->filePath(QStringLiteral("never.md"))});
    const QString stderrText = capture.finish();
    QCOMPARE(code, 1);
    QCOMPARE(mdCode, 1);
    QVERIFY2(stderrText.contains(QStringLiteral("no configuration of these runs is labelled “KD”")), qPrintable(stderrText));
    QVERIFY(!QFile::exists(never));
    QVERIFY(!QFile::exists(out_->filePath(QStringLiteral("never.md"))));
}

void TestReport::pageChoosesBaselines() {
    const QString storePath = writeStatisticsStore(out_->path());
    ReportPage page;
    QSignalSpy previews(&page, &ReportPage::previewUpdated);
    page.setStorePath(storePath);
    page.setRuns(kStudentRuns);
    QTRY_VERIFY_WITH_TIMEOUT(previews.count() >= 1 && !page.isBusy(), kTimeoutMs);
    QListWidget* baselines = nullptr;
    for (QListWidget* list : page.findChildren<QListWidget*>())
        if (list->count() == 4 && list->item(0)->text() == QLatin1String("ce")) baselines = list;
    QVERIFY(baselines);
    const auto checkedLabels = [&] {
        QStringList checked;
        for (int row = 0; row < baselines->count(); ++row)
            if (baselines->item(row)->checkState() == Qt::Checked) checked.append(baselines->item(row)->text());
        return checked;
    };
    QCOMPARE(checkedLabels(), (QStringList{"ce", "kd"}));   // the default, shown
    QVERIFY(page.preview()->toPlainText().contains(QLatin1String("Statistics against kd")));

    baselines->item(1)->setCheckState(Qt::Unchecked);   // kd
    baselines->item(2)->setCheckState(Qt::Checked);     // at
    QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && !page.preview()->toPlainText().contains(QLatin1String("Statistics against kd")),
                             kTimeoutMs);
    QCOMPARE(page.request().baselines, (QStringList{"ce", "at"}));
    QVERIFY(page.preview()->toPlainText().contains(QLatin1String("Statistics against at")));

    // Persisted by label, like the other choices.
    ReportPage restored;
    restored.restoreState(page.saveState());
    QCOMPARE(restored.saveState().value(QStringLiteral("baselines")).toStringList(), (QStringList{"ce", "at"}));
    QSignalSpy restoredPreviews(&restored, &ReportPage::previewUpdated);
    restored.setStorePath(storePath);
    restored.setRuns(kStudentRuns);
    QTRY_VERIFY_WITH_TIMEOUT(restoredPreviews.count() >= 1 && !restored.isBusy(), kTimeoutMs);
    QCOMPARE(restored.request().baselines, (QStringList{"ce", "at"}));

    // Nothing checked: back to the default.
    baselines->item(0)->setCheckState(Qt::Unchecked);
    baselines->item(2)->setCheckState(Qt::Unchecked);
    QCOMPARE(checkedLabels(), (QStringList{"ce", "kd"}));
    QVERIFY(page.request().baselines.isEmpty());
}

QTEST_MAIN(TestReport)
#include "test_report.moc"
