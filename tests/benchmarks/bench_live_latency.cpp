// Measures the live update latency of the desktop window: from the commit of a metric row by a
// writer (another connection, as the engine is another process) to the point being in the curve plot
// of the selected run, on a run that already holds 1M metric points.
//
//   bench_live_latency [--points N] [--samples S] [--interval-ms MS]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <QApplication>
#include <QTemporaryDir>

#include "LivePage.h"
#include "MetricPlot.h"
#include "GuiBenchSupport.h"
#include "MainWindow.h"

using namespace distillery;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
    bench::useOffscreenWithoutDisplay();
    QApplication app(argc, argv);
    int points = 1000000, samples = 40, intervalMs = 300;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--points") points = std::atoi(argv[i + 1]);
        else if (flag == "--samples") samples = std::atoi(argv[i + 1]);
        else if (flag == "--interval-ms") intervalMs = std::atoi(argv[i + 1]);
        else {
            std::fprintf(stderr, "bench_live_latency: unknown flag %s (flags: --points, --samples, --interval-ms)\n",
                         argv[i]);
            return 2;
        }
    }
    QTemporaryDir folder;
    const std::string db = folder.filePath(QStringLiteral("live.sqlite")).toStdString();
    const std::string key = "train/loss";
    int64_t runId = 0;
    {
        store::Store writer(db);
        // Half the points on the plotted key, the rest on two others: a long run's history.
        runId = bench::writeSyntheticRun(writer, 0, {key, "train/loss/ce"}, points / 2);
        writer.requeueRun(runId);
        writer.claimRun(runId, 1, "bench-host", "cpu");   // running: the window follows it live
    }

    views::MainWindow::Options options;
    options.trainQueuedRuns = false;
    views::MainWindow window(options);
    window.resize(1400, 860);
    window.show();
    QString error;
    if (!window.openStore(QString::fromStdString(db), &error)) {
        std::fprintf(stderr, "bench_live_latency: %s\n", qPrintable(error));
        return 1;
    }
    window.selectRun(runId);
    views::LivePage* live = window.livePage();
    views::MetricPlot* plot = live->plot();
    plot->setSmoothing(0);   // the raw graph: the one the new points land in
    if (bench::waitUntil([&] { return live->runId() == runId && live->historyReceived(); }) < 0) {
        std::fprintf(stderr, "bench_live_latency: the run's history was not drawn within 120 s\n");
        return 1;
    }

    // The writer commits one point at a time and notes when; the GUI thread notes when it sees it.
    std::vector<Clock::time_point> committed(static_cast<size_t>(samples));
    std::atomic<int> written{0};
    std::thread writerThread([&] {
        store::Store writer(db);
        for (int i = 0; i < samples; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(intervalMs));
            store::RowBatch batch;
            batch.metrics.push_back({runId, key, points / 2 + 1 + i, 240.0, 0.05, 3600.0});
            writer.writeBatch(batch);
            committed[static_cast<size_t>(i)] = Clock::now();
            written.store(i + 1);
        }
    });
    std::vector<double> latencies;
    bench::longestEventLoopPassMs() = 0;   // from here on: the live phase only
    const double lastStepBefore = static_cast<double>(points / 2);
    for (int i = 0; i < samples; ++i) {
        const double step = lastStepBefore + 1 + i;
        const double waited = bench::waitUntil([&] {
            QCPGraph* graph = plot->graph(runId, QString::fromStdString(key));
            return graph && !graph->data()->isEmpty() && (graph->data()->constEnd() - 1)->key >= step &&
                   written.load() > i;
        }, 10000);
        if (waited < 0) {
            std::fprintf(stderr, "bench_live_latency: point %d not shown within 10 s\n", i);
            writerThread.join();
            return 1;
        }
        latencies.push_back(std::chrono::duration<double, std::milli>(Clock::now() - committed[static_cast<size_t>(i)]).count());
    }
    writerThread.join();
    std::sort(latencies.begin(), latencies.end());
    const auto at = [&](double q) { return latencies[static_cast<size_t>(q * (latencies.size() - 1))]; };
    std::printf("run with %d metric points; %d points written %d ms apart\n", points, samples, intervalMs);
    std::printf("latency commit -> in the plot: median %.0f ms, p90 %.0f ms, max %.0f ms\n", at(0.5), at(0.9),
                latencies.back());
    std::printf("longest event-loop pass while following the run: %.1f ms\n", bench::longestEventLoopPassMs());
    return 0;
}
