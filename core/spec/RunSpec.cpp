#include "spec/RunSpec.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "spec/Catalog.h"
#include "spec/JsonText.h"
#include "spec/ObjectReader.h"
#include "spec/SpecFields.h"

namespace distillery::spec {

using nlohmann::json;

namespace {

std::string join(const std::string& prefix, const std::string& path) {
    return prefix.empty() ? path : prefix + "." + path;
}

// A whole-number field of the table (SpecFields.h) within its declared bounds; the error adds what 0
// stands for when that is special.
void readInt(ObjectReader& r, const std::string& path, int64_t& out) {
    const SpecField& f = specField(path);
    r.read(f.key(), out, int64_t(f.min), int64_t(f.max), f.zeroMeans.empty() ? "" : "0 = " + f.zeroMeans);
}

// "must be in [0, 1), got 1.5" for a number field outside its declared range.
void requireInRange(ObjectReader& r, const std::string& path, double value, const std::string& shown,
                    std::vector<SpecError>& errors, const std::string& note = "") {
    const SpecField& f = specField(path);
    if (!inRange(f, value)) errors.push_back({r.at(f.key()), "must be in " + rangeText(f) + note + ", got " + shown});
}

// Reports each field of the object given where its condition does not hold (a list counts as given
// when it holds something). spec holds what was read so far: the controlling fields come first.
void rejectInapplicable(ObjectReader& r, const json& node, const std::string& object, const RunSpec& spec,
                        std::vector<SpecError>& errors) {
    for (const SpecField& f : specFields()) {
        if (f.object() != object || applies(f, spec)) continue;
        const bool given = f.kind == FieldKind::IntList ? !f.get(spec).empty() : node.contains(f.key());
        if (given) errors.push_back({r.at(f.key()), notApplicableMessage(f, conditionValue(spec, f.appliesWhen.path))});
    }
}

void readData(ObjectReader& top, const std::string& prefix, RunSpec& spec, std::vector<SpecError>& errors) {
    const json* node = top.object("data");
    if (!node) return;
    DataSpec& data = spec.data;
    ObjectReader r(*node, join(prefix, "data"), errors);
    r.read("name", data.name);
    r.read("root", data.root);
    r.read("augment", data.augment);

    const auto& names = specField("data.name").choices;
    if (std::find(names.begin(), names.end(), data.name) == names.end())
        errors.push_back({r.at("name"), "unknown data set \"" + data.name + "\"; known: " + joinNames(names)});
    if (data.root.empty() && (data.name == "mnist" || data.name == "cifar10" || data.name == "cifar100"))
        errors.push_back({r.at("root"), "is required for " + data.name +
                                            ": the folder holding its files (Distillery never downloads data)"});
    if (data.root.empty() && data.name == "folder")
        errors.push_back({r.at("root"), "is required for folder: the folder holding train/CLASS/*.jpg|png and "
                                        "val/CLASS/… (ImageNet's layout)"});

    // The shape first: the sizes below are bounded by it. Fields of other data sets are not read.
    if (data.name == "synthetic") {
        readInt(r, "data.channels", data.channels);
        readInt(r, "data.height", data.height);
        readInt(r, "data.width", data.width);
        readInt(r, "data.num_classes", data.numClasses);
        readInt(r, "data.train_size", data.trainSize);
        readInt(r, "data.test_size", data.testSize);
    }
    if (data.name == "folder") {
        readInt(r, "data.image_size", data.imageSize);
        readInt(r, "data.workers", data.workers);
        r.read("normalize", data.normalize);
        r.read("on_bad_image", data.onBadImage);
        for (const char* path : {"data.normalize", "data.on_bad_image"}) {
            const SpecField& f = specField(path);
            const std::string value = conditionValue(spec, path);
            if (std::find(f.choices.begin(), f.choices.end(), value) == f.choices.end())
                errors.push_back({r.at(f.key()), "must be " + joinNames(f.choices) + " (" + f.help + "), got \"" +
                                                     value + "\""});
        }
    }
    for (const SpecField& f : specFields())
        if (f.object() == "data" && !f.appliesWhen.always() && !applies(f, spec)) r.skip(f.key());
    rejectInapplicable(r, *node, "data", spec, errors);

    // The validation split and the training subset come out of the training files; the synthetic set
    // draws its validation images in addition to train_size.
    const int64_t trainImages = trainImageCount(data);
    const std::string count = std::to_string(trainImages);
    if (data.name == "synthetic") {
        r.read("val_size", data.valSize, 0, limits::kMaxSyntheticImages);
        r.read("train_subset", data.trainSubset, 0, trainImages,
               "the synthetic set has train_size = " + count + " training images; 0 = all of them");
    } else if (trainImages > 0) {
        r.read("val_size", data.valSize, 0, trainImages - 1,
               data.name + " has " + count + " training images and at least one must remain for training");
        r.read("train_subset", data.trainSubset, 0, trainImages - data.valSize,
               "the " + count + " training images of " + data.name + " less the " + std::to_string(data.valSize) +
                   " of val_size; 0 = all of them");
    } else {
        r.read("val_size", data.valSize, 0, limits::kMaxSyntheticImages);
        r.read("train_subset", data.trainSubset, 0, limits::kMaxSyntheticImages);
    }
    if (applies(specField("data.pad"), spec)) {
        const DataShape shape = dataShape(data);
        const int64_t side = std::min({shape.height, shape.width, int64_t(specField("data.pad").max)});
        r.read("pad", data.pad, 0, side,
               "at most " + std::to_string(int64_t(specField("data.pad").max)) + " and the image side (" +
                   std::to_string(std::min(shape.height, shape.width)) + " px)");
    }
    r.rejectUnknown();

    if (data.name == "synthetic") {
        // Every factor is bounded above, so the product cannot overflow (< 2^55).
        const int64_t images = data.trainSize + data.valSize + data.testSize + data.numClasses;
        const int64_t bytes = images * data.channels * data.height * data.width;
        if (bytes > limits::kMaxSyntheticBytes) {
            errors.push_back(
                {join(prefix, "data"),
                 "the synthetic set would hold " + std::to_string(bytes >> 20) + " MiB (train_size + val_size + "
                     "test_size + num_classes templates = " + std::to_string(images) + " images of " +
                     std::to_string(data.channels) + "x" + std::to_string(data.height) + "x" +
                     std::to_string(data.width) + " bytes), more than the " +
                     std::to_string(limits::kMaxSyntheticBytes >> 20) +
                     " MiB allowed; lower the sizes or the image side"});
        }
    }
}

void readTeacher(ObjectReader& top, const std::string& prefix, TeacherSpec& teacher, std::vector<SpecError>& errors) {
    const json* node = top.object("teacher");
    if (!node) return;
    ObjectReader r(*node, join(prefix, "teacher"), errors);
    r.read("model", teacher.model);
    int64_t runId = 0;
    if (node->contains("run_id")) {
        r.read("run_id", runId, 1, std::numeric_limits<int64_t>::max(), "the id of a finished run");
        teacher.runId = runId;
    }
    r.read("run_name", teacher.runName);
    r.read("checkpoint", teacher.checkpoint);
    r.read("state_dict", teacher.stateDict);
    r.read("torchscript", teacher.torchscript);
    r.read("stem", teacher.stem);
    r.read("stages", teacher.stages);
    r.read("classifier", teacher.classifier);
    r.rejectUnknown();
    const int sources = (teacher.runId ? 1 : 0) + (teacher.runName.empty() ? 0 : 1) +
                        (teacher.checkpoint.empty() ? 0 : 1) + (teacher.stateDict.empty() ? 0 : 1) +
                        (teacher.torchscript.empty() ? 0 : 1);
    if (sources > 1)
        errors.push_back({join(prefix, "teacher"),
                          "give one of run_id, run_name, checkpoint, state_dict or torchscript, not several"});
    if (sources == 0)
        errors.push_back({join(prefix, "teacher"),
                          "needs trained weights: give run_id (a finished run), run_name (the newest finished run "
                          "with that name), checkpoint (a file the engine wrote), state_dict (torch.save of a "
                          "state dict, with model) or torchscript (torch.jit.save)"});
    const bool layout = !teacher.stem.empty() || !teacher.stages.empty() || !teacher.classifier.empty();
    if (layout && teacher.torchscript.empty())
        errors.push_back({join(prefix, "teacher"), "stem, stages and classifier describe a TorchScript teacher; "
                                                   "zoo models know their stages, remove them"});
    if (!teacher.torchscript.empty() && !teacher.model.empty())
        errors.push_back({r.at("model"), "does not apply to a TorchScript teacher, whose file holds the network"});
    if (!teacher.stages.empty() && teacher.classifier.empty())
        errors.push_back({r.at("classifier"), "is required with stages: the submodule that maps pooled features to "
                                              "logits, e.g. \"fc\""});
    if ((!teacher.stem.empty() || !teacher.classifier.empty()) && teacher.stages.empty())
        errors.push_back({r.at("stages"), "is required with stem and classifier: the submodules forming the stages, "
                                          "e.g. [\"layer1\", \"layer2\", \"layer3\"]"});
    if (!teacher.checkpoint.empty() && teacher.model.empty())
        errors.push_back({r.at("model"), "is required with a checkpoint, to know which network the weights belong to"});
    if (!teacher.stateDict.empty() && teacher.model.empty())
        errors.push_back({r.at("model"), "is required with a state_dict, to know which zoo network the weights belong "
                                         "to, e.g. \"resnet32x4\""});
    if (!teacher.model.empty() && !isKnownModel(teacher.model))
        errors.push_back({r.at("model"), "unknown \"" + teacher.model + "\"; known: " + joinNames(modelNames())});
}

// Why a method parameter's value does not fit its declaration, or nothing when it fits.
std::optional<std::string> checkParam(const ParamDecl& p, const json& value) {
    auto inRange = [&](const json& v) -> std::optional<std::string> {
        // NaN fails both comparisons; an integer too large for int64 arrives as a float and is compared
        // as one, so nothing wraps.
        const bool ok = v.is_number() && std::isfinite(v.get<double>()) && v.get<double>() >= p.min &&
                        v.get<double>() <= p.max;
        if (ok) return std::nullopt;
        return "must be a number in [" + formatNumber(p.min) + ", " + formatNumber(p.max) + "], got " + describeValue(v) +
               " (" + p.help + ")";
    };
    auto tooLong = [&](const json& v) -> std::optional<std::string> {
        if (v.size() <= size_t(limits::kMaxListItems)) return std::nullopt;
        return "must list at most " + std::to_string(limits::kMaxListItems) + " items, got " +
               std::to_string(v.size()) + " (" + p.help + ")";
    };
    auto isChoice = [&](const std::string& name) {
        return std::find(p.choices.begin(), p.choices.end(), name) != p.choices.end();
    };
    switch (p.kind) {
    case ParamKind::Number:
        return inRange(value);
    case ParamKind::Choice:
        if (!value.is_string() || !isChoice(value.get<std::string>()))
            return "must be one of " + joinNames(p.choices) + ", got " + describeValue(value) + " (" + p.help + ")";
        return std::nullopt;
    case ParamKind::Names:
        if (!value.is_array() || value.empty())
            return "must be a non-empty list of names, e.g. [\"" + joinNames(p.defaultNames) + "\"], got " +
                   describeValue(value) + " (" + p.help + ")";
        if (auto problem = tooLong(value)) return problem;
        for (const auto& v : value) {
            if (!v.is_string()) return "must list names (strings), got " + describeValue(v);
            const std::string name = v.get<std::string>();
            if (!isChoice(name.substr(0, name.find('@'))))
                return "\"" + name + "\" names no known kind; known: " + joinNames(p.choices) + " (" + p.help + ")";
        }
        return std::nullopt;
    case ParamKind::Numbers:
        if (!value.is_array()) return "must be a list of numbers, got " + describeValue(value) + " (" + p.help + ")";
        if (auto problem = tooLong(value)) return problem;
        for (const auto& v : value)
            if (auto problem = inRange(v)) return problem;
        return std::nullopt;
    }
    return std::nullopt;
}

void readMethod(ObjectReader& top, const std::string& prefix, MethodSpec& method, std::vector<SpecError>& errors) {
    const json* node = top.object("method");
    if (!node) return;
    const std::string path = join(prefix, "method");
    if (node->contains("name") && (*node)["name"].is_string()) method.name = (*node)["name"].get<std::string>();
    else if (node->contains("name")) errors.push_back({path + ".name", "must be a string, got " + describeValue((*node)["name"])});
    const MethodDecl* decl = findMethod(method.name);
    std::vector<std::string> known;
    for (const auto& m : methodCatalog()) known.push_back(m.name);
    if (!decl) {
        errors.push_back({path + ".name", "unknown method \"" + method.name + "\"; known: " + joinNames(known)});
        return;
    }
    for (auto it = node->begin(); it != node->end(); ++it) {
        if (it.key() == "name") continue;
        const ParamDecl* p = decl->param(it.key());
        if (!p) {
            std::vector<std::string> params;
            for (const auto& q : decl->params) params.push_back(q.name);
            errors.push_back({path + "." + it.key(), "is not a parameter of " + method.name + "; its parameters: " +
                                                         (params.empty() ? std::string("none") : joinNames(params))});
            continue;
        }
        if (auto problem = checkParam(*p, it.value())) {
            errors.push_back({path + "." + it.key(), *problem});
            continue;
        }
        method.params[it.key()] = it.value();
    }
}

void readOptim(ObjectReader& top, const std::string& prefix, RunSpec& spec, std::vector<SpecError>& errors) {
    const json* node = top.object("optim");
    if (!node) return;
    OptimSpec& optim = spec.optim;
    ObjectReader r(*node, join(prefix, "optim"), errors);
    r.read("name", optim.name);
    r.read("lr", optim.lr);
    r.read("momentum", optim.momentum);
    r.read("weight_decay", optim.weightDecay);
    r.read("nesterov", optim.nesterov);
    r.read("beta1", optim.beta1);
    r.read("beta2", optim.beta2);
    r.read("eps", optim.eps);
    r.read("grad_clip", optim.gradClip);
    r.read("label_smoothing", optim.labelSmoothing);
    r.rejectUnknown();
    const auto& optimisers = specField("optim.name").choices;
    if (std::find(optimisers.begin(), optimisers.end(), optim.name) == optimisers.end())
        errors.push_back({r.at("name"), "unknown optimiser \"" + optim.name + "\"; known: " + joinNames(optimisers)});
    rejectInapplicable(r, *node, "optim", spec, errors);
    if (optim.name == "adamw" && !node->contains("weight_decay")) optim.weightDecay = kAdamwDefaultWeightDecay;
    requireInRange(r, "optim.beta1", optim.beta1, shortNumber(optim.beta1), errors);
    requireInRange(r, "optim.beta2", optim.beta2, shortNumber(optim.beta2), errors);
    requireInRange(r, "optim.eps", optim.eps, formatNumber(optim.eps), errors);
    const SpecField& gradClip = specField("optim.grad_clip");
    if (optim.gradClip < gradClip.min) errors.push_back({r.at("grad_clip"), "must be >= 0 (0 turns clipping off)"});
    if (optim.gradClip > gradClip.max)
        errors.push_back({r.at("grad_clip"), "must be at most " + formatNumber(gradClip.max) + ", got " +
                                                 formatNumber(optim.gradClip) + " (0 turns clipping off)"});
    requireInRange(r, "optim.label_smoothing", optim.labelSmoothing, shortNumber(optim.labelSmoothing), errors);
    const SpecField& lr = specField("optim.lr");
    if (!(optim.lr > lr.min)) {
        errors.push_back({r.at("lr"), "must be > 0, got " + formatNumber(optim.lr)});
    } else if (optim.lr > lr.max) {
        errors.push_back({r.at("lr"), "must be at most " + formatNumber(lr.max) + ", got " + formatNumber(optim.lr) +
                                          "; every optimiser here diverges far below that"});
    }
    requireInRange(r, "optim.momentum", optim.momentum, shortNumber(optim.momentum), errors);
    const SpecField& weightDecay = specField("optim.weight_decay");
    if (!inRange(weightDecay, optim.weightDecay)) {
        errors.push_back({r.at("weight_decay"), "must be >= 0 and at most " + formatNumber(weightDecay.max) +
                                                    ", got " + formatNumber(optim.weightDecay)});
    }
    if (optim.nesterov && optim.momentum == 0)
        errors.push_back({r.at("nesterov"), "needs momentum > 0"});
}

void readDistributed(ObjectReader& top, const std::string& prefix, RunSpec& spec, std::vector<SpecError>& errors) {
    const json* node = top.object("distributed");
    if (!node) return;
    DistributedSpec& d = spec.distributed;
    ObjectReader r(*node, join(prefix, "distributed"), errors);
    readInt(r, "distributed.world_size", d.worldSize);   // with its range
    r.read("backend", d.backend);
    r.read("sync_batch_norm", d.syncBatchNorm);
    readInt(r, "distributed.timeout_s", d.timeoutSeconds);
    r.rejectUnknown();
    const auto& backends = specField("distributed.backend").choices;
    if (std::find(backends.begin(), backends.end(), d.backend) == backends.end())
        errors.push_back({r.at("backend"), "must be gloo, nccl or auto, got \"" + d.backend + "\""});
    if (d.worldSize > 1 && spec.batchSize % d.worldSize != 0)
        errors.push_back({r.at("world_size"), "must divide batch_size (" + std::to_string(spec.batchSize) +
                                                  ", the whole step's batch) evenly: each process takes an equal share"});
}

void readSchedule(ObjectReader& top, const std::string& prefix, RunSpec& spec, std::vector<SpecError>& errors) {
    const json* node = top.object("schedule");
    if (!node) return;
    ScheduleSpec& schedule = spec.schedule;
    const int64_t epochs = spec.epochs;
    const double lr = spec.optim.lr;
    ObjectReader r(*node, join(prefix, "schedule"), errors);
    r.read("name", schedule.name);
    const SpecField& milestones = specField("schedule.milestones");
    r.read("milestones", schedule.milestones, int64_t(milestones.min), int64_t(milestones.max));
    r.read("gamma", schedule.gamma);
    r.read("min_lr", schedule.minLr);
    r.read("warmup_epochs", schedule.warmupEpochs);
    r.rejectUnknown();
    const auto& schedules = specField("schedule.name").choices;
    if (std::find(schedules.begin(), schedules.end(), schedule.name) == schedules.end())
        errors.push_back({r.at("name"), "unknown schedule \"" + schedule.name + "\"; known: " + joinNames(schedules)});
    rejectInapplicable(r, *node, "schedule", spec, errors);
    if (schedule.minLr < 0 || schedule.minLr > lr)
        errors.push_back({r.at("min_lr"), "must be in [0, optim.lr] = [0, " + formatNumber(lr) + "], got " +
                                              formatNumber(schedule.minLr) + ": cosine decays from lr to min_lr"});
    if (schedule.warmupEpochs < 0 || schedule.warmupEpochs >= double(epochs)) {
        errors.push_back({r.at("warmup_epochs"), "must be in [0, epochs) = [0, " + std::to_string(epochs) + "), got " +
                                                     formatNumber(schedule.warmupEpochs)});
    }
    // The first wrong milestone only: a list of a million wrong ones is one mistake, not a million.
    for (size_t i = 0; i < schedule.milestones.size(); ++i) {
        const int64_t m = schedule.milestones[i];
        const std::string at = r.at("milestones") + "[" + std::to_string(i) + "]";
        if (m < 1 || m >= epochs) {
            // A run of one epoch has no epoch to lower the rate at: say so rather than "[1, 0]".
            errors.push_back({at, epochs < 2 ? "a run of " + std::to_string(epochs) +
                                                   " epoch has no epoch to lower the rate at; remove the milestones "
                                                   "or train at least 2 epochs, got " + std::to_string(m)
                                             : "must be an epoch in [1, " + std::to_string(epochs - 1) +
                                                   "] (epochs = " + std::to_string(epochs) + "), got " +
                                                   std::to_string(m)});
            break;
        }
        if (i > 0 && m <= schedule.milestones[i - 1]) {
            errors.push_back({at, "must be larger than the one before"});
            break;
        }
    }
    requireInRange(r, "schedule.gamma", schedule.gamma, shortNumber(schedule.gamma), errors);
}

}  // namespace

namespace {
const ParamDecl& declared(const std::string& method, const std::string& key, ParamKind kind) {
    const MethodDecl* decl = findMethod(method);
    const ParamDecl* p = decl ? decl->param(key) : nullptr;
    if (!p || p->kind != kind) throw std::invalid_argument("method " + method + " has no parameter " + key + " of that kind");
    return *p;
}
}  // namespace

double MethodSpec::param(const std::string& key) const {
    const ParamDecl& p = declared(name, key, ParamKind::Number);
    return params.contains(key) ? params.at(key).get<double>() : p.defaultValue;
}

std::string MethodSpec::choice(const std::string& key) const {
    const ParamDecl& p = declared(name, key, ParamKind::Choice);
    return params.contains(key) ? params.at(key).get<std::string>() : p.defaultNames.front();
}

std::vector<std::string> MethodSpec::names(const std::string& key) const {
    const ParamDecl& p = declared(name, key, ParamKind::Names);
    return params.contains(key) ? params.at(key).get<std::vector<std::string>>() : p.defaultNames;
}

std::vector<double> MethodSpec::numbers(const std::string& key) const {
    declared(name, key, ParamKind::Numbers);
    return params.contains(key) ? params.at(key).get<std::vector<double>>() : std::vector<double>{};
}

std::string ParseResult::errorText() const {
    std::string out;
    for (const auto& e : errors) out += e.toString() + "\n";
    return out;
}

ParseResult parseRunSpec(const json& node, const std::string& prefix) {
    ParseResult result;
    auto& errors = result.errors;
    if (!node.is_object()) {
        errors.push_back({prefix.empty() ? "(spec)" : prefix, "must be a JSON object {…}, got " + describeValue(node)});
        return result;
    }
    RunSpec spec;
    ObjectReader r(node, prefix, errors);
    r.read("name", spec.name);
    readInt(r, "epochs", spec.epochs);
    readInt(r, "batch_size", spec.batchSize);
    readInt(r, "eval_batch_size", spec.evalBatchSize);
    readInt(r, "seed", spec.seed);
    r.read("device", spec.device);
    r.read("precision", spec.precision);
    readInt(r, "threads", spec.threads);
    readInt(r, "log_every", spec.logEvery);
    readInt(r, "diagnostics_every", spec.diagnosticsEvery);
    readInt(r, "max_steps_per_epoch", spec.maxStepsPerEpoch);
    readInt(r, "checkpoint_every", spec.checkpointEvery);
    r.read("checkpoint_minutes", spec.checkpointMinutes);
    requireInRange(r, "checkpoint_minutes", spec.checkpointMinutes, formatNumber(spec.checkpointMinutes), errors,
                   " (0 = only at epoch ends; 10080 = a week)");
    r.read("on_nonfinite", spec.onNonFinite);
    const auto& onNonFinite = specField("on_nonfinite").choices;
    if (std::find(onNonFinite.begin(), onNonFinite.end(), spec.onNonFinite) == onNonFinite.end())
        errors.push_back({r.at("on_nonfinite"), "must be \"fail\" (stop the run at a NaN or infinite loss) or "
                                                "\"skip_step\" (skip that step and count it), got \"" +
                                                    spec.onNonFinite + "\""});
    readData(r, prefix, spec, errors);
    readTeacher(r, prefix, spec.teacher, errors);
    if (const json* student = r.object("student")) {
        ObjectReader s(*student, r.at("student"), errors);
        s.read("model", spec.studentModel);
        s.read("init", spec.studentInit);
        s.rejectUnknown();
    }
    readMethod(r, prefix, spec.method, errors);
    readOptim(r, prefix, spec, errors);
    readSchedule(r, prefix, spec, errors);
    readDistributed(r, prefix, spec, errors);
    r.rejectUnknown();
    // SAKD's base runs on each process's open samples only: FT's paraphraser updates there would be
    // taken by some processes and not others.
    if (spec.distributed.worldSize > 1 && spec.method.name == "sakd" && findMethod("sakd") &&
        spec.method.choice("base") == "ft")
        errors.push_back({join(prefix, "distributed.world_size"),
                          "sakd over ft trains in one process only: FT's paraphraser learns from the samples whose "
                          "gate is open, which some processes have at a step and others not; use world_size 1, or "
                          "another base (ft alone trains with several processes)"});
    if (!isKnownModel(spec.studentModel))
        errors.push_back({join(prefix, "student.model"),
                          "unknown \"" + spec.studentModel + "\"; known: " + joinNames(modelNames())});
    static const std::regex devicePattern("auto|cpu|cuda(:[0-9]+)?");
    if (!std::regex_match(spec.device, devicePattern))
        errors.push_back({r.at("device"), "must be auto, cpu, cuda or cuda:N, got \"" + spec.device + "\""});
    const auto& precisions = specField("precision").choices;
    if (std::find(precisions.begin(), precisions.end(), spec.precision) == precisions.end())
        errors.push_back({r.at("precision"), "must be fp32, bf16, fp16 or auto, got \"" + spec.precision + "\""});

    if (const MethodDecl* method = findMethod(spec.method.name)) {
        if (method->needsTeacher && !node.contains("teacher"))
            errors.push_back({join(prefix, "teacher"), "method " + method->name +
                                                           " distils from a teacher: add \"teacher\": {\"run_name\": …} "
                                                           "or {\"run_id\": …} or {\"model\": …, \"checkpoint\": …} "
                                                           "or {\"model\": …, \"state_dict\": …}"});
        if (!method->needsTeacher && node.contains("teacher"))
            errors.push_back({join(prefix, "teacher"), "method " + method->name + " uses no teacher; remove \"teacher\""});
    }
    if (spec.name.empty()) spec.name = spec.method.name + "-" + spec.studentModel;
    if (errors.empty()) result.spec = std::move(spec);
    return result;
}

ParseResult parseRunSpec(const std::string& text) {
    JsonText parsed = parseJsonText(text);
    if (!parsed.ok()) {
        ParseResult result;
        result.errors.push_back(*parsed.error);
        return result;
    }
    return parseRunSpec(parsed.value);
}

// The table's fields as they apply (only the chosen optimiser's and schedule's, so the JSON parses
// back), then the teacher, the student and the method.
json toJson(const RunSpec& spec) {
    json out = json::object();
    writeFields(spec, "", out);
    for (const char* object : {"data", "optim", "schedule"}) {
        json part = json::object();
        writeFields(spec, object, part);
        out[object] = std::move(part);
    }
    json distributed = json::object();   // its fields are written only when set
    writeFields(spec, "distributed", distributed);
    if (!distributed.empty()) out["distributed"] = std::move(distributed);
    out["student"] = {{"model", spec.studentModel}};
    if (!spec.studentInit.empty()) out["student"]["init"] = spec.studentInit;
    json method = spec.method.params;
    method["name"] = spec.method.name;
    out["method"] = method;
    if (spec.teacher.present()) {
        json teacher = json::object();
        if (!spec.teacher.model.empty()) teacher["model"] = spec.teacher.model;
        if (spec.teacher.runId) teacher["run_id"] = *spec.teacher.runId;
        if (!spec.teacher.runName.empty()) teacher["run_name"] = spec.teacher.runName;
        if (!spec.teacher.checkpoint.empty()) teacher["checkpoint"] = spec.teacher.checkpoint;
        if (!spec.teacher.stateDict.empty()) teacher["state_dict"] = spec.teacher.stateDict;
        if (!spec.teacher.torchscript.empty()) teacher["torchscript"] = spec.teacher.torchscript;
        if (!spec.teacher.stem.empty()) teacher["stem"] = spec.teacher.stem;
        if (!spec.teacher.stages.empty()) teacher["stages"] = spec.teacher.stages;
        if (!spec.teacher.classifier.empty()) teacher["classifier"] = spec.teacher.classifier;
        out["teacher"] = teacher;
    }
    return out;
}

}  // namespace distillery::spec
