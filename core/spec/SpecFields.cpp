#include "spec/SpecFields.h"

#include <algorithm>
#include <stdexcept>

#include "spec/Catalog.h"
#include "spec/ObjectReader.h"

namespace distillery::spec {

using nlohmann::json;

namespace {

using Getter = std::function<json(const RunSpec&)>;
using Setter = std::function<void(RunSpec&, const json&)>;
struct Access {
    Getter get;
    Setter set;
};

template <class T>
Access member(T RunSpec::*field) {
    return {[field](const RunSpec& s) { return json(s.*field); },
            [field](RunSpec& s, const json& v) { s.*field = v.get<T>(); }};
}

template <class S, class T>
Access member(S RunSpec::*part, T S::*field) {
    return {[part, field](const RunSpec& s) { return json(s.*part.*field); },
            [part, field](RunSpec& s, const json& v) { s.*part.*field = v.get<T>(); }};
}

// Fills one table row; the chained setters name what the row has beyond the common columns.
class Row {
public:
    explicit Row(SpecField& field) : f_(field) {}
    Row& range(double min, double max) {
        f_.min = min;
        f_.max = max;
        return *this;
    }
    Row& openMin() {
        f_.minOpen = true;
        return *this;
    }
    Row& openMax() {
        f_.maxOpen = true;
        return *this;
    }
    Row& zeroMeans(std::string text) {
        f_.zeroMeans = std::move(text);
        return *this;
    }
    Row& hint(std::string text) {
        f_.hint = std::move(text);
        return *this;
    }
    Row& choices(std::vector<std::string> values, bool editable = false) {
        f_.choices = std::move(values);
        f_.editable = editable;
        return *this;
    }
    Row& when(std::string path, std::vector<std::string> values, std::string notApplicable, bool negated = false) {
        f_.appliesWhen = {std::move(path), std::move(values), negated};
        f_.notApplicable = std::move(notApplicable);
        return *this;
    }
    Row& writtenOnlyWhenSet() {
        f_.writtenAtDefault = false;
        return *this;
    }

private:
    SpecField& f_;
};

std::vector<SpecField> buildTable() {
    using namespace limits;
    using K = FieldKind;
    std::vector<SpecField> table;
    std::string group;
    const auto add = [&](std::string path, K kind, std::string label, std::string help, Access access) {
        SpecField f;
        f.path = std::move(path);
        f.kind = kind;
        f.group = group;
        f.label = std::move(label);
        f.help = std::move(help);
        f.get = std::move(access.get);
        f.set = std::move(access.set);
        table.push_back(std::move(f));
        return Row(table.back());
    };

    group = "Run";
    add("name", K::String, "Name", "The run's name in the runs list; seeds share it", member(&RunSpec::name))
        .hint("default: <method>-<student>");

    group = "Data";
    add("data.name", K::Choice, "Data set", "The images to train on", member(&RunSpec::data, &DataSpec::name))
        .choices(datasetNames());
    add("data.root", K::Folder, "Folder", "The folder holding the data set's files; Distillery never downloads data",
        member(&RunSpec::data, &DataSpec::root))
        .hint("the data set's default location")
        .writtenOnlyWhenSet();
    // The data set's training images bound these two further; the reader checks that.
    add("data.train_subset", K::Int, "Train subset",
        "Training images used; all = every image not held out for validation",
        member(&RunSpec::data, &DataSpec::trainSubset))
        .range(0, kMaxSyntheticImages)
        .zeroMeans("all");
    add("data.val_size", K::Int, "Validation size", "Images held out from the training files for validation",
        member(&RunSpec::data, &DataSpec::valSize))
        .range(0, kMaxSyntheticImages);
    add("data.augment", K::Bool, "Augment",
        "Augment the training images. Off, a teacher read only at its logits or pooled last stage runs once per "
        "image, with the same numbers",
        member(&RunSpec::data, &DataSpec::augment))
        .hint("pad-and-crop (folder: random-resized crop) + horizontal flip");
    add("data.pad", K::Int, "Crop padding", "Padding in pixels before the random crop",
        member(&RunSpec::data, &DataSpec::pad))
        .range(0, kMaxPad)
        .when("data.name", {"folder"},
              "does not apply to the {} data set, whose training crops are random-resized crops; remove it", true);
    const std::string folderOnly = "applies to the folder data set only; {} is held in memory, remove this field";
    add("data.image_size", K::Int, "Image size", "Folder images: the side of the square samples, in pixels",
        member(&RunSpec::data, &DataSpec::imageSize))
        .range(double(kMinImageSize), double(kMaxImageSize))
        .when("data.name", {"folder"}, folderOnly);
    add("data.workers", K::Int, "Decode threads", "Folder images: threads decoding batches ahead of training",
        member(&RunSpec::data, &DataSpec::workers))
        .range(0, double(kMaxDecodeWorkers))
        .zeroMeans("decode on the training thread")
        .when("data.name", {"folder"}, folderOnly);
    add("data.normalize", K::Choice, "Normalisation",
        "Folder images: ImageNet's mean and std, or the training split's own (from 1,000 of its images)",
        member(&RunSpec::data, &DataSpec::normalize))
        .choices({"imagenet", "computed"})
        .when("data.name", {"folder"}, folderOnly);
    add("data.on_bad_image", K::Choice, "Bad images",
        "Folder images: a file that cannot be decoded stops the run (fail), or is skipped and counted (skip)",
        member(&RunSpec::data, &DataSpec::onBadImage))
        .choices({"fail", "skip"})
        .when("data.name", {"folder"}, folderOnly);
    const auto synthetic = [&](std::string path, std::string label, std::string help, int64_t DataSpec::*field,
                               int64_t min, int64_t max) {
        add(std::move(path), K::Int, std::move(label), std::move(help), member(&RunSpec::data, field))
            .range(double(min), double(max))
            .when("data.name", {"synthetic"},
                  "applies to the synthetic data set only; {} has a fixed shape, remove this field");
    };
    synthetic("data.channels", "Channels", "Synthetic images: channels", &DataSpec::channels, 1, kMaxSyntheticChannels);
    synthetic("data.height", "Height", "Synthetic images: height (>= 28)", &DataSpec::height, kMinSyntheticSide,
              kMaxSyntheticSide);
    synthetic("data.width", "Width", "Synthetic images: width (>= 28)", &DataSpec::width, kMinSyntheticSide,
              kMaxSyntheticSide);
    synthetic("data.num_classes", "Classes", "Synthetic images: classes", &DataSpec::numClasses, 2,
              kMaxSyntheticClasses);
    synthetic("data.train_size", "Training images", "Synthetic images: size of the training files",
              &DataSpec::trainSize, 1, kMaxSyntheticImages);
    synthetic("data.test_size", "Test images", "Synthetic images: size of the test split", &DataSpec::testSize, 1,
              kMaxSyntheticImages);

    group = "Optimiser and schedule";
    add("optim.name", K::Choice, "Optimiser", "SGD (with momentum) or AdamW", member(&RunSpec::optim, &OptimSpec::name))
        .choices({"sgd", "adamw"});
    add("optim.lr", K::Double, "Learning rate", "The student's initial learning rate (> 0)",
        member(&RunSpec::optim, &OptimSpec::lr))
        .range(0, kMaxLearningRate)
        .openMin();
    // Every optimiser but AdamW is treated as SGD, so that an unknown name reports one error.
    const std::string notForThisOptimiser = "does not apply to {}; remove it";
    add("optim.momentum", K::Double, "Momentum", "SGD momentum in [0, 1)",
        member(&RunSpec::optim, &OptimSpec::momentum))
        .range(0, 1)
        .openMax()
        .when("optim.name", {"adamw"}, notForThisOptimiser, true);
    add("optim.nesterov", K::Bool, "Nesterov", "SGD with Nesterov momentum",
        member(&RunSpec::optim, &OptimSpec::nesterov))
        .hint("Nesterov momentum")
        .when("optim.name", {"adamw"}, notForThisOptimiser, true);
    add("optim.weight_decay", K::Double, "Weight decay", "SGD: L2 in the gradient; AdamW: decoupled (>= 0)",
        member(&RunSpec::optim, &OptimSpec::weightDecay))
        .range(0, kMaxWeightDecay);
    add("optim.beta1", K::Double, "β1", "AdamW: first-moment decay in [0, 1)",
        member(&RunSpec::optim, &OptimSpec::beta1))
        .range(0, 1)
        .openMax()
        .when("optim.name", {"adamw"}, notForThisOptimiser);
    add("optim.beta2", K::Double, "β2", "AdamW: second-moment decay in [0, 1)",
        member(&RunSpec::optim, &OptimSpec::beta2))
        .range(0, 1)
        .openMax()
        .when("optim.name", {"adamw"}, notForThisOptimiser);
    add("optim.eps", K::Double, "ε", "AdamW: denominator term (> 0)", member(&RunSpec::optim, &OptimSpec::eps))
        .range(0, 1)
        .openMin()
        .when("optim.name", {"adamw"}, notForThisOptimiser);
    add("optim.grad_clip", K::Double, "Gradient clip", "Max global L2 norm of the gradients; 0 = off",
        member(&RunSpec::optim, &OptimSpec::gradClip))
        .range(0, kMaxGradClip);
    add("optim.label_smoothing", K::Double, "Label smoothing", "Of every cross-entropy on the labels, in [0, 1)",
        member(&RunSpec::optim, &OptimSpec::labelSmoothing))
        .range(0, 1)
        .openMax();
    add("schedule.name", K::Choice, "Schedule",
        "multistep: lr × gamma at each milestone; cosine: down to the minimum; constant",
        member(&RunSpec::schedule, &ScheduleSpec::name))
        .choices({"multistep", "cosine", "constant"});
    // Each milestone is also below epochs; the reader checks that.
    add("schedule.milestones", K::IntList, "Milestones",
        "Epochs at which the learning rate is multiplied by gamma, comma-separated",
        member(&RunSpec::schedule, &ScheduleSpec::milestones))
        .range(1, kMaxEpochs)
        .hint("e.g. 150, 180, 210")
        .when("schedule.name", {"multistep"}, "apply to the multistep schedule only; remove them");
    add("schedule.gamma", K::Double, "Gamma", "The factor at each milestone, in (0, 1]",
        member(&RunSpec::schedule, &ScheduleSpec::gamma))
        .range(0, 1)
        .openMin();
    // At most optim.lr; the reader checks that.
    add("schedule.min_lr", K::Double, "Minimum lr", "Cosine: the learning rate at the end",
        member(&RunSpec::schedule, &ScheduleSpec::minLr))
        .range(0, kMaxLearningRate)
        .when("schedule.name", {"cosine"}, "applies to the cosine schedule only; remove it");
    // Below epochs; the reader checks that.
    add("schedule.warmup_epochs", K::Double, "Warm-up epochs",
        "Linear warm-up from ~0 to the learning rate over this many epochs (fractions allowed)",
        member(&RunSpec::schedule, &ScheduleSpec::warmupEpochs))
        .range(0, kMaxEpochs)
        .openMax();

    group = "Training";
    add("epochs", K::Int, "Epochs", "Passes over the training split", member(&RunSpec::epochs)).range(1, kMaxEpochs);
    add("batch_size", K::Int, "Batch size", "Training images per step", member(&RunSpec::batchSize))
        .range(1, kMaxBatchSize);
    add("eval_batch_size", K::Int, "Evaluation batch", "Images per batch when evaluating",
        member(&RunSpec::evalBatchSize))
        .range(1, kMaxBatchSize);
    add("max_steps_per_epoch", K::Int, "Steps per epoch", "Caps the steps of each epoch, for quick trials",
        member(&RunSpec::maxStepsPerEpoch))
        .range(0, kMaxStepInterval)
        .zeroMeans("the whole training set");
    add("checkpoint_every", K::Int, "Checkpoint every", "Epochs between periodic checkpoints",
        member(&RunSpec::checkpointEvery))
        .range(0, kMaxEpochs)
        .zeroMeans("last and best only");
    add("checkpoint_minutes", K::Double, "Checkpoint minutes",
        "Also writes the last checkpoint whenever this many minutes of training have passed since the previous "
        "one, bounding the work a kill can lose; 0 = only at epoch ends",
        member(&RunSpec::checkpointMinutes))
        .range(0, kMaxCheckpointMinutes)
        .writtenOnlyWhenSet();
    add("on_nonfinite", K::Choice, "On a NaN loss",
        "fail: stop the run, naming the loss term and the step; skip_step: skip that step (no update) and count it",
        member(&RunSpec::onNonFinite))
        .choices({"fail", "skip_step"})
        .writtenOnlyWhenSet();

    group = "Seeds and diagnostics";
    add("seed", K::Int, "Seed", "The run's random seed", member(&RunSpec::seed)).range(0, double(kMaxSeed));
    add("log_every", K::Int, "Log every", "Steps between metric rows", member(&RunSpec::logEvery))
        .range(1, kMaxStepInterval);
    add("diagnostics_every", K::Int, "Diagnostics every",
        "Steps between diagnostic rows (gates, channel statistics, path weights)", member(&RunSpec::diagnosticsEvery))
        .range(0, kMaxStepInterval)
        .zeroMeans("none");

    group = "Device";
    add("device", K::Choice, "Device", "auto, cpu, cuda or cuda:N", member(&RunSpec::device))
        .choices({"auto", "cpu", "cuda"}, true);
    add("precision", K::Choice, "Precision",
        "The forward passes' arithmetic: fp32; bf16 (about 3× faster on a CPU with AVX-512 BF16 or AMX); auto = bf16 "
        "where the device computes it natively; fp16 on CUDA only. Weights and losses stay fp32.",
        member(&RunSpec::precision))
        .choices({"fp32", "bf16", "auto", "fp16"});
    add("threads", K::Int, "Threads", "CPU threads of the engine", member(&RunSpec::threads))
        .range(0, kMaxThreads)
        .zeroMeans("all cores");

    group = "Processes";
    add("distributed.world_size", K::Int, "Processes",
        "Processes training the run together, each on its share of every batch (batch_size is split evenly); "
        "their gradients are averaged after each backward pass",
        member(&RunSpec::distributed, &DistributedSpec::worldSize))
        .range(1, kMaxWorldSize)
        .writtenOnlyWhenSet();
    add("distributed.backend", K::Choice, "Communication",
        "torch's c10d process group: gloo (CPU, TCP), nccl (CUDA builds), auto (nccl on a CUDA device, else gloo)",
        member(&RunSpec::distributed, &DistributedSpec::backend))
        .choices({"auto", "gloo", "nccl"})
        .writtenOnlyWhenSet();
    add("distributed.sync_batch_norm", K::Bool, "Synchronised batch norm",
        "Batch statistics over every process's images (one all-reduce per batch norm layer); off: each "
        "process normalises with its own share",
        member(&RunSpec::distributed, &DistributedSpec::syncBatchNorm))
        .hint("statistics over all processes")
        .writtenOnlyWhenSet();
    add("distributed.timeout_s", K::Int, "Timeout (s)",
        "A process waiting longer than this for the others (one hung or gone) stops the run with an error",
        member(&RunSpec::distributed, &DistributedSpec::timeoutSeconds))
        .range(1, kMaxDistributedTimeout)
        .writtenOnlyWhenSet();
    return table;
}

}  // namespace

bool FieldCondition::holds(const std::string& controllingValue) const {
    if (always()) return true;
    const bool listed = std::find(values.begin(), values.end(), controllingValue) != values.end();
    return listed != negated;
}

std::string SpecField::object() const {
    const auto dot = path.find('.');
    return dot == std::string::npos ? std::string() : path.substr(0, dot);
}

std::string SpecField::key() const {
    const auto dot = path.find('.');
    return dot == std::string::npos ? path : path.substr(dot + 1);
}

const std::vector<SpecField>& specFields() {
    static const std::vector<SpecField> table = buildTable();
    return table;
}

const SpecField& specField(const std::string& path) {
    for (const SpecField& f : specFields())
        if (f.path == path) return f;
    throw std::out_of_range("no spec field " + path);
}

bool isSpecField(const std::string& path) {
    const auto& table = specFields();
    return std::any_of(table.begin(), table.end(), [&](const SpecField& f) { return f.path == path; });
}

std::string conditionValue(const RunSpec& spec, const std::string& path) {
    const json value = specField(path).get(spec);
    return value.is_string() ? value.get<std::string>() : value.dump();
}

bool applies(const SpecField& field, const RunSpec& spec) {
    return field.appliesWhen.always() || field.appliesWhen.holds(conditionValue(spec, field.appliesWhen.path));
}

std::string notApplicableMessage(const SpecField& field, const std::string& controllingValue) {
    std::string text = field.notApplicable;
    const auto at = text.find("{}");
    if (at != std::string::npos) text.replace(at, 2, controllingValue);
    return text;
}

std::string rangeText(const SpecField& field) {
    return (field.minOpen ? "(" : "[") + formatNumber(field.min) + ", " + formatNumber(field.max) +
           (field.maxOpen ? ")" : "]");
}

bool inRange(const SpecField& field, double value) {
    // Written so that NaN is outside.
    const bool aboveMin = field.minOpen ? value > field.min : value >= field.min;
    const bool belowMax = field.maxOpen ? value < field.max : value <= field.max;
    return aboveMin && belowMax;
}

void writeFields(const RunSpec& spec, const std::string& object, json& out) {
    for (const SpecField& f : specFields()) {
        if (f.object() != object || !applies(f, spec)) continue;
        json value = f.get(spec);
        if (!f.writtenAtDefault && value == f.defaultValue()) continue;
        out[f.key()] = std::move(value);
    }
}

}  // namespace distillery::spec
