// Measures how soon the desktop window shows a run it sent to Slurm: on a one-node cluster started
// here (packaging/slurm-local.sh), the window's ClusterFollower submits a one-run experiment (what the
// designer's "Submit … to Slurm" does) and the clock runs from the click to
//   - submit returned (queued in the store, shard written, sbatch done);
//   - the first metric row in the run's shard (the job has started and trained a step);
//   - that row in the main store (merged by the follower, every --interval-ms);
//   - that point handed to the window's plots (the store poller's signal for the watched run).
//
//   bench_cluster_latency [--tries N] [--interval-ms MS]      (the app's default interval is 5000)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include <QApplication>
#include <QTemporaryDir>
#include <QTimer>

#include "ClusterFollower.h"
#include "GuiBenchSupport.h"
#include "LocalSlurm.h"
#include "StoreSession.h"
#include "store/ClusterJobs.h"
#include "store/Store.h"

using namespace distillery;
using namespace distillery::views;
using Clock = std::chrono::steady_clock;

namespace {

const char* kExperiment = R"({"runs": [{"name": "latency", "data": {"name": "synthetic", "channels": 1, "height": 28,
  "width": 28, "num_classes": 4, "train_size": 640, "test_size": 96, "val_size": 64, "augment": false},
  "student": {"model": "tinycnn"}, "method": {"name": "ce"}, "epochs": 2, "batch_size": 32, "threads": 1,
  "log_every": 1, "diagnostics_every": 0}]})";

double secondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

int main(int argc, char** argv) {
    bench::useOffscreenWithoutDisplay();
    QApplication app(argc, argv);
    int tries = 3, intervalMs = 5000;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--tries") tries = std::atoi(argv[i + 1]);
        else if (flag == "--interval-ms") intervalMs = std::atoi(argv[i + 1]);
        else {
            std::fprintf(stderr, "bench_cluster_latency: unknown flag %s (flags: --tries, --interval-ms)\n", argv[i]);
            return 2;
        }
    }
    QTemporaryDir folder;
    testing::LocalSlurm slurm;
    QString skip;
    const QString error = slurm.start(folder.filePath(QStringLiteral("cluster")), &skip);
    if (!skip.isEmpty() || !error.isEmpty()) {
        std::fprintf(stderr, "bench_cluster_latency: no cluster: %s\n", qPrintable(skip + error));
        return 1;
    }
    std::printf("follower interval %d ms, store poller %d ms\n", intervalMs, StoreSession::Options{}.pollIntervalMs);
    std::printf("| try | submit returned | 1st row in shard | in main store | in the window |\n|---|---|---|---|---|\n");
    for (int t = 1; t <= tries; ++t) {
        StoreSessionOptions options;
        options.enginePath = testing::builtEnginePath();
        options.clusterIntervalMs = intervalMs;
        StoreSession session(options);
        QString openError;
        if (!session.open(folder.filePath(QStringLiteral("try-%1.sqlite").arg(t)), 1, &openError)) {
            std::fprintf(stderr, "%s\n", qPrintable(openError));
            return 1;
        }
        std::optional<double> submitted, inShard, inMain, inWindow;
        int64_t runId = 0;
        std::string shard;
        const auto start = Clock::now();
        QObject::connect(session.cluster(), &ClusterFollower::submitted, &app, [&] {
            submitted = secondsSince(start);
            const auto jobs = store::clusterJobs(*session.store());
            if (jobs.empty()) return;
            runId = jobs[0].runId;
            shard = jobs[0].shardPath();
            session.watchRuns({runId});
        });
        QObject::connect(session.cluster(), &ClusterFollower::commandFailed, &app, [&](const QString&, const QString& m) {
            std::fprintf(stderr, "submit failed: %s\n", qPrintable(m));
            app.exit(1);
        });
        const auto seen = [&](const MetricSeriesList& series) {
            for (const auto& s : series)
                if (!s.steps.isEmpty() && !inWindow) inWindow = secondsSince(start);
        };
        QObject::connect(&session, &StoreSession::historyLoaded, &app, [&](qint64 id, const MetricSeriesList& s) {
            if (id == runId) seen(s);
        });
        QObject::connect(&session, &StoreSession::pointsAppended, &app, [&](qint64 id, const MetricSeriesList& s) {
            if (id == runId) seen(s);
        });
        QTimer watch;
        QObject::connect(&watch, &QTimer::timeout, &app, [&] {
            if (runId && !inShard) {
                try {
                    store::Store reader(shard, /*readOnly=*/true);
                    if (reader.metricCount(runId, "train/loss") > 0) inShard = secondsSince(start);
                } catch (const store::StoreError&) {   // being written
                }
            }
            if (runId && !inMain && session.store()->metricCount(runId, "train/loss") > 0) inMain = secondsSince(start);
            if (inWindow || secondsSince(start) > 180) app.exit(0);
        });
        watch.start(10);
        ClusterSubmission submission;
        submission.specText = kExperiment;
        submission.name = QStringLiteral("latency");
        submission.slurm.cpus = 1;
        session.cluster()->submit(submission);
        if (app.exec() != 0) return 1;
        const auto cell = [](const std::optional<double>& v) { return v ? QString::asprintf("%.2f s", *v) : QString("—"); };
        std::printf("| %d | %s | %s | %s | %s |\n", t, qPrintable(cell(submitted)), qPrintable(cell(inShard)),
                    qPrintable(cell(inMain)), qPrintable(cell(inWindow)));
        testing::LocalSlurm::waitUntilDone(QStringLiteral("distillery-latency"), 120);
        session.close();
    }
    slurm.stop();
    return 0;
}
