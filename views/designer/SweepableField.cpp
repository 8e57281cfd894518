#include "SweepableField.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QSpinBox>
#include <QToolButton>

#include "FormValues.h"
#include "SweepEditor.h"

namespace distillery::views {

using nlohmann::json;

SweepableField::SweepableField(QWidget* single, SweepDomain domain, QWidget* parent)
    : QWidget(parent), single_(single), sweep_(new SweepEditor(std::move(domain))), toggle_(new QToolButton) {
    auto* row = new QHBoxLayout(this);
    row->setContentsMargins(0, 0, 0, 0);
    row->setSpacing(2);
    row->addWidget(single_, 1);
    row->addWidget(sweep_, 1);
    // Hidden, not in a stacked widget: a hidden sweep editor does not widen the form.
    sweep_->setVisible(false);
    toggle_->setText(QStringLiteral("⋯"));
    toggle_->setCheckable(true);
    toggle_->setAutoRaise(true);
    row->addWidget(toggle_, 0, Qt::AlignTop);
    show(false);
    connect(toggle_, &QToolButton::clicked, this, [this](bool on) {
        if (on) sweep_->startFrom(singleValue());
        show(on);
        emit toggled(on);
    });
    connect(sweep_, &SweepEditor::edited, this, &SweepableField::edited);
}

void SweepableField::setSweeping(bool sweeping) {
    if (sweeping != sweeping_) show(sweeping);
}

void SweepableField::show(bool sweeping) {
    sweeping_ = sweeping;
    toggle_->setChecked(sweeping);
    single_->setVisible(!sweeping);
    sweep_->setVisible(sweeping);
    toggle_->setToolTip(sweeping ? tr("Back to one value (the one the field had before the sweep)")
                                 : tr("Sweep this field: several values, one configuration of the study each"));
}

json SweepableField::singleValue() const {
    if (const auto* combo = qobject_cast<const QComboBox*>(single_)) return combo->currentText().trimmed().toStdString();
    if (const auto* line = qobject_cast<const QLineEdit*>(single_)) return numberOrTextItem(line->text());
    if (const auto* spin = qobject_cast<const QSpinBox*>(single_)) return spin->value();
    if (const auto* spin = qobject_cast<const QDoubleSpinBox*>(single_)) return numberJson(spin->value());
    if (const auto* check = qobject_cast<const QCheckBox*>(single_)) return check->isChecked();
    return {};
}

}  // namespace distillery::views
