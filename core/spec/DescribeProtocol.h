#pragma once
// The answer of `distillery-engine describe`, declared once for both ends: the engine fills a
// PairDescription and prints toJson(); the designer reads it back with pairDescriptionFromJson().
// The teacher's and the student's stage shapes, the spots the method distils with the connector it
// inserts at each, and the spec's errors by field path.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "spec/RunSpec.h"

namespace distillery::spec {

struct StageShape {
    int64_t channels = 0;
    int64_t height = 0;
    int64_t width = 0;
    bool operator==(const StageShape& other) const {
        return channels == other.channels && height == other.height && width == other.width;
    }
};

struct NetDescription {
    std::string model;   // "resnet20", "torchscript teacher.pt"
    int64_t params = 0;
    std::vector<StageShape> stages;   // none for a TorchScript teacher without a stage layout
    bool operator==(const NetDescription& other) const {
        return model == other.model && params == other.params && stages == other.stages;
    }
};

struct SpotDescription {
    // Stage indices are 0-based, or one of these (methods::Spot's values, the last stage resolved).
    static constexpr int64_t kPooled = -2;
    static constexpr int64_t kLogits = -3;
    std::string name;   // "stage 2", "pooled", "logits", "nst@stage3"
    int64_t teacherStage = kLogits;
    int64_t studentStage = kLogits;
    std::string connector;   // what the method inserts there; "none" when the two are compared directly
    bool operator==(const SpotDescription& other) const {
        return name == other.name && teacherStage == other.teacherStage && studentStage == other.studentStage &&
               connector == other.connector;
    }
};

struct PairDescription {
    std::optional<NetDescription> teacher;   // none: the method has no teacher, or it could not be built
    std::optional<NetDescription> student;   // none: the student part of the spec does not parse
    std::vector<SpotDescription> spots;
    std::vector<SpecError> errors;           // the parser's and those building the nets and the method found
    bool operator==(const PairDescription& other) const;
};

nlohmann::json toJson(const PairDescription& description);
// Reads what toJson wrote. Nothing, with *error set, when json is not that object; members a reader
// does not know are ignored.
std::optional<PairDescription> pairDescriptionFromJson(const nlohmann::json& json, std::string* error = nullptr);
// The same from the engine's output text (spec::parseJsonText: bounded, never throws).
std::optional<PairDescription> pairDescriptionFromText(const std::string& text, std::string* error = nullptr);

}  // namespace distillery::spec
