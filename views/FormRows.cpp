#include "FormRows.h"

#include <algorithm>

#include <QFormLayout>
#include <QPointer>
#include <QVariant>
#include <QWidget>

namespace distillery::views {
namespace {

constexpr char kOrdinal[] = "distillery_formRowOrdinal";   // the row's place among all rows ever added
constexpr char kLabel[] = "distillery_formRowLabel";       // the label of a row taken out

int ordinalOf(const QWidget* field) {
    const QVariant v = field->property(kOrdinal);
    return v.isValid() ? v.toInt() : -1;
}

QWidget* fieldAt(const QFormLayout* form, int row) {
    QLayoutItem* item = form->itemAt(row, QFormLayout::FieldRole);
    if (!item) item = form->itemAt(row, QFormLayout::SpanningRole);
    return item ? item->widget() : nullptr;
}

// Numbers the rows now in the form that have no number yet, after the highest number given so far:
// a row added later sorts after the rows that existed when it was added.
void numberRows(const QFormLayout* form) {
    int next = 0;
    for (int row = 0; row < form->rowCount(); ++row)
        if (QWidget* field = fieldAt(form, row)) next = std::max(next, ordinalOf(field) + 1);
    const QVariant highest = form->property(kOrdinal);
    if (highest.isValid()) next = std::max(next, highest.toInt() + 1);
    for (int row = 0; row < form->rowCount(); ++row) {
        QWidget* field = fieldAt(form, row);
        if (field && ordinalOf(field) < 0) field->setProperty(kOrdinal, next++);
    }
    const_cast<QFormLayout*>(form)->setProperty(kOrdinal, next - 1);
}

}  // namespace

bool isFormRowVisible(const QFormLayout* form, QWidget* field) {
    int row = -1;
    QFormLayout::ItemRole role;
    form->getWidgetPosition(field, &row, &role);
    return row >= 0;
}

void setFormRowVisible(QFormLayout* form, QWidget* field, bool visible) {
    numberRows(form);
    int row = -1;
    QFormLayout::ItemRole role;
    form->getWidgetPosition(field, &row, &role);
    if (!visible) {
        if (row < 0) return;   // already out
        QWidget* label = form->labelForField(field);
        const QFormLayout::TakeRowResult taken = form->takeRow(row);
        delete taken.labelItem;   // the items, not their widgets
        delete taken.fieldItem;
        field->setProperty(kLabel, QVariant::fromValue(QPointer<QWidget>(label)));
        field->hide();
        if (label) label->hide();
        return;
    }
    if (row >= 0) return;   // already in
    const int ordinal = ordinalOf(field);
    int at = 0;
    while (at < form->rowCount()) {
        QWidget* other = fieldAt(form, at);
        if (other && ordinalOf(other) > ordinal) break;
        ++at;
    }
    const QPointer<QWidget> label = field->property(kLabel).value<QPointer<QWidget>>();
    if (label) {
        form->insertRow(at, label, field);
        label->show();
    } else {
        form->insertRow(at, field);
    }
    field->show();
}

}  // namespace distillery::views
