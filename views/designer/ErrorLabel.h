#pragma once
// The line under a form field that says what is wrong with it, in the error colour; hidden while
// the field is fine. Qt's palette has no error role: vermillion (Okabe–Ito), lightened on a dark
// palette, as RunHeader's failure text.
#include <QLabel>

namespace distillery::views {

class ErrorLabel : public QLabel {
    Q_OBJECT
public:
    explicit ErrorLabel(QWidget* parent = nullptr);

    void setError(const QString& message);   // "" clears it
    QString error() const { return text(); }

    // The error colour for the given palette.
    static QColor errorColor(const QPalette& palette);

protected:
    void changeEvent(QEvent* event) override;

private:
    void applyColor();
    bool applyingColor_ = false;
};

}  // namespace distillery::views
