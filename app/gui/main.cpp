// distillery: the desktop workbench. Opens a results store and shows its runs, trains queued runs
// in distillery-engine child processes, and draws their curves live. `distillery report …` writes a
// report of runs without opening a window.
#include <cstdio>
#include <memory>

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QMessageBox>
#include <QStandardPaths>
#include <QStyleFactory>
#include <QTimer>

#include "BuildInfo.h"
#include "DesignerPage.h"
#include "MainWindow.h"
#include "ReportCommand.h"

namespace {

// The store to open when none is given: the last one, else runs.distillery in the app's data folder
// (runs.sqlite there, where an earlier version made it).
QString defaultStorePath() {
    const QString last = distillery::views::StoreSession::lastStorePath();
    if (!last.isEmpty() && QFileInfo::exists(last)) return last;
    const QString folder = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    QDir().mkpath(folder);
    const QString earlier = QDir(folder).filePath(QStringLiteral("runs.sqlite"));
    if (QFileInfo::exists(earlier)) return earlier;
    return QDir(folder).filePath(QStringLiteral("runs.distillery"));
}

bool asksForHelpOrVersion(int argc, char* argv[]) {
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if (arg == "-h" || arg == "--help" || arg == "--help-all" || arg == "-?" || arg == "-v" || arg == "--version")
            return true;
    }
    return false;
}

// QApplication aborts with a terse platform-plugin message when there is no display; say what to do.
bool hasDisplay() {
    return !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") ||
           !qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
}

// "design", "live", "compare" or "report" as a page; false for anything else.
bool pageNamed(const QString& name, distillery::views::MainWindow::Page* page) {
    using Page = distillery::views::MainWindow::Page;
    static const QList<QPair<QString, Page>> pages = {{QStringLiteral("design"), Page::Design},
                                                      {QStringLiteral("live"), Page::Live},
                                                      {QStringLiteral("compare"), Page::Compare},
                                                      {QStringLiteral("report"), Page::Report}};
    for (const auto& [pageName, value] : pages)
        if (name.compare(pageName, Qt::CaseInsensitive) == 0) {
            *page = value;
            return true;
        }
    return false;
}

}  // namespace

int main(int argc, char* argv[]) {
    if (argc > 1 && QByteArray(argv[1]) == "report") {
        // Plots are drawn with QCustomPlot, which needs a QApplication; a server has no display.
        if (!hasDisplay()) qputenv("QT_QPA_PLATFORM", "offscreen");
        QApplication app(argc, argv);
        QCoreApplication::setApplicationName(QStringLiteral("distillery"));
        QCoreApplication::setOrganizationName(QStringLiteral("Distillery"));
        return distillery::app::runReportCommand(QCoreApplication::arguments().mid(2));
    }
    // --help and --version need no window, so they work on a server without a display too.
    std::unique_ptr<QCoreApplication> app;
    const bool helpOnly = asksForHelpOrVersion(argc, argv);
    if (!helpOnly && !hasDisplay()) {
        std::fprintf(stderr,
                     "distillery: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
                     "Start it in a desktop session or under xvfb-run. To train without a display, use "
                     "distillery-engine run --spec FILE --db FILE.\n");
        return 1;
    }
    if (helpOnly) app = std::make_unique<QCoreApplication>(argc, argv);
    else app = std::make_unique<QApplication>(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("distillery"));
    QCoreApplication::setOrganizationName(QStringLiteral("Distillery"));
    QCoreApplication::setApplicationVersion(QString::fromStdString(distillery::versionDetails()));
    if (!helpOnly) {
        QApplication::setApplicationDisplayName(QStringLiteral("Distillery"));
        QApplication::setDesktopFileName(QStringLiteral("distillery"));
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    }

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Distillery: a workbench for knowledge-distillation experiments.\n"
        "Opens FILE (a results store; created if missing), or the last store used.\n"
        "distillery report --help: write a report of runs without opening a window."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("FILE"),
                                 QStringLiteral("Results store to open (FILE.distillery; .sqlite stores open too)."),
                                 QStringLiteral("[FILE]"));
    const QCommandLineOption noQueue(QStringLiteral("no-queue"),
                                     QStringLiteral("Show the store without training its queued runs."));
    const QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                        QStringLiteral("Save a picture of the window to FILE (PNG) and quit."),
                                        QStringLiteral("FILE"));
    const QCommandLineOption screenshotAfter(QStringLiteral("screenshot-after"),
                                             QStringLiteral("Milliseconds to wait before --screenshot (default 2000)."),
                                             QStringLiteral("MS"), QStringLiteral("2000"));
    const QCommandLineOption selectRun(QStringLiteral("select"),
                                       QStringLiteral("Select the runs with these ids (the first is shown live)."),
                                       QStringLiteral("ID[,ID…]"));
    const QCommandLineOption pageOption(QStringLiteral("page"),
                                        QStringLiteral("Show this page: design, live, compare or report."),
                                        QStringLiteral("PAGE"));
    const QCommandLineOption designOption(QStringLiteral("design"),
                                          QStringLiteral("Load a spec or experiment file into the designer and show it."),
                                          QStringLiteral("SPEC.json"));
    parser.addOptions({noQueue, screenshot, screenshotAfter, selectRun, pageOption, designOption});
    parser.process(*app);   // exits after printing --help or --version

    const QStringList positional = parser.positionalArguments();
    if (positional.size() > 1) {
        std::fprintf(stderr, "distillery: give at most one results store, got %lld. See distillery --help.\n",
                     static_cast<long long>(positional.size()));
        return 2;
    }

    distillery::views::MainWindow::Options options;
    options.trainQueuedRuns = !parser.isSet(noQueue);
    distillery::views::MainWindow window(options);

    const QString storePath = positional.isEmpty() ? defaultStorePath() : positional.first();
    QString error;
    if (!window.openStore(storePath, &error)) {
        std::fprintf(stderr, "distillery: %s\n", qPrintable(error));
        if (parser.isSet(screenshot)) return 1;
        // Still start: the user can open another store from the window.
        QTimer::singleShot(0, &window, [&window, error] {
            QMessageBox::warning(&window, QObject::tr("Cannot open store"), error);
        });
    }
    if (parser.isSet(selectRun)) {
        QList<qint64> ids;
        for (const QString& part : parser.value(selectRun).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            bool validId = false;
            const qint64 runId = part.trimmed().toLongLong(&validId);
            if (!validId || runId <= 0) {
                std::fprintf(stderr, "distillery: --select needs run ids (numbers >= 1, comma-separated), got \"%s\".\n",
                             qPrintable(parser.value(selectRun)));
                return 2;
            }
            ids.append(runId);
        }
        window.selectRun(ids.first());
        // The rest once the poller has listed them: selecting needs the rows.
        if (ids.size() > 1)
            QTimer::singleShot(1000, &window, [&window, ids] { window.selectRuns(ids); });
    }
    if (parser.isSet(designOption)) {
        // The designer shows what it could not load under its form; only an unreadable file stops here.
        if (!window.designer()->loadSpecFile(parser.value(designOption))) {
            std::fprintf(stderr, "distillery: cannot load %s into the designer: %s\n",
                         qPrintable(parser.value(designOption)), qPrintable(window.designer()->generalErrorText()));
            return 2;
        }
        window.showPage(distillery::views::MainWindow::Page::Design);
    }
    if (parser.isSet(pageOption)) {
        distillery::views::MainWindow::Page page;
        if (!pageNamed(parser.value(pageOption), &page)) {
            std::fprintf(stderr, "distillery: --page takes design, live, compare or report, got \"%s\".\n",
                         qPrintable(parser.value(pageOption)));
            return 2;
        }
        window.showPage(page);
    }
    window.show();

    if (parser.isSet(screenshot)) {
        bool validDelay = false;
        const int delay = parser.value(screenshotAfter).toInt(&validDelay);
        if (!validDelay || delay < 0) {
            std::fprintf(stderr, "distillery: --screenshot-after needs milliseconds (e.g. 2000), got \"%s\".\n",
                         qPrintable(parser.value(screenshotAfter)));
            return 2;
        }
        const QString file = parser.value(screenshot);
        QTimer::singleShot(delay, &window, [&window, file] {
            if (!window.grab().save(file, "PNG")) {
                std::fprintf(stderr, "distillery: cannot write the screenshot to %s (folder missing or not writable?)\n",
                             qPrintable(file));
                QCoreApplication::exit(1);
                return;
            }
            // exit(), not quit() or close(): those close the window, which saves its geometry.
            QCoreApplication::exit(0);
        });
    }
    return app->exec();
}
