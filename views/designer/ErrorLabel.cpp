#include "ErrorLabel.h"

#include <QEvent>

#include "OkabeItoPalette.h"
#include "PlainText.h"

namespace distillery::views {

ErrorLabel::ErrorLabel(QWidget* parent) : QLabel(parent) {
    setWordWrap(true);
    setTextFormat(Qt::PlainText);
    setTextInteractionFlags(Qt::TextSelectableByMouse);
    applyColor();
    setVisible(false);
}

QColor ErrorLabel::errorColor(const QPalette& palette) {
    const QColor vermillion = OkabeItoPalette::color(3);
    return palette.color(QPalette::Window).lightness() < 128 ? vermillion.lighter(140) : vermillion;
}

void ErrorLabel::setError(const QString& message) {
    setText(message);
    setToolTip(plainToolTip(message));   // a message quotes values as typed: never read as markup
    setVisible(!message.isEmpty());
}

void ErrorLabel::changeEvent(QEvent* event) {
    QLabel::changeEvent(event);
    // Our own setPalette sends a PaletteChange too: only a new window palette recolours.
    if (event->type() == QEvent::PaletteChange && !applyingColor_) applyColor();
}

void ErrorLabel::applyColor() {
    applyingColor_ = true;
    QPalette p = palette();
    p.setColor(QPalette::WindowText, errorColor(p));
    setPalette(p);
    applyingColor_ = false;
}

}  // namespace distillery::views
