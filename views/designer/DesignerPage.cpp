#include "DesignerPage.h"

#include <memory>

#include <QApplication>
#include <QCheckBox>
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
#include <QSignalBlocker>
#include <QSpinBox>
#include <QSplitter>
#include <QUndoStack>
#include <QVBoxLayout>

#include "ClusterTarget.h"
#include "Counted.h"
#include "ErrorLabel.h"
#include "FormRows.h"
#include "FolderPreview.h"
#include "FormFields.h"
#include "FormValues.h"
#include "MethodForm.h"
#include "PairDescriber.h"
#include "PairView.h"
#include "PlainText.h"
#include "SpecEditCommand.h"
#include "SpecFieldEditors.h"
#include "StudyDesign.h"
#include "SweepEditor.h"
#include "SweepableField.h"
#include "spec/Catalog.h"
#include "spec/JsonText.h"
#include "spec/RunSpec.h"
#include "spec/SpecFields.h"
#include "spec/Study.h"

namespace distillery::views {

using nlohmann::json;

namespace {

bool isMethodParameterPath(const QString& path) {
    return path.startsWith(QLatin1String("method.")) && path != QLatin1String("method.name");
}

}  // namespace

DesignerPage::DesignerPage(const QString& enginePath, QWidget* parent)
    : QWidget(parent),
      fields_(new FormFields(this)),
      tableFields_(std::make_unique<SpecFieldEditors>(*fields_)),
      teacher_(new TeacherSection(*fields_, this)),
      undoStack_(new QUndoStack(this)),
      describer_(new PairDescriber(enginePath, this)) {
    connect(fields_, &FormFields::edited, this, &DesignerPage::onEdited);
    connect(fields_, &FormFields::sweepToggled, this, &DesignerPage::onSweepToggled);
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
    clusterTarget_ = new ClusterTarget;
    connect(clusterTarget_, &ClusterTarget::changed, this, [this] {
        updateQueueButton(isStudy());
        showErrors();
    });
    leftLayout->addWidget(clusterTarget_);
    leftLayout->addLayout(buttons);
    splitter->addWidget(left);

    auto* right = new QSplitter(Qt::Vertical);
    pairView_ = new PairView;
    auto* pairScroll = new QScrollArea;
    pairScroll->setWidgetResizable(true);
    pairScroll->setWidget(pairView_);
    right->addWidget(pairScroll);
    specBox_ = new QGroupBox(tr("Spec (JSON)"));
    auto* specLayout = new QVBoxLayout(specBox_);
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
    right->addWidget(specBox_);
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
    fields_->addSweepable(student, tr("Model"), QStringLiteral("student.model"), studentModel_,
                          tr("The zoo network being trained"), *SweepDomain::ofPath(QStringLiteral("student.model"), {}));
    fields_->alias(QStringLiteral("student"), QStringLiteral("student.model"));
    studentInit_ = new QLineEdit;
    studentInit_->setPlaceholderText(tr("the zoo's initialisation"));
    fields_->add(student, tr("Initial weights"), QStringLiteral("student.init"), studentInit_,
                 tr("Optional: start from a state dict saved by torch.save in PyTorch, under the zoo's names"),
                 FormFields::withBrowseButton(studentInit_, tr("Student's initial weights"),
                                              tr("PyTorch (*.pth *.pt *.tar);;All files (*)")));

    QFormLayout* data = tableGroup("Data");
    folderPreview_ = new FolderPreview;
    int rootRow = -1;
    QFormLayout::ItemRole role;
    data->getWidgetPosition(fields_->rowCell(QStringLiteral("data.root")), &rootRow, &role);
    data->insertRow(rootRow + 1, folderPreview_);

    QFormLayout* method = group(tr("Method"));
    QStringList methods;
    for (const auto& m : spec::methodCatalog()) methods << QString::fromStdString(m.name);
    methodName_ = comboBox(methods);
    methodForm_ = new MethodForm;
    // Before the field's own connection: the new method's fields must exist when the edit is committed.
    connect(methodName_, &QComboBox::currentIndexChanged, this, [this] {
        if (!applying_) methodForm_->setMethod(methodName_->currentText());
    });
    fields_->addSweepable(method, tr("Method"), QStringLiteral("method.name"), methodName_, tr("The distillation method"),
                          *SweepDomain::ofPath(QStringLiteral("method.name"), {}));
    fields_->alias(QStringLiteral("method"), QStringLiteral("method.name"));
    // A method sweep writes one block per checked method; the parameters shown are one method's
    // (StudyDesign says why). The note says which, while the method is swept.
    methodSweepNote_ = new QLabel;
    methodSweepNote_->setWordWrap(true);
    methodSweepNote_->setTextFormat(Qt::PlainText);
    methodSweepNote_->setVisible(false);
    method->addRow(methodSweepNote_);
    method->addRow(methodForm_);
    connect(methodForm_, &MethodForm::edited, this,
            [this](const QString& parameter) { onEdited(QStringLiteral("method.") + parameter); });
    connect(methodForm_, &MethodForm::sweepToggled, this,
            [this](const QString& parameter) { onSweepToggled(QStringLiteral("method.") + parameter); });

    tableGroup("Optimiser and schedule");
    tableGroup("Training");

    // The seeds are a list: one run each.
    QFormLayout* seeds = group(tr("Seeds and diagnostics"));
    seeds_ = new QLineEdit;
    seeds_->setPlaceholderText(tr("e.g. 1, 2, 3 (one run per seed)"));
    fields_->add(seeds, tr("Seeds"), QStringLiteral("seed"), seeds_, tr("One run per seed; whole numbers >= 0"));
    // The median stopping rule of a study (Study.h): off by default, and only for studies.
    stopBelowMedian_ = new QCheckBox(tr("Stop runs below the median"));
    graceEpochs_ = spinBox(1, int(spec::limits::kMaxEpochs));
    graceEpochs_->setPrefix(tr("after "));
    const auto graceSuffix = [this] {
        graceEpochs_->setSuffix(graceEpochs_->value() == 1 ? tr(" grace epoch") : tr(" grace epochs"));
    };
    graceSuffix();
    earlyStopping_ = new QWidget;
    auto* stoppingRow = new QHBoxLayout(earlyStopping_);
    stoppingRow->setContentsMargins(0, 0, 0, 0);
    stoppingRow->addWidget(stopBelowMedian_);
    stoppingRow->addWidget(graceEpochs_);
    stoppingRow->addStretch(1);
    const QString stoppingHelp =
        tr("Studies only: after the grace epochs, a run whose validation accuracy at an epoch is below the median of "
           "the finished runs at that epoch stops (once %1 runs have reached it)")
            .arg(spec::EarlyStopping{}.minRuns);
    graceEpochs_->setToolTip(stoppingHelp);
    fields_->add(seeds, tr("Early stopping"), QStringLiteral("early_stopping"), stopBelowMedian_, stoppingHelp, earlyStopping_);
    connect(graceEpochs_, &QSpinBox::valueChanged, this, [this, graceSuffix] {
        graceSuffix();
        onEdited(QStringLiteral("early_stopping"));
    });
    tableFields_->addGroup(seeds, "Seeds and diagnostics", {QStringLiteral("seed")});

    tableGroup("Device");
    tableGroup("Processes");
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

json DesignerPage::formJson(const QStringList& swept) const {
    json spec = json::object();
    tableFields_->write(spec, swept);
    teacher_->write(spec);
    spec["student"] = {{"model", studentModel_->currentText().trimmed().toStdString()}};
    if (!studentInit_->text().trimmed().isEmpty()) spec["student"]["init"] = studentInit_->text().trimmed().toStdString();
    json method = methodForm_->method() == methodName_->currentText() ? methodForm_->changedValues() : json::object();
    method["name"] = methodName_->currentText().toStdString();
    spec["method"] = method;
    const QList<qint64> seedList = seeds();
    spec["seed"] = seedList.isEmpty() ? 0 : seedList.first();
    return spec;
}

DesignState DesignerPage::formState() const {
    return {QByteArray::fromStdString(formJson().dump(2)), seeds_->text(), QByteArray::fromStdString(studyParts().dump()),
            asLoaded_};
}

json DesignerPage::activeSweeps() const {
    json sweeps = json::object();
    for (const QString& path : fields_->sweepablePaths()) {
        const SweepableField* field = fields_->sweepField(path);
        // A swept field that does not apply under the form's choices is left out, as its value is.
        if (field->isSweeping() && tableFields_->applies(path))
            sweeps[path.toStdString()] = field->sweepEditor()->gridValue();
    }
    if (methodForm_->method() == methodName_->currentText()) {
        const json parameters = methodForm_->sweeps();
        for (auto it = parameters.begin(); it != parameters.end(); ++it) sweeps["method." + it.key()] = it.value();
    }
    return sweeps;
}

json DesignerPage::studyParts() const {
    return {{"sweeps", activeSweeps()},
            {"stop_below_median", stopBelowMedian_->isChecked()},
            {"grace_epochs", graceEpochs_->value()},
            {"kept", kept_}};
}

StudyDesign DesignerPage::currentDesign() const {
    StudyDesign design;
    design.sweeps = activeSweeps();
    QStringList swept;
    for (auto it = design.sweeps.begin(); it != design.sweeps.end(); ++it) swept << QString::fromStdString(it.key());
    design.base = formJson(swept);
    // The name field names the study; left empty, the study is named as an unnamed run would be.
    design.name = tableFields_->text(QStringLiteral("name")).trimmed();
    if (design.name.isEmpty())
        design.name = methodName_->currentText() + QLatin1Char('-') + studentModel_->currentText().trimmed();
    for (qint64 seed : seeds()) design.seeds.push_back(seed);
    design.stopBelowMedian = stopBelowMedian_->isChecked();
    design.graceEpochs = graceEpochs_->value();
    design.kept = kept_;
    return design;
}

bool DesignerPage::isStudy() const {
    return !asLoaded_.isEmpty() || !kept_.empty() || seeds().size() > 1 || !activeSweeps().empty();
}

std::string DesignerPage::studyText() const {
    return asLoaded_.isEmpty() ? StudyDesign::text(currentDesign().toJson()) : asLoaded_.toStdString();
}

QByteArray DesignerPage::studyJson() const { return isStudy() ? QByteArray::fromStdString(studyText()) : QByteArray(); }

QByteArray DesignerPage::specJson() const { return QByteArray::fromStdString(formJson().dump(2)); }

QList<spec::RunSpec> DesignerPage::runSpecs() const {
    if (isStudy()) {
        QList<spec::RunSpec> specs;
        if (plan_ && isValid())
            for (const spec::StudyRun& run : plan_->runs) specs << run.spec;
        return specs;
    }
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

void DesignerPage::fillForm(const json& spec, const QString& seeds, const json& parts) {
    const spec::RunSpec defaults;
    tableFields_->fill(spec);
    teacher_->fill(spec);
    showInCombo(studentModel_, stringAt(member(spec, "student"), "model", defaults.studentModel));
    studentInit_->setText(stringAt(member(spec, "student"), "init", ""));
    const json& method = member(spec, "method");
    const QString methodName = stringAt(method, "name", defaults.method.name);
    showInCombo(methodName_, methodName);
    methodForm_->setMethod(methodName);
    methodForm_->setValues(method);
    seeds_->setText(seeds);
    applyStudyParts(parts);
    updateVisibility();
}

void DesignerPage::applyStudyParts(const json& parts) {
    const json& sweeps = member(parts, "sweeps");
    json methodSweeps = json::object();
    for (auto it = sweeps.begin(); it != sweeps.end(); ++it)
        if (isMethodParameterPath(QString::fromStdString(it.key()))) methodSweeps[it.key().substr(7)] = it.value();
    for (const QString& path : fields_->sweepablePaths()) {
        SweepableField* field = fields_->sweepField(path);
        const std::string key = path.toStdString();
        field->setSweeping(sweeps.contains(key) && field->sweepEditor()->setGridValue(sweeps[key]));
    }
    methodForm_->setSweeps(methodSweeps);
    stopBelowMedian_->setChecked(boolAt(parts, "stop_below_median", false));
    setSpin(graceEpochs_, integerAt(parts, "grace_epochs", spec::EarlyStopping{}.graceEpochs));
    kept_ = member(parts, "kept");
}

void DesignerPage::applyState(const DesignState& state) {
    json spec, parts;
    try {
        spec = json::parse(state.specJson.toStdString());
        parts = json::parse(state.study.toStdString());
    } catch (const json::parse_error&) {
        return;   // states are written by formState(): always JSON
    }
    applying_ = true;
    fillForm(spec, state.seeds, parts);
    asLoaded_ = state.asLoaded;
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
    if (path == QLatin1String("method.name")) followMethodSweep();
    updateVisibility();
    int id = fields_->mergeId(path);
    if (id == 0) id = 1000 + int(qHash(path) % 100000);   // a method parameter: merges per parameter
    commit(tr("Edit %1").arg(path), id);
}

void DesignerPage::onSweepToggled(const QString& path) {
    if (applying_) return;
    if (path == QLatin1String("method.name")) followMethodSweep();
    updateVisibility();
    const SweepableField* field = sweepField(path);
    // A toggle is a step of its own: undo turns it back even right after an edit of the same field.
    commit(field && field->isSweeping() ? tr("Sweep %1").arg(path) : tr("One value for %1").arg(path),
           SpecEditCommand::kNoMerge);
}

// The method whose parameters the form shows stays one of the swept methods: when it is unchecked,
// the first checked one takes its place (with its parameters at their defaults).
void DesignerPage::followMethodSweep() {
    const SweepableField* sweep = fields_->sweepField(QStringLiteral("method.name"));
    if (!sweep->isSweeping()) return;
    const json checked = sweep->sweepEditor()->gridValue();
    const json current = methodName_->currentText().toStdString();
    if (checked.empty() || std::find(checked.begin(), checked.end(), current) != checked.end()) return;
    const QString first = QString::fromStdString(checked.front().get<std::string>());
    {
        const QSignalBlocker blocker(methodName_);
        methodName_->setCurrentText(first);
    }
    methodForm_->setMethod(first);
}

void DesignerPage::commit(const QString& text, int fieldId) {
    const DesignState before = state_;
    DesignState after = formState();
    // The file as loaded shows until the form changes; then the form's study replaces it.
    after.asLoaded.clear();
    if (after.sameForm(before)) return;
    asLoaded_.clear();
    state_ = after;
    undoStack_->push(new SpecEditCommand(text, fieldId, before, after, [this](const DesignState& s) { applyState(s); }));
    refresh();
}

void DesignerPage::newExperiment() {
    const DesignState before = state_;
    applying_ = true;
    fillForm(json::object(), QStringLiteral("1"));
    asLoaded_.clear();
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
    state_ = formState();
    const bool study = isStudy();
    errors_.clear();
    plan_.reset();
    json described = spec;
    QString text;
    if (study) {
        const std::string studyText = this->studyText();
        text = QString::fromStdString(studyText);
        errors_ = studyErrors(studyText, &plan_);
        // The pair view shows the study's first student configuration of the form's method (the one
        // whose parameters the form shows), else its first.
        if (plan_) {
            const std::string formMethod = methodName_->currentText().toStdString();
            const spec::StudyRun* shown = nullptr;
            for (const spec::StudyRun& run : plan_->runs)
                if (!run.teacher && (!shown || (shown->spec.method.name != formMethod && run.spec.method.name == formMethod)))
                    shown = &run;
            if (shown) described = spec::toJson(shown->spec);
        }
    } else {
        text = QString::fromStdString(spec.dump(2));
        for (const auto& e : spec::parseRunSpec(spec).errors)
            errors_.append({QString::fromStdString(e.path), QString::fromStdString(e.message)});
        errors_.append(seedErrors());
    }
    if (specView_->toPlainText() != text) specView_->setPlainText(text);
    specBox_->setTitle(study ? tr("Study (JSON)") : tr("Spec (JSON)"));
    earlyStopping_->setEnabled(study);

    // The engine is asked again only when the pair's part of the spec changed.
    json pairPart = json::object();
    for (const char* key : {"data", "teacher", "student", "method"})
        if (described.contains(key)) pairPart[key] = described[key];
    const QByteArray key = QByteArray::fromStdString(pairPart.dump());
    if (key != describedKey_) {
        describedKey_ = key;
        describedSpec_ = QByteArray::fromStdString(described.dump());
        describeErrors_.clear();
        describer_->request(describedSpec_);
    }
    updateSweepPreviews();
    updateQueueButton(study);
    showErrors();
}

// The study parser's errors, placed where the form shows them, and the seeds field's own.
QList<FieldError> DesignerPage::studyErrors(const std::string& text, std::optional<spec::StudyPlan>* plan) const {
    QList<FieldError> errors;
    spec::ExperimentParse parsed = spec::parseExperiment(text);
    const json study = json::parse(text, nullptr, /*allow_exceptions=*/false);
    const QList<FieldError> seedProblems = seedErrors();
    for (const spec::SpecError& e : parsed.errors) {
        const FieldError error = StudyDesign::formError(e, study, methodName_->currentText());
        // Only valid seeds reach the study: the seeds field says what is wrong with the others.
        if (error.path == QLatin1String("seed") && !seedProblems.isEmpty()) continue;
        if (!errors.contains(error)) errors.append(error);
    }
    errors.append(seedProblems);
    if (plan && parsed.ok() && parsed.study) *plan = std::move(parsed.study);
    return errors;
}

void DesignerPage::setQueueButtonText(const QString& queueText) {
    // "Queue 12 runs (…)" becomes "Submit 12 runs (…) to Slurm" when the runs go to the cluster.
    if (!clusterTarget_->onSlurm()) {
        queueButton_->setText(queueText);
        return;
    }
    QString text = queueText;
    if (text.startsWith(tr("Queue"))) text.replace(0, tr("Queue").size(), tr("Submit"));
    queueButton_->setText(tr("%1 to Slurm").arg(text));
}

void DesignerPage::updateQueueButton(bool study) {
    if (!study) {
        const int runs = int(seeds().size());
        setQueueButtonText(runs == 1 ? tr("Queue 1 run") : tr("Queue %1 runs").arg(runs));
        return;
    }
    if (!plan_) {
        setQueueButtonText(tr("Queue the study"));
        return;
    }
    size_t teacherRuns = 0;
    for (const spec::StudyRun& run : plan_->runs) teacherRuns += run.teacher ? 1 : 0;
    const size_t configurations = plan_->configurations();
    const size_t studentRuns = plan_->runs.size() - teacherRuns;
    const qint64 seedsEach = configurations ? qint64(studentRuns / configurations) : 0;
    const QString product = counted(qint64(configurations), tr("configuration"), tr("configurations")) +
                            QStringLiteral(" × ") + counted(seedsEach, tr("seed"), tr("seeds"));
    const QString runs = counted(qint64(plan_->runs.size()), tr("run"), tr("runs"));
    setQueueButtonText(teacherRuns == 0 ? tr("Queue %1 (%2)").arg(runs, product)
                                           : tr("Queue %1 (%2 + %3)")
                                                 .arg(runs, counted(qint64(teacherRuns), tr("teacher run"), tr("teacher runs")),
                                                      product));
}

// Under each range, the values it expands to, as the study's runs take them.
void DesignerPage::updateSweepPreviews() {
    QStringList paths = fields_->sweepablePaths();
    for (const QString& parameter : methodForm_->parameterNames()) paths << QStringLiteral("method.") + parameter;
    for (const QString& path : paths) {
        SweepableField* field = sweepField(path);
        if (!field) continue;
        QStringList values;
        if (plan_ && field->isSweeping() && field->sweepEditor()->gridValue().is_object()) {
            const std::string key = path.toStdString();
            std::vector<json> seen;
            for (const spec::StudyRun& run : plan_->runs)
                for (const auto& [variedPath, value] : run.varied)
                    if (variedPath == key && std::find(seen.begin(), seen.end(), value) == seen.end()) {
                        seen.push_back(value);
                        values << itemText(value);
                    }
        }
        field->sweepEditor()->setPreview(values.join(QStringLiteral(", ")));
    }
}

void DesignerPage::showErrors() {
    // A method parameter's error goes under its editor in the method form (one about a range of its
    // sweep, "method.T.linspace", names the range); the others under the form's fields, or below the
    // form when no field takes them.
    QHash<QString, QStringList> byParameter;
    QList<FieldError> formErrors;
    static const QRegularExpression parameterEnd(QStringLiteral("[.\\[]"));
    for (const QList<FieldError>* list : {&errors_, &describeErrors_})
        for (const FieldError& e : *list) {
            const QString rest = e.path.mid(7);
            const QString parameter = rest.section(parameterEnd, 0, 0);
            if (e.path.startsWith(QLatin1String("method.")) && methodForm_->editor(parameter)) {
                const bool subField = rest.size() > parameter.size() && rest.at(parameter.size()) == QLatin1Char('.');
                const QString prefix = subField ? rest.mid(parameter.size() + 1) + QStringLiteral(": ") : QString();
                byParameter[parameter] << prefix + e.message;
            } else {
                formErrors << e;
            }
        }
    const QStringList general = fields_->showErrors(formErrors);
    methodForm_->clearErrors();
    for (auto it = byParameter.cbegin(); it != byParameter.cend(); ++it)
        methodForm_->setFieldError(it.key(), it.value().join(QLatin1Char('\n')));
    generalError_->setError(general.join(QLatin1Char('\n')));
    const QString clusterProblem = clusterTarget_->problem();
    if (!clusterProblem.isEmpty()) {
        generalError_->setError(general.isEmpty() ? clusterProblem : generalError_->error() + QLatin1Char('\n') + clusterProblem);
    }
    queueButton_->setEnabled(isValid() && clusterProblem.isEmpty());
    const QString ready = isStudy() ? tr("Queue the study's runs in the open store: one per configuration and seed")
                                    : tr("Queue one run per seed in the open store");
    queueButton_->setToolTip(isValid() ? ready : tr("Fix the errors shown under the fields first"));
}

void DesignerPage::updateVisibility() {
    tableFields_->updateVisibility();
    const bool folder = tableFields_->text(QStringLiteral("data.name")) == QLatin1String("folder");
    if (auto* data = qobject_cast<QFormLayout*>(folderPreview_->parentWidget()->layout()))
        setFormRowVisible(data, folderPreview_, folder);
    if (folder) folderPreview_->setRoot(tableFields_->text(QStringLiteral("data.root")));
    teacher_->updateVisibility();
    const bool methodSwept = fields_->sweepField(QStringLiteral("method.name"))->isSweeping();
    methodSweepNote_->setVisible(methodSwept);
    if (methodSwept)
        methodSweepNote_->setText(tr("Each checked method is one block of the study. The parameters below are %1's; "
                                     "the other methods run at their defaults.")
                                      .arg(methodName_->currentText()));
}

QWidget* DesignerPage::fieldWidget(const QString& path) const {
    if (path.startsWith(QLatin1String("method.")) && methodForm_->editor(path.mid(7))) return methodForm_->editor(path.mid(7));
    return fields_->editor(path);
}

SweepableField* DesignerPage::sweepField(const QString& path) const {
    if (isMethodParameterPath(path)) return methodForm_->sweepField(path.mid(7));
    return fields_->sweepField(path);
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
    if (spec::isStudy(document)) return loadStudy(document, what);
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
    asLoaded_.clear();
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

bool DesignerPage::loadStudy(const json& study, const QString& what) {
    QStringList keptParts;
    const StudyDesign design = StudyDesign::fromJson(study, &keptParts);
    json run = design.base;
    if (!design.name.isEmpty()) run["name"] = design.name.toStdString();
    QStringList seedTexts;
    for (const json& seed : design.seeds.is_array() ? design.seeds : json::array()) seedTexts << itemText(seed);
    const json parts = {{"sweeps", design.sweeps},
                        {"stop_below_median", design.stopBelowMedian},
                        {"grace_epochs", design.graceEpochs},
                        {"kept", design.kept}};

    const DesignState before = state_;
    applying_ = true;
    fillForm(run, seedTexts.join(QStringLiteral(", ")), parts);
    asLoaded_ = QByteArray::fromStdString(StudyDesign::text(study));
    applying_ = false;
    const DesignState after = formState();
    state_ = after;
    if (after != before)
        undoStack_->push(new SpecEditCommand(tr("Load study"), SpecEditCommand::kNoMerge, before, after,
                                             [this](const DesignState& s) { applyState(s); }));
    refresh();

    // One .arg() call per text: a file name holding "%2" stays as it is.
    QStringList notes{tr("%1 is a study: the form shows its base, sweeps and seeds. The JSON pane shows the file as "
                         "loaded until you edit the form.").arg(what)};
    if (!keptParts.isEmpty())
        notes << tr("Kept as written, since the form cannot show them (edit them in the file; a field you sweep here "
                    "replaces the file's sweep of it):\n%1").arg(keptParts.join(QLatin1Char('\n')));
    // What the file said wrong that the form's study no longer says: the form could not hold it.
    const QList<FieldError> formsErrors = studyErrors(StudyDesign::text(currentDesign().toJson()), nullptr);
    QStringList lost;
    for (const FieldError& error : errors_)
        if (!formsErrors.contains(error)) lost << error.path + QStringLiteral(": ") + error.message;
    if (!lost.isEmpty())
        notes << tr("Not taken into the form from %1 (fix them there, or here in the form):\n%2")
                     .arg(what, lost.join(QLatin1Char('\n')));
    notice_->setText(notes.join(QLatin1Char('\n')));
    notice_->setVisible(true);
    return true;
}

bool DesignerPage::saveSpecFile(const QString& path, QString* error) const {
    // One run: the spec; a study otherwise (several seeds or a sweep), as the JSON pane shows it.
    const std::string text = isStudy() ? studyText() : formJson().dump(2);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(QByteArray::fromStdString(text + "\n")) < 0 || !file.commit()) {
        if (error) *error = tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(path), file.errorString());
        return false;
    }
    return true;
}

void DesignerPage::saveSpec() {
    const QString path = QFileDialog::getSaveFileName(this, isStudy() ? tr("Save study") : tr("Save spec"), QString(),
                                                      tr("Run specs and studies (*.json)"));
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
    const QString path = QFileDialog::getOpenFileName(this, tr("Load spec"), QString(),
                                                      tr("Run specs and studies (*.json);;All files (*)"));
    if (!path.isEmpty()) loadSpecFile(path);
}

void DesignerPage::queueRuns() {
    if (!isValid()) return;
    if (clusterTarget_->onSlurm()) {
        ClusterSubmission submission = clusterTarget_->submission();
        clusterTarget_->remember();
        if (isStudy()) {
            submission.specText = studyJson();
            submission.name = QString::fromStdString(plan_ ? plan_->name : std::string("study"));
        } else {
            nlohmann::json runs = nlohmann::json::array();
            for (const spec::RunSpec& run : runSpecs()) runs.push_back(spec::toJson(run));
            submission.specText = QByteArray::fromStdString(nlohmann::json{{"runs", runs}}.dump(2));
            submission.name = runs.empty() ? QStringLiteral("runs") : QString::fromStdString(runs[0].value("name", "runs"));
        }
        emit clusterSubmitRequested(submission);
        return;
    }
    if (isStudy()) {
        emit studyQueueRequested(studyJson());
        return;
    }
    QList<QByteArray> texts;
    for (const spec::RunSpec& run : runSpecs()) texts << QByteArray::fromStdString(spec::toJson(run).dump(2));
    emit queueRequested(texts);
}

}  // namespace distillery::views
