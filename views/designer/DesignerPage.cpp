#include "DesignerPage.h"

#include <algorithm>
#include <cmath>
#include <limits>
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
#include <QLocale>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSaveFile>
#include <QScrollArea>
#include <QScrollBar>
#include <QSet>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QUndoStack>
#include <QVBoxLayout>

#include "ErrorLabel.h"
#include "MethodForm.h"
#include "PairDescriber.h"
#include "PairView.h"
#include "PlainText.h"
#include "SpecEditCommand.h"
#include "spec/Catalog.h"
#include "spec/JsonText.h"
#include "spec/RunSpec.h"

namespace distillery::views {

using nlohmann::json;

namespace {

constexpr int kIntMax = std::numeric_limits<int>::max();

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

QStringList splitList(const QString& text) {
    QStringList items;
    for (const QString& item : text.split(QRegularExpression(QStringLiteral("[,\\s]+")), Qt::SkipEmptyParts))
        items << item;
    return items;
}

// A number field's value: a number when the text is one, else the text itself, so that the spec
// parser reports it ("must be a number, got \"abc\"") under the field.
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

// Readers of a spec object that fall back to a default when a key is missing or of the wrong type
// (the wrong type is reported by the parser and listed in the load notice).
QString stringAt(const json& object, const char* key, const std::string& fallback) {
    if (object.is_object() && object.contains(key) && object[key].is_string())
        return QString::fromStdString(object[key].get<std::string>());
    return QString::fromStdString(fallback);
}

QString numberTextAt(const json& object, const char* key, double fallback) {
    if (object.is_object() && object.contains(key)) {
        const json& v = object[key];
        if (v.is_number()) return numberText(v.get<double>());
        if (v.is_string()) return QString::fromStdString(v.get<std::string>());
    }
    return numberText(fallback);
}

int64_t integerAt(const json& object, const char* key, int64_t fallback) {
    if (object.is_object() && object.contains(key)) {
        const json& v = object[key];
        if (v.is_number_integer()) return v.get<int64_t>();
        if (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>()) return int64_t(v.get<double>());
    }
    return fallback;
}

bool boolAt(const json& object, const char* key, bool fallback) {
    if (object.is_object() && object.contains(key) && object[key].is_boolean()) return object[key].get<bool>();
    return fallback;
}

QString listTextAt(const json& object, const char* key) {
    QStringList items;
    if (object.is_object() && object.contains(key) && object[key].is_array())
        for (const auto& item : object[key]) {
            if (item.is_string()) items << QString::fromStdString(item.get<std::string>());
            else if (item.is_number()) items << numberText(item.get<double>());
        }
    return items.join(QStringLiteral(", "));
}

const json& member(const json& object, const char* key) {
    static const json empty = json::object();
    return object.is_object() && object.contains(key) ? object[key] : empty;
}

void setSpin(QSpinBox* spin, int64_t value) {
    spin->setValue(int(std::clamp<int64_t>(value, spin->minimum(), spin->maximum())));
}

// Shows text in a combo box, adding it as an item when it is not one (a loaded spec may name an
// unknown model: it stays visible, and so does its error).
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

QSpinBox* spinBox(int minimum, int maximum, const QString& specialValueText = QString()) {
    auto* spin = new QSpinBox;
    spin->setRange(minimum, maximum);
    spin->setSpecialValueText(specialValueText);
    spin->setAccelerated(true);
    return spin;
}

QComboBox* comboBox(const QStringList& items, bool editable = false) {
    auto* combo = new QComboBox;
    combo->addItems(items);
    combo->setEditable(editable);
    if (editable) combo->setInsertPolicy(QComboBox::NoInsert);
    return combo;
}

QString runLabel(const store::RunRow& run) {
    return QStringLiteral("#%1 %2 · %3").arg(run.id).arg(QString::fromStdString(run.name), QString::fromStdString(run.student));
}

constexpr int kRunIdRole = Qt::UserRole;
constexpr int kRunNameRole = Qt::UserRole + 1;

}  // namespace

DesignerPage::DesignerPage(const QString& enginePath, QWidget* parent)
    : QWidget(parent), undoStack_(new QUndoStack(this)), describer_(new PairDescriber(enginePath, this)) {
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

QWidget* DesignerPage::withBrowseButton(QLineEdit* line, const QString& title, const QString& filter) {
    auto* box = new QWidget;
    auto* row = new QHBoxLayout(box);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(line, 1);
    auto* browse = new QPushButton(tr("Browse…"));
    connect(browse, &QPushButton::clicked, this, [this, line, title, filter] {
        const QString path = filter.isEmpty() ? QFileDialog::getExistingDirectory(this, title, line->text())
                                              : QFileDialog::getOpenFileName(this, title, line->text(), filter);
        if (path.isEmpty()) return;
        line->setText(path);
        // setText is not an edit of the user's: commit it as one.
        emit line->textEdited(path);
    });
    row->addWidget(browse);
    return box;
}

QWidget* DesignerPage::addField(QFormLayout* form, const QString& label, const QString& path, QWidget* editor,
                                const QString& help, QWidget* display) {
    auto* cell = new QWidget;
    auto* column = new QVBoxLayout(cell);
    column->setContentsMargins(0, 0, 0, 0);
    column->setSpacing(1);
    column->addWidget(display ? display : editor);
    auto* error = new ErrorLabel;
    column->addWidget(error);
    editor->setToolTip(help);
    auto* labelWidget = new QLabel(label);
    labelWidget->setToolTip(help);
    form->addRow(labelWidget, cell);
    Field field;
    field.editor = editor;
    field.error = error;
    field.row = cell;
    field.id = int(fields_.size()) + 1;
    fields_.insert(path, field);
    watch(editor, path);
    return cell;
}

void DesignerPage::alias(const QString& path, const QString& registeredPath) { fields_.insert(path, fields_.value(registeredPath)); }

void DesignerPage::watch(QWidget* editor, const QString& path) {
    if (auto* line = qobject_cast<QLineEdit*>(editor)) {
        connect(line, &QLineEdit::textEdited, this, [this, path] { onEdited(path); });
    } else if (auto* spin = qobject_cast<QSpinBox*>(editor)) {
        connect(spin, &QSpinBox::valueChanged, this, [this, path] { onEdited(path); });
    } else if (auto* check = qobject_cast<QCheckBox*>(editor)) {
        connect(check, &QCheckBox::toggled, this, [this, path] { onEdited(path); });
    } else if (auto* combo = qobject_cast<QComboBox*>(editor)) {
        connect(combo, &QComboBox::currentIndexChanged, this, [this, path] { onEdited(path); });
        if (combo->isEditable()) connect(combo, &QComboBox::editTextChanged, this, [this, path] { onEdited(path); });
    }
}

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
    const QStringList models = toQStringList(spec::modelNames());

    // Run
    QFormLayout* run = group(tr("Run"));
    name_ = new QLineEdit;
    name_->setPlaceholderText(tr("default: <method>-<student>"));
    addField(run, tr("Name"), QStringLiteral("name"), name_, tr("The run's name in the runs list; seeds share it"));

    // Teacher
    QFormLayout* teacher = group(tr("Teacher"));
    teacherSource_ = comboBox({tr("No teacher"), tr("Zoo model + checkpoint file"), tr("Finished run of this store"),
                               tr("TorchScript file")});
    addField(teacher, tr("Source"), QStringLiteral("teacher"), teacherSource_,
             tr("Where the teacher's trained weights come from"));
    teacherPages_ = new QStackedWidget;
    teacherPages_->addWidget(new QWidget);   // no teacher: nothing to fill in
    {
        auto* page = new QWidget;
        auto* pageForm = new QFormLayout(page);
        pageForm->setContentsMargins(0, 0, 0, 0);
        teacherModel_ = comboBox(models, true);
        addField(pageForm, tr("Model"), QStringLiteral("teacher.model"), teacherModel_, tr("The teacher's zoo network"));
        teacherCheckpoint_ = new QLineEdit;
        teacherCheckpoint_->setPlaceholderText(tr("a checkpoint file written by the engine"));
        addField(pageForm, tr("Checkpoint"), QStringLiteral("teacher.checkpoint"), teacherCheckpoint_,
                 tr("The weights of the model above, as the engine saved them"),
                 withBrowseButton(teacherCheckpoint_, tr("Teacher checkpoint"), tr("Checkpoints (*.pt *.pth);;All files (*)")));
        teacherPages_->addWidget(page);
    }
    {
        auto* page = new QWidget;
        auto* pageForm = new QFormLayout(page);
        pageForm->setContentsMargins(0, 0, 0, 0);
        teacherRun_ = comboBox({});
        addField(pageForm, tr("Run"), QStringLiteral("teacher.run_id"), teacherRun_,
                 tr("A finished run of the open store: its student becomes the teacher"));
        alias(QStringLiteral("teacher.run_name"), QStringLiteral("teacher.run_id"));
        teacherRunReference_ = comboBox({tr("by id (this run)"), tr("by name (the newest finished run so named)")});
        addField(pageForm, tr("Refer to it"), QStringLiteral("teacher.reference"), teacherRunReference_,
                 tr("By name, a spec keeps working when the teacher is trained again or the store is rebuilt"));
        teacherPages_->addWidget(page);
    }
    {
        auto* page = new QWidget;
        auto* pageForm = new QFormLayout(page);
        pageForm->setContentsMargins(0, 0, 0, 0);
        teacherScript_ = new QLineEdit;
        teacherScript_->setPlaceholderText(tr("a module saved by torch.jit.save"));
        addField(pageForm, tr("File"), QStringLiteral("teacher.torchscript"), teacherScript_,
                 tr("A network exported from PyTorch with torch.jit.save"),
                 withBrowseButton(teacherScript_, tr("TorchScript teacher"), tr("TorchScript (*.pt *.pth *.ts);;All files (*)")));
        teacherStem_ = new QLineEdit;
        teacherStem_->setPlaceholderText(tr("e.g. conv1, bn1, relu"));
        addField(pageForm, tr("Stem"), QStringLiteral("teacher.stem"), teacherStem_,
                 tr("Submodules forming the stem, comma-separated; feature methods need stem, stages and classifier"));
        teacherStages_ = new QLineEdit;
        teacherStages_->setPlaceholderText(tr("e.g. layer1, layer2, layer3"));
        addField(pageForm, tr("Stages"), QStringLiteral("teacher.stages"), teacherStages_,
                 tr("Submodules forming the stages, in order, comma-separated"));
        teacherClassifier_ = new QLineEdit;
        teacherClassifier_->setPlaceholderText(tr("e.g. fc"));
        addField(pageForm, tr("Classifier"), QStringLiteral("teacher.classifier"), teacherClassifier_,
                 tr("The submodule mapping pooled features to logits"));
        teacherPages_->addWidget(page);
    }
    teacher->addRow(teacherPages_);

    // Student
    QFormLayout* student = group(tr("Student"));
    studentModel_ = comboBox(models, true);
    addField(student, tr("Model"), QStringLiteral("student.model"), studentModel_, tr("The zoo network being trained"));
    alias(QStringLiteral("student"), QStringLiteral("student.model"));

    // Data
    QFormLayout* data = group(tr("Data"));
    dataName_ = comboBox(toQStringList(spec::datasetNames()));
    addField(data, tr("Data set"), QStringLiteral("data.name"), dataName_, tr("The images to train on"));
    alias(QStringLiteral("data"), QStringLiteral("data.name"));
    dataRoot_ = new QLineEdit;
    dataRoot_->setPlaceholderText(tr("the data set's default location"));
    addField(data, tr("Folder"), QStringLiteral("data.root"), dataRoot_,
             tr("The folder holding the data set's files; Distillery never downloads data"),
             withBrowseButton(dataRoot_, tr("Data folder"), QString()));
    trainSubset_ = spinBox(0, kIntMax, tr("all"));
    addField(data, tr("Train subset"), QStringLiteral("data.train_subset"), trainSubset_,
             tr("Training images used; all = every image not held out for validation"));
    valSize_ = spinBox(0, kIntMax);
    addField(data, tr("Validation size"), QStringLiteral("data.val_size"), valSize_,
             tr("Images held out from the training files for validation"));
    augment_ = new QCheckBox(tr("pad-and-crop + horizontal flip"));
    addField(data, tr("Augment"), QStringLiteral("data.augment"), augment_, tr("Augment the training images"));
    pad_ = spinBox(0, 64);
    addField(data, tr("Crop padding"), QStringLiteral("data.pad"), pad_, tr("Padding in pixels before the random crop"));
    syntheticChannels_ = spinBox(1, 64);
    addField(data, tr("Channels"), QStringLiteral("data.channels"), syntheticChannels_, tr("Synthetic images: channels"));
    syntheticHeight_ = spinBox(1, 4096);
    addField(data, tr("Height"), QStringLiteral("data.height"), syntheticHeight_, tr("Synthetic images: height (>= 28)"));
    syntheticWidth_ = spinBox(1, 4096);
    addField(data, tr("Width"), QStringLiteral("data.width"), syntheticWidth_, tr("Synthetic images: width (>= 28)"));
    syntheticClasses_ = spinBox(1, 100000);
    addField(data, tr("Classes"), QStringLiteral("data.num_classes"), syntheticClasses_, tr("Synthetic images: classes"));
    syntheticTrainSize_ = spinBox(1, kIntMax);
    addField(data, tr("Training images"), QStringLiteral("data.train_size"), syntheticTrainSize_,
             tr("Synthetic images: size of the training files"));
    syntheticTestSize_ = spinBox(1, kIntMax);
    addField(data, tr("Test images"), QStringLiteral("data.test_size"), syntheticTestSize_,
             tr("Synthetic images: size of the test split"));

    // Method
    QFormLayout* method = group(tr("Method"));
    QStringList methods;
    for (const auto& m : spec::methodCatalog()) methods << QString::fromStdString(m.name);
    methodName_ = comboBox(methods);
    methodForm_ = new MethodForm;
    // Before addField's connection: the new method's fields must exist when the edit is committed.
    connect(methodName_, &QComboBox::currentIndexChanged, this, [this] {
        if (!applying_) methodForm_->setMethod(methodName_->currentText());
    });
    addField(method, tr("Method"), QStringLiteral("method.name"), methodName_, tr("The distillation method"));
    alias(QStringLiteral("method"), QStringLiteral("method.name"));
    method->addRow(methodForm_);
    connect(methodForm_, &MethodForm::edited, this,
            [this](const QString& parameter) { onEdited(QStringLiteral("method.") + parameter); });

    // Optimisation
    QFormLayout* optim = group(tr("Optimiser and schedule"));
    optimName_ = comboBox({QStringLiteral("sgd"), QStringLiteral("adamw")});
    addField(optim, tr("Optimiser"), QStringLiteral("optim.name"), optimName_, tr("SGD (with momentum) or AdamW"));
    const auto numberLine = [](const QString& hint = QString()) {
        auto* line = new QLineEdit;
        line->setPlaceholderText(hint);
        return line;
    };
    lr_ = numberLine();
    addField(optim, tr("Learning rate"), QStringLiteral("optim.lr"), lr_, tr("The student's initial learning rate (> 0)"));
    momentum_ = numberLine();
    addField(optim, tr("Momentum"), QStringLiteral("optim.momentum"), momentum_, tr("SGD momentum in [0, 1)"));
    nesterov_ = new QCheckBox(tr("Nesterov momentum"));
    addField(optim, tr("Nesterov"), QStringLiteral("optim.nesterov"), nesterov_, tr("SGD with Nesterov momentum"));
    weightDecay_ = numberLine();
    addField(optim, tr("Weight decay"), QStringLiteral("optim.weight_decay"), weightDecay_,
             tr("SGD: L2 in the gradient; AdamW: decoupled (>= 0)"));
    beta1_ = numberLine();
    addField(optim, tr("β1"), QStringLiteral("optim.beta1"), beta1_, tr("AdamW: first-moment decay in [0, 1)"));
    beta2_ = numberLine();
    addField(optim, tr("β2"), QStringLiteral("optim.beta2"), beta2_, tr("AdamW: second-moment decay in [0, 1)"));
    eps_ = numberLine();
    addField(optim, tr("ε"), QStringLiteral("optim.eps"), eps_, tr("AdamW: denominator term (> 0)"));
    gradClip_ = numberLine();
    addField(optim, tr("Gradient clip"), QStringLiteral("optim.grad_clip"), gradClip_,
             tr("Max global L2 norm of the gradients; 0 = off"));
    labelSmoothing_ = numberLine();
    addField(optim, tr("Label smoothing"), QStringLiteral("optim.label_smoothing"), labelSmoothing_,
             tr("Of every cross-entropy on the labels, in [0, 1)"));
    alias(QStringLiteral("optim"), QStringLiteral("optim.name"));
    scheduleName_ = comboBox({QStringLiteral("multistep"), QStringLiteral("cosine"), QStringLiteral("constant")});
    addField(optim, tr("Schedule"), QStringLiteral("schedule.name"), scheduleName_,
             tr("multistep: lr × gamma at each milestone; cosine: down to the minimum; constant"));
    alias(QStringLiteral("schedule"), QStringLiteral("schedule.name"));
    milestones_ = numberLine(tr("e.g. 150, 180, 210"));
    addField(optim, tr("Milestones"), QStringLiteral("schedule.milestones"), milestones_,
             tr("Epochs at which the learning rate is multiplied by gamma, comma-separated"));
    gamma_ = numberLine();
    addField(optim, tr("Gamma"), QStringLiteral("schedule.gamma"), gamma_, tr("The factor at each milestone, in (0, 1]"));
    minLr_ = numberLine();
    addField(optim, tr("Minimum lr"), QStringLiteral("schedule.min_lr"), minLr_, tr("Cosine: the learning rate at the end"));
    warmup_ = numberLine();
    addField(optim, tr("Warm-up epochs"), QStringLiteral("schedule.warmup_epochs"), warmup_,
             tr("Linear warm-up from ~0 to the learning rate over this many epochs (fractions allowed)"));

    // Training
    QFormLayout* training = group(tr("Training"));
    epochs_ = spinBox(1, 100000);
    addField(training, tr("Epochs"), QStringLiteral("epochs"), epochs_, tr("Passes over the training split"));
    batchSize_ = spinBox(1, 1 << 20);
    addField(training, tr("Batch size"), QStringLiteral("batch_size"), batchSize_, tr("Training images per step"));
    evalBatchSize_ = spinBox(1, 1 << 20);
    addField(training, tr("Evaluation batch"), QStringLiteral("eval_batch_size"), evalBatchSize_,
             tr("Images per batch when evaluating"));
    maxSteps_ = spinBox(0, kIntMax, tr("whole training split"));
    addField(training, tr("Steps per epoch"), QStringLiteral("max_steps_per_epoch"), maxSteps_,
             tr("Caps the steps of each epoch, for quick trials"));
    checkpointEvery_ = spinBox(0, 100000, tr("last and best only"));
    addField(training, tr("Checkpoint every"), QStringLiteral("checkpoint_every"), checkpointEvery_,
             tr("Epochs between periodic checkpoints"));

    // Seeds and diagnostics
    QFormLayout* seeds = group(tr("Seeds and diagnostics"));
    seeds_ = new QLineEdit;
    seeds_->setPlaceholderText(tr("e.g. 1, 2, 3 (one run per seed)"));
    addField(seeds, tr("Seeds"), QStringLiteral("seed"), seeds_, tr("One run per seed; whole numbers >= 0"));
    logEvery_ = spinBox(1, 1000000);
    addField(seeds, tr("Log every"), QStringLiteral("log_every"), logEvery_, tr("Steps between metric rows"));
    diagnosticsEvery_ = spinBox(0, 1000000, tr("never"));
    addField(seeds, tr("Diagnostics every"), QStringLiteral("diagnostics_every"), diagnosticsEvery_,
             tr("Steps between diagnostic rows (gates, channel statistics, path weights)"));

    // Device
    QFormLayout* device = group(tr("Device"));
    device_ = comboBox({QStringLiteral("auto"), QStringLiteral("cpu"), QStringLiteral("cuda")}, true);
    addField(device, tr("Device"), QStringLiteral("device"), device_, tr("auto, cpu, cuda or cuda:N"));
    precision_ = comboBox({QStringLiteral("fp32"), QStringLiteral("bf16"), QStringLiteral("auto"), QStringLiteral("fp16")});
    addField(device, tr("Precision"), QStringLiteral("precision"), precision_,
             tr("The forward passes' arithmetic: fp32; bf16 (about 3× faster on a CPU with AVX-512 BF16 or AMX); "
                "auto = bf16 where the device computes it natively; fp16 on CUDA only. Weights and losses stay fp32."));
    threads_ = spinBox(0, 1024, tr("all cores"));
    addField(device, tr("Threads"), QStringLiteral("threads"), threads_, tr("CPU threads of the engine"));
    column->addStretch(1);
    return form;
}

// ---- the spec the form builds -------------------------------------------------------------------

QList<qint64> DesignerPage::seeds() const {
    QList<qint64> out;
    for (const QString& item : splitList(seeds_->text())) {
        bool ok = false;
        const qint64 seed = item.toLongLong(&ok);
        if (ok && seed >= 0 && !out.contains(seed)) out << seed;
    }
    return out;
}

QList<FieldError> DesignerPage::seedErrors() const {
    QList<FieldError> errors;
    const QStringList items = splitList(seeds_->text());
    if (items.isEmpty()) errors.append({QStringLiteral("seed"), tr("give at least one seed, e.g. 1 or 1, 2, 3")});
    QList<qint64> seen;
    for (const QString& item : items) {
        bool ok = false;
        const qint64 seed = item.toLongLong(&ok);
        if (!ok || seed < 0)
            errors.append({QStringLiteral("seed"), tr("\"%1\" is not a whole number >= 0; seeds are listed like 1, 2, 3").arg(item)});
        else if (seen.contains(seed))
            errors.append({QStringLiteral("seed"), tr("%1 is listed twice; each seed gives one run").arg(seed)});
        seen << seed;
    }
    return errors;
}

json DesignerPage::formJson() const {
    json spec = json::object();
    if (!name_->text().trimmed().isEmpty()) spec["name"] = name_->text().trimmed().toStdString();

    const QString dataName = dataName_->currentText();
    json data = {{"name", dataName.toStdString()},
                 {"val_size", valSize_->value()},
                 {"train_subset", trainSubset_->value()},
                 {"augment", augment_->isChecked()},
                 {"pad", pad_->value()}};
    if (!dataRoot_->text().trimmed().isEmpty()) data["root"] = dataRoot_->text().trimmed().toStdString();
    if (dataName == QLatin1String("synthetic")) {
        data["channels"] = syntheticChannels_->value();
        data["height"] = syntheticHeight_->value();
        data["width"] = syntheticWidth_->value();
        data["num_classes"] = syntheticClasses_->value();
        data["train_size"] = syntheticTrainSize_->value();
        data["test_size"] = syntheticTestSize_->value();
    }
    spec["data"] = data;

    switch (TeacherSource(teacherSource_->currentIndex())) {
    case TeacherSource::None: break;
    case TeacherSource::ZooCheckpoint: {
        json teacher = {{"model", teacherModel_->currentText().trimmed().toStdString()}};
        if (!teacherCheckpoint_->text().trimmed().isEmpty())
            teacher["checkpoint"] = teacherCheckpoint_->text().trimmed().toStdString();
        spec["teacher"] = teacher;
        break;
    }
    case TeacherSource::StoreRun: {
        json teacher = json::object();
        if (teacherRun_->currentIndex() >= 0) {
            const qint64 id = teacherRun_->currentData(kRunIdRole).toLongLong();
            const QString name = teacherRun_->currentData(kRunNameRole).toString();
            if (teacherRunReference_->currentIndex() == 1 && !name.isEmpty()) teacher["run_name"] = name.toStdString();
            else if (id > 0) teacher["run_id"] = id;
            else if (!name.isEmpty()) teacher["run_name"] = name.toStdString();
        }
        spec["teacher"] = teacher;
        break;
    }
    case TeacherSource::TorchScript: {
        json teacher = {{"torchscript", teacherScript_->text().trimmed().toStdString()}};
        if (!teacherStem_->text().trimmed().isEmpty()) teacher["stem"] = namesJson(teacherStem_);
        if (!teacherStages_->text().trimmed().isEmpty()) teacher["stages"] = namesJson(teacherStages_);
        if (!teacherClassifier_->text().trimmed().isEmpty())
            teacher["classifier"] = teacherClassifier_->text().trimmed().toStdString();
        spec["teacher"] = teacher;
        break;
    }
    }
    spec["student"] = {{"model", studentModel_->currentText().trimmed().toStdString()}};

    json method = methodForm_->method() == methodName_->currentText() ? methodForm_->changedValues() : json::object();
    method["name"] = methodName_->currentText().toStdString();
    spec["method"] = method;

    const bool sgd = optimName_->currentText() == QLatin1String("sgd");
    json optim = {{"name", optimName_->currentText().toStdString()},
                  {"lr", numberOrText(lr_)},
                  {"weight_decay", numberOrText(weightDecay_)},
                  {"grad_clip", numberOrText(gradClip_)},
                  {"label_smoothing", numberOrText(labelSmoothing_)}};
    if (sgd) {
        optim["momentum"] = numberOrText(momentum_);
        optim["nesterov"] = nesterov_->isChecked();
    } else {
        optim["beta1"] = numberOrText(beta1_);
        optim["beta2"] = numberOrText(beta2_);
        optim["eps"] = numberOrText(eps_);
    }
    spec["optim"] = optim;

    const QString scheduleName = scheduleName_->currentText();
    json schedule = {{"name", scheduleName.toStdString()},
                     {"gamma", numberOrText(gamma_)},
                     {"warmup_epochs", numberOrText(warmup_)}};
    if (scheduleName == QLatin1String("multistep")) {
        json milestones = json::array();
        for (const QString& item : splitList(milestones_->text())) {
            bool ok = false;
            const qint64 epoch = item.toLongLong(&ok);
            milestones.push_back(ok ? json(epoch) : json(item.toStdString()));
        }
        schedule["milestones"] = milestones;
    }
    if (scheduleName == QLatin1String("cosine")) schedule["min_lr"] = numberOrText(minLr_);
    spec["schedule"] = schedule;

    const QList<qint64> seedList = seeds();
    spec["epochs"] = epochs_->value();
    spec["batch_size"] = batchSize_->value();
    spec["eval_batch_size"] = evalBatchSize_->value();
    spec["seed"] = seedList.isEmpty() ? 0 : seedList.first();
    spec["device"] = device_->currentText().trimmed().toStdString();
    spec["precision"] = precision_->currentText().toStdString();
    spec["threads"] = threads_->value();
    spec["log_every"] = logEvery_->value();
    spec["diagnostics_every"] = diagnosticsEvery_->value();
    spec["max_steps_per_epoch"] = maxSteps_->value();
    spec["checkpoint_every"] = checkpointEvery_->value();
    return spec;
}

DesignState DesignerPage::formState() const {
    return {QByteArray::fromStdString(formJson().dump(2)), seeds_->text()};
}

QByteArray DesignerPage::specJson() const { return QByteArray::fromStdString(formJson().dump(2)); }

QList<QByteArray> DesignerPage::runSpecs() const {
    QList<QByteArray> specs;
    json spec = formJson();
    for (qint64 seed : seeds()) {
        spec["seed"] = seed;
        specs << QByteArray::fromStdString(spec.dump(2));
    }
    return specs;
}

bool DesignerPage::isValid() const { return errors_.isEmpty() && describeErrors_.isEmpty(); }

// ---- filling the form ---------------------------------------------------------------------------

void DesignerPage::fillForm(const json& spec, const QString& seeds) {
    const spec::RunSpec defaults;
    name_->setText(stringAt(spec, "name", ""));

    const json& data = member(spec, "data");
    showInCombo(dataName_, stringAt(data, "name", defaults.data.name));
    dataRoot_->setText(stringAt(data, "root", defaults.data.root));
    setSpin(valSize_, integerAt(data, "val_size", defaults.data.valSize));
    setSpin(trainSubset_, integerAt(data, "train_subset", defaults.data.trainSubset));
    augment_->setChecked(boolAt(data, "augment", defaults.data.augment));
    setSpin(pad_, integerAt(data, "pad", defaults.data.pad));
    setSpin(syntheticChannels_, integerAt(data, "channels", defaults.data.channels));
    setSpin(syntheticHeight_, integerAt(data, "height", defaults.data.height));
    setSpin(syntheticWidth_, integerAt(data, "width", defaults.data.width));
    setSpin(syntheticClasses_, integerAt(data, "num_classes", defaults.data.numClasses));
    setSpin(syntheticTrainSize_, integerAt(data, "train_size", defaults.data.trainSize));
    setSpin(syntheticTestSize_, integerAt(data, "test_size", defaults.data.testSize));

    // The teacher: the source its fields imply, the other sources' fields left as they were.
    const bool hasTeacher = spec.is_object() && spec.contains("teacher");
    const json& teacher = member(spec, "teacher");
    TeacherSource source = TeacherSource::None;
    if (hasTeacher) {
        if (teacher.contains("torchscript")) source = TeacherSource::TorchScript;
        else if (teacher.contains("run_id") || teacher.contains("run_name")) source = TeacherSource::StoreRun;
        else source = TeacherSource::ZooCheckpoint;
    }
    teacherSource_->setCurrentIndex(int(source));
    if (source == TeacherSource::ZooCheckpoint) {
        showInCombo(teacherModel_, stringAt(teacher, "model", "resnet20"));
        teacherCheckpoint_->setText(stringAt(teacher, "checkpoint", ""));
    } else if (source == TeacherSource::StoreRun) {
        const bool byName = teacher.contains("run_name");
        teacherRunReference_->setCurrentIndex(byName ? 1 : 0);
        selectTeacherRun(byName ? 0 : integerAt(teacher, "run_id", 0), stringAt(teacher, "run_name", ""));
    } else if (source == TeacherSource::TorchScript) {
        teacherScript_->setText(stringAt(teacher, "torchscript", ""));
        teacherStem_->setText(listTextAt(teacher, "stem"));
        teacherStages_->setText(listTextAt(teacher, "stages"));
        teacherClassifier_->setText(stringAt(teacher, "classifier", ""));
    }
    teacherPages_->setCurrentIndex(int(source));

    showInCombo(studentModel_, stringAt(member(spec, "student"), "model", defaults.studentModel));

    const json& method = member(spec, "method");
    const QString methodName = stringAt(method, "name", defaults.method.name);
    showInCombo(methodName_, methodName);
    methodForm_->setMethod(methodName);
    methodForm_->setValues(method);

    const json& optim = member(spec, "optim");
    const QString optimName = stringAt(optim, "name", defaults.optim.name);
    showInCombo(optimName_, optimName);
    lr_->setText(numberTextAt(optim, "lr", defaults.optim.lr));
    momentum_->setText(numberTextAt(optim, "momentum", defaults.optim.momentum));
    nesterov_->setChecked(boolAt(optim, "nesterov", defaults.optim.nesterov));
    // AdamW's default weight decay differs from SGD's (PyTorch's defaults, as the parser's).
    weightDecay_->setText(numberTextAt(optim, "weight_decay", optimName == QLatin1String("adamw") ? 0.01 : defaults.optim.weightDecay));
    beta1_->setText(numberTextAt(optim, "beta1", defaults.optim.beta1));
    beta2_->setText(numberTextAt(optim, "beta2", defaults.optim.beta2));
    eps_->setText(numberTextAt(optim, "eps", defaults.optim.eps));
    gradClip_->setText(numberTextAt(optim, "grad_clip", defaults.optim.gradClip));
    labelSmoothing_->setText(numberTextAt(optim, "label_smoothing", defaults.optim.labelSmoothing));

    const json& schedule = member(spec, "schedule");
    showInCombo(scheduleName_, stringAt(schedule, "name", defaults.schedule.name));
    milestones_->setText(listTextAt(schedule, "milestones"));
    gamma_->setText(numberTextAt(schedule, "gamma", defaults.schedule.gamma));
    minLr_->setText(numberTextAt(schedule, "min_lr", defaults.schedule.minLr));
    warmup_->setText(numberTextAt(schedule, "warmup_epochs", defaults.schedule.warmupEpochs));

    setSpin(epochs_, integerAt(spec, "epochs", defaults.epochs));
    setSpin(batchSize_, integerAt(spec, "batch_size", defaults.batchSize));
    setSpin(evalBatchSize_, integerAt(spec, "eval_batch_size", defaults.evalBatchSize));
    setSpin(maxSteps_, integerAt(spec, "max_steps_per_epoch", defaults.maxStepsPerEpoch));
    setSpin(checkpointEvery_, integerAt(spec, "checkpoint_every", defaults.checkpointEvery));
    seeds_->setText(seeds);
    setSpin(logEvery_, integerAt(spec, "log_every", defaults.logEvery));
    setSpin(diagnosticsEvery_, integerAt(spec, "diagnostics_every", defaults.diagnosticsEvery));
    showInCombo(device_, stringAt(spec, "device", defaults.device));
    showInCombo(precision_, stringAt(spec, "precision", defaults.precision));
    setSpin(threads_, integerAt(spec, "threads", defaults.threads));
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
    if (path == QLatin1String("teacher")) teacherPages_->setCurrentIndex(teacherSource_->currentIndex());
    if (path == QLatin1String("optim.name")) {
        // Follow the optimiser's usual weight decay unless the user chose another one.
        const QString wd = weightDecay_->text().trimmed();
        const bool adamw = optimName_->currentText() == QLatin1String("adamw");
        if (adamw && wd == numberText(spec::OptimSpec{}.weightDecay)) weightDecay_->setText(numberText(0.01));
        if (!adamw && wd == numberText(0.01)) weightDecay_->setText(numberText(spec::OptimSpec{}.weightDecay));
    }
    updateVisibility();
    int id = fields_.value(path).id;
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

QString DesignerPage::fieldKeyFor(const QString& path) const {
    QString candidate = path;
    while (!candidate.isEmpty()) {
        if (fields_.contains(candidate)) return candidate;
        const int cut = std::max(candidate.lastIndexOf(QLatin1Char('.')), candidate.lastIndexOf(QLatin1Char('[')));
        if (cut <= 0) break;
        candidate.truncate(cut);
    }
    return {};
}

void DesignerPage::showErrors() {
    QHash<ErrorLabel*, QStringList> byLabel;
    QHash<QString, QStringList> byParameter;
    QStringList general;
    const auto place = [&](const FieldError& e) {
        if (e.path.startsWith(QLatin1String("method."))) {
            const QString parameter = e.path.mid(7).section(QLatin1Char('['), 0, 0);
            if (methodForm_->editor(parameter)) {
                byParameter[parameter] << e.message;
                return;
            }
        }
        const QString key = fieldKeyFor(e.path);
        if (key.isEmpty()) {
            general << e.path + QStringLiteral(": ") + e.message;
            return;
        }
        // A message about a sub-path (milestones[1]) names the element it is about.
        const QString prefix = e.path == key ? QString() : e.path.mid(key.lastIndexOf(QLatin1Char('.')) + 1) + QStringLiteral(": ");
        byLabel[fields_.value(key).error] << prefix + e.message;
    };
    for (const FieldError& e : std::as_const(errors_)) place(e);
    for (const FieldError& e : std::as_const(describeErrors_)) place(e);

    QSet<ErrorLabel*> labels;
    for (const Field& field : std::as_const(fields_)) labels.insert(field.error);
    for (ErrorLabel* label : labels) label->setError(byLabel.value(label).join(QLatin1Char('\n')));
    methodForm_->clearErrors();
    for (auto it = byParameter.cbegin(); it != byParameter.cend(); ++it)
        methodForm_->setFieldError(it.key(), it.value().join(QLatin1Char('\n')));
    generalError_->setError(general.join(QLatin1Char('\n')));
    queueButton_->setEnabled(isValid());
    queueButton_->setToolTip(isValid() ? tr("Queue one run per seed in the open store")
                                       : tr("Fix the errors shown under the fields first"));
}

void DesignerPage::updateVisibility() {
    const auto show = [this](const char* path, bool visible) {
        const Field field = fields_.value(QString::fromLatin1(path));
        if (auto* form = qobject_cast<QFormLayout*>(field.row ? field.row->parentWidget()->layout() : nullptr))
            form->setRowVisible(field.row, visible);
    };
    const bool synthetic = dataName_->currentText() == QLatin1String("synthetic");
    for (const char* path : {"data.channels", "data.height", "data.width", "data.num_classes", "data.train_size", "data.test_size"})
        show(path, synthetic);
    const bool sgd = optimName_->currentText() == QLatin1String("sgd");
    show("optim.momentum", sgd);
    show("optim.nesterov", sgd);
    show("optim.beta1", !sgd);
    show("optim.beta2", !sgd);
    show("optim.eps", !sgd);
    show("schedule.milestones", scheduleName_->currentText() == QLatin1String("multistep"));
    show("schedule.min_lr", scheduleName_->currentText() == QLatin1String("cosine"));
    // A stacked widget is as tall as its tallest page: only the current page may claim height.
    const int source = teacherSource_->currentIndex();
    for (int i = 0; i < teacherPages_->count(); ++i)
        teacherPages_->widget(i)->setSizePolicy(QSizePolicy::Preferred, i == source ? QSizePolicy::Preferred : QSizePolicy::Ignored);
    teacherPages_->setCurrentIndex(source);
    teacherPages_->setVisible(source != int(TeacherSource::None));
    teacherPages_->adjustSize();
}

QWidget* DesignerPage::fieldWidget(const QString& path) const {
    if (path.startsWith(QLatin1String("method.")) && methodForm_->editor(path.mid(7))) return methodForm_->editor(path.mid(7));
    const QString key = fieldKeyFor(path);
    return key.isEmpty() ? nullptr : fields_.value(key).editor;
}

QString DesignerPage::fieldError(const QString& path) const {
    if (path.startsWith(QLatin1String("method.")) && methodForm_->editor(path.mid(7)))
        return methodForm_->fieldError(path.mid(7));
    const QString key = fieldKeyFor(path);
    return key.isEmpty() ? QString() : fields_.value(key).error->error();
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
    QList<RunListEntry> finished;
    for (const RunListEntry& entry : runs)
        if (entry.run.status == store::RunStatus::Finished) finished << entry;
    const auto sameRuns = [&] {
        if (finished.size() != finishedRuns_.size()) return false;
        for (int i = 0; i < finished.size(); ++i)
            if (finished[i].run.id != finishedRuns_[i].run.id || finished[i].run.name != finishedRuns_[i].run.name)
                return false;
        return true;
    };
    if (sameRuns()) return;
    finishedRuns_ = finished;
    fillTeacherRuns();
}

void DesignerPage::fillTeacherRuns() {
    const qint64 id = teacherRun_->currentData(kRunIdRole).toLongLong();
    const QString name = teacherRun_->currentData(kRunNameRole).toString();
    const bool wasApplying = applying_;
    applying_ = true;
    teacherRun_->clear();
    for (const RunListEntry& entry : std::as_const(finishedRuns_)) {
        teacherRun_->addItem(runLabel(entry.run));
        teacherRun_->setItemData(teacherRun_->count() - 1, qlonglong(entry.run.id), kRunIdRole);
        teacherRun_->setItemData(teacherRun_->count() - 1, QString::fromStdString(entry.run.name), kRunNameRole);
    }
    if (id > 0 || !name.isEmpty()) selectTeacherRun(id, name);
    applying_ = wasApplying;
    if (!applying_) refresh();
}

void DesignerPage::selectTeacherRun(qint64 id, const QString& name) {
    for (int i = 0; i < teacherRun_->count(); ++i) {
        const bool match = id > 0 ? teacherRun_->itemData(i, kRunIdRole).toLongLong() == id
                                  : teacherRun_->itemData(i, kRunNameRole).toString() == name;
        if (match) {
            teacherRun_->setCurrentIndex(i);
            return;
        }
    }
    // Not among this store's finished runs: kept, so the spec stays what it was and its error shows.
    teacherRun_->addItem(id > 0 ? tr("run %1 (not a finished run of this store)").arg(id)
                                : tr("%1 (not a finished run of this store)").arg(name));
    teacherRun_->setItemData(teacherRun_->count() - 1, qlonglong(id), kRunIdRole);
    teacherRun_->setItemData(teacherRun_->count() - 1, name, kRunNameRole);
    teacherRun_->setCurrentIndex(teacherRun_->count() - 1);
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
    emit queueRequested(runSpecs());
}

}  // namespace distillery::views
