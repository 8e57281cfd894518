#include "spec/DescribeProtocol.h"

#include "spec/JsonText.h"

namespace distillery::spec {

using nlohmann::json;

namespace {

json netJson(const std::optional<NetDescription>& net) {
    if (!net) return nullptr;
    json stages = json::array();
    for (const auto& s : net->stages) stages.push_back({{"channels", s.channels}, {"height", s.height}, {"width", s.width}});
    return {{"model", net->model}, {"params", net->params}, {"stages", stages}};
}

// A member absent or null reads as its default; one of another type throws json::type_error.
template <typename T>
T member(const json& object, const char* key, T fallback) {
    const auto it = object.find(key);
    return it == object.end() || it->is_null() ? fallback : it->get<T>();
}

std::optional<NetDescription> netFromJson(const json& value) {
    if (!value.is_object()) return std::nullopt;
    NetDescription net;
    net.model = member<std::string>(value, "model", "");
    net.params = member<int64_t>(value, "params", 0);
    for (const json& s : member<json>(value, "stages", json::array()))
        net.stages.push_back({member<int64_t>(s, "channels", 0), member<int64_t>(s, "height", 0),
                              member<int64_t>(s, "width", 0)});
    return net;
}

bool sameErrors(const std::vector<SpecError>& a, const std::vector<SpecError>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i].path != b[i].path || a[i].message != b[i].message) return false;
    return true;
}

}  // namespace

bool PairDescription::operator==(const PairDescription& other) const {
    return teacher == other.teacher && student == other.student && spots == other.spots &&
           sameErrors(errors, other.errors);
}

json toJson(const PairDescription& description) {
    json spots = json::array();
    for (const auto& spot : description.spots)
        spots.push_back({{"name", spot.name},
                         {"teacher_stage", spot.teacherStage},
                         {"student_stage", spot.studentStage},
                         {"connector", spot.connector}});
    json errors = json::array();
    for (const auto& e : description.errors) errors.push_back({{"path", e.path}, {"message", e.message}});
    return {{"teacher", netJson(description.teacher)},
            {"student", netJson(description.student)},
            {"spots", spots},
            {"errors", errors}};
}

std::optional<PairDescription> pairDescriptionFromJson(const json& root, std::string* error) {
    const auto fail = [error](const std::string& why) -> std::optional<PairDescription> {
        if (error) *error = why;
        return std::nullopt;
    };
    if (!root.is_object() || !root.contains("spots") || !root.contains("errors")) return fail("no spots or errors");
    if (!root["spots"].is_array() || !root["errors"].is_array()) return fail("spots and errors are not arrays");
    PairDescription description;
    try {
        description.teacher = netFromJson(member<json>(root, "teacher", nullptr));
        description.student = netFromJson(member<json>(root, "student", nullptr));
        for (const json& spot : root["spots"])
            description.spots.push_back({member<std::string>(spot, "name", ""),
                                         member<int64_t>(spot, "teacher_stage", SpotDescription::kLogits),
                                         member<int64_t>(spot, "student_stage", SpotDescription::kLogits),
                                         member<std::string>(spot, "connector", "")});
        for (const json& e : root["errors"])
            description.errors.push_back({member<std::string>(e, "path", ""), member<std::string>(e, "message", "")});
    } catch (const json::exception& e) {
        return fail(std::string("a member has the wrong type: ") + e.what());
    }
    return description;
}

std::optional<PairDescription> pairDescriptionFromText(const std::string& text, std::string* error) {
    const JsonText parsed = parseJsonText(text);
    if (!parsed.ok()) {
        if (error) *error = parsed.error->toString();
        return std::nullopt;
    }
    return pairDescriptionFromJson(parsed.value, error);
}

}  // namespace distillery::spec
