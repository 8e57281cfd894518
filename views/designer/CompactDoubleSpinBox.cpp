#include "CompactDoubleSpinBox.h"

#include <QLocale>
#include <QRegularExpression>

namespace distillery::views {

namespace {
// What a number may look like while it is being typed: "-", "1.", "5e", "5e-" are on their way.
const QRegularExpression kPartialNumber(QStringLiteral(R"(^[-+]?[0-9]*[.,]?[0-9]*([eE][-+]?[0-9]*)?$)"));

bool parse(const QString& text, double* value) {
    bool ok = false;
    *value = QLocale().toDouble(text, &ok);
    if (!ok) *value = QLocale::c().toDouble(text, &ok);
    return ok;
}
}  // namespace

CompactDoubleSpinBox::CompactDoubleSpinBox(QWidget* parent) : QDoubleSpinBox(parent) {
    setDecimals(12);   // the spin box rounds values to this; the text is shown compactly
    setStepType(QAbstractSpinBox::AdaptiveDecimalStepType);
    setKeyboardTracking(true);
}

QString CompactDoubleSpinBox::textFromValue(double value) const {
    QLocale locale;
    locale.setNumberOptions(QLocale::OmitGroupSeparator);
    return locale.toString(value, 'g', 10);
}

double CompactDoubleSpinBox::valueFromText(const QString& text) const {
    double value = 0;
    return parse(text.trimmed(), &value) ? value : this->value();
}

QValidator::State CompactDoubleSpinBox::validate(QString& text, int&) const {
    const QString trimmed = text.trimmed();
    double value = 0;
    if (parse(trimmed, &value)) return value >= minimum() && value <= maximum() ? QValidator::Acceptable
                                                                                 : QValidator::Intermediate;
    return kPartialNumber.match(trimmed).hasMatch() ? QValidator::Intermediate : QValidator::Invalid;
}

}  // namespace distillery::views
