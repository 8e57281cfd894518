#pragma once
// What the GUI benchmark programs share: an off-screen QApplication, waiting on the event loop for a
// condition, and writing synthetic runs into a store fast.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>

#include <QApplication>
#include <QElapsedTimer>

#include "store/Store.h"

namespace distillery::bench {

// Benchmarks run on servers too: without a display, Qt's off-screen platform draws into memory.
inline void useOffscreenWithoutDisplay() {
    if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") &&
        qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
}

// The longest single pass of the event loop seen by waitUntil, in ms: how long the window could
// not react to input.
inline double& longestEventLoopPassMs() {
    static double longest = 0;
    return longest;
}

// Processes events until done() holds; returns the milliseconds it took, or -1 after timeoutMs.
inline double waitUntil(const std::function<bool()>& done, int timeoutMs = 120000) {
    QElapsedTimer timer, pass;
    timer.start();
    while (!done()) {
        if (timer.elapsed() > timeoutMs) return -1;
        pass.start();
        QApplication::processEvents(QEventLoop::AllEvents, 5);
        longestEventLoopPassMs() = std::max(longestEventLoopPassMs(), static_cast<double>(pass.nsecsElapsed()) / 1e6);
    }
    return static_cast<double>(timer.nsecsElapsed()) / 1e6;
}

// A finished synthetic run with `points` rows per key, written in batches of one transaction each.
inline int64_t writeSyntheticRun(store::Store& db, int index, const std::vector<std::string>& keys,
                                 int64_t pointsPerKey) {
    static const char* methods[] = {"kd", "at", "fitnet", "sakd", "multipath", "adain", "channel", "amap"};
    store::NewRun run;
    run.method = methods[index % 8];
    run.name = "bench-" + run.method + "-" + std::to_string(index / 24);
    run.seed = index % 3;
    run.teacher = "resnet32x4";
    run.student = "resnet8x4";
    run.dataset = "cifar100";
    run.specJson = "{\"name\": \"" + run.name + "\", \"seed\": " + std::to_string(run.seed) + "}";
    const int64_t id = db.insertRun(run);
    store::RowBatch batch;
    for (const std::string& key : keys)
        for (int64_t step = 1; step <= pointsPerKey; ++step) {
            const double t = static_cast<double>(step) / static_cast<double>(pointsPerKey);
            const bool accuracy = key.find("acc") != std::string::npos;
            const double value = accuracy ? 100.0 * (1.0 - 0.7 * std::exp(-4 * t)) : 4.0 * std::exp(-3 * t) + 0.1;
            batch.metrics.push_back({id, key, step, 240.0 * t, value, 3600.0 * t});
            if (batch.metrics.size() >= 200000) {
                db.writeBatch(batch);
                batch.clear();
            }
        }
    db.writeBatch(batch);
    db.claimRun(id, 1, "bench-host", "cpu");
    db.finishRun(id, store::RunStatus::Finished);
    return id;
}

}  // namespace distillery::bench
