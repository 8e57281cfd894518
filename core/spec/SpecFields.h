#pragma once
// The plain fields of a run spec, declared once: path, kind, default, bounds, help and the condition
// under which each applies. The reader takes its bounds and its "applies to … only" errors from here,
// toJson writes what applies, and the designer builds its form rows from it (as MethodForm does from
// the method catalog). The teacher, the student and the method have editors and rules of their own
// and are read by hand (RunSpec.cpp); they are not in this table. The seed is, though the designer
// edits it as a list of seeds.
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "spec/RunSpec.h"

namespace distillery::spec {

// AdamW's weight decay when the spec gives none (PyTorch's default); SGD's is OptimSpec's.
constexpr double kAdamwDefaultWeightDecay = 0.01;

enum class FieldKind {
    Int,       // a whole number in [min, max]
    Double,    // a finite number; [min, max] with the open ends below
    String,    // free text
    Folder,    // a folder's path
    Choice,    // one of `choices`
    Bool,
    IntList,   // whole numbers, each in [min, max]
};

// When a field applies: always (no controlling field), or when a field of the same object holds
// one of `values` (or, negated, none of them).
struct FieldCondition {
    std::string path;                   // "data.name"; empty: always
    std::vector<std::string> values;
    bool negated = false;
    bool always() const { return path.empty(); }
    bool holds(const std::string& controllingValue) const;
};

struct SpecField {
    std::string path;                   // "optim.lr", "checkpoint_minutes"
    FieldKind kind = FieldKind::Int;
    std::string group;                  // the designer's section ("Data", "Training", …)
    std::string label;                  // the designer's label
    std::string help;                   // what it means, with its range when that helps
    double min = 0, max = 0;            // inclusive unless open below; a bound set by another field
                                        // (val_size, min_lr, …) is checked by the reader itself
    bool minOpen = false, maxOpen = false;
    std::string zeroMeans;              // Int: what 0 stands for ("all cores"), when it is special
    std::string hint;                   // the grey text an empty editor shows, or a check box's text
    std::vector<std::string> choices;   // Choice: the values, in the order a menu lists them
    bool editable = false;              // Choice: other text allowed too (device: cuda:N)
    FieldCondition appliesWhen;
    // The reader's error when the field is given where it does not apply; "{}" stands for the
    // controlling field's value.
    std::string notApplicable;
    // false: written only when not at its default, so that specs stored before the field existed
    // read the same (and an empty name or folder is left out).
    bool writtenAtDefault = true;
    std::function<nlohmann::json(const RunSpec&)> get;
    std::function<void(RunSpec&, const nlohmann::json&)> set;   // a value the reader accepted

    std::string object() const;         // "data"; "" at the top level
    std::string key() const;            // "name" of "data.name"
    nlohmann::json defaultValue() const { return get(RunSpec{}); }
};

// In the designer's order, group by group.
const std::vector<SpecField>& specFields();
// The field at a path ("optim.lr"); throws std::out_of_range for a path the table does not have.
const SpecField& specField(const std::string& path);
bool isSpecField(const std::string& path);

// The value of a field of spec as text, as a condition compares it ("synthetic", "adamw").
std::string conditionValue(const RunSpec& spec, const std::string& path);
bool applies(const SpecField& field, const RunSpec& spec);
// The field's notApplicable text with the controlling value put in.
std::string notApplicableMessage(const SpecField& field, const std::string& controllingValue);

// "[0, 1)", "(0, 100]": the field's range as the reader's messages write it.
std::string rangeText(const SpecField& field);
bool inRange(const SpecField& field, double value);

// The table's fields of one object ("" = top level, "data", "optim", "schedule") as toJson writes them:
// those that apply, those written only when set left out at their defaults.
void writeFields(const RunSpec& spec, const std::string& object, nlohmann::json& out);

}  // namespace distillery::spec
