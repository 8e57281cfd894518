// Experiment files: one run spec, {"name": …, "runs": [spec, …]} (RunSpec.h) or a study (Study.h).
#include <filesystem>
#include <fstream>
#include <set>

#include "spec/JsonText.h"
#include "spec/ObjectReader.h"
#include "spec/RunSpec.h"
#include "spec/Study.h"

namespace distillery::spec {

using nlohmann::json;

std::string ExperimentParse::errorText() const {
    std::string out;
    for (const auto& e : errors) out += e.toString() + "\n";
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
    if (isStudy(root)) {
        StudyParse study = parseStudy(root);
        result.errors = std::move(study.errors);
        if (study.plan) {
            result.name = study.plan->name;
            for (const auto& run : study.plan->runs) result.runs.push_back(run.spec);
            result.study = std::move(study.plan);
        }
        return result;
    }
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
        result.errors.push_back({"runs", "must be a non-empty list of run specs, got " + describeValue(runs)});
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
