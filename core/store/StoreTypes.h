#pragma once
// Plain rows of the results store. No SQLite, no torch, no Qt: every layer may include this.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace distillery::store {

// Pruned: stopped early by its study's early-stopping rule (the reason is in the error column); final
// like Finished, with the metrics and checkpoints of the epochs it trained.
enum class RunStatus { Queued, Running, Finished, Failed, Killed, Pruned };

std::string statusName(RunStatus status);
// Throws std::invalid_argument for an unknown name.
RunStatus runStatusFromString(const std::string& name);

struct RunRow {
    int64_t id = 0;
    std::string uuid;
    std::string name;
    RunStatus status = RunStatus::Queued;
    double createdAt = 0;               // seconds since the Unix epoch
    std::optional<double> startedAt;
    std::optional<double> finishedAt;
    std::optional<double> heartbeat;
    std::string specJson;
    std::string teacher;                // model name, or "" for a run without a teacher
    std::string student;
    std::string method;
    std::string dataset;
    int64_t seed = 0;
    std::string device;
    std::string host;
    std::optional<int64_t> pid;
    std::string error;
    double progress = 0;                // 0..1, written with the heartbeat
    int64_t threads = 0;                // what the engine used: 0 until it starts
    std::string precision;              // "fp32", "bf16", "fp16"; "" until it starts
    std::string memoryFormat;           // "contiguous", "channels_last"; "" until it starts
    // The build of the engine that trained it (its latest attempt); "" until it starts and for runs
    // of stores older than schema 5.
    std::string distilleryVersion;
    std::string gitCommit;              // "" for a build outside git; "-dirty" suffix for a modified tree
    std::string torchVersion;
    std::string qtVersion;              // "" for an engine built without Qt
    // The study the run belongs to (schema 6); none for a run queued on its own.
    std::optional<int64_t> studyId;
    std::string study;                  // the study's name; "" without one
    std::string studyRole;              // "teacher" | "student" | ""
    std::string configuration;          // the study's label for the run's configuration, shared by its seeds
    std::string studyFields;            // JSON object: spec field path -> the value the study gave it
    std::string note;                   // free text by the researcher
    std::vector<std::string> tags;      // sorted
    // The class names it trained with, by label index (schema 7), stored for data sets whose classes the spec's
    // name does not fix (an image folder's folder names); empty: the data set's own (spec::classNames).
    std::vector<std::string> classNames;
};

// "Distillery 0.1.0 (git 2cd4186a1b2c) · LibTorch 1.13.0 · Qt 6.4.2"; "" for a run that has not
// started (or was trained before runs recorded it).
std::string softwareDescription(const RunRow& run);

// What a caller supplies to queue a run; the store fills id, uuid, status and times.
struct NewRun {
    std::string name;
    std::string specJson;
    std::string teacher;
    std::string student;
    std::string method;
    std::string dataset;
    int64_t seed = 0;
    std::optional<int64_t> studyId;
    std::string studyRole;              // "teacher" | "student" | "" (with studyId)
    std::string configuration;
    std::string studyFields;            // JSON object, "" for none
};

// A study: many runs expanded from one study file (spec/Study.h), grouped under its name.
struct StudyRow {
    int64_t id = 0;
    std::string name;
    std::string specJson;               // the study file's object, as it was queued
    std::string description;
    double createdAt = 0;
    std::string note;
    std::vector<std::string> tags;      // sorted
};

// One cell of a confusion matrix: how many samples of class `actual` the model predicted as
// `predicted`, at one evaluation (step) of one split. Only non-zero cells are stored. model is
// "student", or "teacher" (the frozen teacher's predictions, recorded once per run and split).
struct ConfusionCell {
    int64_t runId = 0;
    int64_t step = 0;
    std::string split;                  // "val" | "test"
    std::string model = "student";
    int64_t actual = 0;
    int64_t predicted = 0;
    int64_t count = 0;
};

// Per class of one split at one evaluation: of `total` samples of the class, on how many the
// student predicted the same class as the teacher.
struct ClassAgreementRow {
    int64_t runId = 0;
    int64_t step = 0;
    std::string split;
    int64_t classIndex = 0;
    int64_t agree = 0;
    int64_t total = 0;
};

struct MetricPoint {
    int64_t runId = 0;
    std::string key;                    // e.g. "train/loss", "train/loss/kd", "val/acc1", "lr"
    int64_t step = 0;
    double epoch = 0;
    double value = 0;
    double wallTime = 0;                // seconds since the run started
};

// Last, min and max of one metric of one run, kept current by the writer.
struct MetricSummary {
    int64_t runId = 0;
    std::string key;
    int64_t lastStep = 0;
    double lastValue = 0;
    double minValue = 0;
    double maxValue = 0;
    int64_t count = 0;
    double best() const;   // the max of an accuracy, the min of anything else (store/Results.h)
};

struct GateRow {
    int64_t runId = 0;
    int64_t step = 0;
    std::string spot;
    double openRate = 0;
};

struct GateClassRow {
    int64_t runId = 0;
    int64_t step = 0;
    std::string spot;
    int64_t classIndex = 0;
    double openRate = 0;
};

struct ChannelStatRow {
    int64_t runId = 0;
    int64_t step = 0;
    std::string spot;
    int64_t channel = 0;
    double teacherMean = 0, teacherStd = 0, studentMean = 0, studentStd = 0;
    // Mean squared difference of the student's (transformed) channel and the teacher's, when the
    // method measures it (channel); absent otherwise.
    std::optional<double> alignmentError;
};

struct PathWeightRow {
    int64_t runId = 0;
    int64_t step = 0;
    std::string path;
    double weight = 0;
    double rawLoss = 0;
};

struct CheckpointRow {
    int64_t id = 0;
    int64_t runId = 0;
    int64_t step = 0;
    int64_t epoch = 0;
    std::string path;
    std::string kind;                   // "last", "best" (one row each per run), "periodic" (one per epoch)
    double metric = 0;                  // the selection metric at that point (val/acc1)
    double createdAt = 0;
};

struct EventRow {
    int64_t id = 0;
    int64_t runId = 0;
    double time = 0;
    std::string level;                  // "debug", "info", "warn", "error"
    std::string message;
    // The training step the event reports on ("epoch 3/10: val acc …"); empty for events about the
    // run's lifecycle (started, resumed, failed). A resume discards the stepped events after its checkpoint.
    std::optional<int64_t> step;
};

}  // namespace distillery::store
