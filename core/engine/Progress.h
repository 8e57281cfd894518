#pragma once
// What a running trainer reports about itself, about once a second, to whoever shows it
// (a terminal progress bar, or JSON lines that the GUI reads).
#include <cstdint>
#include <string>

namespace distillery::engine {

struct Progress {
    int64_t runId = 0;
    std::string runName;
    std::string phase;          // "train", "eval", "done"
    int64_t epoch = 0;          // 1-based epoch in progress
    int64_t epochs = 0;
    int64_t step = 0;           // optimiser steps done
    int64_t totalSteps = 0;
    double loss = 0;            // mean training loss over the last logging window
    double trainAcc = 0;        // % over the last logging window
    double valAcc = -1;         // % at the last evaluation, -1 before the first
    double etaSeconds = 0;
    double fraction = 0;        // 0..1
    double imagesPerSecond = 0;
};

class ProgressSink {
public:
    virtual ~ProgressSink() = default;
    virtual void report(const Progress& progress) = 0;
    virtual void finish(const Progress& /*last*/) {}
};

}  // namespace distillery::engine
