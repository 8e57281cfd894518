#pragma once
// What a training run writes to the store while it trains, in one place: metrics, evaluations,
// diagnostics and events, batched by a StoreWriter and stamped with the run's wall clock (which a
// resumed run continues). The trainer decides when; the recorder knows the keys and the rows.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "engine/Evaluator.h"
#include "methods/Distiller.h"
#include "store/Store.h"

namespace distillery::engine {

class MetricsRecorder {
public:
    MetricsRecorder(store::Store& store, int64_t runId);

    // Seconds of training before this attempt (a resume continues the run's clock).
    void setWallOffset(double seconds) { wallOffset_ = seconds; }
    double wall() const { return wallOffset_ + secondsOfThisAttempt(); }
    double secondsOfThisAttempt() const;

    void metric(const std::string& key, int64_t step, double epoch, double value);
    // acc1, acc5, loss and (with a teacher) agreement of one split: "val" or "test".
    // With its confusion matrix's non-zero cells and, with a teacher, the agreement per class.
    void evaluation(const std::string& split, const EvalResult& result, int64_t step, double epoch);
    // The frozen teacher's confusion matrix on a split, written once per run (model "teacher").
    void teacherConfusion(const std::string& split, const at::Tensor& confusion, int64_t step);
    // Diagnostic rows carry the step they describe; the writer batches them with the metrics.
    void diagnostics(methods::Diagnostics diagnostics, int64_t step, double epoch);
    // To the console and the store. Events about the run's lifecycle carry no step; those reporting
    // training progress carry the step they describe, so a resume can drop the ones of an attempt it
    // discards.
    void log(const std::string& level, const std::string& message, std::optional<int64_t> step = std::nullopt);
    // To the store only.
    void event(const std::string& level, const std::string& message) { writer_.addEvent(runId_, level, message); }
    // Diagnostic rows holding NaN or infinity are left out by the store; says so once per batch of them.
    void noteSkippedRows(int64_t step);

    void flush() { writer_.flush(); }
    void flushIfDue() { writer_.flushIfDue(); }
    void discard() { writer_.discard(); }
    store::StoreWriter& writer() { return writer_; }

private:
    void confusionCells(const std::string& split, const std::string& model, const at::Tensor& confusion, int64_t step);
    store::StoreWriter writer_;
    int64_t runId_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    double wallOffset_ = 0;
    size_t notedSkipped_ = 0;
};

}  // namespace distillery::engine
