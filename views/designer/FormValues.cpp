#include "FormValues.h"

#include <algorithm>
#include <cmath>

#include <QComboBox>
#include <QLineEdit>
#include <QLocale>
#include <QRegularExpression>
#include <QSpinBox>

namespace distillery::views {

using nlohmann::json;

QStringList toQStringList(const std::vector<std::string>& names) {
    QStringList out;
    for (const auto& n : names) out << QString::fromStdString(n);
    return out;
}

QString numberText(double value) {
    QLocale locale = QLocale::c();
    locale.setNumberOptions(QLocale::OmitGroupSeparator);
    return locale.toString(value, 'g', 10);
}

QStringList splitWords(const QString& text) {
    return text.split(QRegularExpression(QStringLiteral("[,\\s]+")), Qt::SkipEmptyParts);
}

json numberOrText(const QLineEdit* line) {
    const QString text = line->text().trimmed();
    bool ok = false;
    double value = QLocale::c().toDouble(text, &ok);
    if (!ok) value = QLocale().toDouble(text, &ok);
    return ok ? json(value) : json(text.toStdString());
}

json namesJson(const QLineEdit* line) {
    json out = json::array();
    for (const QString& item : line->text().split(QLatin1Char(','), Qt::SkipEmptyParts))
        if (!item.trimmed().isEmpty()) out.push_back(item.trimmed().toStdString());
    return out;
}

json wholeNumbersOrText(const QString& text) {
    json out = json::array();
    for (const QString& item : splitWords(text)) {
        bool ok = false;
        const qint64 number = item.toLongLong(&ok);
        out.push_back(ok ? json(number) : json(item.toStdString()));
    }
    return out;
}

json numberJson(double value) {
    if (std::floor(value) == value && std::abs(value) < 1e15) return json(static_cast<int64_t>(value));
    return json(value);
}

json numberOrTextItem(const QString& text) {
    bool ok = false;
    const double value = QLocale::c().toDouble(text.trimmed(), &ok);
    return ok ? numberJson(value) : json(text.trimmed().toStdString());
}

QString itemText(const json& value) {
    if (value.is_number()) return numberText(value.get<double>());
    if (value.is_string()) return QString::fromStdString(value.get<std::string>());
    return QString::fromStdString(value.dump());
}

QString stringAt(const json& object, const std::string& key, const std::string& fallback) {
    if (object.is_object() && object.contains(key) && object[key].is_string())
        return QString::fromStdString(object[key].get<std::string>());
    return QString::fromStdString(fallback);
}

QString numberTextAt(const json& object, const std::string& key, double fallback) {
    if (object.is_object() && object.contains(key)) {
        const json& v = object[key];
        if (v.is_number()) return numberText(v.get<double>());
        if (v.is_string()) return QString::fromStdString(v.get<std::string>());
    }
    return numberText(fallback);
}

int64_t integerAt(const json& object, const std::string& key, int64_t fallback) {
    if (object.is_object() && object.contains(key)) {
        const json& v = object[key];
        if (v.is_number_integer()) return v.get<int64_t>();
        if (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>()) return int64_t(v.get<double>());
    }
    return fallback;
}

bool boolAt(const json& object, const std::string& key, bool fallback) {
    if (object.is_object() && object.contains(key) && object[key].is_boolean()) return object[key].get<bool>();
    return fallback;
}

QString listTextAt(const json& object, const std::string& key) {
    QStringList items;
    if (object.is_object() && object.contains(key) && object[key].is_array())
        for (const auto& item : object[key]) {
            if (item.is_string()) items << QString::fromStdString(item.get<std::string>());
            else if (item.is_number()) items << numberText(item.get<double>());
        }
    return items.join(QStringLiteral(", "));
}

const json& member(const json& object, const std::string& key) {
    static const json empty = json::object();
    return object.is_object() && object.contains(key) ? object[key] : empty;
}

void setSpin(QSpinBox* spin, int64_t value) {
    spin->setValue(int(std::clamp<int64_t>(value, spin->minimum(), spin->maximum())));
}

void showInCombo(QComboBox* combo, const QString& text) {
    if (combo->isEditable()) {
        const int index = combo->findText(text);
        if (index >= 0) combo->setCurrentIndex(index);
        else combo->setEditText(text);
        return;
    }
    if (combo->findText(text) < 0) combo->addItem(text);
    combo->setCurrentIndex(combo->findText(text));
}

QSpinBox* spinBox(int minimum, int maximum, const QString& specialValueText) {
    auto* spin = new QSpinBox;
    spin->setRange(minimum, maximum);
    spin->setSpecialValueText(specialValueText);
    spin->setAccelerated(true);
    return spin;
}

QComboBox* comboBox(const QStringList& items, bool editable) {
    auto* combo = new QComboBox;
    combo->addItems(items);
    combo->setEditable(editable);
    if (editable) combo->setInsertPolicy(QComboBox::NoInsert);
    return combo;
}

}  // namespace distillery::views
