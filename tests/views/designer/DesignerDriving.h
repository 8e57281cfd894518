#pragma once
// Driving the designer's widgets as a user does, shared by its test suites.
#include <QComboBox>
#include <QLineEdit>
#include <QtTest>

#include "DesignerPage.h"

namespace distillery::testing {

// Replaces a line edit's text the way a user does: select all, type.
inline void typeInto(QLineEdit* line, const QString& text) {
    QVERIFY(line);
    line->selectAll();
    if (text.isEmpty()) QTest::keyClick(line, Qt::Key_Backspace);
    else QTest::keyClicks(line, text);
}

// The line edit of a field: its own, or its editable combo box's.
inline QLineEdit* lineAt(const views::DesignerPage& page, const QString& path) {
    if (auto* line = qobject_cast<QLineEdit*>(page.fieldWidget(path))) return line;
    if (auto* combo = qobject_cast<QComboBox*>(page.fieldWidget(path))) return combo->lineEdit();
    return nullptr;
}

}  // namespace distillery::testing
