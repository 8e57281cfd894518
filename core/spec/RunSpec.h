#pragma once
// RunSpec: everything that defines one training run, as a struct and as JSON.
// Parsing collects every error with its field path and a fix, instead of stopping at the first.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace distillery::spec {

// Bounds of the numeric fields, checked while parsing, before anything is allocated: generous for
// research, but a typo or a hostile file (epochs 1e12, a 10^9-image synthetic set) fails validation
// instead of an allocation, an overflow or a run that never ends.
namespace limits {
constexpr int64_t kMaxEpochs = 100'000;              // weeks of training even on the smallest data set
constexpr int64_t kMaxBatchSize = 65'536;            // the largest batches in the literature are 32k-64k
constexpr int64_t kMaxStepInterval = 1'000'000'000;  // log/diagnostics cadence, steps per epoch: × epochs stays far below 2^63
constexpr int64_t kMaxSeed = int64_t(1) << 53;       // exact in every JSON reader (JavaScript and Qt hold numbers as doubles)
constexpr int64_t kMaxThreads = 1024;                // more threads than cores only oversubscribes; the designer's limit
constexpr int64_t kMaxPad = 64;                      // also at most the image side: a larger crop offset shows only padding
constexpr int64_t kMaxListItems = 64;                // names or numbers in one list (paths, weights, stages): networks have far fewer spots
constexpr double kMaxLearningRate = 100;             // linear scaling at the largest batch gives ~26; beyond 100 every optimiser here diverges
constexpr double kMaxWeightDecay = 10;               // AdamW's decoupled decay is multiplied by lr; 10 is already extreme
constexpr double kMaxGradClip = 1e9;                 // any finite norm is meaningful; this one only keeps the value printable
constexpr double kMaxCheckpointMinutes = 10'080;     // a week: a longer interval is the same as none
constexpr int64_t kMaxWorldSize = 1024;              // processes of one data-parallel run
constexpr int64_t kMaxDistributedTimeout = 86'400;   // seconds, a day: a collective that waits longer is a hung process
// The synthetic data set is generated in memory.
constexpr int64_t kMinSyntheticSide = 28;            // the zoo's networks need at least MNIST's 28×28
constexpr int64_t kMaxSyntheticSide = 4096;
constexpr int64_t kMaxSyntheticChannels = 64;        // the designer's limit; RGB is 3, multispectral sets a dozen
constexpr int64_t kMaxSyntheticClasses = 100'000;
constexpr int64_t kMaxSyntheticImages = 10'000'000;  // per split; the byte bound below usually binds first
constexpr int64_t kMaxSyntheticBytes = int64_t(1) << 30;   // uint8 pixels of all splits and class templates;
                                                           // generating them takes ~9× that (float noise)
// Image folders: the sample side (the zoo's CIFAR nets need 28, ImageNet's largest common crops are 600) and the
// decode threads (more than cores only oversubscribes).
constexpr int64_t kMinImageSize = 28;
constexpr int64_t kMaxImageSize = 1024;
constexpr int64_t kMaxDecodeWorkers = 256;
}  // namespace limits

struct SpecError {
    std::string path;      // "optim.lr", "student.model", "runs[1].method.params.T"
    std::string message;   // what was wrong and how to fix it: `must be > 0, got -1`
    std::string toString() const { return path + ": " + message; }
};

struct DataSpec {
    std::string name = "fashion-mnist";   // fashion-mnist | mnist | cifar10 | cifar100 | synthetic | folder
    std::string root;                     // "" = the data set's default location; folder: holds train/ and val/
    int64_t valSize = 5000;               // held out from the training files
    int64_t trainSubset = 0;              // 0 = all remaining training images
    bool augment = true;                  // pad-and-crop (folder: random-resized crop) + horizontal flip
    int64_t pad = 2;                      // crop padding in pixels; not for folder
    // folder only
    int64_t imageSize = 224;              // side S of the square samples
    int64_t workers = 2;                  // decode threads; 0 = decode on the training thread
    std::string normalize = "imagenet";   // imagenet | computed (the training split's own statistics)
    std::string onBadImage = "fail";      // fail | skip
    // synthetic only
    int64_t channels = 1, height = 28, width = 28, numClasses = 10;
    int64_t trainSize = 2048, testSize = 512;
};

struct TeacherSpec {
    std::string model;                    // a zoo model; taken from the run when run_id/run_name is given
    std::optional<int64_t> runId;         // a finished run of this store
    std::string runName;                  // the newest finished run with this name
    std::string checkpoint;               // a checkpoint file written by the engine
    std::string stateDict;                // a state dict saved by torch.save in PyTorch (with model)
    std::string torchscript;              // a module saved by torch.jit.save in PyTorch
    // TorchScript only: the submodules forming the stem, the stages and the classifier, for methods
    // that distil features (logit methods need only the module's output).
    std::vector<std::string> stem, stages;
    std::string classifier;
    bool present() const {
        return !model.empty() || runId || !runName.empty() || !checkpoint.empty() || !stateDict.empty() ||
               !torchscript.empty();
    }
};

struct MethodSpec {
    std::string name = "ce";
    nlohmann::json params = nlohmann::json::object();   // validated against the method's declaration
    // The value given, else the declared default; each accessor for its parameter kind (Catalog.h).
    double param(const std::string& key) const;
    std::string choice(const std::string& key) const;
    std::vector<std::string> names(const std::string& key) const;
    std::vector<double> numbers(const std::string& key) const;
};

struct OptimSpec {
    std::string name = "sgd";             // sgd | adamw
    double lr = 0.05;
    double momentum = 0.9;                // sgd
    double weightDecay = 5e-4;            // sgd: L2 in the gradient; adamw: decoupled
    bool nesterov = false;                // sgd
    double beta1 = 0.9, beta2 = 0.999;    // adamw
    double eps = 1e-8;                    // adamw
    double gradClip = 0;                  // max global L2 norm of the gradients; 0 = off
    double labelSmoothing = 0;            // of every cross-entropy on the labels
};

struct ScheduleSpec {
    std::string name = "multistep";       // multistep | cosine | constant
    std::vector<int64_t> milestones;      // multistep: epochs at which lr *= gamma
    double gamma = 0.1;
    double minLr = 0;                     // cosine: the lr at the end
    double warmupEpochs = 0;              // linear warm-up from ~0 to lr over this many epochs (fractional allowed)
};

// Data-parallel training of one run by several processes (torch's c10d): each process takes its share
// of every batch, their gradients are averaged, and the first process (rank 0) writes the store.
struct DistributedSpec {
    int64_t worldSize = 1;                // processes; batch_size is the whole step's batch, split evenly
    std::string backend = "auto";         // gloo | nccl | auto (nccl on a CUDA device, gloo otherwise)
    bool syncBatchNorm = false;           // batch statistics over every process's images
    int64_t timeoutSeconds = 600;         // a collective waiting longer fails the run (a hung process)
};

struct RunSpec {
    std::string name;
    DataSpec data;
    TeacherSpec teacher;
    std::string studentModel = "resnet8";
    // The student's initial weights: a state dict saved by torch.save ("" = the zoo's initialisation).
    // Only a run starting from the beginning loads it; a resumed run continues from its checkpoint.
    std::string studentInit;
    MethodSpec method;
    OptimSpec optim;
    ScheduleSpec schedule;
    int64_t epochs = 1;
    int64_t batchSize = 64;
    int64_t evalBatchSize = 500;
    int64_t seed = 0;
    std::string device = "auto";          // auto | cpu | cuda | cuda:N
    // fp32 | bf16 | fp16 | auto: the forward passes' arithmetic under autocast; weights, optimiser
    // state and losses stay float32. auto = bf16 where the device computes it natively (a CUDA
    // device with bf16, a CPU with AVX-512 BF16 or AMX), else fp32. fp16 (with loss scaling) is CUDA only.
    std::string precision = "fp32";
    int64_t threads = 0;                  // 0 = all cores
    int64_t logEvery = 10;                // steps between metric rows
    int64_t diagnosticsEvery = 10;        // steps between diagnostic rows (gates, channel statistics,
                                          // path weights); 0 = none
    int64_t maxStepsPerEpoch = 0;         // 0 = the whole training set each epoch
    int64_t checkpointEvery = 0;          // epochs between periodic checkpoints; 0 = last and best only
    // Besides the end of every epoch, the `last` checkpoint is written whenever this many minutes of
    // training have passed since the previous one, bounding the work a kill can lose; 0 = off.
    double checkpointMinutes = 0;
    // A NaN or infinite loss: "fail" stops the run naming the loss term and the step; "skip_step"
    // skips that step (no optimiser update) and counts it.
    std::string onNonFinite = "fail";
    DistributedSpec distributed;
};

struct ParseResult {
    std::optional<RunSpec> spec;
    std::vector<SpecError> errors;
    bool ok() const { return errors.empty() && spec.has_value(); }
    std::string errorText() const;       // one error per line
};

// Parses and validates. pathPrefix is prepended to error paths ("runs[2].").
ParseResult parseRunSpec(const nlohmann::json& json, const std::string& pathPrefix = "");
// Reads the text with parseJsonText (JsonText.h): malformed or too deeply nested JSON is one error
// whose path is "line L, column C (field)".
ParseResult parseRunSpec(const std::string& text);
nlohmann::json toJson(const RunSpec& spec);

// A study expanded into its runs (Study.h parses and prints it). Declared here because an experiment
// file may be a study, and ExperimentParse holds its plan.
struct EarlyStopping {
    std::string rule = "none";       // "none" | "median"
    int64_t graceEpochs = 1;         // epochs before the rule may stop a run (>= 1)
    int64_t minRuns = 3;             // finished runs at an epoch needed before their median counts (>= 1)
    bool enabled() const { return rule != "none"; }
};
struct StudyRun {
    RunSpec spec;
    bool teacher = false;
    std::string configuration;       // the label, shared by the seeds of one configuration ("teacher-resnet20" for teachers)
    std::vector<std::pair<std::string, nlohmann::json>> varied;   // field path -> value, grid order then random
};
struct StudyPlan {
    std::string name, description;
    std::vector<StudyRun> runs;              // teachers first, then students, configurations in expansion order, seeds innermost
    std::vector<std::string> variedFields;   // union of the runs' varied paths, first-seen order
    EarlyStopping earlyStopping;
    nlohmann::json source;                   // the study object as read (stored with the study)
    size_t configurations() const;           // distinct student configurations
};

// An experiment file holds one spec, {"name": …, "runs": [spec, …]} or a study (Study.h); a run's
// teacher may name an earlier run of the same file with "run_name".
struct ExperimentParse {
    std::string name;
    std::vector<RunSpec> runs;
    std::optional<StudyPlan> study;          // set when the file is a study: runs are its runs' specs
    std::vector<SpecError> errors;
    bool ok() const { return errors.empty(); }
    std::string errorText() const;
};
ExperimentParse parseExperiment(const std::string& text);
// Adds an error when unreadable; every error's path starts with the file's path.
ExperimentParse parseExperimentFile(const std::string& path);

}  // namespace distillery::spec
