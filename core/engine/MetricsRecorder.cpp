#include "engine/MetricsRecorder.h"

#include <spdlog/spdlog.h>

#include <torch/torch.h>

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
    if (result.confusion.defined()) confusionCells(split, "student", result.confusion, step);
    if (result.agreeByClass.defined() && result.confusion.defined()) {
        const auto totals = result.confusion.sum(1);
        const auto agree = result.agreeByClass.accessor<int64_t, 1>();
        const auto total = totals.accessor<int64_t, 1>();
        for (int64_t c = 0; c < agree.size(0); ++c)
            if (total[c] > 0) writer_.add(store::ClassAgreementRow{runId_, step, split, c, agree[c], total[c]});
    }
}

void MetricsRecorder::teacherConfusion(const std::string& split, const at::Tensor& confusion, int64_t step) {
    if (confusion.defined()) confusionCells(split, "teacher", confusion, step);
}

// Only the non-zero cells: a trained model's matrix is mostly zeros.
void MetricsRecorder::confusionCells(const std::string& split, const std::string& model, const at::Tensor& confusion,
                                     int64_t step) {
    const auto counts = confusion.contiguous();
    const auto cells = counts.accessor<int64_t, 2>();
    for (int64_t actual = 0; actual < cells.size(0); ++actual)
        for (int64_t predicted = 0; predicted < cells.size(1); ++predicted)
            if (const int64_t count = cells[actual][predicted]; count > 0)
                writer_.add(store::ConfusionCell{runId_, step, split, model, actual, predicted, count});
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
