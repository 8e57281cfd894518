#pragma once
// Conversions between the designer's editors and a spec's JSON, shared by the parts of the form.
// Readers of a spec object fall back to a default when a key is missing or of the wrong type (the
// parser reports the wrong type, and the load notice lists it).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <QString>
#include <QStringList>

class QComboBox;
class QLineEdit;
class QSpinBox;

namespace distillery::views {

QStringList toQStringList(const std::vector<std::string>& names);
// A number as a person writes it: C locale, no group separator, up to 10 significant digits.
QString numberText(double value);
// Items separated by commas and/or white space ("1, 2 3").
QStringList splitWords(const QString& text);

// A number field's value: a number when the text is one, else the text itself, so that the spec
// parser reports it ("must be a number, got \"abc\"") under the field.
nlohmann::json numberOrText(const QLineEdit* line);
// Comma-separated names, trimmed, empty ones left out.
nlohmann::json namesJson(const QLineEdit* line);
// Whole numbers as integers, anything else as its text (the parser names it).
nlohmann::json wholeNumbersOrText(const QString& text);
// A number as a person writes it in JSON: whole ones as integers ("stage": -1, not -1.0).
nlohmann::json numberJson(double value);
// One typed item of a list of numbers: the number (numberJson), else the text itself (the parser names it).
nlohmann::json numberOrTextItem(const QString& text);
// A list item or a grid value as the form shows it: a number as numberText, a string as itself.
QString itemText(const nlohmann::json& value);

QString stringAt(const nlohmann::json& object, const std::string& key, const std::string& fallback);
QString numberTextAt(const nlohmann::json& object, const std::string& key, double fallback);
int64_t integerAt(const nlohmann::json& object, const std::string& key, int64_t fallback);
bool boolAt(const nlohmann::json& object, const std::string& key, bool fallback);
// "a, b" from a list of names or numbers; "" when missing.
QString listTextAt(const nlohmann::json& object, const std::string& key);
// The member object, or an empty object.
const nlohmann::json& member(const nlohmann::json& object, const std::string& key);

// The value, clamped to the spin box's range.
void setSpin(QSpinBox* spin, int64_t value);
// Shows text in a combo box, adding it as an item when it is not one (a loaded spec may name an
// unknown model: it stays visible, and so does its error).
void showInCombo(QComboBox* combo, const QString& text);
QSpinBox* spinBox(int minimum, int maximum, const QString& specialValueText = QString());
QComboBox* comboBox(const QStringList& items, bool editable = false);

}  // namespace distillery::views
