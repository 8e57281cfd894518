#include "spec/ProgressLine.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "spec/JsonText.h"

namespace distillery::spec {

namespace {

double numberOr(const nlohmann::json& object, const char* key, double fallback) {
    const auto value = object.find(key);
    return value != object.end() && value->is_number() ? value->get<double>() : fallback;
}

// Whole numbers only, as JSON writes them ("120" or "120.0"); anything else reads as the default.
int64_t integerOr(const nlohmann::json& object, const char* key, int64_t fallback) {
    const auto value = object.find(key);
    if (value == object.end() || !value->is_number()) return fallback;
    if (value->is_number_unsigned())
        return value->get<uint64_t>() <= uint64_t(INT64_MAX) ? value->get<int64_t>() : fallback;
    if (value->is_number_integer()) return value->get<int64_t>();
    const double number = value->get<double>();
    const bool whole = std::isfinite(number) && std::trunc(number) == number && std::fabs(number) < 9.0e18;
    return whole ? static_cast<int64_t>(number) : fallback;
}

}  // namespace

nlohmann::json toJson(const ProgressLine& p) {
    return {{"type", "progress"},      {"run", p.runId},
            {"epoch", p.epoch},         {"epochs", p.epochs},
            {"step", p.step},           {"total_steps", p.totalSteps},
            {"loss", p.loss},           {"acc", p.trainAcc},
            {"val_acc", p.valAcc},      {"eta_s", p.etaSeconds},
            {"progress", p.fraction},   {"images_per_s", p.imagesPerSecond},
            {"phase", p.phase}};
}

std::optional<ProgressLine> parseProgressLine(const std::string& line) {
    const JsonText parsed = parseJsonText(line);
    if (!parsed.ok() || !parsed.value.is_object()) return std::nullopt;
    const nlohmann::json& object = parsed.value;
    const auto type = object.find("type");
    if (type == object.end() || !type->is_string() || type->get<std::string>() != "progress") return std::nullopt;
    ProgressLine p;
    p.runId = integerOr(object, "run", 0);
    const auto phase = object.find("phase");
    if (phase != object.end() && phase->is_string()) p.phase = phase->get<std::string>();
    p.epoch = integerOr(object, "epoch", 0);
    p.epochs = integerOr(object, "epochs", 0);
    p.step = integerOr(object, "step", 0);
    p.totalSteps = integerOr(object, "total_steps", 0);
    p.loss = numberOr(object, "loss", 0);
    p.trainAcc = numberOr(object, "acc", 0);
    p.valAcc = numberOr(object, "val_acc", -1);
    p.etaSeconds = numberOr(object, "eta_s", -1);
    p.fraction = std::clamp(numberOr(object, "progress", 0), 0.0, 1.0);
    p.imagesPerSecond = numberOr(object, "images_per_s", 0);
    return p;
}

}  // namespace distillery::spec
