#include "DesignerPage.h"

#include <memory>

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QDir>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollArea>
#include <QScrollBar>
#include <QSplitter>
#include <QUndoStack>
#include <QVBoxLayout>

#include "ErrorLabel.h"
#include "FormFields.h"
#include "FormValues.h"
#include "MethodForm.h"
#include "PairDescriber.h"
#include "PairView.h"
#include "PlainText.h"
#include "SpecEditCommand.h"
#include "SpecFieldEditors.h"
#include "spec/Catalog.h"
#include "spec/JsonText.h"
#include "spec/RunSpec.h"
#include "spec/SpecFields.h"

namespace distillery::views {

using nlohmann::json;

DesignerPage::DesignerPage(const QString& enginePath, QWidget* parent)
    : QWidget(parent),
      fields_(new FormFields(this)),
      tableFields_(std::make_unique<SpecFieldEditors>(*fields_)),
      teacher_(new TeacherSection(*fields_, this)),
      undoStack_(new QUndoStack(this)),
      describer_(new PairDescriber(enginePath, this)) {
    connect(fields_, &FormFields::edited, this, &DesignerPage::onEdited);
    auto* splitter = new QSplitter(Qt::Horizontal, this);

    auto* left = new QWidget;
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    auto* scroll = new QScrollArea;
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    QWidget* form = buildForm();
    scroll->setWidget(form);
    // The form is read top to bottom: never make the user scroll sideways to see a field.
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setMinimumWidth(form->minimumSizeHint().width() + scroll->verticalScrollBar()->sizeHint().width());
    leftLayout->addWidget(scroll, 1);
    generalError_ = new ErrorLabel;
    leftLayout->addWidget(generalError_);
    notice_ = new QLabel;
    notice_->setWordWrap(true);
    notice_->setTextFormat(Qt::PlainText);
    notice_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    notice_->setVisible(false);
    leftLayout->addWidget(notice_);
    auto* buttons = new QHBoxLayout;
    auto* load = new QPushButton(tr("Load spec…"));
    auto* save = new QPushButton(tr("Save spec…"));
    queueButton_ = new QPushButton(tr("Queue 1 run"));
    queueButton_->setDefault(true);
    connect(load, &QPushButton::clicked, this, &DesignerPage::loadSpec);
    connect(save, &QPushButton::clicked, this, &DesignerPage::saveSpec);
    connect(queueButton_, &QPushButton::clicked, this, &DesignerPage::queueRuns);
    buttons->addWidget(load);
    buttons->addWidget(save);
    buttons->addStretch(1);
    buttons->addWidget(queueButton_);
    leftLayout->addLayout(buttons);
    splitter->addWidget(left);

    auto* right = new QSplitter(Qt::Vertical);
    pairView_ = new PairView;
    auto* pairScroll = new QScrollArea;
    pairScroll->setWidgetResizable(true);
    pairScroll->setWidget(pairView_);
    right->addWidget(pairScroll);
    auto* specBox = new QGroupBox(tr("Spec (JSON)"));
    auto* specLayout = new QVBoxLayout(specBox);
    specView_ = new QPlainTextEdit;
    specView_->setReadOnly(true);
    specView_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    specView_->setLineWrapMode(QPlainTextEdit::NoWrap);
    auto* copy = new QPushButton(tr("Copy"));
    copy->setToolTip(tr("Copy the spec to the clipboard, e.g. for `distillery-engine run --spec`"));
    connect(copy, &QPushButton::clicked, this, [this] { QApplication::clipboard()->setText(specView_->toPlainText()); });
    specLayout->addWidget(specView_, 1);
    auto* copyRow = new QHBoxLayout;
    copyRow->addStretch(1);
    copyRow->addWidget(copy);
    specLayout->addLayout(copyRow);
    right->addWidget(specBox);
    right->setStretchFactor(0, 3);
    right->setStretchFactor(1, 2);
    splitter->addWidget(right);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 1);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(splitter);

    connect(describer_, &PairDescriber::described, this, &DesignerPage::onDescribed);
    connect(describer_, &PairDescriber::failed, this, &DesignerPage::onDescribeFailed);

    applying_ = true;
    fillForm(json::object(), QStringLiteral("1"));
    applying_ = false;
    refresh();
}

DesignerPage::~DesignerPage() = default;

QWidget* DesignerPage::buildForm() {
    auto* form = new QWidget;
    auto* column = new QVBoxLayout(form);
    const auto group = [column](const QString& title) {
        auto* box = new QGroupBox(title);
        auto* layout = new QFormLayout(box);
        layout->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
        column->addWidget(box);
        return layout;
    };
    // A section of the table's fields; the hand-built rows are added around them.
    const auto tableGroup = [&](const char* name) {
        QFormLayout* layout = group(tr(name));
        tableFields_->addGroup(layout, name, {QStringLiteral("seed")});
        return layout;
    };

    tableGroup("Run");
    teacher_->build(group(tr("Teacher")));

    QFormLayout* student = group(tr("Student"));
    studentModel_ = comboBox(toQStringList(spec::modelNames()), true);
    fields_->add(student, tr("Model"), QStringLiteral("student.model"), studentModel_, tr("The zoo network being trained"));
    fields_->alias(QStringLiteral("student"), QStringLiteral("student.model"));

    tableGroup("Data");

    QFormLayout* method = group(tr("Method"));
    QStringList methods;
    for (const auto& m : spec::methodCatalog()) methods << QString::fromStdString(m.name);
    methodName_ = comboBox(methods);
    methodForm_ = new MethodForm;
    // Before the field's own connection: the new method's fields must exist when the edit is committed.
    connect(methodName_, &QComboBox::currentIndexChanged, this, [this] {
        if (!applying_) methodForm_->setMethod(methodName_->currentText());
    });
    fields_->add(method, tr("Method"), QStringLiteral("method.name"), methodName_, tr("The distillation method"));
    fields_->alias(QStringLiteral("method"), QStringLiteral("method.name"));
    method->addRow(methodForm_);
    connect(methodForm_, &MethodForm::edited, this,
            [this](const QString& parameter) { onEdited(QStringLiteral("method.") + parameter); });

    tableGroup("Optimiser and schedule");
    tableGroup("Training");

    // The seeds are a list: one run each.
    QFormLayout* seeds = group(tr("Seeds and diagnostics"));
    seeds_ = new QLineEdit;
    seeds_->setPlaceholderText(tr("e.g. 1, 2, 3 (one run per seed)"));
    fields_->add(seeds, tr("Seeds"), QStringLiteral("seed"), seeds_, tr("One run per seed; whole numbers >= 0"));
    tableFields_->addGroup(seeds, "Seeds and diagnostics", {QStringLiteral("seed")});

    tableGroup("Device");
    column->addStretch(1);
    return form;
}

// ---- the spec the form builds -------------------------------------------------------------------

QList<qint64> DesignerPage::seeds() const {
    QList<qint64> out;
    for (const QString& item : splitWords(seeds_->text())) {
        bool ok = false;
        const qint64 seed = item.toLongLong(&ok);
        if (ok && seed >= 0 && !out.contains(seed)) out << seed;
    }
    return out;
}

QList<FieldError> DesignerPage::seedErrors() const {
    QList<FieldError> errors;
    const QStringList items = splitWords(seeds_->text());
    if (items.isEmpty()) errors.append({QStringLiteral("seed"), tr("give at least one seed, e.g. 1 or 1, 2, 3")});
    QList<qint64> seen;
    for (const QString& item : items) {
        bool ok = false;
        const qint64 seed = item.toLongLong(&ok);
        if (!ok || seed < 0)
            errors.append({QStringLiteral("seed"), tr("\"%1\" is not a whole number >= 0; seeds are listed like 1, 2, 3").arg(item)});
        else if (seen.contains(seed))
            errors.append({QStringLiteral("seed"), tr("%1 is listed twice; each seed gives one run").arg(seed)});
        // The parser sees the first seed only; each becomes a run, so each is held to its bound.
        else if (seed > qint64(spec::specField("seed").max))
            errors.append({QStringLiteral("seed"), tr("%1 is larger than the largest seed, %2")
                                                       .arg(seed)
                                                       .arg(qint64(spec::specField("seed").max))});
        seen << seed;
    }
    return errors;
}

json DesignerPage::formJson() const {
    json spec = json::object();
    tableFields_->write(spec);
    teacher_->write(spec);
    spec["student"] = {{"model", studentModel_->currentText().trimmed().toStdString()}};
    json method = methodForm_->method() == methodName_->currentText() ? methodForm_->changedValues() : json::object();
    method["name"] = methodName_->currentText().toStdString();
    spec["method"] = method;
    const QList<qint64> seedList = seeds();
    spec["seed"] = seedList.isEmpty() ? 0 : seedList.first();
    return spec;
}

DesignState DesignerPage::formState() const {
    return {QByteArray::fromStdString(formJson().dump(2)), seeds_->text()};
}

QByteArray DesignerPage::specJson() const { return QByteArray::fromStdString(formJson().dump(2)); }

QList<spec::RunSpec> DesignerPage::runSpecs() const {
    const spec::ParseResult parsed = spec::parseRunSpec(formJson());
    if (!parsed.ok() || !seedErrors().isEmpty()) return {};
    QList<spec::RunSpec> specs;
    for (qint64 seed : seeds()) {
        spec::RunSpec run = *parsed.spec;
        run.seed = seed;
        specs << run;
    }
    return specs;
}

bool DesignerPage::isValid() const { return errors_.isEmpty() && describeErrors_.isEmpty(); }

// ---- filling the form ---------------------------------------------------------------------------

void DesignerPage::fillForm(const json& spec, const QString& seeds) {
    const spec::RunSpec defaults;
    tableFields_->fill(spec);
    teacher_->fill(spec);
    showInCombo(studentModel_, stringAt(member(spec, "student"), "model", defaults.studentModel));
    const json& method = member(spec, "method");
    const QString methodName = stringAt(method, "name", defaults.method.name);
    showInCombo(methodName_, methodName);
    methodForm_->setMethod(methodName);
    methodForm_->setValues(method);
    seeds_->setText(seeds);
    updateVisibility();
}

void DesignerPage::applyState(const DesignState& state) {
    json spec;
    try {
        spec = json::parse(state.specJson.toStdString());
    } catch (const json::parse_error&) {
        return;   // states are written by formState(): always JSON
    }
    applying_ = true;
    fillForm(spec, state.seeds);
    applying_ = false;
    refresh();
}

// ---- edits, undo --------------------------------------------------------------------------------

void DesignerPage::onEdited(const QString& path) {
    if (applying_) return;
    if (path == QLatin1String("optim.name")) {
        // Follow the optimiser's usual weight decay unless the user chose another one.
        auto* weightDecay = qobject_cast<QLineEdit*>(tableFields_->editor(QStringLiteral("optim.weight_decay")));
        const QString wd = weightDecay->text().trimmed();
        const bool adamw = tableFields_->text(QStringLiteral("optim.name")) == QLatin1String("adamw");
        const QString sgdDefault = numberText(spec::OptimSpec{}.weightDecay);
        const QString adamwDefault = numberText(spec::kAdamwDefaultWeightDecay);
        if (adamw && wd == sgdDefault) weightDecay->setText(adamwDefault);
        if (!adamw && wd == adamwDefault) weightDecay->setText(sgdDefault);
    }
    updateVisibility();
    int id = fields_->mergeId(path);
    if (id == 0) id = 1000 + int(qHash(path) % 100000);   // a method parameter: merges per parameter
    commit(tr("Edit %1").arg(path), id);
}

void DesignerPage::commit(const QString& text, int fieldId) {
    const DesignState before = state_;
    const DesignState after = formState();
    if (after == before) return;
    state_ = after;
    undoStack_->push(new SpecEditCommand(text, fieldId, before, after, [this](const DesignState& s) { applyState(s); }));
    refresh();
}

void DesignerPage::newExperiment() {
    const DesignState before = state_;
    applying_ = true;
    fillForm(json::object(), QStringLiteral("1"));
    applying_ = false;
    notice_->clear();
    notice_->setVisible(false);
    const DesignState after = formState();
    if (after != before) {
        state_ = after;
        undoStack_->push(new SpecEditCommand(tr("New experiment"), SpecEditCommand::kNoMerge, before, after,
                                             [this](const DesignState& s) { applyState(s); }));
    }
    refresh();
}

// ---- validation and errors ----------------------------------------------------------------------

void DesignerPage::refresh() {
    const json spec = formJson();
    state_ = {QByteArray::fromStdString(spec.dump(2)), seeds_->text()};
    const QString text = QString::fromUtf8(state_.specJson);
    if (specView_->toPlainText() != text) specView_->setPlainText(text);

    errors_.clear();
    for (const auto& e : spec::parseRunSpec(spec).errors)
        errors_.append({QString::fromStdString(e.path), QString::fromStdString(e.message)});
    errors_.append(seedErrors());

    // The engine is asked again only when the pair's part of the spec changed.
    json pairPart = json::object();
    for (const char* key : {"data", "teacher", "student", "method"})
        if (spec.contains(key)) pairPart[key] = spec[key];
    const QByteArray key = QByteArray::fromStdString(pairPart.dump());
    if (key != describedKey_) {
        describedKey_ = key;
        describedSpec_ = QByteArray::fromStdString(spec.dump());
        describeErrors_.clear();
        describer_->request(describedSpec_);
    }
    const int runs = int(seeds().size());
    queueButton_->setText(runs == 1 ? tr("Queue 1 run") : tr("Queue %1 runs").arg(runs));
    showErrors();
}

void DesignerPage::showErrors() {
    // A method parameter's error goes under its editor in the method form; the others under the
    // form's fields, or below the form when no field takes them.
    QHash<QString, QStringList> byParameter;
    QList<FieldError> formErrors;
    for (const QList<FieldError>* list : {&errors_, &describeErrors_})
        for (const FieldError& e : *list) {
            const QString parameter = e.path.mid(7).section(QLatin1Char('['), 0, 0);
            if (e.path.startsWith(QLatin1String("method.")) && methodForm_->editor(parameter)) byParameter[parameter] << e.message;
            else formErrors << e;
        }
    const QStringList general = fields_->showErrors(formErrors);
    methodForm_->clearErrors();
    for (auto it = byParameter.cbegin(); it != byParameter.cend(); ++it)
        methodForm_->setFieldError(it.key(), it.value().join(QLatin1Char('\n')));
    generalError_->setError(general.join(QLatin1Char('\n')));
    queueButton_->setEnabled(isValid());
    queueButton_->setToolTip(isValid() ? tr("Queue one run per seed in the open store")
                                       : tr("Fix the errors shown under the fields first"));
}

void DesignerPage::updateVisibility() {
    tableFields_->updateVisibility();
    teacher_->updateVisibility();
}

QWidget* DesignerPage::fieldWidget(const QString& path) const {
    if (path.startsWith(QLatin1String("method.")) && methodForm_->editor(path.mid(7))) return methodForm_->editor(path.mid(7));
    return fields_->editor(path);
}

QString DesignerPage::fieldError(const QString& path) const {
    if (path.startsWith(QLatin1String("method.")) && methodForm_->editor(path.mid(7)))
        return methodForm_->fieldError(path.mid(7));
    return fields_->error(path);
}

QString DesignerPage::generalErrorText() const { return generalError_->error(); }
QString DesignerPage::noticeText() const { return notice_->text(); }
QString DesignerPage::specText() const { return specView_->toPlainText(); }

// ---- the pair -----------------------------------------------------------------------------------

void DesignerPage::onDescribed(const PairDescription& description) {
    pairView_->setDescription(description);
    // The engine repeats the parser's errors; what it adds comes from building the nets and the
    // method (a stage the student lacks, a teacher run that is not in the store).
    QList<FieldError> parserErrors;
    for (const auto& e : spec::parseRunSpec(describedSpec_.toStdString()).errors)
        parserErrors.append({QString::fromStdString(e.path), QString::fromStdString(e.message)});
    describeErrors_.clear();
    for (const FieldError& e : description.errors)
        if (!parserErrors.contains(e)) describeErrors_.append(e);
    showErrors();
}

void DesignerPage::onDescribeFailed(const QString& message) {
    describeErrors_.clear();
    pairView_->setMessage(message);
    showErrors();
}

void DesignerPage::setStorePath(const QString& storePath) {
    describer_->setStorePath(storePath);
    describedKey_.clear();   // a teacher run may now be found
    refresh();
}

void DesignerPage::setStoreRuns(const QList<RunListEntry>& runs) {
    // Refilling the run list is not an edit of the user's.
    const bool wasApplying = applying_;
    applying_ = true;
    const bool changed = teacher_->setStoreRuns(runs);
    applying_ = wasApplying;
    if (changed && !applying_) refresh();
}

// ---- files and queueing -------------------------------------------------------------------------

bool DesignerPage::loadSpecJson(const QByteArray& json) { return loadDocument(json, QString()); }

bool DesignerPage::loadSpecFile(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        generalError_->setError(tr("Cannot read %1: %2").arg(QDir::toNativeSeparators(path), file.errorString()));
        return false;
    }
    return loadDocument(file.readAll(), path);
}

bool DesignerPage::loadDocument(const QByteArray& bytes, const QString& source) {
    const QString what = source.isEmpty() ? tr("The spec") : QFileInfo(source).fileName();
    spec::JsonText parsed = spec::parseJsonText(bytes.toStdString());
    if (!parsed.ok()) {
        generalError_->setError(tr("%1 is not valid JSON, nothing was loaded: %2")
                                    .arg(what, QString::fromStdString(parsed.error->toString())));
        return false;
    }
    const json document = std::move(parsed.value);
    if (!document.is_object()) {
        generalError_->setError(tr("%1 is not a run spec (a JSON object {…}); nothing was loaded").arg(what));
        return false;
    }
    json run = document;
    QString seedsText = QString::number(integerAt(document, "seed", 0));
    QStringList notes;
    if (document.contains("runs")) {
        const json& runs = document["runs"];
        if (!runs.is_array() || runs.empty() || !runs[0].is_object()) {
            generalError_->setError(tr("%1 has \"runs\" but no run spec in it; nothing was loaded").arg(what));
            return false;
        }
        run = runs[0];
        // Runs that differ only in seed (and a name suffix) are one design with several seeds.
        const auto withoutSeed = [](json r) {
            r.erase("seed");
            r.erase("name");
            return r;
        };
        bool seedsOnly = true;
        QStringList seedList;
        for (const auto& r : runs) {
            seedsOnly = seedsOnly && r.is_object() && withoutSeed(r) == withoutSeed(run);
            if (r.is_object()) seedList << QString::number(integerAt(r, "seed", 0));
        }
        if (seedsOnly && runs.size() > 1) {
            seedsText = seedList.join(QStringLiteral(", "));
            const QString first = stringAt(run, "name", "");
            const QString suffix = QStringLiteral("-s") + seedList.first();
            if (first.endsWith(suffix)) run["name"] = first.chopped(suffix.size()).toStdString();
            // One .arg() call: a file name holding "%2" stays as it is.
            notes << tr("%1 holds %2 runs that differ only in their seeds: loaded as one design with seeds %3.")
                         .arg(what, QString::number(runs.size()), seedsText);
        } else {
            seedsText = QString::number(integerAt(run, "seed", 0));
            if (runs.size() > 1)
                notes << tr("%1 holds %2 runs; loaded the first, \"%3\". The others are not in the form.")
                             .arg(what, QString::number(runs.size()), stringAt(run, "name", ""));
        }
    }

    const DesignState before = state_;
    applying_ = true;
    fillForm(run, seedsText);
    applying_ = false;
    const DesignState after = formState();
    state_ = after;
    if (after != before)
        undoStack_->push(new SpecEditCommand(tr("Load spec"), SpecEditCommand::kNoMerge, before, after,
                                             [this](const DesignState& s) { applyState(s); }));
    refresh();

    // What the file said wrong that the form cannot hold (an unknown field, a value of the wrong
    // type or out of a field's range): listed, since the form shows only what it can represent.
    QStringList lost;
    for (const auto& e : spec::parseRunSpec(run).errors) {
        const FieldError error{QString::fromStdString(e.path), QString::fromStdString(e.message)};
        if (!errors_.contains(error)) lost << error.path + QStringLiteral(": ") + error.message;
    }
    if (!lost.isEmpty())
        notes << tr("Not taken into the form from %1 (fix them there, or here in the form):\n%2").arg(what, lost.join(QLatin1Char('\n')));
    notice_->setText(notes.join(QLatin1Char('\n')));
    notice_->setVisible(!notes.isEmpty());
    return true;
}

bool DesignerPage::saveSpecFile(const QString& path, QString* error) const {
    const QList<qint64> seedList = seeds();
    json out;
    if (seedList.size() <= 1) {
        out = formJson();
    } else {
        json spec = formJson();
        const std::string name = spec.contains("name") ? spec["name"].get<std::string>()
                                                       : methodName_->currentText().toStdString() + "-" +
                                                             studentModel_->currentText().toStdString();
        out = {{"name", name}, {"runs", json::array()}};
        for (qint64 seed : seedList) {
            spec["seed"] = seed;
            spec["name"] = name + "-s" + std::to_string(seed);
            out["runs"].push_back(spec);
        }
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(QByteArray::fromStdString(out.dump(2) + "\n")) < 0 || !file.commit()) {
        if (error) *error = tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(path), file.errorString());
        return false;
    }
    return true;
}

void DesignerPage::saveSpec() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Save spec"), QString(), tr("Run specs (*.json)"));
    if (path.isEmpty()) return;
    QString error;
    if (!saveSpecFile(path, &error)) {
        // The message quotes the path as chosen: shown as written, never as markup.
        std::unique_ptr<QMessageBox> box(
            plainMessageBox(QMessageBox::Warning, tr("Save spec"), error, QMessageBox::Ok, this));
        box->exec();
    }
}

void DesignerPage::loadSpec() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Load spec"), QString(), tr("Run specs (*.json);;All files (*)"));
    if (!path.isEmpty()) loadSpecFile(path);
}

void DesignerPage::queueRuns() {
    if (!isValid()) return;
    QList<QByteArray> texts;
    for (const spec::RunSpec& run : runSpecs()) texts << QByteArray::fromStdString(spec::toJson(run).dump(2));
    emit queueRequested(texts);
}

}  // namespace distillery::views
