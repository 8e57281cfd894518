// Study files (Study.h): reading the study object, expanding its grid, random draws, seeds and
// teachers into runs, and the plan table.
#include "spec/Study.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <unordered_set>

#include "spec/Catalog.h"
#include "spec/ObjectReader.h"

namespace distillery::spec {

using nlohmann::json;

namespace {

constexpr size_t kMaxValuesPerKey = kMaxStudyRuns;            // a longer list cannot fit in a study anyway
constexpr size_t kMaxPointsBeforeMerge = 10 * kMaxStudyRuns;  // building more specs only to merge them is too slow
constexpr size_t kMaxLabelPart = 32;
constexpr size_t kMaxLabel = 80;
constexpr size_t kMaxErrorsPerField = 3;                      // of runs; the rest are counted

using Varied = std::vector<std::pair<std::string, json>>;

// One value a grid key or a random draw gives a configuration: where it goes and what the run records.
struct Setting {
    std::string path;                      // "optim.lr", or "method" for a whole block
    json value;
    std::string origin;                    // the study field it comes from: "grid.optim.lr", "grid.method[2]"
    Varied varied;                         // (path, value); a block: its name and sub-grid values
    std::vector<std::string> labelParts;
};

// A grid key and its values, or a random space key and its distribution.
struct Axis {
    std::string key;
    std::vector<Setting> options;
};
struct Distribution {
    std::string key, kind;                 // kind: uniform | log_uniform | int_uniform | choice
    json args;
};

struct Configuration {
    json spec;                             // without name and seed
    Varied varied;
    std::vector<std::string> labelParts;
    std::vector<std::pair<std::string, std::string>> applied;   // (path, origin) of the settings it took
    std::string label;
};

bool safeName(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '_' || c == '+' || c == '-';
    });
}
const char* kSafeNameRule = "letters, digits and . _ + - only (it is part of run and file names)";

std::string sanitized(const std::string& s, size_t maxLength) {
    std::string out;
    for (unsigned char c : s) out += std::isalnum(c) || c == '.' || c == '_' || c == '+' || c == '-' ? char(c) : '_';
    return out.substr(0, maxLength);
}

// 4, 0.05, 1e-5: short enough for a run name, exact for the values people write.
std::string compactNumber(double x) {
    if (std::floor(x) == x && std::fabs(x) < 1e15) return std::to_string(int64_t(x));
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.6g", x);
    std::string text = buffer;
    const size_t e = text.find('e');
    if (e == std::string::npos) return text;
    const bool negative = text[e + 1] == '-';
    const size_t digits = text.find_first_not_of("+-0", e + 1);   // "e-05" -> "e-5"
    return text.substr(0, e) + (negative ? "e-" : "e") +
           text.substr(digits == std::string::npos ? text.size() - 1 : digits);
}

std::string cellText(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number()) return compactNumber(v.get<double>());
    return describeValue(v);
}

// "lr0.05", "T4", "resnet14", "no-augment", "milestones-4+5": the field's last name and the value.
std::string labelPart(const std::string& path, const json& v, size_t index) {
    static const std::vector<std::pair<std::string, std::string>> abbreviations = {
        {"batch_size", "bs"}, {"weight_decay", "wd"}, {"label_smoothing", "ls"}, {"warmup_epochs", "warmup"}};
    std::string field = path.substr(path.rfind('.') + 1);
    for (const auto& [name, shortName] : abbreviations)
        if (field == name) field = shortName;
    std::string part;
    if (v.is_string()) part = v.get<std::string>();
    else if (v.is_number()) part = field + compactNumber(v.get<double>());
    else if (v.is_boolean()) part = v.get<bool>() ? field : "no-" + field;
    else if (v.is_array() && std::all_of(v.begin(), v.end(), [](const json& x) { return x.is_primitive(); })) {
        part = field + "-";
        for (size_t i = 0; i < v.size(); ++i) part += (i ? "+" : "") + cellText(v[i]);
    } else part = field + std::to_string(index + 1);
    return sanitized(part, kMaxLabelPart);
}

// x to 15 significant digits: 0.1 + 2 * 0.1 is 0.3, as written, not 0.30000000000000004. (strtod, not
// stod: stod throws on a subnormal result.)
double roundedTo15(double x) { return std::strtod(formatNumber(x).c_str(), nullptr); }

bool splitPath(const std::string& path, std::vector<std::string>& parts) {
    parts.clear();
    size_t start = 0;
    for (size_t dot; (dot = path.find('.', start)) != std::string::npos; start = dot + 1)
        parts.push_back(path.substr(start, dot - start));
    parts.push_back(path.substr(start));
    return std::none_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); });
}

// Sets a dotted path, creating missing objects; false where a part on the way is not an object.
bool setPath(json& root, const std::string& path, const json& value) {
    std::vector<std::string> parts;
    splitPath(path, parts);
    json* node = &root;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
        json& child = (*node)[parts[i]];
        if (child.is_null()) child = json::object();
        if (!child.is_object()) return false;
        node = &child;
    }
    (*node)[parts.back()] = value;
    return true;
}

bool containsPath(const json& root, const std::string& path) {
    std::vector<std::string> parts;
    splitPath(path, parts);
    const json* node = &root;
    for (const auto& part : parts) {
        if (!node->is_object() || !node->contains(part)) return false;
        node = &node->at(part);
    }
    return true;
}

// The method a spec's JSON names: ce when it names none, "" when "method" is malformed (the spec
// parser reports that).
std::string methodNameOf(const json& spec) {
    if (!spec.contains("method")) return "ce";
    const json& method = spec.at("method");
    if (!method.is_object()) return "";
    if (!method.contains("name")) return "ce";
    return method.at("name").is_string() ? method.at("name").get<std::string>() : "";
}

// Keys that apply only to some methods: "method.T" to methods declaring T, "teacher…" to methods
// that distil from a teacher.
bool methodDependent(const std::string& path) {
    return (path.rfind("method.", 0) == 0 && path != "method.name") || path == "teacher" ||
           path.rfind("teacher.", 0) == 0;
}
bool applies(const std::string& path, const std::string& method) {
    if (!methodDependent(path)) return true;
    const MethodDecl* decl = findMethod(method);
    if (path.rfind("method.", 0) == 0) return decl && decl->param(path.substr(7));
    return !decl || decl->needsTeacher;   // an unknown method is reported by the spec parser
}

size_t saturatingProduct(size_t a, size_t b) { return b != 0 && a > SIZE_MAX / b ? SIZE_MAX : a * b; }

std::string plural(size_t n, const std::string& word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

class StudyReader {
public:
    explicit StudyReader(std::vector<SpecError>& errors) : errors_(errors) {}

    std::optional<StudyPlan> read(const json& root);

private:
    void error(const std::string& path, const std::string& message) { errors_.push_back({path, message}); }
    std::optional<std::vector<json>> values(const json& v, const std::string& path);
    std::optional<std::vector<json>> rangeValues(const json& v, const std::string& path);
    void readGrid(const json& grid);
    void readMethodAxis(const json& list);
    void readRandom(const json& random);
    bool checkKey(const std::string& key, const std::string& at);
    void checkMethodKeys();
    std::vector<Configuration> expand();
    Configuration configure(const std::vector<Setting>& settings, size_t draw);
    void assignLabels(std::vector<Configuration>& configurations) const;
    void addRuns(StudyPlan& plan, std::vector<Configuration>& configurations);
    void reportRunErrors(const ParseResult& parsed, const std::string& prefix, const Configuration* c,
                         const std::vector<std::pair<const json*, std::string>>& origins);

    std::vector<SpecError>& errors_;
    std::string name_;
    json base_ = json::object();
    std::map<std::string, json> teachers_;   // key -> partial spec
    std::vector<Axis> axes_;
    std::vector<Distribution> space_;
    int64_t draws_ = 1, randomSeed_ = 0;
    std::vector<int64_t> seeds_;
    std::set<std::string> reported_;         // run errors already shown for an earlier configuration
    std::map<std::string, size_t> shownAt_;  // run errors shown per field: a bad range fails many runs alike
    size_t notShown_ = 0;
};

std::optional<std::vector<json>> StudyReader::rangeValues(const json& v, const std::string& path) {
    static const std::vector<std::string> kinds = {"linspace", "logspace", "range"};
    if (v.size() != 1 || std::find(kinds.begin(), kinds.end(), v.begin().key()) == kinds.end()) {
        error(path, "must be a list of values or one range: {\"linspace\": [from, to, count]}, {\"logspace\": [from, "
                    "to, count]} or {\"range\": [from, to, step]}, got " + describeValue(v));
        return std::nullopt;
    }
    const std::string kind = v.begin().key();
    const json& a = v.begin().value();
    const std::string at = path + "." + kind;
    const bool numbers = a.is_array() && a.size() == 3 && std::all_of(a.begin(), a.end(), [](const json& x) {
                             return x.is_number() && std::isfinite(x.get<double>());
                         });
    if (!numbers) {
        error(at, std::string("must be three numbers [from, to, ") + (kind == "range" ? "step" : "count") +
                      "], got " + describeValue(a));
        return std::nullopt;
    }
    const double from = a[0].get<double>(), to = a[1].get<double>();
    bool integers = a[0].is_number_integer() && a[1].is_number_integer();
    size_t count = 0;
    if (kind == "range") {
        const double step = a[2].get<double>();
        integers = a[0].is_number_integer() && a[2].is_number_integer();
        const double steps = step == 0 ? -1 : (to - from) / step;
        if (steps < 0) {
            error(at, "step must be non-zero and lead from " + formatNumber(from) + " to " + formatNumber(to) +
                          ", got " + formatNumber(step));
            return std::nullopt;
        }
        if (steps >= double(kMaxValuesPerKey)) {
            error(at, "gives more than " + std::to_string(kMaxValuesPerKey) + " values; use a larger step");
            return std::nullopt;
        }
        count = size_t(std::floor(steps + 1e-9 * std::max(1.0, steps))) + 1;   // `to` counts within 1e-9
    } else {
        const auto n = wholeNumber(a[2], 1, int64_t(kMaxValuesPerKey));
        if (!n) {
            error(at, "count must be a whole number in " + range(1, int64_t(kMaxValuesPerKey)) + ", got " +
                          describeValue(a[2]));
            return std::nullopt;
        }
        count = size_t(*n);
        if (kind == "logspace" && !(from > 0 && to > 0)) {
            error(at, "from and to must be > 0 (values are spaced geometrically), got " + describeValue(a));
            return std::nullopt;
        }
    }
    std::vector<double> xs;
    for (size_t i = 0; i < count; ++i) {
        const double t = count == 1 ? 0 : double(i) / double(count - 1);
        double x = kind == "range"      ? from + double(i) * a[2].get<double>()
                   : kind == "linspace" ? from + t * (to - from)
                                        : std::pow(10.0, std::log10(from) + t * (std::log10(to) - std::log10(from)));
        if (kind != "range" && i + 1 == count && count > 1) x = to;   // the ends exactly as written
        if (i == 0) x = from;
        xs.push_back(roundedTo15(x));
        integers = integers && std::floor(xs.back()) == xs.back() && std::fabs(xs.back()) < 9e15;
    }
    std::vector<json> out;
    for (const double x : xs) out.push_back(integers ? json(int64_t(x)) : json(x));
    return out;
}

// A grid key's values: a non-empty list or a range.
std::optional<std::vector<json>> StudyReader::values(const json& v, const std::string& path) {
    if (v.is_object()) return rangeValues(v, path);
    if (!v.is_array() || v.empty()) {
        error(path, "must be a non-empty list of values or a range such as {\"linspace\": [2, 8, 4]}, got " +
                        describeValue(v));
        return std::nullopt;
    }
    if (v.size() > kMaxValuesPerKey) {
        error(path, "lists " + std::to_string(v.size()) + " values, more than " + std::to_string(kMaxValuesPerKey));
        return std::nullopt;
    }
    return v.get<std::vector<json>>();
}

// Paths that would not reach the run spec as given, or that the study sets itself.
bool StudyReader::checkKey(const std::string& key, const std::string& at) {
    std::vector<std::string> parts;
    if (!splitPath(key, parts)) error(at, "is not a field path such as \"optim.lr\" or \"method.T\"");
    else if (parts[0] == "seed") error(at, "the seeds come from \"seeds\"; vary them there");
    else if (parts[0] == "name") error(at, "run names are made from the study's name, the label and the seed");
    else return true;
    return false;
}

void StudyReader::readMethodAxis(const json& list) {
    const std::string path = "grid.method";
    if (!list.is_array() || list.empty()) {
        error(path, "must be a non-empty list of method blocks such as [{\"name\": \"ce\"}, {\"name\": \"kd\", \"T\": "
                    "[2, 4]}], got " + describeValue(list));
        return;
    }
    Axis axis{"method", {}};
    for (size_t i = 0; i < list.size(); ++i) {
        const std::string at = path + "[" + std::to_string(i) + "]";
        const json& block = list[i];
        if (!block.is_object() || !block.contains("name") || !block["name"].is_string()) {
            error(at, "must be a method block with a name, such as {\"name\": \"kd\", \"T\": 4}, got " +
                          describeValue(block));
            continue;
        }
        const std::string name = block["name"].get<std::string>();
        const MethodDecl* decl = findMethod(name);
        if (!decl) {
            std::vector<std::string> known;
            for (const auto& m : methodCatalog()) known.push_back(m.name);
            error(at + ".name", "unknown method \"" + name + "\"; known: " + joinNames(known));
            continue;
        }
        const json label = block.contains("label") ? block["label"] : json(name);
        const bool labelOk = label.is_string() && safeName(label.get<std::string>());
        if (!labelOk)
            error(at + ".label", std::string("must be a name of ") + kSafeNameRule + ", got " + describeValue(label));
        json fixed = json::object();
        std::vector<std::pair<std::string, std::vector<json>>> subGrid;   // parameters listing several values
        size_t combinations = 1;
        for (auto it = block.begin(); it != block.end(); ++it) {
            if (it.key() == "name" || it.key() == "label") continue;
            const ParamDecl* p = decl->param(it.key());
            if (!p) {
                std::vector<std::string> params;
                for (const auto& q : decl->params) params.push_back(q.name);
                error(at + "." + it.key(), "is not a parameter of " + name + "; its parameters: " +
                                               (params.empty() ? std::string("none") : joinNames(params)));
                continue;
            }
            const json& v = it.value();
            // A list is one value of a names or numbers parameter, several values of the others.
            const bool scalarKind = p->kind == ParamKind::Number || p->kind == ParamKind::Choice;
            const bool listOfLists = v.is_array() && !v.empty() &&
                                     std::all_of(v.begin(), v.end(), [](const json& x) { return x.is_array(); });
            const bool several =
                scalarKind ? v.is_array() || (v.is_object() && p->kind == ParamKind::Number) : listOfLists;
            if (!several) {
                fixed[it.key()] = v;
                continue;
            }
            if (auto list = values(v, at + "." + it.key())) {
                combinations = saturatingProduct(combinations, list->size());
                subGrid.emplace_back(it.key(), std::move(*list));
            }
        }
        if (combinations > kMaxPointsBeforeMerge - axis.options.size()) {   // all blocks together
            error(at, "its sub-grid gives " + std::to_string(combinations) + " blocks, more than a study can run");
            continue;
        }
        for (size_t k = 0; k < combinations; ++k) {   // the first parameter outermost
            Setting s{"method", fixed, at, {{"method.name", name}}, {labelOk ? label.get<std::string>() : name}};
            s.value["name"] = name;
            size_t rest = k, stride = combinations;
            for (const auto& [param, options] : subGrid) {
                stride /= options.size();
                const size_t index = rest / stride;
                rest %= stride;
                s.value[param] = options[index];
                s.varied.emplace_back("method." + param, options[index]);
                s.labelParts.push_back(labelPart(param, options[index], index));
            }
            axis.options.push_back(std::move(s));
        }
    }
    if (!axis.options.empty()) axes_.push_back(std::move(axis));
}

void StudyReader::readGrid(const json& grid) {
    for (auto it = grid.begin(); it != grid.end(); ++it) {
        const std::string at = "grid." + it.key();
        if (it.key() == "method") {
            readMethodAxis(it.value());
            continue;
        }
        if (!checkKey(it.key(), at)) continue;
        if (it.key() == "method.name" && grid.contains("method")) {
            error(at, "conflicts with grid.method, which lists whole method blocks; give the methods there");
            continue;
        }
        const auto list = values(it.value(), at);
        if (!list) continue;
        Axis axis{it.key(), {}};
        for (size_t i = 0; i < list->size(); ++i) {
            const json& v = (*list)[i];
            axis.options.push_back({it.key(), v, at, {{it.key(), v}}, {labelPart(it.key(), v, i)}});
        }
        axes_.push_back(std::move(axis));
    }
}

void StudyReader::readRandom(const json& random) {
    ObjectReader r(random, "random", errors_);
    if (!r.has("n")) error("random.n", "is required: the configurations drawn per grid point");
    r.read("n", draws_, 1, int64_t(kMaxStudyRuns));
    r.read("seed", randomSeed_, 0, limits::kMaxSeed);
    const json* space = r.object("space");
    r.rejectUnknown();
    if (!r.has("space") || (space && space->empty()))
        error("random.space",
              "must map fields to distributions, such as {\"optim.lr\": {\"log_uniform\": [0.001, 0.3]}}");
    if (!space) return;
    for (auto it = space->begin(); it != space->end(); ++it) {
        const std::string at = "random.space." + it.key();
        if (!checkKey(it.key(), at)) continue;
        bool inGrid = false;
        for (const auto& axis : axes_) inGrid |= axis.key == it.key();
        if (inGrid) {
            error(at, "is also a grid key; vary it in one place");
            continue;
        }
        const json& d = it.value();
        const std::string kind = d.is_object() && d.size() == 1 ? d.begin().key() : "";
        const json args = kind.empty() ? json() : d.begin().value();
        const bool pair = args.is_array() && args.size() == 2 && args[0].is_number() && args[1].is_number() &&
                          std::isfinite(args[0].get<double>()) && std::isfinite(args[1].get<double>()) &&
                          args[0].get<double>() <= args[1].get<double>();
        bool ok = false;
        if (kind == "uniform") ok = pair;
        else if (kind == "log_uniform") ok = pair && args[0].get<double>() > 0;
        else if (kind == "int_uniform") ok = pair && wholeNumber(args[0], -limits::kMaxSeed, limits::kMaxSeed) &&
                                             wholeNumber(args[1], -limits::kMaxSeed, limits::kMaxSeed);
        else if (kind == "choice") ok = args.is_array() && !args.empty();
        if (!ok) {
            error(at, "must be one distribution: {\"uniform\": [lo, hi]}, {\"log_uniform\": [lo, hi]} (lo > 0), "
                      "{\"int_uniform\": [lo, hi]} (whole numbers) or {\"choice\": [value, …]}, with lo <= hi; got " +
                          describeValue(d));
            continue;
        }
        space_.push_back({it.key(), kind, args});
    }
}

// A "method.X" key must apply to some method of the study, and not also vary in a method block.
void StudyReader::checkMethodKeys() {
    std::set<std::string> methods;
    for (const auto& axis : axes_)
        for (const auto& option : axis.options)
            if (axis.key == "method") methods.insert(option.value.at("name").get<std::string>());
            else if (axis.key == "method.name" && option.value.is_string())
                methods.insert(option.value.get<std::string>());
    for (const auto& d : space_)
        if (d.key == "method.name" && d.kind == "choice")
            for (const auto& v : d.args)
                if (v.is_string()) methods.insert(v.get<std::string>());
    if (methods.empty() && !methodNameOf(base_).empty()) methods.insert(methodNameOf(base_));
    if (methods.empty()) return;   // the base's malformed method is reported by the spec parser
    auto check = [&](const std::string& key, const std::string& at) {
        if (key.rfind("method.", 0) != 0 || key == "method.name") return true;
        const std::string param = key.substr(7);
        bool declared = false;
        for (const auto& m : methods) declared |= applies(key, m);
        if (!declared) {
            error(at, "no method of this study has a parameter \"" + param + "\" (its methods: " +
                          joinNames({methods.begin(), methods.end()}) + ")");
            return false;
        }
        for (const auto& axis : axes_)
            for (const auto& option : axis.options)
                for (const auto& [path, value] : option.varied)
                    if (axis.key == "method" && path == key) {
                        error(at, "is also varied by " + option.origin + "." + param + "; vary it in one place");
                        return false;
                    }
        return true;
    };
    axes_.erase(std::remove_if(axes_.begin(), axes_.end(),
                               [&](const Axis& a) { return !check(a.key, "grid." + a.key); }),
                axes_.end());
    space_.erase(std::remove_if(space_.begin(), space_.end(),
                                [&](const Distribution& d) { return !check(d.key, "random.space." + d.key); }),
                 space_.end());
}

// Uniform in [0, 1) from 53 bits: the same on every standard library, unlike std::uniform_real_distribution.
double unitDraw(std::mt19937_64& generator) { return double(generator() >> 11) * 0x1.0p-53; }

json drawValue(const Distribution& d, double u) {
    if (d.kind == "choice") return d.args[std::min(d.args.size() - 1, size_t(u * double(d.args.size())))];
    if (d.kind == "int_uniform") {
        const int64_t lo = *wholeNumber(d.args[0], -limits::kMaxSeed, limits::kMaxSeed);
        const int64_t hi = *wholeNumber(d.args[1], -limits::kMaxSeed, limits::kMaxSeed);
        return std::min(hi, lo + int64_t(std::floor(u * double(hi - lo + 1))));   // min: rounding at u near 1
    }
    const double lo = d.args[0].get<double>(), hi = d.args[1].get<double>();
    if (d.kind == "log_uniform") return std::exp(std::log(lo) + u * (std::log(hi) - std::log(lo)));
    return lo + u * (hi - lo);
}

// The base with one grid point's values and one draw's, where they apply.
Configuration StudyReader::configure(const std::vector<Setting>& settings, size_t draw) {
    Configuration c;
    c.spec = base_;
    c.spec.erase("name");
    c.spec.erase("seed");
    auto set = [&](const Setting& s) {
        if (!setPath(c.spec, s.path, s.value) && reported_.insert(s.origin).second)
            error(s.origin, "cannot be set: a part of \"" + s.path + "\" is not an object in the base spec");
    };
    // The method first: whether method.X and teacher keys apply depends on it.
    for (const auto& s : settings)
        if (!methodDependent(s.path)) set(s);
    const std::string method = methodNameOf(c.spec);
    for (const auto& s : settings)
        if (methodDependent(s.path) && applies(s.path, method)) set(s);
    if (!applies("teacher", method)) c.spec.erase("teacher");
    bool drawn = false;
    for (const auto& s : settings) {
        if (!applies(s.path, method)) continue;
        c.varied.insert(c.varied.end(), s.varied.begin(), s.varied.end());
        c.labelParts.insert(c.labelParts.end(), s.labelParts.begin(), s.labelParts.end());
        c.applied.emplace_back(s.path, s.origin);
        drawn |= s.origin.rfind("random.", 0) == 0;
    }
    if (drawn) c.labelParts.push_back("r" + std::to_string(draw + 1));   // drawn values are too long for a name
    return c;
}

std::vector<Configuration> StudyReader::expand() {
    size_t points = 1;
    for (const auto& axis : axes_) points = saturatingProduct(points, axis.options.size());
    const size_t perPoint = space_.empty() ? 1 : size_t(draws_);
    const size_t candidates = saturatingProduct(points, perPoint);
    if (saturatingProduct(candidates, seeds_.size()) > kMaxStudyRuns && candidates > kMaxPointsBeforeMerge) {
        error("(study)", "the grid and random draws give " + std::to_string(candidates) + " configurations × " +
                             plural(seeds_.size(), "seed") + ", more than the limit of " +
                             std::to_string(kMaxStudyRuns) + " runs; shorten the grid or random.n");
        return {};
    }
    std::mt19937_64 generator(static_cast<uint64_t>(randomSeed_));
    std::vector<Configuration> out;
    std::unordered_set<std::string> seen;   // spec texts: identical configurations are kept once
    std::vector<Setting> settings;
    for (size_t point = 0; point < points; ++point) {
        for (size_t draw = 0; draw < perPoint; ++draw) {
            settings.clear();
            size_t rest = point, stride = points;   // the first grid key outermost
            for (const auto& axis : axes_) {
                stride /= axis.options.size();
                settings.push_back(axis.options[rest / stride]);
                rest %= stride;
            }
            for (const auto& d : space_) {   // one number per key, whether or not it applies
                const json v = drawValue(d, unitDraw(generator));
                settings.push_back({d.key, v, "random.space." + d.key, {{d.key, v}}, {}});
            }
            Configuration c = configure(settings, draw);
            // Past the limit only counted, for the message.
            const std::string text = c.spec.dump(-1, ' ', false, json::error_handler_t::replace);
            if (seen.insert(text).second && seen.size() * seeds_.size() <= kMaxStudyRuns)
                out.push_back(std::move(c));
        }
    }
    if (seen.size() > out.size()) {
        error("(study)", "expands to " + plural(seen.size(), "configuration") + " × " + plural(seeds_.size(), "seed") +
                             " = " + std::to_string(seen.size() * seeds_.size()) +
                             " student runs, more than the limit of " + std::to_string(kMaxStudyRuns) +
                             " runs; shorten the grid, random.n or the seeds");
        return {};
    }
    return out;
}

// A run's errors, prefixed with its configuration. An unknown field that a grid or random key put
// there is that key's error; one written in the base or a teacher's spec is shown there.
void StudyReader::reportRunErrors(const ParseResult& parsed, const std::string& prefix, const Configuration* c,
                                  const std::vector<std::pair<const json*, std::string>>& origins) {
    for (const SpecError& e : parsed.errors) {
        SpecError shown{prefix + "." + e.path, e.message};
        std::string key = e.path + '\n' + e.message;   // the same mistake in every configuration is shown once
        if (e.message.rfind("unknown field", 0) == 0) {
            bool fromStudy = false;
            for (size_t i = 0; c && i < c->applied.size() && !fromStudy; ++i) {
                const auto& [path, origin] = c->applied[i];
                if (path == e.path || path.rfind(e.path + ".", 0) == 0) {
                    shown = {origin, "does not name a field of a run spec (" + e.path + ": " + e.message + ")"};
                    fromStudy = true;
                }
            }
            for (size_t i = 0; i < origins.size() && !fromStudy; ++i)
                if (containsPath(*origins[i].first, e.path)) {
                    shown = {origins[i].second + "." + e.path, e.message};
                    fromStudy = true;
                }
            key = shown.path + '\n' + shown.message;
        }
        if (!reported_.insert(key).second) continue;
        if (++shownAt_[e.path] > kMaxErrorsPerField) ++notShown_;
        else errors_.push_back(std::move(shown));
    }
}

// Unique labels, with -2, -3 where two configurations would share one; with nothing varied, the
// base's name.
void StudyReader::assignLabels(std::vector<Configuration>& configurations) const {
    std::set<std::string> labels;
    for (const auto& [key, partial] : teachers_) labels.insert("teacher-" + key);
    const bool named = base_.contains("name") && base_["name"].is_string() && !base_["name"].get<std::string>().empty();
    const std::string fallback = named ? sanitized(base_["name"].get<std::string>(), kMaxLabel) : "base";
    for (auto& c : configurations) {
        std::string label;
        for (const auto& part : c.labelParts) label += (label.empty() ? "" : "-") + part;
        label = label.empty() ? fallback : label.substr(0, kMaxLabel);
        c.label = label;
        for (int n = 2; !labels.insert(c.label).second; ++n) c.label = label + "-" + std::to_string(n);
    }
}

void StudyReader::addRuns(StudyPlan& plan, std::vector<Configuration>& configurations) {
    assignLabels(configurations);
    auto runName = [&](const std::string& label, int64_t seed) {
        return name_ + "-" + label + "-s" + std::to_string(seed);
    };

    std::vector<StudyRun> students;
    std::set<std::string> usedTeachers;
    for (const auto& c : configurations) {
        for (const int64_t seed : seeds_) {
            json spec = c.spec;
            spec["seed"] = seed;
            // A study of one unnamed configuration (a design over seeds) names its runs <study>-s<seed>.
            spec["name"] = c.labelParts.empty() && c.label == "base" ? name_ + "-s" + std::to_string(seed)
                                                                     : runName(c.label, seed);
            if (spec.contains("teacher") && spec["teacher"].is_object() && spec["teacher"].contains("run_name") &&
                spec["teacher"]["run_name"].is_string()) {
                const std::string key = spec["teacher"]["run_name"].get<std::string>();
                if (teachers_.count(key)) {   // other names are runs of the store
                    spec["teacher"]["run_name"] = runName("teacher-" + key, seed);
                    usedTeachers.insert(key);
                }
            }
            const ParseResult parsed = parseRunSpec(spec);
            reportRunErrors(parsed, "runs of configuration \"" + c.label + "\" (seed " + std::to_string(seed) + ")", &c,
                            {{&base_, "base"}});
            if (parsed.spec) students.push_back({*parsed.spec, false, c.label, c.varied});
        }
    }
    for (const auto& key : usedTeachers) {
        json spec = base_;
        for (const char* notInherited : {"teacher", "method", "name"}) spec.erase(notInherited);
        spec.merge_patch(teachers_[key]);
        for (const int64_t seed : seeds_) {
            spec["seed"] = seed;
            spec["name"] = runName("teacher-" + key, seed);
            const ParseResult parsed = parseRunSpec(spec);
            reportRunErrors(parsed, "runs of teacher \"" + key + "\" (seed " + std::to_string(seed) + ")", nullptr,
                            {{&teachers_[key], "teachers." + key}, {&base_, "base"}});
            if (parsed.spec) plan.runs.push_back({*parsed.spec, true, "teacher-" + key, {}});
        }
    }
    if (notShown_ > 0)
        error("(study)", plural(notShown_, "more error") + " of other runs at the same fields, not shown");
    const size_t total = plan.runs.size() + students.size();
    if (total > kMaxStudyRuns)
        error("(study)", "expands to " + std::to_string(total) + " runs (" + plural(plan.runs.size(), "teacher run") +
                             " + " + plural(configurations.size(), "configuration") + " × " +
                             plural(seeds_.size(), "seed") + "), more than the limit of " +
                             std::to_string(kMaxStudyRuns) + "; shorten the grid, random.n or the seeds");
    std::move(students.begin(), students.end(), std::back_inserter(plan.runs));
    for (const auto& run : plan.runs)
        for (const auto& [path, value] : run.varied)
            if (std::find(plan.variedFields.begin(), plan.variedFields.end(), path) == plan.variedFields.end())
                plan.variedFields.push_back(path);
}

std::optional<StudyPlan> StudyReader::read(const json& root) {
    StudyPlan plan;
    plan.source = root;
    ObjectReader r(root, "", errors_);
    r.read("study", name_);
    if (root.at("study").is_string() && (!safeName(name_) || name_.size() > 64))
        error("study", std::string("must be the study's name, at most 64 characters: ") + kSafeNameRule + ", got " +
                           describeValue(root.at("study")));
    plan.name = name_;
    r.read("description", plan.description);
    if (const json* base = r.object("base")) base_ = *base;
    if (base_.contains("seed")) error("base.seed", "the seeds come from \"seeds\"; remove it here");
    if (const json* teachers = r.object("teachers")) {
        for (auto it = teachers->begin(); it != teachers->end(); ++it) {
            const std::string at = "teachers." + it.key();
            const json& partial = it.value();
            if (!safeName(it.key())) error(at, std::string("a teacher's key must be a name of ") + kSafeNameRule);
            else if (!partial.is_object())
                error(at, "must be a partial run spec such as {\"student\": {\"model\": \"resnet20\"}}, got " +
                              describeValue(partial));
            else if (partial.contains("seed")) error(at + ".seed", "the seeds come from \"seeds\"; remove it here");
            else if (partial.contains("name"))
                error(at + ".name", "teacher runs are named <study>-teacher-<key>-s<seed>; remove it here");
            else teachers_[it.key()] = partial;
        }
    }
    if (const json* grid = r.object("grid")) {
        if (grid->empty()) error("grid", "lists no fields; remove it or list some: {\"optim.lr\": [0.05, 0.1]}");
        readGrid(*grid);
    }
    if (const json* random = r.object("random")) readRandom(*random);
    checkMethodKeys();
    const json seeds = r.has("seeds") ? r.raw("seeds") : json();
    if (!seeds.is_array() || seeds.empty())
        error("seeds", "is required: a non-empty list of distinct seeds such as [1, 2, 3], got " +
                           describeValue(seeds));
    for (size_t i = 0; seeds.is_array() && i < seeds.size(); ++i) {
        const std::string at = "seeds[" + std::to_string(i) + "]";
        const auto seed = wholeNumber(seeds[i], 0, limits::kMaxSeed);
        if (!seed)
            error(at, "must be a whole number in " + range(0, limits::kMaxSeed) + ", got " + describeValue(seeds[i]));
        else if (std::find(seeds_.begin(), seeds_.end(), *seed) != seeds_.end())
            error(at, "repeats seed " + std::to_string(*seed) + "; seeds must be distinct");
        else seeds_.push_back(*seed);
    }
    if (const json* early = r.object("early_stopping")) {
        ObjectReader e(*early, "early_stopping", errors_);
        EarlyStopping& rule = plan.earlyStopping;
        e.read("rule", rule.rule);
        if (rule.rule != "none" && rule.rule != "median")
            error("early_stopping.rule", "must be \"none\" or \"median\" (stop a run whose metric is below the "
                                         "median of the other runs at the same epoch), got \"" + rule.rule + "\"");
        e.read("grace_epochs", rule.graceEpochs, 1, limits::kMaxEpochs, "epochs before the rule may stop a run");
        e.read("min_runs", rule.minRuns, 1, int64_t(kMaxStudyRuns), "runs at an epoch before their median counts");
        e.rejectUnknown();
    }
    r.rejectUnknown();
    // Run errors are still worth showing beside the study's own: expand what was readable.
    if (seeds_.empty()) seeds_.push_back(0);
    std::vector<Configuration> configurations = expand();
    if (!configurations.empty()) addRuns(plan, configurations);
    if (!errors_.empty()) return std::nullopt;
    return plan;
}

}  // namespace

size_t StudyPlan::configurations() const {
    std::set<std::string> labels;
    for (const auto& run : runs)
        if (!run.teacher) labels.insert(run.configuration);
    return labels.size();
}

bool isStudy(const json& root) { return root.is_object() && root.contains("study"); }

StudyParse parseStudy(const json& root) {
    StudyParse result;
    if (!isStudy(root)) {
        result.errors.push_back({"(study)", "must be a JSON object with \"study\": the study's name"});
        return result;
    }
    result.plan = StudyReader(result.errors).read(root);
    return result;
}

std::string formatPlan(const StudyPlan& plan) {
    size_t teacherRuns = 0, seedsPerConfiguration = 0;
    // One row per configuration, in the runs' order: its label, varied values and seeds.
    std::vector<std::vector<std::string>> rows = {{"configuration"}};
    rows[0].insert(rows[0].end(), plan.variedFields.begin(), plan.variedFields.end());
    rows[0].push_back("seeds");
    std::vector<std::string> seeds;
    for (size_t i = 0; i < plan.runs.size(); ++i) {
        const StudyRun& run = plan.runs[i];
        teacherRuns += run.teacher ? 1 : 0;
        seeds.push_back(std::to_string(run.spec.seed));
        if (i + 1 < plan.runs.size() && plan.runs[i + 1].configuration == run.configuration) continue;
        if (!run.teacher) seedsPerConfiguration = seeds.size();
        std::vector<std::string> row = {run.configuration};
        for (const auto& field : plan.variedFields) {
            std::string cell = "-";
            for (const auto& [path, value] : run.varied)
                if (path == field) cell = cellText(value);
            row.push_back(cell);
        }
        std::string joined;
        for (const auto& s : seeds) joined += (joined.empty() ? "" : ",") + s;
        row.push_back(joined);
        rows.push_back(std::move(row));
        seeds.clear();
    }
    // Widths in characters, not bytes: a value may hold UTF-8.
    auto width = [](const std::string& s) {
        return size_t(std::count_if(s.begin(), s.end(), [](unsigned char c) { return (c & 0xC0) != 0x80; }));
    };
    std::vector<size_t> widths(rows[0].size(), 0);
    for (const auto& row : rows)
        for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], width(row[i]));

    const size_t studentRuns = plan.runs.size() - teacherRuns;
    std::string out = "study " + plan.name + (plan.description.empty() ? "" : ": " + plan.description) + "\n";
    out += plural(plan.runs.size(), "run") + ": " + plural(teacherRuns, "teacher run") + " + " +
           plural(studentRuns, "student run") + " (" + plural(plan.configurations(), "configuration") + " × " +
           plural(seedsPerConfiguration, "seed") + ")\n";
    const EarlyStopping& rule = plan.earlyStopping;
    const std::string ruleText = rule.rule + " (after " + plural(size_t(rule.graceEpochs), "grace epoch") + ", once " +
                                 plural(size_t(rule.minRuns), "run") + " reached the epoch)";
    out += "early stopping: " + (rule.enabled() ? ruleText : std::string("none")) + "\n\n";
    for (const auto& row : rows) {
        std::string line;
        for (size_t i = 0; i < row.size(); ++i)
            line += row[i] + (i + 1 < row.size() ? std::string(widths[i] - width(row[i]) + 2, ' ') : "");
        out += line + "\n";
    }
    return out;
}

}  // namespace distillery::spec
