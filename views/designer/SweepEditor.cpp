#include "SweepEditor.h"

#include <algorithm>
#include <limits>

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QSpinBox>
#include <QStackedWidget>
#include <QVBoxLayout>

#include "FormValues.h"
#include "spec/Study.h"

namespace distillery::views {

using nlohmann::json;

namespace {

constexpr int kValueRole = Qt::UserRole;   // a choice item's JSON value, as text
constexpr int kMaxVisibleChoices = 6;      // a longer list scrolls: the form stays readable

const char* rangeKey(SweepDomain::Kind kind, SweepEditor::Spacing spacing) {
    if (kind == SweepDomain::Kind::Integer) return "range";
    return spacing == SweepEditor::Spacing::Log ? "logspace" : "linspace";
}

QLabel* smallLabel(const QString& text) {
    auto* label = new QLabel(text);
    label->setForegroundRole(QPalette::PlaceholderText);
    return label;
}

}  // namespace

SweepEditor::SweepEditor(SweepDomain domain, QWidget* parent) : QWidget(parent), domain_(std::move(domain)) {
    auto* column = new QVBoxLayout(this);
    column->setContentsMargins(0, 0, 0, 0);
    column->setSpacing(1);
    preview_ = new QLabel;
    preview_->setTextFormat(Qt::PlainText);
    preview_->setWordWrap(true);
    preview_->setForegroundRole(QPalette::PlaceholderText);
    preview_->setVisible(false);
    if (numeric()) buildNumeric();
    else buildChoices();
    column->addWidget(preview_);
}

void SweepEditor::buildNumeric() {
    const bool whole = domain_.kind == SweepDomain::Kind::Integer;
    auto* row = new QHBoxLayout;
    row->setSpacing(4);
    mode_ = comboBox({tr("list"), tr("range")});
    mode_->setToolTip(whole ? tr("A list of values, or a range from, to with a step")
                            : tr("A list of values, or a range: from, to and how many values, spaced linearly or "
                                 "logarithmically"));
    row->addWidget(mode_);
    pages_ = new QStackedWidget;
    list_ = new QLineEdit;
    list_->setPlaceholderText(whole ? tr("e.g. 2, 4, 8") : tr("e.g. 0.05, 0.1, 0.2"));
    list_->setToolTip(tr("One configuration per value, comma-separated"));
    pages_->addWidget(list_);

    auto* range = new QWidget;
    auto* rangeRow = new QHBoxLayout(range);
    rangeRow->setContentsMargins(0, 0, 0, 0);
    rangeRow->setSpacing(3);
    from_ = new QLineEdit;
    from_->setPlaceholderText(tr("from"));
    to_ = new QLineEdit;
    to_->setPlaceholderText(tr("to"));
    for (QLineEdit* end : {from_, to_}) end->setMinimumWidth(40);
    rangeRow->addWidget(from_, 1);
    rangeRow->addWidget(smallLabel(tr("to")));
    rangeRow->addWidget(to_, 1);
    if (whole) {
        step_ = spinBox(1, std::numeric_limits<int>::max());
        step_->setPrefix(tr("step "));
        step_->setToolTip(tr("from, from + step, … up to to (included when a step lands on it)"));
        rangeRow->addWidget(step_);
    } else {
        count_ = spinBox(1, int(spec::kMaxStudyRuns));
        count_->setValue(3);
        count_->setSuffix(tr(" values"));
        count_->setToolTip(tr("How many values from from to to, both included"));
        spacing_ = comboBox({tr("linear"), tr("log")});
        spacing_->setToolTip(tr("linear: evenly spaced (linspace); log: evenly spaced in log10 (logspace, from and to > 0)"));
        rangeRow->addWidget(count_);
        rangeRow->addWidget(spacing_);
    }
    pages_->addWidget(range);
    row->addWidget(pages_, 1);
    static_cast<QVBoxLayout*>(layout())->addLayout(row);

    connect(mode_, &QComboBox::currentIndexChanged, this, [this] {
        showMode();
        userEdit();
    });
    for (QLineEdit* line : {list_, from_, to_}) connect(line, &QLineEdit::textEdited, this, &SweepEditor::userEdit);
    if (step_) connect(step_, &QSpinBox::valueChanged, this, &SweepEditor::userEdit);
    if (count_) connect(count_, &QSpinBox::valueChanged, this, &SweepEditor::userEdit);
    if (spacing_) connect(spacing_, &QComboBox::currentIndexChanged, this, &SweepEditor::userEdit);
    showMode();
}

void SweepEditor::buildChoices() {
    choices_ = new QListWidget;
    choices_->setToolTip(tr("One configuration per checked value"));
    const bool onOff = domain_.kind == SweepDomain::Kind::Bool;
    const QStringList texts = onOff ? QStringList{tr("on"), tr("off")} : domain_.choices;
    for (int i = 0; i < texts.size(); ++i) {
        auto* item = new QListWidgetItem(texts[i], choices_);
        const json value = onOff ? json(i == 0) : json(texts[i].toStdString());
        item->setData(kValueRole, QString::fromStdString(value.dump()));
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
        item->setCheckState(Qt::Unchecked);
    }
    // As tall as its items, up to a few rows: a list of twenty methods scrolls.
    choices_->ensurePolished();
    const int rows = std::min<int>(choices_->count(), kMaxVisibleChoices);
    const int rowHeight = std::max(choices_->sizeHintForRow(0), choices_->fontMetrics().height() + 4);
    choices_->setFixedHeight(rowHeight * rows + 2 * choices_->frameWidth() + 2);
    static_cast<QVBoxLayout*>(layout())->addWidget(choices_);
    connect(choices_, &QListWidget::itemChanged, this, &SweepEditor::userEdit);
}

void SweepEditor::showMode() {
    pages_->setCurrentIndex(mode_->currentIndex());
    preview_->setVisible(mode_->currentIndex() == int(Mode::Range) && !preview_->text().isEmpty());
}

void SweepEditor::userEdit() {
    if (!filling_) emit edited();
}

json SweepEditor::gridValue() const {
    json out = json::array();
    if (!numeric()) {
        for (int i = 0; i < choices_->count(); ++i)
            if (choices_->item(i)->checkState() == Qt::Checked)
                out.push_back(json::parse(choices_->item(i)->data(kValueRole).toString().toStdString()));
        return out;
    }
    if (mode_->currentIndex() == int(Mode::List)) {
        for (const QString& item : splitWords(list_->text())) out.push_back(numberOrTextItem(item));
        return out;
    }
    const Spacing spacing = spacing_ ? Spacing(spacing_->currentIndex()) : Spacing::Linear;
    const json last = step_ ? json(step_->value()) : json(count_->value());
    return {{rangeKey(domain_.kind, spacing), {numberOrTextItem(from_->text()), numberOrTextItem(to_->text()), last}}};
}

bool SweepEditor::setGridValue(const json& value) {
    QStringList texts;
    if (!numeric()) {
        if (!value.is_array()) return false;
        filling_ = true;
        for (int i = 0; i < choices_->count(); ++i) {
            const json item = json::parse(choices_->item(i)->data(kValueRole).toString().toStdString());
            const bool checked = std::find(value.begin(), value.end(), item) != value.end();
            choices_->item(i)->setCheckState(checked ? Qt::Checked : Qt::Unchecked);
        }
        filling_ = false;
        return true;
    }
    if (value.is_array()) {
        for (const json& item : value) texts << itemText(item);
        filling_ = true;
        mode_->setCurrentIndex(int(Mode::List));
        list_->setText(texts.join(QStringLiteral(", ")));
        filling_ = false;
        return true;
    }
    if (!value.is_object() || value.size() != 1) return false;
    const std::string key = value.begin().key();
    const json& a = value.begin().value();
    const bool whole = domain_.kind == SweepDomain::Kind::Integer;
    const bool knownKey = whole ? key == "range" : key == "linspace" || key == "logspace";
    if (!knownKey || !a.is_array() || a.size() != 3 || !a[2].is_number_integer()) return false;
    filling_ = true;
    mode_->setCurrentIndex(int(Mode::Range));
    from_->setText(itemText(a[0]));
    to_->setText(itemText(a[1]));
    if (step_) setSpin(step_, a[2].get<int64_t>());
    if (count_) setSpin(count_, a[2].get<int64_t>());
    if (spacing_) spacing_->setCurrentIndex(int(key == "logspace" ? Spacing::Log : Spacing::Linear));
    filling_ = false;
    return true;
}

void SweepEditor::startFrom(const json& singleValue) {
    if (!isEmpty()) return;
    if (numeric()) {
        filling_ = true;
        mode_->setCurrentIndex(int(Mode::List));
        list_->setText(itemText(singleValue));
        filling_ = false;
    } else {
        setGridValue(json::array({singleValue}));
    }
}

bool SweepEditor::isEmpty() const {
    if (!numeric()) return gridValue().empty();
    return list_->text().trimmed().isEmpty() && from_->text().trimmed().isEmpty() && to_->text().trimmed().isEmpty();
}

void SweepEditor::setPreview(const QString& values) {
    preview_->setText(values.isEmpty() ? QString() : tr("values: %1").arg(values));
    if (mode_) showMode();
}

QString SweepEditor::preview() const { return preview_->text(); }

}  // namespace distillery::views
