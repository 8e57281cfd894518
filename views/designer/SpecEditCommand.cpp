#include "SpecEditCommand.h"

#include <utility>

namespace distillery::views {

SpecEditCommand::SpecEditCommand(const QString& text, int fieldId, DesignState before, DesignState after,
                                 std::function<void(const DesignState&)> apply)
    : QUndoCommand(text),
      fieldId_(fieldId),
      before_(std::move(before)),
      after_(std::move(after)),
      apply_(std::move(apply)) {}

void SpecEditCommand::undo() { apply_(before_); }

void SpecEditCommand::redo() {
    if (!pushed_) {
        pushed_ = true;   // QUndoStack::push calls redo(); the form is already there
        return;
    }
    apply_(after_);
}

bool SpecEditCommand::mergeWith(const QUndoCommand* other) {
    const auto* edit = dynamic_cast<const SpecEditCommand*>(other);
    if (!edit || edit->fieldId_ != fieldId_ || fieldId_ == kNoMerge) return false;
    after_ = edit->after_;
    // Typed back to where it started: nothing left to undo.
    setObsolete(after_ == before_);
    return true;
}

}  // namespace distillery::views
