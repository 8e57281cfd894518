#pragma once
// The designer's fields by spec path: each editor with the error line under it and the row that is
// hidden when the field does not apply. Errors from the parser, the seeds check and the engine are
// placed under the field their path names; edits of any registered editor are reported by path. A
// field added as sweepable has a toggle beside its editor that swaps in a sweep editor (SweepableField).
#include <QHash>
#include <QObject>
#include <QStringList>

#include "PairDescription.h"
#include "SweepDomain.h"

class QFormLayout;
class QLineEdit;
class QWidget;

namespace distillery::views {

class ErrorLabel;
class SweepableField;

class FormFields : public QObject {
    Q_OBJECT
public:
    explicit FormFields(QObject* parent = nullptr);

    // Adds a row to form: label, editor (or display, e.g. the editor with a browse button) and an
    // error line, all with help as their tool tip. Returns the row's cell.
    QWidget* add(QFormLayout* form, const QString& label, const QString& path, QWidget* editor, const QString& help,
                 QWidget* display = nullptr);
    // add() for a field that can be swept over values of domain: the editor (or display) sits in a
    // SweepableField. Its sweep's edits are reported as edited(path), its toggle as sweepToggled(path).
    QWidget* addSweepable(QFormLayout* form, const QString& label, const QString& path, QWidget* editor,
                          const QString& help, const SweepDomain& domain, QWidget* display = nullptr);
    // Errors at path go under the field registered at registeredPath ("data" under "data.name").
    void alias(const QString& path, const QString& registeredPath);
    // The line edit with a "Browse…" button that picks a file (filter given) or a folder (no filter).
    static QWidget* withBrowseButton(QLineEdit* line, const QString& title, const QString& filter);

    // The registered path a path falls under ("schedule.milestones[1]" → "schedule.milestones"), or "".
    QString keyFor(const QString& path) const;
    QWidget* editor(const QString& path) const;
    QString error(const QString& path) const;
    // The undo merge id of the field's edits; 0 for a path no field has.
    int mergeId(const QString& path) const;
    void setRowVisible(const QString& path, bool visible);
    // The row's cell, as add() returned it; nullptr for a path no field has.
    QWidget* rowCell(const QString& path) const { return fields_.value(path).row; }
    // The sweepable fields, in the order they were added; nullptr for a path that is not one.
    QStringList sweepablePaths() const { return sweepOrder_; }
    SweepableField* sweepField(const QString& path) const { return sweeps_.value(path); }

    // Shows each error under its field (one about a sub-path, milestones[1], names it) and clears the
    // others; returns those no field takes, as "path: message".
    QStringList showErrors(const QList<FieldError>& errors);

signals:
    // The user changed the field's editor.
    void edited(const QString& path);
    // The user turned the field's sweep on or off.
    void sweepToggled(const QString& path);

private:
    struct Field {
        QWidget* editor = nullptr;
        ErrorLabel* error = nullptr;
        QWidget* row = nullptr;
        int id = 0;
    };
    void watch(QWidget* editor, const QString& path);

    QHash<QString, Field> fields_;
    QHash<QString, SweepableField*> sweeps_;
    QStringList sweepOrder_;
};

}  // namespace distillery::views
