#include "spec/RunSpec.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <limits>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "spec/Catalog.h"
#include "spec/JsonText.h"

namespace distillery::spec {

using nlohmann::json;

namespace {

// Numbers as people write them: 1e+20, 2.5, 70000 (nlohmann writes 1e12 as 1000000000000.0).
std::string formatNumber(double x) {
    std::ostringstream s;
    s << std::setprecision(15) << x;
    return s.str();
}

std::string describe(const json& value) {
    if (value.is_number_float()) return formatNumber(value.get<double>());
    // replace: a string built in code (not parsed) may hold invalid UTF-8, which dump() would throw on.
    std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
    return text.size() > 40 ? text.substr(0, 37) + "..." : text;
}

// The value as a whole number in [lo, hi], or nothing. A float is compared as a double before it is
// cast: casting 1e20 to int64_t is undefined behaviour, and a wrapped value would pass later checks.
std::optional<int64_t> wholeNumber(const json& v, int64_t lo, int64_t hi) {
    if (v.is_number_unsigned()) {   // nlohmann keeps 2^63..2^64-1 as unsigned: get<int64_t> would wrap
        const uint64_t u = v.get<uint64_t>();
        if (hi < 0 || u > static_cast<uint64_t>(hi)) return std::nullopt;
        const auto i = static_cast<int64_t>(u);
        return i < lo ? std::nullopt : std::optional<int64_t>(i);
    }
    if (v.is_number_integer()) {
        const auto i = v.get<int64_t>();
        return i < lo || i > hi ? std::nullopt : std::optional<int64_t>(i);
    }
    if (v.is_number_float()) {
        const double x = v.get<double>();
        constexpr double kTwoTo63 = 9223372036854775808.0;
        if (!std::isfinite(x) || std::floor(x) != x || x < -kTwoTo63 || x >= kTwoTo63) return std::nullopt;
        const auto i = static_cast<int64_t>(x);
        return i < lo || i > hi ? std::nullopt : std::optional<int64_t>(i);
    }
    return std::nullopt;
}

std::string range(int64_t lo, int64_t hi) { return "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]"; }

// Reads the fields of one JSON object, recording an error for every wrong type and, at the end,
// for every key nobody asked for (a typo such as "lrr" must not be silently ignored).
class ObjectReader {
public:
    ObjectReader(const json& object, std::string path, std::vector<SpecError>& errors)
        : object_(object), path_(std::move(path)), errors_(errors) {}

    std::string at(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
    bool has(const std::string& key) const { return object_.contains(key); }
    const json& raw(const std::string& key) {
        known_.insert(key);
        return object_.at(key);
    }
    void error(const std::string& key, const std::string& message) { errors_.push_back({at(key), message}); }

    void read(const std::string& key, std::string& out) {
        known_.insert(key);
        if (!has(key)) return;
        const json& v = object_.at(key);
        if (v.is_string()) out = v.get<std::string>();
        else error(key, "must be a string, got " + describe(v));
    }
    // A whole number in [lo, hi]; `why` explains a bound that is not obvious. Out of range, the
    // field keeps its default and the error says so: never a wrapped or clamped value.
    bool read(const std::string& key, int64_t& out, int64_t lo, int64_t hi, const std::string& why = "") {
        known_.insert(key);
        if (!has(key)) return true;
        const json& v = object_.at(key);
        if (const auto n = wholeNumber(v, lo, hi)) {
            out = *n;
            return true;
        }
        error(key, "must be a whole number in " + range(lo, hi) + ", got " + describe(v) + (why.empty() ? "" : "; " + why));
        return false;
    }
    // A finite number; each field's range is checked by the caller, which knows the other fields.
    void read(const std::string& key, double& out) {
        known_.insert(key);
        if (!has(key)) return;
        const json& v = object_.at(key);
        if (!v.is_number()) error(key, "must be a number, got " + describe(v));
        else if (!std::isfinite(v.get<double>())) error(key, "must be a finite number, got " + describe(v));
        else out = v.get<double>();
    }
    // Marks a field as known without reading it (it is reported otherwise).
    void skip(const std::string& key) { known_.insert(key); }
    void read(const std::string& key, bool& out) {
        known_.insert(key);
        if (!has(key)) return;
        const json& v = object_.at(key);
        if (v.is_boolean()) out = v.get<bool>();
        else error(key, "must be true or false, got " + describe(v));
    }
    // A list of whole numbers, each in [lo, hi].
    void read(const std::string& key, std::vector<int64_t>& out, int64_t lo, int64_t hi) {
        known_.insert(key);
        if (!has(key)) return;
        const json& v = object_.at(key);
        std::vector<int64_t> numbers;
        bool ok = v.is_array();
        if (ok)
            for (const auto& item : v) {
                const auto n = wholeNumber(item, lo, hi);
                ok = ok && n.has_value();
                if (!ok) break;
                numbers.push_back(*n);
            }
        if (ok) out = std::move(numbers);
        else error(key, "must be a list of whole numbers in " + range(lo, hi) + " such as [30, 60], got " + describe(v));
    }
    void read(const std::string& key, std::vector<std::string>& out) {
        known_.insert(key);
        if (!has(key)) return;
        const json& v = object_.at(key);
        bool ok = v.is_array() && v.size() <= size_t(limits::kMaxListItems);
        if (ok)
            for (const auto& item : v) ok = ok && item.is_string() && !item.get<std::string>().empty();
        if (ok) out = v.get<std::vector<std::string>>();
        else error(key, "must be a list of names such as [\"layer1\", \"layer2\"] (at most " +
                            std::to_string(limits::kMaxListItems) + "), got " + describe(v));
    }
    // An object member; an error when present but not an object.
    const json* object(const std::string& key) {
        known_.insert(key);
        if (!has(key)) return nullptr;
        if (object_.at(key).is_object()) return &object_.at(key);
        error(key, "must be an object {…}, got " + describe(object_.at(key)));
        return nullptr;
    }
    void rejectUnknown() {
        for (auto it = object_.begin(); it != object_.end(); ++it) {
            if (known_.count(it.key())) continue;
            std::vector<std::string> known(known_.begin(), known_.end());
            error(it.key(), "unknown field; known fields here: " + joinNames(known));
        }
    }

private:
    const json& object_;
    std::string path_;
    std::vector<SpecError>& errors_;
    std::set<std::string> known_;
};

std::string join(const std::string& prefix, const std::string& path) {
    return prefix.empty() ? path : prefix + "." + path;
}

void readData(ObjectReader& top, const std::string& prefix, DataSpec& data, std::vector<SpecError>& errors) {
    const json* node = top.object("data");
    if (!node) return;
    ObjectReader r(*node, join(prefix, "data"), errors);
    r.read("name", data.name);
    r.read("root", data.root);
    r.read("augment", data.augment);

    const auto& names = datasetNames();
    if (std::find(names.begin(), names.end(), data.name) == names.end())
        errors.push_back({r.at("name"), "unknown data set \"" + data.name + "\"; known: " + joinNames(names)});
    if (data.root.empty() && (data.name == "mnist" || data.name == "cifar10" || data.name == "cifar100"))
        errors.push_back({r.at("root"), "is required for " + data.name +
                                            ": the folder holding its files (Distillery never downloads data)"});

    // The shape first: the sizes below are bounded by it.
    const char* syntheticOnly[] = {"channels", "height", "width", "num_classes", "train_size", "test_size"};
    if (data.name == "synthetic") {
        using namespace limits;
        r.read("channels", data.channels, 1, kMaxSyntheticChannels);
        r.read("height", data.height, kMinSyntheticSide, kMaxSyntheticSide);
        r.read("width", data.width, kMinSyntheticSide, kMaxSyntheticSide);
        r.read("num_classes", data.numClasses, 2, kMaxSyntheticClasses);
        r.read("train_size", data.trainSize, 1, kMaxSyntheticImages);
        r.read("test_size", data.testSize, 1, kMaxSyntheticImages);
    } else {
        for (const char* key : syntheticOnly) {
            r.skip(key);
            if (node->contains(key))
                errors.push_back({r.at(key), std::string("applies to the synthetic data set only; ") + data.name +
                                                 " has a fixed shape, remove this field"});
        }
    }

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
    const DataShape shape = dataShape(data);
    const int64_t side = std::min({shape.height, shape.width, limits::kMaxPad});
    r.read("pad", data.pad, 0, side,
           "at most " + std::to_string(limits::kMaxPad) + " and the image side (" +
               std::to_string(std::min(shape.height, shape.width)) + " px)");
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
    r.read("torchscript", teacher.torchscript);
    r.read("stem", teacher.stem);
    r.read("stages", teacher.stages);
    r.read("classifier", teacher.classifier);
    r.rejectUnknown();
    const int sources = (teacher.runId ? 1 : 0) + (teacher.runName.empty() ? 0 : 1) +
                        (teacher.checkpoint.empty() ? 0 : 1) + (teacher.torchscript.empty() ? 0 : 1);
    if (sources > 1)
        errors.push_back({join(prefix, "teacher"), "give one of run_id, run_name, checkpoint or torchscript, not several"});
    if (sources == 0)
        errors.push_back({join(prefix, "teacher"),
                          "needs trained weights: give run_id (a finished run), run_name (the newest finished run "
                          "with that name), checkpoint (a file the engine wrote) or torchscript (torch.jit.save)"});
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
        return "must be a number in [" + formatNumber(p.min) + ", " + formatNumber(p.max) + "], got " + describe(v) +
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
            return "must be one of " + joinNames(p.choices) + ", got " + describe(value) + " (" + p.help + ")";
        return std::nullopt;
    case ParamKind::Names:
        if (!value.is_array() || value.empty())
            return "must be a non-empty list of names, e.g. [\"" + joinNames(p.defaultNames) + "\"], got " +
                   describe(value) + " (" + p.help + ")";
        if (auto problem = tooLong(value)) return problem;
        for (const auto& v : value) {
            if (!v.is_string()) return "must list names (strings), got " + describe(v);
            const std::string name = v.get<std::string>();
            if (!isChoice(name.substr(0, name.find('@'))))
                return "\"" + name + "\" names no known kind; known: " + joinNames(p.choices) + " (" + p.help + ")";
        }
        return std::nullopt;
    case ParamKind::Numbers:
        if (!value.is_array()) return "must be a list of numbers, got " + describe(value) + " (" + p.help + ")";
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
    else if (node->contains("name")) errors.push_back({path + ".name", "must be a string, got " + describe((*node)["name"])});
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

void readOptim(ObjectReader& top, const std::string& prefix, OptimSpec& optim, std::vector<SpecError>& errors) {
    const json* node = top.object("optim");
    if (!node) return;
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
    if (optim.name != "sgd" && optim.name != "adamw")
        errors.push_back({r.at("name"), "unknown optimiser \"" + optim.name + "\"; known: sgd, adamw"});
    const std::vector<const char*> sgdOnly = {"momentum", "nesterov"}, adamwOnly = {"beta1", "beta2", "eps"};
    for (const char* key : optim.name == "adamw" ? sgdOnly : adamwOnly)
        if (node->contains(key))
            errors.push_back({r.at(key), std::string("does not apply to ") + optim.name + "; remove it"});
    if (optim.name == "adamw" && !node->contains("weight_decay")) optim.weightDecay = 0.01;   // PyTorch's default
    for (auto [key, value] : {std::pair<const char*, double>{"beta1", optim.beta1}, {"beta2", optim.beta2}})
        if (value < 0 || value >= 1) {
            std::ostringstream s;
            s << "must be in [0, 1), got " << value;
            errors.push_back({r.at(key), s.str()});
        }
    if (!(optim.eps > 0 && optim.eps <= 1)) errors.push_back({r.at("eps"), "must be in (0, 1], got " + formatNumber(optim.eps)});
    if (optim.gradClip < 0) errors.push_back({r.at("grad_clip"), "must be >= 0 (0 turns clipping off)"});
    if (optim.gradClip > limits::kMaxGradClip)
        errors.push_back({r.at("grad_clip"), "must be at most " + formatNumber(limits::kMaxGradClip) + ", got " +
                                                 formatNumber(optim.gradClip) + " (0 turns clipping off)"});
    if (optim.labelSmoothing < 0 || optim.labelSmoothing >= 1) {
        std::ostringstream s;
        s << "must be in [0, 1), got " << optim.labelSmoothing;
        errors.push_back({r.at("label_smoothing"), s.str()});
    }
    if (!(optim.lr > 0)) {
        errors.push_back({r.at("lr"), "must be > 0, got " + formatNumber(optim.lr)});
    } else if (optim.lr > limits::kMaxLearningRate) {
        errors.push_back({r.at("lr"), "must be at most " + formatNumber(limits::kMaxLearningRate) + ", got " +
                                          formatNumber(optim.lr) + "; every optimiser here diverges far below that"});
    }
    if (optim.momentum < 0 || optim.momentum >= 1) {
        std::ostringstream s;
        s << "must be in [0, 1), got " << optim.momentum;
        errors.push_back({r.at("momentum"), s.str()});
    }
    if (optim.weightDecay < 0 || optim.weightDecay > limits::kMaxWeightDecay) {
        errors.push_back({r.at("weight_decay"), "must be >= 0 and at most " + formatNumber(limits::kMaxWeightDecay) +
                                                    ", got " + formatNumber(optim.weightDecay)});
    }
    if (optim.nesterov && optim.momentum == 0)
        errors.push_back({r.at("nesterov"), "needs momentum > 0"});
}

void readSchedule(ObjectReader& top, const std::string& prefix, ScheduleSpec& schedule, int64_t epochs, double lr,
                  std::vector<SpecError>& errors) {
    const json* node = top.object("schedule");
    if (!node) return;
    ObjectReader r(*node, join(prefix, "schedule"), errors);
    r.read("name", schedule.name);
    r.read("milestones", schedule.milestones, 1, limits::kMaxEpochs);
    r.read("gamma", schedule.gamma);
    r.read("min_lr", schedule.minLr);
    r.read("warmup_epochs", schedule.warmupEpochs);
    r.rejectUnknown();
    if (schedule.name != "multistep" && schedule.name != "constant" && schedule.name != "cosine")
        errors.push_back({r.at("name"), "unknown schedule \"" + schedule.name + "\"; known: multistep, cosine, constant"});
    if (schedule.name != "multistep" && !schedule.milestones.empty())
        errors.push_back({r.at("milestones"), "apply to the multistep schedule only; remove them"});
    if (schedule.name != "cosine" && node->contains("min_lr"))
        errors.push_back({r.at("min_lr"), "applies to the cosine schedule only; remove it"});
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
            errors.push_back({at, "must be an epoch in [1, " + std::to_string(epochs - 1) + "] (epochs = " +
                                      std::to_string(epochs) + "), got " + std::to_string(m)});
            break;
        }
        if (i > 0 && m <= schedule.milestones[i - 1]) {
            errors.push_back({at, "must be larger than the one before"});
            break;
        }
    }
    if (!(schedule.gamma > 0 && schedule.gamma <= 1)) {
        std::ostringstream s;
        s << "must be in (0, 1], got " << schedule.gamma;
        errors.push_back({r.at("gamma"), s.str()});
    }
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

std::string ExperimentParse::errorText() const {
    std::string out;
    for (const auto& e : errors) out += e.toString() + "\n";
    return out;
}

ParseResult parseRunSpec(const json& node, const std::string& prefix) {
    ParseResult result;
    auto& errors = result.errors;
    if (!node.is_object()) {
        errors.push_back({prefix.empty() ? "(spec)" : prefix, "must be a JSON object {…}, got " + describe(node)});
        return result;
    }
    RunSpec spec;
    ObjectReader r(node, prefix, errors);
    using namespace limits;
    r.read("name", spec.name);
    r.read("epochs", spec.epochs, 1, kMaxEpochs);
    r.read("batch_size", spec.batchSize, 1, kMaxBatchSize);
    r.read("eval_batch_size", spec.evalBatchSize, 1, kMaxBatchSize);
    r.read("seed", spec.seed, 0, kMaxSeed);
    r.read("device", spec.device);
    r.read("precision", spec.precision);
    r.read("threads", spec.threads, 0, kMaxThreads, "0 = all cores");
    r.read("log_every", spec.logEvery, 1, kMaxStepInterval);
    r.read("diagnostics_every", spec.diagnosticsEvery, 0, kMaxStepInterval, "0 = none");
    r.read("max_steps_per_epoch", spec.maxStepsPerEpoch, 0, kMaxStepInterval, "0 = the whole training set");
    r.read("checkpoint_every", spec.checkpointEvery, 0, kMaxEpochs, "0 = last and best only");
    r.read("checkpoint_minutes", spec.checkpointMinutes);
    if (spec.checkpointMinutes < 0 || spec.checkpointMinutes > kMaxCheckpointMinutes)
        errors.push_back({r.at("checkpoint_minutes"), "must be in [0, " + formatNumber(kMaxCheckpointMinutes) +
                                                          "] (0 = only at epoch ends; 10080 = a week), got " +
                                                          formatNumber(spec.checkpointMinutes)});
    r.read("on_nonfinite", spec.onNonFinite);
    if (spec.onNonFinite != "fail" && spec.onNonFinite != "skip_step")
        errors.push_back({r.at("on_nonfinite"), "must be \"fail\" (stop the run at a NaN or infinite loss) or "
                                                "\"skip_step\" (skip that step and count it), got \"" +
                                                    spec.onNonFinite + "\""});
    readData(r, prefix, spec.data, errors);
    readTeacher(r, prefix, spec.teacher, errors);
    if (const json* student = r.object("student")) {
        ObjectReader s(*student, r.at("student"), errors);
        s.read("model", spec.studentModel);
        s.rejectUnknown();
    }
    readMethod(r, prefix, spec.method, errors);
    readOptim(r, prefix, spec.optim, errors);
    readSchedule(r, prefix, spec.schedule, spec.epochs, spec.optim.lr, errors);
    r.rejectUnknown();

    if (!isKnownModel(spec.studentModel))
        errors.push_back({join(prefix, "student.model"),
                          "unknown \"" + spec.studentModel + "\"; known: " + joinNames(modelNames())});
    static const std::regex devicePattern("auto|cpu|cuda(:[0-9]+)?");
    if (!std::regex_match(spec.device, devicePattern))
        errors.push_back({r.at("device"), "must be auto, cpu, cuda or cuda:N, got \"" + spec.device + "\""});
    static const std::regex precisionPattern("fp32|bf16|fp16|auto");
    if (!std::regex_match(spec.precision, precisionPattern))
        errors.push_back({r.at("precision"), "must be fp32, bf16, fp16 or auto, got \"" + spec.precision + "\""});

    if (const MethodDecl* method = findMethod(spec.method.name)) {
        if (method->needsTeacher && !node.contains("teacher"))
            errors.push_back({join(prefix, "teacher"), "method " + method->name +
                                                           " distils from a teacher: add \"teacher\": {\"run_name\": …} "
                                                           "or {\"run_id\": …} or {\"model\": …, \"checkpoint\": …}"});
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

namespace {
// Only the fields that apply to the chosen optimiser and schedule, so the JSON parses back.
json optimJson(const OptimSpec& o) {
    json out = {{"name", o.name}, {"lr", o.lr}, {"weight_decay", o.weightDecay}, {"grad_clip", o.gradClip},
                {"label_smoothing", o.labelSmoothing}};
    if (o.name == "sgd") {
        out["momentum"] = o.momentum;
        out["nesterov"] = o.nesterov;
    } else {
        out["beta1"] = o.beta1;
        out["beta2"] = o.beta2;
        out["eps"] = o.eps;
    }
    return out;
}

json scheduleJson(const ScheduleSpec& s) {
    json out = {{"name", s.name}, {"gamma", s.gamma}, {"warmup_epochs", s.warmupEpochs}};
    if (s.name == "multistep") out["milestones"] = s.milestones;
    if (s.name == "cosine") out["min_lr"] = s.minLr;
    return out;
}
}  // namespace

json toJson(const RunSpec& spec) {
    json data = {{"name", spec.data.name}, {"val_size", spec.data.valSize}, {"train_subset", spec.data.trainSubset},
                 {"augment", spec.data.augment}, {"pad", spec.data.pad}};
    if (!spec.data.root.empty()) data["root"] = spec.data.root;
    if (spec.data.name == "synthetic") {
        data["channels"] = spec.data.channels;
        data["height"] = spec.data.height;
        data["width"] = spec.data.width;
        data["num_classes"] = spec.data.numClasses;
        data["train_size"] = spec.data.trainSize;
        data["test_size"] = spec.data.testSize;
    }
    json method = spec.method.params;
    method["name"] = spec.method.name;
    json out = {{"name", spec.name},
                {"data", data},
                {"student", {{"model", spec.studentModel}}},
                {"method", method},
                {"optim", optimJson(spec.optim)},
                {"schedule", scheduleJson(spec.schedule)},
                {"epochs", spec.epochs},
                {"batch_size", spec.batchSize},
                {"eval_batch_size", spec.evalBatchSize},
                {"seed", spec.seed},
                {"device", spec.device},
                {"precision", spec.precision},
                {"threads", spec.threads},
                {"log_every", spec.logEvery},
                {"diagnostics_every", spec.diagnosticsEvery},
                {"max_steps_per_epoch", spec.maxStepsPerEpoch},
                {"checkpoint_every", spec.checkpointEvery}};
    // Written only when set: specs stored before these fields existed then read the same in
    // comparisons of runs.
    if (spec.checkpointMinutes != 0) out["checkpoint_minutes"] = spec.checkpointMinutes;
    if (spec.onNonFinite != "fail") out["on_nonfinite"] = spec.onNonFinite;
    if (spec.teacher.present()) {
        json teacher = json::object();
        if (!spec.teacher.model.empty()) teacher["model"] = spec.teacher.model;
        if (spec.teacher.runId) teacher["run_id"] = *spec.teacher.runId;
        if (!spec.teacher.runName.empty()) teacher["run_name"] = spec.teacher.runName;
        if (!spec.teacher.checkpoint.empty()) teacher["checkpoint"] = spec.teacher.checkpoint;
        if (!spec.teacher.torchscript.empty()) teacher["torchscript"] = spec.teacher.torchscript;
        if (!spec.teacher.stem.empty()) teacher["stem"] = spec.teacher.stem;
        if (!spec.teacher.stages.empty()) teacher["stages"] = spec.teacher.stages;
        if (!spec.teacher.classifier.empty()) teacher["classifier"] = spec.teacher.classifier;
        out["teacher"] = teacher;
    }
    return out;
}

ExperimentParse parseExperiment(const std::string& text) {
    ExperimentParse result;
    JsonText parsed = parseJsonText(text);
    if (!parsed.ok()) {
        result.errors.push_back(*parsed.error);
        return result;
    }
    const json& root = parsed.value;
    if (!root.is_object() || !root.contains("runs")) {
        ParseResult one = parseRunSpec(root);
        result.errors = std::move(one.errors);
        if (one.spec) {
            result.name = one.spec->name;
            result.runs.push_back(std::move(*one.spec));
        }
        return result;
    }
    ObjectReader r(root, "", result.errors);
    r.read("name", result.name);
    std::string description;                 // free text for people reading the file
    r.read("description", description);
    const json& runs = r.raw("runs");
    r.rejectUnknown();
    if (!runs.is_array() || runs.empty()) {
        result.errors.push_back({"runs", "must be a non-empty list of run specs, got " + describe(runs)});
        return result;
    }
    std::set<std::string> earlierNames;
    for (size_t i = 0; i < runs.size(); ++i) {
        const std::string prefix = "runs[" + std::to_string(i) + "]";
        ParseResult one = parseRunSpec(runs[i], prefix);
        result.errors.insert(result.errors.end(), one.errors.begin(), one.errors.end());
        if (!one.spec) continue;
        if (earlierNames.count(one.spec->name))
            result.errors.push_back({prefix + ".name", "\"" + one.spec->name + "\" is used by an earlier run; names "
                                                                              "must be unique within an experiment"});
        earlierNames.insert(one.spec->name);
        result.runs.push_back(std::move(*one.spec));
    }
    if (result.name.empty() && !result.runs.empty()) result.name = result.runs.front().name;
    return result;
}

ExperimentParse parseExperimentFile(const std::string& path) {
    ExperimentParse unreadable;
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        unreadable.errors.push_back({path, "is a folder, not a spec file"});
        return unreadable;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        unreadable.errors.push_back({path, "cannot be read: the file does not exist or is not readable"});
        return unreadable;
    }
    // Read in pieces up to the limit: the size of a pipe or device is not known beforehand.
    std::string text;
    char buffer[1 << 16];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        text.append(buffer, size_t(in.gcount()));
        if (text.size() > kMaxSpecFileBytes) {
            unreadable.errors.push_back({path, "is larger than " + std::to_string(kMaxSpecFileBytes >> 20) +
                                                   " MiB; a spec file is a few KB: is it the right file?"});
            return unreadable;
        }
    }
    ExperimentParse result = parseExperiment(text);
    for (auto& e : result.errors) e.path = path + ": " + e.path;
    return result;
}

}  // namespace distillery::spec
