#pragma once
// Everything a run trains with, built from its spec in the order that makes a run reproducible: the
// threads and the seed first, then the device and precision, the data (on the device), the student,
// the teacher, the method, the optimiser and its schedule.
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "data/Dataset.h"
#include "engine/LearningRateSchedule.h"
#include "engine/Precision.h"
#include "engine/TeacherLoader.h"
#include "methods/Distiller.h"
#include "models/StagedNet.h"
#include "spec/RunSpec.h"
#include "store/Store.h"

namespace distillery::engine {

struct TrainingSetup {
    int64_t threads = 1;
    c10::Device device{c10::kCPU};
    Precision precision;
    data::DatasetSplits splits;                       // images and labels on the device (a folder's images: files)
    std::shared_ptr<models::StagedNet> student;
    std::shared_ptr<models::StagedNet> teacher;       // null for a run without one
    std::shared_ptr<methods::Distiller> distiller;
    std::vector<at::Tensor> parameters;               // the student's and the method's, optimised together
    std::unique_ptr<torch::optim::Optimizer> optimizer;
    std::unique_ptr<LossScaler> lossScaler;           // fp16 only
    std::unique_ptr<LearningRateSchedule> schedule;
    int64_t batch = 0;                                // min(batch_size, training images)
    int64_t stepsPerEpoch = 0;                        // the ragged last batch is dropped
    int64_t totalSteps = 0;
};

// The run's data set, on the CPU: the synthetic one generated from the run's seed, any other read
// from its files (the validation split drawn with a fixed seed, as every run of a study shares it).
// Throws data::DataError.
data::DatasetSplits loadRunData(const spec::RunSpec& spec);

// defaultThreads: the engine's share of the cores when the spec leaves threads at 0 (0 = all cores).
// onTeacher: told which teacher was loaded, before the method is built.
TrainingSetup setUpTraining(const spec::RunSpec& spec, int64_t defaultThreads, const store::Store& store,
                            const std::function<void(const LoadedTeacher&)>& onTeacher);

// Loads spec.studentInit (a torch.save state dict, StateDictImport.h) into the set-up's student, for a
// run that starts from the beginning (a resumed run continues from its checkpoint instead). Returns
// where the weights came from, for the log, or "" when the spec names no file. Throws
// spec::FieldError at student.init.
std::string initialiseStudent(const spec::RunSpec& spec, TrainingSetup& setup);

}  // namespace distillery::engine
