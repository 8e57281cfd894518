#include "MethodForm.h"

#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QVBoxLayout>

#include "CompactDoubleSpinBox.h"
#include "ErrorLabel.h"
#include "FormValues.h"
#include "SweepEditor.h"
#include "SweepableField.h"
#include "spec/Catalog.h"

namespace distillery::views {

using nlohmann::json;

namespace {

QStringList splitList(const QString& text) {
    QStringList items;
    for (const QString& item : text.split(QLatin1Char(','), Qt::SkipEmptyParts))
        if (!item.trimmed().isEmpty()) items << item.trimmed();
    return items;
}

}  // namespace

MethodForm::MethodForm(QWidget* parent) : QWidget(parent) {
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    summary_ = new QLabel(this);
    summary_->setWordWrap(true);
    summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    outer->addWidget(summary_);
    layout_ = new QFormLayout;
    layout_->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    outer->addLayout(layout_);
}

void MethodForm::clearFields() {
    while (layout_->rowCount() > 0) layout_->removeRow(0);
    fields_.clear();
    order_.clear();
}

void MethodForm::setMethod(const QString& name) {
    if (name == method_ && !fields_.isEmpty()) {
        filling_ = true;
        for (const Field& field : std::as_const(fields_)) resetToDefault(field);
        filling_ = false;
        setSweeps(json::object());
        clearErrors();
        return;
    }
    clearFields();
    method_ = name;
    const spec::MethodDecl* decl = spec::findMethod(name.toStdString());
    summary_->setText(decl ? QString::fromStdString(decl->summary) : QString());
    if (!decl) return;
    if (decl->params.empty()) {
        auto* none = new QLabel(tr("This method has no parameters."), this);
        none->setEnabled(false);
        layout_->addRow(none);
        return;
    }
    for (const spec::ParamDecl& p : decl->params) {
        const QString key = QString::fromStdString(p.name);
        Field field;
        field.decl = &p;
        field.editor = createEditor(p);
        const QString help = QString::fromStdString(p.help);
        field.editor->setToolTip(help);
        field.help = new QLabel(help);
        field.help->setWordWrap(true);
        field.help->setTextFormat(Qt::PlainText);
        QFont small = field.help->font();
        small.setPointSizeF(small.pointSizeF() * 0.85);
        field.help->setFont(small);
        field.help->setForegroundRole(QPalette::PlaceholderText);
        field.error = new ErrorLabel;
        auto* cell = new QWidget;
        auto* column = new QVBoxLayout(cell);
        column->setContentsMargins(0, 0, 0, 4);
        column->setSpacing(1);
        if (const std::optional<SweepDomain> domain = SweepDomain::ofParam(p)) {
            field.sweep = new SweepableField(field.editor, *domain);
            connect(field.sweep, &SweepableField::toggled, this, [this, key] {
                if (!filling_) emit sweepToggled(key);
            });
            connect(field.sweep, &SweepableField::edited, this, [this, key] {
                if (!filling_) emit edited(key);
            });
            column->addWidget(field.sweep);
        } else {
            column->addWidget(field.editor);
        }
        column->addWidget(field.help);
        column->addWidget(field.error);
        auto* label = new QLabel(key);
        label->setToolTip(help);
        label->setBuddy(field.editor);
        layout_->addRow(label, cell);
        fields_.insert(key, field);
        order_ << key;
        filling_ = true;
        resetToDefault(field);
        filling_ = false;
    }
}

QWidget* MethodForm::createEditor(const spec::ParamDecl& p) {
    const QString key = QString::fromStdString(p.name);
    switch (p.kind) {
    case spec::ParamKind::Number: {
        auto* spin = new CompactDoubleSpinBox;
        spin->setRange(p.min, p.max);
        connect(spin, &QDoubleSpinBox::valueChanged, this, [this, key] {
            if (!filling_) emit edited(key);
        });
        return spin;
    }
    case spec::ParamKind::Choice: {
        auto* combo = new QComboBox;
        combo->addItems(toQStringList(p.choices));
        connect(combo, &QComboBox::currentTextChanged, this, [this, key] {
            if (!filling_) emit edited(key);
        });
        return combo;
    }
    case spec::ParamKind::Names:
    case spec::ParamKind::Numbers: {
        auto* line = new QLineEdit;
        line->setPlaceholderText(p.kind == spec::ParamKind::Names
                                     ? tr("comma-separated, each of %1").arg(toQStringList(p.choices).join(QStringLiteral(", ")))
                                     : tr("comma-separated numbers in [%1, %2]; empty = none")
                                           .arg(numberText(p.min), numberText(p.max)));
        connect(line, &QLineEdit::textChanged, this, [this, key] {
            if (!filling_) emit edited(key);
        });
        return line;
    }
    }
    return new QWidget;
}

void MethodForm::resetToDefault(const Field& field) {
    const spec::ParamDecl& p = *field.decl;
    switch (p.kind) {
    case spec::ParamKind::Number: static_cast<QDoubleSpinBox*>(field.editor)->setValue(p.defaultValue); break;
    case spec::ParamKind::Choice:
        static_cast<QComboBox*>(field.editor)->setCurrentText(QString::fromStdString(p.defaultNames.front()));
        break;
    case spec::ParamKind::Names:
        static_cast<QLineEdit*>(field.editor)->setText(toQStringList(p.defaultNames).join(QStringLiteral(", ")));
        break;
    case spec::ParamKind::Numbers: static_cast<QLineEdit*>(field.editor)->clear(); break;
    }
}

json MethodForm::valueOf(const Field& field) const {
    const spec::ParamDecl& p = *field.decl;
    switch (p.kind) {
    case spec::ParamKind::Number: return numberJson(static_cast<QDoubleSpinBox*>(field.editor)->value());
    case spec::ParamKind::Choice: return static_cast<QComboBox*>(field.editor)->currentText().toStdString();
    case spec::ParamKind::Names: {
        json names = json::array();
        for (const QString& name : splitList(static_cast<QLineEdit*>(field.editor)->text())) names.push_back(name.toStdString());
        return names;
    }
    case spec::ParamKind::Numbers: {
        json numbers = json::array();
        for (const QString& item : splitList(static_cast<QLineEdit*>(field.editor)->text()))
            numbers.push_back(numberOrTextItem(item));
        return numbers;
    }
    }
    return {};
}

json MethodForm::changedValues() const {
    json out = json::object();
    for (const QString& key : order_) {
        const Field& field = fields_[key];
        const spec::ParamDecl& p = *field.decl;
        const json value = valueOf(field);
        bool isDefault = false;
        switch (p.kind) {
        case spec::ParamKind::Number: isDefault = value.get<double>() == p.defaultValue; break;
        case spec::ParamKind::Choice: isDefault = value.get<std::string>() == p.defaultNames.front(); break;
        case spec::ParamKind::Names: isDefault = value == json(p.defaultNames); break;
        case spec::ParamKind::Numbers: isDefault = value.empty(); break;
        }
        if (!isDefault) out[key.toStdString()] = value;
    }
    return out;
}

bool MethodForm::setValue(const Field& field, const json& value) {
    const spec::ParamDecl& p = *field.decl;
    switch (p.kind) {
    case spec::ParamKind::Number: {
        if (!value.is_number()) return false;
        auto* spin = static_cast<QDoubleSpinBox*>(field.editor);
        const double x = value.get<double>();
        if (x < spin->minimum() || x > spin->maximum()) return false;
        spin->setValue(x);
        return true;
    }
    case spec::ParamKind::Choice: {
        auto* combo = static_cast<QComboBox*>(field.editor);
        if (!value.is_string()) return false;
        const int index = combo->findText(QString::fromStdString(value.get<std::string>()));
        if (index < 0) return false;
        combo->setCurrentIndex(index);
        return true;
    }
    case spec::ParamKind::Names:
    case spec::ParamKind::Numbers: {
        if (!value.is_array()) return false;
        QStringList items;
        for (const auto& item : value) {
            if (item.is_string()) items << QString::fromStdString(item.get<std::string>());
            else if (item.is_number()) items << numberText(item.get<double>());
            else return false;
        }
        static_cast<QLineEdit*>(field.editor)->setText(items.join(QStringLiteral(", ")));
        return true;
    }
    }
    return false;
}

QStringList MethodForm::setValues(const json& methodObject) {
    QStringList notShown;
    setSweeps(json::object());
    filling_ = true;
    for (const Field& field : std::as_const(fields_)) resetToDefault(field);
    if (methodObject.is_object()) {
        for (auto it = methodObject.begin(); it != methodObject.end(); ++it) {
            if (it.key() == "name") continue;
            const QString key = QString::fromStdString(it.key());
            if (!fields_.contains(key) || !setValue(fields_[key], it.value())) notShown << key;
        }
    }
    filling_ = false;
    return notShown;
}

json MethodForm::sweeps() const {
    json out = json::object();
    for (const QString& key : order_) {
        const Field& field = fields_[key];
        if (field.sweep && field.sweep->isSweeping()) out[key.toStdString()] = field.sweep->sweepEditor()->gridValue();
    }
    return out;
}

QStringList MethodForm::setSweeps(const json& sweeps) {
    QStringList notShown;
    filling_ = true;
    for (const QString& key : std::as_const(order_)) {
        const Field& field = fields_[key];
        const std::string name = key.toStdString();
        const bool wanted = sweeps.is_object() && sweeps.contains(name);
        const bool shown = wanted && field.sweep && field.sweep->sweepEditor()->setGridValue(sweeps[name]);
        if (field.sweep) field.sweep->setSweeping(shown);
        if (wanted && !shown) notShown << key;
    }
    if (sweeps.is_object())
        for (auto it = sweeps.begin(); it != sweeps.end(); ++it)
            if (!fields_.contains(QString::fromStdString(it.key()))) notShown << QString::fromStdString(it.key());
    filling_ = false;
    return notShown;
}

SweepableField* MethodForm::sweepField(const QString& parameter) const {
    return fields_.contains(parameter) ? fields_[parameter].sweep : nullptr;
}

QWidget* MethodForm::editor(const QString& parameter) const {
    return fields_.contains(parameter) ? fields_[parameter].editor : nullptr;
}

QString MethodForm::helpText(const QString& parameter) const {
    return fields_.contains(parameter) ? fields_[parameter].help->text() : QString();
}

void MethodForm::setFieldError(const QString& parameter, const QString& message) {
    if (fields_.contains(parameter)) fields_[parameter].error->setError(message);
}

QString MethodForm::fieldError(const QString& parameter) const {
    return fields_.contains(parameter) ? fields_[parameter].error->error() : QString();
}

void MethodForm::clearErrors() {
    for (const Field& field : std::as_const(fields_)) field.error->setError(QString());
}

}  // namespace distillery::views
