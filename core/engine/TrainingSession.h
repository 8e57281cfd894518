#pragma once
// What one call of Trainer::train() holds, shared by the trainer's parts (Trainer.cpp: the loop;
// TrainerResume.cpp: the resume). Private to the trainer.
#include <torch/torch.h>

#include <chrono>
#include <optional>
#include <string>

#include "engine/Checkpoint.h"
#include "engine/LogWindow.h"
#include "engine/MetricsRecorder.h"
#include "engine/NonFiniteWatch.h"
#include "engine/OwnerHeartbeat.h"
#include "engine/Progress.h"
#include "engine/TeacherOutputCache.h"
#include "engine/Trainer.h"
#include "engine/TrainingSetup.h"
#include "spec/StudyQueue.h"

namespace distillery::engine {

struct Trainer::Session {
    using Clock = std::chrono::steady_clock;

    // Builds the run's set-up (TrainingSetup), recording its teacher; starts the heartbeat.
    Session(store::Store& store, int64_t runId, const spec::RunSpec& spec, const TrainerOptions& options);

    MetricsRecorder recorder;
    OwnerHeartbeat heartbeat;
    TrainingSetup setup;
    TrainingPosition position;
    LogWindow window;
    at::Generator augmentGenerator;
    TrainingState trainingState;          // what a checkpoint saves and restores
    std::string lastPath, bestPath;

    Progress progress;
    Clock::time_point lastReport = Clock::now() - std::chrono::hours(1);
    Clock::time_point lastCheckpoint = Clock::now();
    Clock::time_point throughputStart = Clock::now();
    int64_t stepsAtStart = 0;             // of this attempt: the ETA counts only its own steps
    int64_t imagesSinceThroughputStart = 0;
    bool skipNonFinite = false;           // on_nonfinite: skip_step
    NonFiniteWatch nonFinite;
    std::optional<spec::StudyStopping> stopping;   // the study's early-stopping rule, for a student run of a study
    struct {
        at::Tensor val, test;
    } teacherPredictions;                 // the frozen teacher's classes, computed at the first evaluation
    std::optional<TeacherOutputCache> teacherOutputs;   // the teacher's logits (and pooled features), when images never change

    static double secondsSince(Clock::time_point start) {
        return std::chrono::duration<double>(Clock::now() - start).count();
    }
};

}  // namespace distillery::engine
