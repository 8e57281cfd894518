#include "SpecFieldEditors.h"

#include <algorithm>
#include <limits>

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QSpinBox>

#include "FormFields.h"
#include "FormValues.h"
#include "SweepDomain.h"
#include "spec/SpecFields.h"

namespace distillery::views {

using nlohmann::json;
using spec::FieldKind;

namespace {

int toInt(double bound) {
    return int(std::clamp<double>(bound, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
}

}  // namespace

void SpecFieldEditors::addGroup(QFormLayout* form, const std::string& group, const QStringList& skip) {
    for (const spec::SpecField& field : spec::specFields()) {
        const QString path = QString::fromStdString(field.path);
        if (field.group != group || skip.contains(path)) continue;
        QWidget* editor = createEditor(field);
        const QString label = QString::fromStdString(field.label);
        QWidget* display = field.kind == FieldKind::Folder
                               ? FormFields::withBrowseButton(static_cast<QLineEdit*>(editor), label, QString())
                               : nullptr;
        const QString help = QString::fromStdString(field.help);
        if (const std::optional<SweepDomain> domain = SweepDomain::ofSpecField(field))
            fields_.addSweepable(form, label, path, editor, help, *domain, display);
        else
            fields_.add(form, label, path, editor, help, display);
        // An error about the whole object ("data": …) goes under the field that picks its kind.
        if (field.key() == "name" && !field.object().empty())
            fields_.alias(QString::fromStdString(field.object()), path);
        entries_.append({&field, editor});
    }
}

QWidget* SpecFieldEditors::createEditor(const spec::SpecField& field) const {
    const QString hint = QString::fromStdString(field.hint);
    switch (field.kind) {
    case FieldKind::Int:
        return spinBox(toInt(field.min), toInt(field.max), QString::fromStdString(field.zeroMeans));
    case FieldKind::Choice:
        return comboBox(toQStringList(field.choices), field.editable);
    case FieldKind::Bool:
        return new QCheckBox(hint);
    case FieldKind::Double:
    case FieldKind::String:
    case FieldKind::Folder:
    case FieldKind::IntList: {
        auto* line = new QLineEdit;
        line->setPlaceholderText(hint);
        return line;
    }
    }
    return new QLineEdit;
}

const SpecFieldEditors::Entry* SpecFieldEditors::find(const QString& path) const {
    for (const Entry& entry : entries_)
        if (QString::fromStdString(entry.field->path) == path) return &entry;
    return nullptr;
}

QWidget* SpecFieldEditors::editor(const QString& path) const {
    const Entry* entry = find(path);
    return entry ? entry->editor : nullptr;
}

QString SpecFieldEditors::text(const QString& path) const {
    const Entry* entry = find(path);
    if (!entry) return {};
    if (auto* combo = qobject_cast<QComboBox*>(entry->editor)) return combo->currentText();
    if (auto* line = qobject_cast<QLineEdit*>(entry->editor)) return line->text();
    if (auto* spin = qobject_cast<QSpinBox*>(entry->editor)) return QString::number(spin->value());
    if (auto* check = qobject_cast<QCheckBox*>(entry->editor))
        return check->isChecked() ? QStringLiteral("true") : QStringLiteral("false");
    return {};
}

bool SpecFieldEditors::applies(const QString& path) const {
    const Entry* entry = find(path);
    return !entry || appliesNow(*entry->field);
}

bool SpecFieldEditors::appliesNow(const spec::SpecField& field) const {
    const spec::FieldCondition& condition = field.appliesWhen;
    return condition.always() || condition.holds(text(QString::fromStdString(condition.path)).toStdString());
}

json SpecFieldEditors::value(const Entry& entry) const {
    switch (entry.field->kind) {
    case FieldKind::Int: return static_cast<QSpinBox*>(entry.editor)->value();
    case FieldKind::Double: return numberOrText(static_cast<QLineEdit*>(entry.editor));
    case FieldKind::String:
    case FieldKind::Folder: return static_cast<QLineEdit*>(entry.editor)->text().trimmed().toStdString();
    case FieldKind::Choice: {
        const auto* combo = static_cast<QComboBox*>(entry.editor);
        return (combo->isEditable() ? combo->currentText().trimmed() : combo->currentText()).toStdString();
    }
    case FieldKind::Bool: return static_cast<QCheckBox*>(entry.editor)->isChecked();
    case FieldKind::IntList: return wholeNumbersOrText(static_cast<QLineEdit*>(entry.editor)->text());
    }
    return {};
}

void SpecFieldEditors::write(json& spec, const QStringList& swept) const {
    for (const Entry& entry : entries_) {
        const spec::SpecField& field = *entry.field;
        if (!appliesNow(field)) continue;
        json v = value(entry);
        const bool emptyText = (field.kind == FieldKind::String || field.kind == FieldKind::Folder) && v == "";
        const bool writtenAtDefault =
            field.writtenAtDefault && !swept.contains(QString::fromStdString(field.appliesWhen.path));
        if (emptyText || (!writtenAtDefault && v == field.defaultValue())) continue;
        if (field.object().empty()) spec[field.key()] = std::move(v);
        else spec[field.object()][field.key()] = std::move(v);
    }
}

void SpecFieldEditors::show(const Entry& entry, const json& object) const {
    const spec::SpecField& field = *entry.field;
    const std::string key = field.key();
    json fallback = field.defaultValue();
    // AdamW's usual weight decay differs from SGD's (PyTorch's defaults, as the parser's).
    if (field.path == "optim.weight_decay" && stringAt(object, "name", "") == QLatin1String("adamw"))
        fallback = spec::kAdamwDefaultWeightDecay;
    switch (field.kind) {
    case FieldKind::Int:
        setSpin(static_cast<QSpinBox*>(entry.editor), integerAt(object, key, fallback.get<int64_t>()));
        break;
    case FieldKind::Double:
        static_cast<QLineEdit*>(entry.editor)->setText(numberTextAt(object, key, fallback.get<double>()));
        break;
    case FieldKind::String:
    case FieldKind::Folder:
        static_cast<QLineEdit*>(entry.editor)->setText(stringAt(object, key, fallback.get<std::string>()));
        break;
    case FieldKind::Choice:
        showInCombo(static_cast<QComboBox*>(entry.editor), stringAt(object, key, fallback.get<std::string>()));
        break;
    case FieldKind::Bool:
        static_cast<QCheckBox*>(entry.editor)->setChecked(boolAt(object, key, fallback.get<bool>()));
        break;
    case FieldKind::IntList: static_cast<QLineEdit*>(entry.editor)->setText(listTextAt(object, key)); break;
    }
}

void SpecFieldEditors::fill(const json& spec) {
    for (const Entry& entry : entries_) {
        const std::string object = entry.field->object();
        show(entry, object.empty() ? spec : member(spec, object));
    }
}

void SpecFieldEditors::updateVisibility() const {
    for (const Entry& entry : entries_)
        if (!entry.field->appliesWhen.always())
            fields_.setRowVisible(QString::fromStdString(entry.field->path), appliesNow(*entry.field));
}

}  // namespace distillery::views
