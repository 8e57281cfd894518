#pragma once
// A designer field that can be swept: its single-value editor with a small toggle button beside it
// that swaps in a SweepEditor, and back. The single editor keeps its value while the sweep shows, so
// toggling back restores the value the field had.
#include <nlohmann/json.hpp>

#include <QWidget>

#include "SweepDomain.h"

class QToolButton;

namespace distillery::views {

class SweepEditor;

class SweepableField : public QWidget {
    Q_OBJECT
public:
    // single: the field's editor (a combo box, line edit, spin box or check box), or the widget that
    // shows it; it is reparented into this one.
    SweepableField(QWidget* single, SweepDomain domain, QWidget* parent = nullptr);

    bool isSweeping() const { return sweeping_; }
    // Not an edit: toggled() is not emitted.
    void setSweeping(bool sweeping);
    SweepEditor* sweepEditor() const { return sweep_; }
    QToolButton* toggleButton() const { return toggle_; }
    // The single editor's value as a spec holds it (a number, a string, a bool), to start a sweep from.
    nlohmann::json singleValue() const;

signals:
    // The user turned the sweep on or off (a fresh sweep starts from the single value).
    void toggled(bool sweeping);
    // The user changed the sweep's values.
    void edited();

private:
    void show(bool sweeping);

    QWidget* single_;
    SweepEditor* sweep_;
    QToolButton* toggle_;
    bool sweeping_ = false;
};

}  // namespace distillery::views
