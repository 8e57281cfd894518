#pragma once

class QFormLayout;
class QWidget;

namespace distillery::views {

// Shows or hides a QFormLayout row by taking it out of the layout and putting it back in its place.
// Qt 6.4's own QFormLayout::setRowVisible is not used: once a hidden row sits beside an item with
// height-for-width (any word-wrapped label, such as a field's error), its layout pass writes past the
// end of its row arrays (valgrind: invalid writes in QFormLayout::setGeometry; a SEGFAULT in CI).
// A row taken out is not in those arrays at all.
//
// `field` is the row's field widget (or its spanning widget); its label, if any, goes with it.
// Rows keep their order: the first call on a form numbers its rows, and a row comes back after the
// rows that were above it.
void setFormRowVisible(QFormLayout* form, QWidget* field, bool visible);

// Whether the row of `field` is in the form (not hidden by setFormRowVisible).
bool isFormRowVisible(const QFormLayout* form, QWidget* field);

}  // namespace distillery::views
