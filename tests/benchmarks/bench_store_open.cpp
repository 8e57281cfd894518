// Opens a large results store in the desktop window and prints how long it takes: 1,000 runs with
// 10,000 metric rows each (10M rows) by default. The store is generated once and kept.
//
//   bench_store_open [--db FILE] [--runs N] [--rows-per-run M]
//
// Figures: time to open the store until the runs table lists every run; time until the selected
// run's curves are drawn; mean time of one page-down of the runs table, repaint included.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <QApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QScrollBar>
#include <QTableView>

#include "LivePage.h"
#include "MetricPlot.h"
#include "GuiBenchSupport.h"
#include "MainWindow.h"
#include "RunsTableModel.h"

using namespace distillery;

int main(int argc, char** argv) {
    bench::useOffscreenWithoutDisplay();
    QApplication app(argc, argv);
    std::string db = "/tmp/distillery-bench-1000runs.sqlite";
    int runs = 1000, rowsPerRun = 10000;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--db") db = argv[i + 1];
        else if (flag == "--runs") runs = std::atoi(argv[i + 1]);
        else if (flag == "--rows-per-run") rowsPerRun = std::atoi(argv[i + 1]);
        else {
            std::fprintf(stderr, "bench_store_open: unknown flag %s (flags: --db, --runs, --rows-per-run)\n", argv[i]);
            return 2;
        }
    }
    // Five keys per run: three logged every step, two evaluated 50 times.
    const std::vector<std::string> denseKeys = {"train/loss", "train/loss/ce", "train/loss/kd"};
    const std::vector<std::string> evalKeys = {"val/acc1", "test/acc1"};
    const int64_t evalPoints = 50;
    const int64_t densePoints = (rowsPerRun - 2 * evalPoints) / 3;

    if (!QFileInfo::exists(QString::fromStdString(db))) {
        QElapsedTimer timer;
        timer.start();
        store::Store writer(db);
        for (int i = 0; i < runs; ++i) {
            const int64_t id = bench::writeSyntheticRun(writer, i, denseKeys, densePoints);
            store::RowBatch evals;
            for (const std::string& key : evalKeys)
                for (int64_t e = 1; e <= evalPoints; ++e)
                    evals.metrics.push_back({id, key, e * densePoints / evalPoints, double(e), 60.0 + 0.5 * double(e), 0});
            writer.writeBatch(evals);
            if ((i + 1) % 100 == 0) std::printf("generated %d/%d runs (%.0f s)\n", i + 1, runs, timer.elapsed() / 1e3);
        }
        std::printf("generated %s: %d runs x %d rows in %.0f s\n", db.c_str(), runs, rowsPerRun, timer.elapsed() / 1e3);
    }
    const double megabytes = static_cast<double>(QFileInfo(QString::fromStdString(db)).size()) / 1e6;

    views::MainWindow::Options options;
    options.trainQueuedRuns = false;
    views::MainWindow window(options);
    window.resize(1400, 860);
    window.show();
    QApplication::processEvents();

    bench::longestEventLoopPassMs() = 0;
    QElapsedTimer open;
    open.start();
    QString error;
    if (!window.openStore(QString::fromStdString(db), &error)) {
        std::fprintf(stderr, "bench_store_open: %s\n", qPrintable(error));
        return 1;
    }
    const double listed = bench::waitUntil([&] { return window.runsModel()->rowCount() >= runs; });
    if (listed < 0) {
        std::fprintf(stderr, "bench_store_open: the runs table listed %d of %d runs after 120 s\n",
                     window.runsModel()->rowCount(), runs);
        return 1;
    }
    const double openMs = static_cast<double>(open.nsecsElapsed()) / 1e6;
    const double longestPassWhileOpening = bench::longestEventLoopPassMs();

    const qint64 firstRun =
        window.runsModel()->data(window.runsModel()->index(0, 0), views::RunsTableModel::RunIdRole).toLongLong();
    QElapsedTimer curves;
    curves.start();
    window.selectRun(firstRun);
    const double drawn = bench::waitUntil([&] {
        return window.livePage()->runId() == firstRun && window.livePage()->historyReceived();
    });
    const double curvesMs = drawn < 0 ? -1 : static_cast<double>(curves.nsecsElapsed()) / 1e6;

    QScrollBar* bar = window.runsView()->verticalScrollBar();
    const int pages = 50;
    QElapsedTimer scroll;
    scroll.start();
    for (int page = 0; page < pages; ++page) {
        bar->triggerAction(QAbstractSlider::SliderPageStepAdd);
        window.runsView()->viewport()->repaint();
    }
    const double pageMs = static_cast<double>(scroll.nsecsElapsed()) / 1e6 / pages;

    std::printf("store: %s (%.0f MB, %d runs x %d metric rows)\n", db.c_str(), megabytes, runs, rowsPerRun);
    std::printf("open until every run is listed: %.0f ms (longest event-loop pass meanwhile: %.0f ms)\n", openMs,
                longestPassWhileOpening);
    std::printf("select a run until its curves are drawn: %.0f ms\n", curvesMs);
    std::printf("runs table page-down with repaint: %.2f ms per page (%d pages)\n", pageMs, pages);
    return 0;
}
