#pragma once
// One committed edit of the designer, undoable: the state before and after. Consecutive edits of
// the same field (each keystroke of a number) merge into one command, so one undo takes back the
// whole value typed there.
#include <functional>

#include <QUndoCommand>

#include "DesignState.h"

namespace distillery::views {

class SpecEditCommand : public QUndoCommand {
public:
    static constexpr int kNoMerge = -1;

    // apply puts a state into the form. The form already shows `after` when the command is pushed,
    // so the first redo() does nothing. fieldId: the edited field (> 0), or kNoMerge (loads, resets).
    SpecEditCommand(const QString& text, int fieldId, DesignState before, DesignState after,
                    std::function<void(const DesignState&)> apply);

    void undo() override;
    void redo() override;
    int id() const override { return fieldId_; }
    bool mergeWith(const QUndoCommand* other) override;

    const DesignState& before() const { return before_; }
    const DesignState& after() const { return after_; }

private:
    int fieldId_;
    DesignState before_, after_;
    std::function<void(const DesignState&)> apply_;
    bool pushed_ = false;
};

}  // namespace distillery::views
