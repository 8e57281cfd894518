#pragma once
// Text the user controls (run names, spec strings, file names, metric keys, error messages that
// quote them) shown by widgets that would otherwise read it as markup. Qt takes a tool tip, and a
// QLabel or QMessageBox text in its default Qt::AutoText, for rich text when Qt::mightBeRichText()
// says so: a run named "<b>x</b>" would show a bold "x" and "<img src=…>" would load an image. A
// QAction's, button's, group box's or tab's "&x" is a mnemonic, and a window title's "[*]" the
// "modified" marker. These helpers make such text show as it is written.
//
// Labels holding user text set Qt::PlainText instead (QLabel::setTextFormat).
#include <QMessageBox>
#include <QString>
#include <QTextDocument>   // Qt::mightBeRichText

namespace distillery::views {

// A tool tip that shows text literally: unchanged when Qt would show it as plain text anyway,
// otherwise as HTML that renders to exactly text (escaped, its line breaks and tabs kept). A CR,
// lone or in CRLF, which plain text would show as a space, becomes one line break the same way.
inline QString plainToolTip(const QString& text) {
    if (!Qt::mightBeRichText(text) && !text.contains(QLatin1Char('\r'))) return text;
    QString lines = text;
    lines.replace(QLatin1String("\r\n"), QLatin1String("\n"));
    lines.replace(QLatin1Char('\r'), QLatin1Char('\n'));
    return QStringLiteral("<p style=\"white-space: pre-wrap\">") + lines.toHtmlEscaped() + QStringLiteral("</p>");
}

// For QAction, QAbstractButton, QGroupBox and tab texts: "&" shows as "&", not as a mnemonic.
inline QString plainMnemonicText(const QString& text) {
    QString escaped = text;
    return escaped.replace(QLatin1Char('&'), QLatin1String("&&"));
}

// For setWindowTitle(): "[*]" shows as "[*]" instead of the "modified" marker (or nothing).
inline QString plainWindowTitle(const QString& text) {
    QString escaped = text;
    return escaped.replace(QLatin1String("[*]"), QLatin1String("[*][*]"));
}

// A message box whose text and title show literally; the caller exec()s or open()s it. With no
// parent it must be deleted by the caller; with one, WA_DeleteOnClose suits a non-blocking box.
inline QMessageBox* plainMessageBox(QMessageBox::Icon icon, const QString& title, const QString& text,
                                    QMessageBox::StandardButtons buttons, QWidget* parent) {
    auto* box = new QMessageBox(icon, plainWindowTitle(title), text, buttons, parent);
    box->setTextFormat(Qt::PlainText);
    return box;
}

// QMessageBox::question() with text shown literally (its default Qt::AutoText would render markup).
inline QMessageBox::StandardButton askPlain(QWidget* parent, const QString& title, const QString& text) {
    QMessageBox box(QMessageBox::Question, plainWindowTitle(title), text, QMessageBox::Yes | QMessageBox::No, parent);
    box.setTextFormat(Qt::PlainText);
    return static_cast<QMessageBox::StandardButton>(box.exec());
}

}  // namespace distillery::views
