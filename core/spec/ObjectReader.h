#pragma once
// Reading a spec's JSON objects field by field, for the spec parsers (RunSpec.cpp, Experiment.cpp):
// every wrong type, out-of-range number and unknown key becomes an error with its path and a fix.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "spec/Catalog.h"
#include "spec/RunSpec.h"

namespace distillery::spec {

// Numbers as people write them: 1e+20, 2.5, 70000 (nlohmann writes 1e12 as 1000000000000.0).
std::string formatNumber(double x);
// Numbers as the older messages print them (six significant digits).
std::string shortNumber(double x);
// A value as an error message quotes it, cut to 40 characters.
std::string describeValue(const nlohmann::json& value);
// The value as a whole number in [lo, hi], or nothing.
std::optional<int64_t> wholeNumber(const nlohmann::json& v, int64_t lo, int64_t hi);
// "[lo, hi]"
std::string range(int64_t lo, int64_t hi);

// Reads the fields of one JSON object, recording an error for every wrong type and, at the end,
// for every key nobody asked for (a typo such as "lrr" must not be silently ignored).
class ObjectReader {
public:
    ObjectReader(const nlohmann::json& object, std::string path, std::vector<SpecError>& errors)
        : object_(object), path_(std::move(path)), errors_(errors) {}

    std::string at(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
    bool has(const std::string& key) const { return object_.contains(key); }
    const nlohmann::json& raw(const std::string& key) {
        known_.insert(key);
        return object_.at(key);
    }
    void error(const std::string& key, const std::string& message) { errors_.push_back({at(key), message}); }

    void read(const std::string& key, std::string& out) {
        known_.insert(key);
        if (!has(key)) return;
        const nlohmann::json& v = object_.at(key);
        if (v.is_string()) out = v.get<std::string>();
        else error(key, "must be a string, got " + describeValue(v));
    }
    // A whole number in [lo, hi]; `why` explains a bound that is not obvious. Out of range, the
    // field keeps its default and the error says so: never a wrapped or clamped value.
    bool read(const std::string& key, int64_t& out, int64_t lo, int64_t hi, const std::string& why = "") {
        known_.insert(key);
        if (!has(key)) return true;
        const nlohmann::json& v = object_.at(key);
        if (const auto n = wholeNumber(v, lo, hi)) {
            out = *n;
            return true;
        }
        error(key, "must be a whole number in " + range(lo, hi) + ", got " + describeValue(v) + (why.empty() ? "" : "; " + why));
        return false;
    }
    // A finite number; each field's range is checked by the caller, which knows the other fields.
    void read(const std::string& key, double& out) {
        known_.insert(key);
        if (!has(key)) return;
        const nlohmann::json& v = object_.at(key);
        if (!v.is_number()) error(key, "must be a number, got " + describeValue(v));
        else if (!std::isfinite(v.get<double>())) error(key, "must be a finite number, got " + describeValue(v));
        else out = v.get<double>();
    }
    // Marks a field as known without reading it (it is reported otherwise).
    void skip(const std::string& key) { known_.insert(key); }
    void read(const std::string& key, bool& out) {
        known_.insert(key);
        if (!has(key)) return;
        const nlohmann::json& v = object_.at(key);
        if (v.is_boolean()) out = v.get<bool>();
        else error(key, "must be true or false, got " + describeValue(v));
    }
    // A list of whole numbers, each in [lo, hi].
    void read(const std::string& key, std::vector<int64_t>& out, int64_t lo, int64_t hi) {
        known_.insert(key);
        if (!has(key)) return;
        const nlohmann::json& v = object_.at(key);
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
        else error(key, "must be a list of whole numbers in " + range(lo, hi) + " such as [30, 60], got " + describeValue(v));
    }
    void read(const std::string& key, std::vector<std::string>& out) {
        known_.insert(key);
        if (!has(key)) return;
        const nlohmann::json& v = object_.at(key);
        bool ok = v.is_array() && v.size() <= size_t(limits::kMaxListItems);
        if (ok)
            for (const auto& item : v) ok = ok && item.is_string() && !item.get<std::string>().empty();
        if (ok) out = v.get<std::vector<std::string>>();
        else error(key, "must be a list of names such as [\"layer1\", \"layer2\"] (at most " +
                            std::to_string(limits::kMaxListItems) + "), got " + describeValue(v));
    }
    // An object member; an error when present but not an object.
    const nlohmann::json* object(const std::string& key) {
        known_.insert(key);
        if (!has(key)) return nullptr;
        if (object_.at(key).is_object()) return &object_.at(key);
        error(key, "must be an object {…}, got " + describeValue(object_.at(key)));
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
    const nlohmann::json& object_;
    std::string path_;
    std::vector<SpecError>& errors_;
    std::set<std::string> known_;
};

}  // namespace distillery::spec
