#pragma once
// What a swept field of the designer may take, and which of a study's grid values its sweep editor
// can show: a number (a list, or a linspace/logspace range), a whole number (a list, or a range with a
// step), a choice (the checked ones of its choices) or a check box (on, off or both). Taken from the
// spec-field table, the model zoo and the method catalog, as the form's single-value editors are.
#include <optional>

#include <nlohmann/json.hpp>

#include <QString>
#include <QStringList>

namespace distillery::spec {
struct ParamDecl;
struct SpecField;
}  // namespace distillery::spec

namespace distillery::views {

struct SweepDomain {
    enum class Kind { Number, Integer, Choice, Bool };
    Kind kind = Kind::Number;
    QStringList choices;   // Choice: the values, in the order the list shows them

    // A table field of kind Int, Double, Choice or Bool; nothing for text, folders and lists.
    static std::optional<SweepDomain> ofSpecField(const spec::SpecField& field);
    // A method parameter of kind Number or Choice; nothing for lists of names or numbers (their
    // sweeps, lists of lists, stay in the study file).
    static std::optional<SweepDomain> ofParam(const spec::ParamDecl& param);
    // The form's sweepable field at a spec path: a table field, "student.model", "method.name" (the
    // catalog's methods) or "method.X", a parameter of methodName. Nothing where the form has none.
    static std::optional<SweepDomain> ofPath(const QString& path, const QString& methodName);

    // The sweep editor shows this grid value as it is: a list of values of this kind (the choices'
    // own, each once), or a range of the kind's ({"linspace"|"logspace": [from, to, count]} for
    // numbers, {"range": [from, to, step]} for whole numbers).
    bool accepts(const nlohmann::json& gridValue) const;
};

}  // namespace distillery::views
