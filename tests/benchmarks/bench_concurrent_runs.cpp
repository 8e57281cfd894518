// Total training throughput of the desktop app's queue with 1, 2 and 4 concurrent runs: the same M
// small runs (threads 0 in their spec, i.e. "all cores") trained through the real RunScheduler and
// distillery-engine, once per concurrency setting, each time into a fresh store.
//
//   bench_concurrent_runs [--runs 4] [--steps 1000] [--batch 64] [--model resnet8]
//                         [--concurrency 1,2,4] [--engine PATH] [--keep]
//
// Per setting it prints the wall time from queueing to the last run's end, the total images per
// second (runs x steps x batch / wall time), its ratio to concurrency 1, each run's own time and
// the threads its engine used (the store's runs.threads). With the cores shared out per slot
// (RunScheduler::threadsPerEngine) the ratio should stay near 1; oversubscribed threads drop it.
// Data: synthetic 1x28x28 images of 10 classes (no files needed), epochs of 50 steps (fewer when
// --steps is smaller), so --steps is rounded up to whole epochs. The engine is the one beside this
// program, or $DISTILLERY_ENGINE.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>
#include <vector>

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QStringList>
#include <QTemporaryDir>
#include <QThread>

#include "RunScheduler.h"
#include "spec/RunQueue.h"
#include "spec/RunSpec.h"
#include "store/Store.h"

using namespace distillery;

namespace {

constexpr int64_t kStepsPerEpoch = 50;

struct Options {
    int runs = 4;
    int64_t steps = 1000;
    int64_t batch = 64;
    std::string model = "resnet8";
    std::vector<int> concurrency = {1, 2, 4};
    QString engine = views::RunScheduler::defaultEnginePath();
    bool keep = false;
};

int64_t stepsPerEpoch(const Options& options) { return std::min(kStepsPerEpoch, options.steps); }

spec::RunSpec benchSpec(const Options& options, int index, int64_t epochs) {
    spec::RunSpec run;
    run.name = "concurrent-" + std::to_string(index + 1);
    run.data.name = "synthetic";
    run.data.channels = 1;
    run.data.height = 28;
    run.data.width = 28;
    run.data.numClasses = 10;
    run.data.trainSize = stepsPerEpoch(options) * options.batch + 256;   // + the validation split
    run.data.valSize = 256;
    run.data.testSize = 256;
    run.studentModel = options.model;
    run.method.name = "ce";
    run.epochs = epochs;
    run.batchSize = options.batch;
    run.maxStepsPerEpoch = stepsPerEpoch(options);
    run.seed = index + 1;   // identical work, different numbers
    run.threads = 0;        // all cores: the queue's --threads decides
    run.logEvery = 10;
    run.diagnosticsEvery = 0;
    return run;
}

struct Setting {
    int concurrency = 0;
    double wallSeconds = 0;
    double imagesPerSecond = 0;
    std::vector<double> runSeconds;
    std::vector<int64_t> threads;
    bool ok = false;
};

Setting measure(const Options& options, int concurrency, const QString& storePath, int64_t epochs) {
    Setting setting;
    setting.concurrency = concurrency;
    std::vector<int64_t> ids;
    {
        store::Store store(storePath.toStdString());
        for (int i = 0; i < options.runs; ++i) ids.push_back(spec::queueRun(store, benchSpec(options, i, epochs)));
    }
    views::RunScheduler scheduler(storePath, options.engine);
    int ended = 0;
    QObject::connect(&scheduler, &views::RunScheduler::runEnded, [&](qint64) { ++ended; });
    QString unavailable;
    QObject::connect(&scheduler, &views::RunScheduler::engineUnavailable,
                     [&](const QString& why) { unavailable = why; });
    scheduler.setMaxConcurrent(concurrency);
    QElapsedTimer wall;
    wall.start();
    scheduler.enqueueQueuedRuns();
    while (ended < options.runs && unavailable.isEmpty())
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 100);
    setting.wallSeconds = double(wall.nsecsElapsed()) / 1e9;
    if (!unavailable.isEmpty()) {
        std::fprintf(stderr, "bench_concurrent_runs: %s\n", qPrintable(unavailable));
        return setting;
    }
    store::Store store(storePath.toStdString(), /*readOnly=*/true);
    setting.ok = true;
    for (int64_t id : ids) {
        const auto row = store.run(id);
        if (!row || row->status != store::RunStatus::Finished) {
            setting.ok = false;
            std::fprintf(stderr, "bench_concurrent_runs: run %lld did not finish: %s\nengine log:\n%s\n",
                         static_cast<long long>(id), row ? row->error.c_str() : "missing",
                         qPrintable(scheduler.stderrTail(id).join(QLatin1Char('\n'))));
            continue;
        }
        setting.runSeconds.push_back(row->finishedAt.value_or(0) - row->startedAt.value_or(0));
        setting.threads.push_back(row->threads);
    }
    const double images = double(options.runs) * double(epochs * stepsPerEpoch(options)) * double(options.batch);
    setting.imagesPerSecond = images / std::max(1e-9, setting.wallSeconds);
    return setting;
}

std::vector<int> parseList(const std::string& text) {
    std::vector<int> values;
    for (const QString& part : QString::fromStdString(text).split(QLatin1Char(','), Qt::SkipEmptyParts))
        values.push_back(std::max(1, part.trimmed().toInt()));
    return values;
}

}  // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "bench_concurrent_runs: %s needs a value\n", flag.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (flag == "--runs") options.runs = std::max(1, std::atoi(value().c_str()));
        else if (flag == "--steps") options.steps = std::max<int64_t>(1, std::atoll(value().c_str()));
        else if (flag == "--batch") options.batch = std::max<int64_t>(1, std::atoll(value().c_str()));
        else if (flag == "--model") options.model = value();
        else if (flag == "--concurrency") options.concurrency = parseList(value());
        else if (flag == "--engine") options.engine = QString::fromStdString(value());
        else if (flag == "--keep") options.keep = true;
        else {
            std::fprintf(stderr, "bench_concurrent_runs: unknown flag %s (flags: --runs, --steps, --batch, --model, "
                                 "--concurrency 1,2,4, --engine PATH, --keep)\n",
                         flag.c_str());
            return 2;
        }
    }
    if (!QFileInfo(options.engine).isExecutable()) {
        std::fprintf(stderr, "bench_concurrent_runs: no engine at %s: build the distillery-engine target or pass "
                             "--engine PATH (or set DISTILLERY_ENGINE)\n",
                     qPrintable(options.engine));
        return 2;
    }
    QTemporaryDir dir(QDir::temp().filePath(QStringLiteral("bench-concurrent-runs-XXXXXX")));
    dir.setAutoRemove(!options.keep);
    const int64_t epochs = (options.steps + stepsPerEpoch(options) - 1) / stepsPerEpoch(options);
    std::printf("bench_concurrent_runs: %d runs of %s, %lld steps of batch %lld each (threads 0 in the spec), "
                "%d cores (QThread::idealThreadCount), engine %s\n",
                options.runs, options.model.c_str(), static_cast<long long>(epochs * stepsPerEpoch(options)),
                static_cast<long long>(options.batch), QThread::idealThreadCount(), qPrintable(options.engine));
    std::printf("%-12s %10s %12s %10s %14s %s\n", "concurrency", "wall s", "images/s", "vs 1", "run s (mean)",
                "threads per engine");

    double baseline = 0;
    bool allOk = true;
    for (int concurrency : options.concurrency) {
        const QString storePath = dir.filePath(QStringLiteral("concurrency-%1.sqlite").arg(concurrency));
        const Setting setting = measure(options, concurrency, storePath, epochs);
        allOk &= setting.ok;
        if (concurrency == 1) baseline = setting.imagesPerSecond;
        const double meanRun =
            setting.runSeconds.empty()
                ? 0
                : std::accumulate(setting.runSeconds.begin(), setting.runSeconds.end(), 0.0) /
                      double(setting.runSeconds.size());
        QStringList threads;
        for (int64_t t : setting.threads) threads.append(QString::number(t));
        std::printf("%-12d %10.1f %12.0f %10s %14.1f %s (asked: %d)%s\n", concurrency, setting.wallSeconds,
                    setting.imagesPerSecond,
                    baseline > 0 ? qPrintable(QString::number(setting.imagesPerSecond / baseline, 'f', 2)) : "-",
                    meanRun, qPrintable(threads.join(QLatin1Char(' '))),
                    views::RunScheduler::threadsPerEngine(concurrency), setting.ok ? "" : "  RUNS FAILED");
        std::fflush(stdout);
    }
    if (options.keep) std::printf("stores kept in %s\n", qPrintable(dir.path()));
    return allOk ? 0 : 1;
}
