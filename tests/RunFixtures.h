#pragma once
// What the GUI and integration suites share to make runs: a tiny spec the real engine trains in
// seconds, and metric points as an engine writes them.
#include <cstdint>
#include <string>

#include "spec/RunSpec.h"
#include "store/StoreTypes.h"

namespace distillery::testing {

// Built as a struct, not JSON, so the tests do not depend on the spec's field names: a tinycnn on
// synthetic 1×28×28 images of 4 classes, one thread, a metric row every step.
inline spec::RunSpec tinySpec(const std::string& name, int64_t epochs, int64_t trainSize) {
    spec::RunSpec run;
    run.name = name;
    run.data.name = "synthetic";
    run.data.channels = 1;
    run.data.height = 28;
    run.data.width = 28;
    run.data.numClasses = 4;
    run.data.trainSize = trainSize;
    run.data.testSize = 64;
    run.data.valSize = 64;
    run.studentModel = "tinycnn";
    run.method.name = "ce";
    run.epochs = epochs;
    run.batchSize = 32;
    run.seed = 1;
    run.threads = 1;      // two cores are shared with the rest of the test suite
    run.logEvery = 1;     // a metric row every step, so even a one-epoch run writes several
    return run;
}

// A metric row at a step: epoch = step / 100, wall time = step × secondsPerStep.
inline store::MetricPoint metricPoint(int64_t runId, const std::string& key, int64_t step, double value,
                                      double secondsPerStep = 0.1) {
    store::MetricPoint p;
    p.runId = runId;
    p.key = key;
    p.step = step;
    p.epoch = static_cast<double>(step) / 100.0;
    p.value = value;
    p.wallTime = static_cast<double>(step) * secondsPerStep;
    return p;
}

}  // namespace distillery::testing
