#pragma once
// The designer's rows for the plain spec fields, built from spec::specFields() as MethodForm builds
// a method's parameters from its declaration: the label, the editor for the field's kind (a spin box
// over the declared range, whose 0 reads as what it stands for; a number line; a menu; a check box;
// a folder with a browse button), the help as tool tip, and the row shown only while the field
// applies. It writes the fields as typed into the spec's JSON, for the parser to judge. Number, choice
// and check-box fields can be swept (SweepDomain::ofSpecField): their rows carry a sweep toggle.
#include <string>

#include <nlohmann/json.hpp>

#include <QList>
#include <QString>
#include <QStringList>

class QFormLayout;
class QWidget;

namespace distillery::spec {
struct SpecField;
}

namespace distillery::views {

class FormFields;

class SpecFieldEditors {
public:
    explicit SpecFieldEditors(FormFields& fields) : fields_(fields) {}

    // Adds a row for each table field of the group, in the table's order, except those in skip (the
    // fields the designer edits its own way).
    void addGroup(QFormLayout* form, const std::string& group, const QStringList& skip = {});

    // The fields that apply under the form's current choices, as typed: a number that is not one
    // stays text so that the parser names it; empty text and fields written only when set are left
    // out at their defaults, as toJson leaves them out. A field whose applying depends on a field in
    // swept (schedule.milestones on a swept schedule.name) is left out at its default too: a study's
    // configurations then take its default where it applies and have no error where it does not.
    void write(nlohmann::json& spec, const QStringList& swept = {}) const;
    // Each field from its place in the spec, else its default.
    void fill(const nlohmann::json& spec);
    // Shows the rows of the fields that apply under the current choices.
    void updateVisibility() const;

    // Whether the field applies under the form's current choices (true for a path the table lacks):
    // a sweep of a field that does not apply is left out of the study, as its value is of the spec.
    bool applies(const QString& path) const;

    QWidget* editor(const QString& path) const;
    // The field's value as text: a menu's current text, a line's text, a spin box's number.
    QString text(const QString& path) const;

private:
    struct Entry {
        const spec::SpecField* field = nullptr;
        QWidget* editor = nullptr;
    };
    QWidget* createEditor(const spec::SpecField& field) const;
    bool appliesNow(const spec::SpecField& field) const;
    nlohmann::json value(const Entry& entry) const;
    void show(const Entry& entry, const nlohmann::json& object) const;
    const Entry* find(const QString& path) const;

    FormFields& fields_;
    QList<Entry> entries_;
};

}  // namespace distillery::views
