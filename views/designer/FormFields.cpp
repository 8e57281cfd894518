#include "FormFields.h"

#include <algorithm>

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSet>
#include <QSpinBox>
#include <QVBoxLayout>

#include "ErrorLabel.h"
#include "FormRows.h"
#include "SweepableField.h"

namespace distillery::views {

FormFields::FormFields(QObject* parent) : QObject(parent) {}

QWidget* FormFields::add(QFormLayout* form, const QString& label, const QString& path, QWidget* editor,
                         const QString& help, QWidget* display) {
    auto* cell = new QWidget;
    auto* column = new QVBoxLayout(cell);
    column->setContentsMargins(0, 0, 0, 0);
    column->setSpacing(1);
    column->addWidget(display ? display : editor);
    auto* error = new ErrorLabel;
    column->addWidget(error);
    editor->setToolTip(help);
    auto* labelWidget = new QLabel(label);
    labelWidget->setToolTip(help);
    form->addRow(labelWidget, cell);
    Field field;
    field.editor = editor;
    field.error = error;
    field.row = cell;
    field.id = int(fields_.size()) + 1;
    fields_.insert(path, field);
    watch(editor, path);
    return cell;
}

QWidget* FormFields::addSweepable(QFormLayout* form, const QString& label, const QString& path, QWidget* editor,
                                  const QString& help, const SweepDomain& domain, QWidget* display) {
    auto* sweep = new SweepableField(display ? display : editor, domain);
    QWidget* cell = add(form, label, path, editor, help, sweep);
    sweeps_.insert(path, sweep);
    sweepOrder_ << path;
    connect(sweep, &SweepableField::edited, this, [this, path] { emit edited(path); });
    connect(sweep, &SweepableField::toggled, this, [this, path] { emit sweepToggled(path); });
    return cell;
}

void FormFields::alias(const QString& path, const QString& registeredPath) { fields_.insert(path, fields_.value(registeredPath)); }

void FormFields::watch(QWidget* editor, const QString& path) {
    if (auto* line = qobject_cast<QLineEdit*>(editor)) {
        connect(line, &QLineEdit::textEdited, this, [this, path] { emit edited(path); });
    } else if (auto* spin = qobject_cast<QSpinBox*>(editor)) {
        connect(spin, &QSpinBox::valueChanged, this, [this, path] { emit edited(path); });
    } else if (auto* check = qobject_cast<QCheckBox*>(editor)) {
        connect(check, &QCheckBox::toggled, this, [this, path] { emit edited(path); });
    } else if (auto* combo = qobject_cast<QComboBox*>(editor)) {
        connect(combo, &QComboBox::currentIndexChanged, this, [this, path] { emit edited(path); });
        if (combo->isEditable()) connect(combo, &QComboBox::editTextChanged, this, [this, path] { emit edited(path); });
    }
}

QWidget* FormFields::withBrowseButton(QLineEdit* line, const QString& title, const QString& filter) {
    auto* box = new QWidget;
    auto* row = new QHBoxLayout(box);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(line, 1);
    auto* browse = new QPushButton(tr("Browse…"));
    connect(browse, &QPushButton::clicked, line, [line, title, filter] {
        QWidget* parent = line->window();
        const QString path = filter.isEmpty() ? QFileDialog::getExistingDirectory(parent, title, line->text())
                                              : QFileDialog::getOpenFileName(parent, title, line->text(), filter);
        if (path.isEmpty()) return;
        line->setText(path);
        // setText is not an edit of the user's: commit it as one.
        emit line->textEdited(path);
    });
    row->addWidget(browse);
    return box;
}

QString FormFields::keyFor(const QString& path) const {
    QString candidate = path;
    while (!candidate.isEmpty()) {
        if (fields_.contains(candidate)) return candidate;
        const int cut = std::max(candidate.lastIndexOf(QLatin1Char('.')), candidate.lastIndexOf(QLatin1Char('[')));
        if (cut <= 0) break;
        candidate.truncate(cut);
    }
    return {};
}

QWidget* FormFields::editor(const QString& path) const {
    const QString key = keyFor(path);
    return key.isEmpty() ? nullptr : fields_.value(key).editor;
}

QString FormFields::error(const QString& path) const {
    const QString key = keyFor(path);
    return key.isEmpty() ? QString() : fields_.value(key).error->error();
}

int FormFields::mergeId(const QString& path) const { return fields_.value(path).id; }

void FormFields::setRowVisible(const QString& path, bool visible) {
    const Field field = fields_.value(path);
    if (auto* form = qobject_cast<QFormLayout*>(field.row ? field.row->parentWidget()->layout() : nullptr))
        setFormRowVisible(form, field.row, visible);
}

QStringList FormFields::showErrors(const QList<FieldError>& errors) {
    QHash<ErrorLabel*, QStringList> byLabel;
    QStringList unplaced;
    for (const FieldError& e : errors) {
        const QString key = keyFor(e.path);
        if (key.isEmpty()) {
            unplaced << e.path + QStringLiteral(": ") + e.message;
            continue;
        }
        // A message about a sub-path (milestones[1]) names the element it is about.
        const QString prefix = e.path == key ? QString() : e.path.mid(key.lastIndexOf(QLatin1Char('.')) + 1) + QStringLiteral(": ");
        byLabel[fields_.value(key).error] << prefix + e.message;
    }
    QSet<ErrorLabel*> labels;
    for (const Field& field : std::as_const(fields_)) labels.insert(field.error);
    for (ErrorLabel* label : labels) label->setError(byLabel.value(label).join(QLatin1Char('\n')));
    return unplaced;
}

}  // namespace distillery::views
