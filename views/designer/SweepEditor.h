#pragma once
// The editor of a swept field, shown in place of its single-value editor: for numbers a list
// ("0.05, 0.1, 0.2") or a range (from, to and a count of values spaced linearly or logarithmically),
// for whole numbers a list or a range with a step, for a choice the checked ones of its choices. It
// writes the grid value a study file holds (Study.h) as typed: an item that is not a number stays
// text, so that the study parser names it under the field, as the single-value editors do.
#include <nlohmann/json.hpp>

#include <QWidget>

#include "SweepDomain.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QSpinBox;
class QStackedWidget;

namespace distillery::views {

class SweepEditor : public QWidget {
    Q_OBJECT
public:
    // The mode box's items, for numbers.
    enum class Mode { List, Range };
    // The spacing box's items, for a range of numbers: linspace or logspace.
    enum class Spacing { Linear, Log };

    explicit SweepEditor(SweepDomain domain, QWidget* parent = nullptr);

    const SweepDomain& domain() const { return domain_; }

    // A list, or a range object: {"linspace"|"logspace": [from, to, count]} for numbers,
    // {"range": [from, to, step]} for whole numbers.
    nlohmann::json gridValue() const;
    // Shows a value gridValue() wrote (or a study file's that domain().accepts()). False, with the
    // editor unchanged, for anything else. Not an edit: edited() is not emitted.
    bool setGridValue(const nlohmann::json& value);
    // Starts an empty sweep from the field's single value: the list holds it, or its choice is checked.
    void startFrom(const nlohmann::json& singleValue);
    bool isEmpty() const;

    // The values a range expands to, as the study parser expands them, shown under the range ("" hides it).
    void setPreview(const QString& values);
    QString preview() const;

    // Its parts, for tests. Numbers: the mode box, the list, from and to; a range of numbers, the
    // count and the spacing; of whole numbers, the step. Choices: the checkable list. Null where absent.
    QComboBox* modeBox() const { return mode_; }
    QLineEdit* listEdit() const { return list_; }
    QLineEdit* fromEdit() const { return from_; }
    QLineEdit* toEdit() const { return to_; }
    QSpinBox* countBox() const { return count_; }
    QComboBox* spacingBox() const { return spacing_; }
    QSpinBox* stepBox() const { return step_; }
    QListWidget* choiceList() const { return choices_; }

signals:
    // The user changed the sweep.
    void edited();

private:
    bool numeric() const { return domain_.kind == SweepDomain::Kind::Number || domain_.kind == SweepDomain::Kind::Integer; }
    void buildNumeric();
    void buildChoices();
    void showMode();
    void userEdit();

    SweepDomain domain_;
    QComboBox* mode_ = nullptr;
    QStackedWidget* pages_ = nullptr;
    QLineEdit* list_ = nullptr;
    QLineEdit* from_ = nullptr;
    QLineEdit* to_ = nullptr;
    QSpinBox* count_ = nullptr;
    QComboBox* spacing_ = nullptr;
    QSpinBox* step_ = nullptr;
    QListWidget* choices_ = nullptr;
    QLabel* preview_ = nullptr;
    bool filling_ = false;
};

}  // namespace distillery::views
