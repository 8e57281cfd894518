#include "engine/MetricsRecorder.h"

#include <spdlog/spdlog.h>

#include "store/Results.h"

namespace distillery::engine {

MetricsRecorder::MetricsRecorder(store::Store& store, int64_t runId) : writer_(store), runId_(runId) {}

double MetricsRecorder::secondsOfThisAttempt() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

void MetricsRecorder::metric(const std::string& key, int64_t step, double epoch, double value) {
    writer_.add(store::MetricPoint{runId_, key, step, epoch, value, wall()});
}

void MetricsRecorder::evaluation(const std::string& split, const EvalResult& result, int64_t step, double epoch) {
    metric(store::metric::evaluation(split, "acc1"), step, epoch, result.acc1);
    metric(store::metric::evaluation(split, "acc5"), step, epoch, result.acc5);
    metric(store::metric::evaluation(split, "loss"), step, epoch, result.loss);
    if (result.agreement) metric(store::metric::evaluation(split, "agreement"), step, epoch, *result.agreement);
}

void MetricsRecorder::diagnostics(methods::Diagnostics d, int64_t step, double epoch) {
    for (const auto& scalar : d.scalars) metric(store::metric::diagnostic(scalar.key), step, epoch, scalar.value);
    for (auto& row : d.gates) writer_.add(store::GateRow{runId_, step, row.spot, row.openRate});
    for (auto& row : d.gateClasses) writer_.add(store::GateClassRow{runId_, step, row.spot, row.classIndex, row.openRate});
    for (auto& row : d.channelStats) {
        row.runId = runId_;
        row.step = step;
        writer_.add(row);
    }
    for (auto& row : d.pathWeights) {
        row.runId = runId_;
        row.step = step;
        writer_.add(row);
    }
}

void MetricsRecorder::log(const std::string& level, const std::string& message, std::optional<int64_t> step) {
    if (level == "warn") spdlog::warn("{}", message);
    else spdlog::info("{}", message);
    writer_.addEvent(runId_, level, message, step);
}

void MetricsRecorder::noteSkippedRows(int64_t step) {
    writer_.flush();
    const size_t skipped = writer_.skipped().skippedDiagnostics;
    if (skipped == notedSkipped_) return;
    log("warn", std::to_string(skipped - notedSkipped_) + " diagnostic rows held NaN or infinity and were not "
                "stored (" + std::to_string(skipped) + " so far); the other rows are", step);
    notedSkipped_ = skipped;
}

}  // namespace distillery::engine
