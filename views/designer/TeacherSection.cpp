#include "TeacherSection.h"

#include <QComboBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QStackedWidget>

#include "FormFields.h"
#include "FormValues.h"
#include "spec/Catalog.h"

namespace distillery::views {

using nlohmann::json;

namespace {

constexpr int kRunIdRole = Qt::UserRole;
constexpr int kRunNameRole = Qt::UserRole + 1;

QString runLabel(const store::RunRow& run) {
    return QStringLiteral("#%1 %2 · %3").arg(run.id).arg(QString::fromStdString(run.name), QString::fromStdString(run.student));
}

QFormLayout* pageForm(QStackedWidget* pages) {
    auto* page = new QWidget;
    auto* form = new QFormLayout(page);
    form->setContentsMargins(0, 0, 0, 0);
    pages->addWidget(page);
    return form;
}

QLineEdit* lineEdit(const QString& emptyHint) {
    auto* line = new QLineEdit;
    line->setPlaceholderText(emptyHint);
    return line;
}

}  // namespace

TeacherSection::TeacherSection(FormFields& fields, QObject* parent) : QObject(parent), fields_(fields) {}

void TeacherSection::build(QFormLayout* form) {
    source_ = comboBox({tr("No teacher"), tr("Zoo model + checkpoint file"), tr("Finished run of this store"),
                        tr("TorchScript file"), tr("Zoo model + PyTorch state dict")});
    fields_.add(form, tr("Source"), QStringLiteral("teacher"), source_, tr("Where the teacher's trained weights come from"));
    pages_ = new QStackedWidget;
    pages_->addWidget(new QWidget);   // no teacher: nothing to fill in

    QFormLayout* zoo = pageForm(pages_);
    model_ = comboBox(toQStringList(spec::modelNames()), true);
    fields_.add(zoo, tr("Model"), QStringLiteral("teacher.model"), model_, tr("The teacher's zoo network"));
    checkpoint_ = lineEdit(tr("a checkpoint file written by the engine"));
    fields_.add(zoo, tr("Checkpoint"), QStringLiteral("teacher.checkpoint"), checkpoint_,
                tr("The weights of the model above, as the engine saved them"),
                FormFields::withBrowseButton(checkpoint_, tr("Teacher checkpoint"), tr("Checkpoints (*.pt *.pth);;All files (*)")));

    QFormLayout* stored = pageForm(pages_);
    run_ = comboBox({});
    fields_.add(stored, tr("Run"), QStringLiteral("teacher.run_id"), run_,
                tr("A finished run of the open store: its student becomes the teacher"));
    fields_.alias(QStringLiteral("teacher.run_name"), QStringLiteral("teacher.run_id"));
    runReference_ = comboBox({tr("by id (this run)"), tr("by name (the newest finished run so named)")});
    fields_.add(stored, tr("Refer to it"), QStringLiteral("teacher.reference"), runReference_,
                tr("By name, a spec keeps working when the teacher is trained again or the store is rebuilt"));

    QFormLayout* script = pageForm(pages_);
    script_ = lineEdit(tr("a module saved by torch.jit.save"));
    fields_.add(script, tr("File"), QStringLiteral("teacher.torchscript"), script_,
                tr("A network exported from PyTorch with torch.jit.save"),
                FormFields::withBrowseButton(script_, tr("TorchScript teacher"), tr("TorchScript (*.pt *.pth *.ts);;All files (*)")));
    stem_ = lineEdit(tr("e.g. conv1, bn1, relu"));
    fields_.add(script, tr("Stem"), QStringLiteral("teacher.stem"), stem_,
                tr("Submodules forming the stem, comma-separated; feature methods need stem, stages and classifier"));
    stages_ = lineEdit(tr("e.g. layer1, layer2, layer3"));
    fields_.add(script, tr("Stages"), QStringLiteral("teacher.stages"), stages_,
                tr("Submodules forming the stages, in order, comma-separated"));
    classifier_ = lineEdit(tr("e.g. fc"));
    fields_.add(script, tr("Classifier"), QStringLiteral("teacher.classifier"), classifier_,
                tr("The submodule mapping pooled features to logits"));

    // Its own model editor, registered under a form-only key: "teacher.model" belongs to the
    // checkpoint page's, which shows that field's errors (a combo of zoo names rarely has one).
    QFormLayout* pytorch = pageForm(pages_);
    stateDictModel_ = comboBox(toQStringList(spec::modelNames()), true);
    fields_.add(pytorch, tr("Model"), QStringLiteral("teacher.state_dict_model"), stateDictModel_,
                tr("The zoo network the weights belong to (RepDistiller's names; torchvision's for resnet18/34/50)"));
    stateDict_ = lineEdit(tr("a state dict saved by torch.save"));
    fields_.add(pytorch, tr("State dict"), QStringLiteral("teacher.state_dict"), stateDict_,
                tr("Weights saved in PyTorch with torch.save: a state dict, or a checkpoint holding one under "
                   "\"model\", \"state_dict\" or \"net\" (RepDistiller, mdistiller)"),
                FormFields::withBrowseButton(stateDict_, tr("Teacher state dict"), tr("PyTorch (*.pth *.pt *.tar);;All files (*)")));
    form->addRow(pages_);
}

void TeacherSection::write(json& spec) const {
    switch (Source(source_->currentIndex())) {
    case Source::None: break;
    case Source::ZooCheckpoint: {
        json teacher = {{"model", model_->currentText().trimmed().toStdString()}};
        if (!checkpoint_->text().trimmed().isEmpty()) teacher["checkpoint"] = checkpoint_->text().trimmed().toStdString();
        spec["teacher"] = teacher;
        break;
    }
    case Source::StoreRun: {
        json teacher = json::object();
        if (run_->currentIndex() >= 0) {
            const qint64 id = run_->currentData(kRunIdRole).toLongLong();
            const QString name = run_->currentData(kRunNameRole).toString();
            if (runReference_->currentIndex() == 1 && !name.isEmpty()) teacher["run_name"] = name.toStdString();
            else if (id > 0) teacher["run_id"] = id;
            else if (!name.isEmpty()) teacher["run_name"] = name.toStdString();
        }
        spec["teacher"] = teacher;
        break;
    }
    case Source::StateDict:
        spec["teacher"] = {{"model", stateDictModel_->currentText().trimmed().toStdString()},
                           {"state_dict", stateDict_->text().trimmed().toStdString()}};
        break;
    case Source::TorchScript: {
        json teacher = {{"torchscript", script_->text().trimmed().toStdString()}};
        if (!stem_->text().trimmed().isEmpty()) teacher["stem"] = namesJson(stem_);
        if (!stages_->text().trimmed().isEmpty()) teacher["stages"] = namesJson(stages_);
        if (!classifier_->text().trimmed().isEmpty()) teacher["classifier"] = classifier_->text().trimmed().toStdString();
        spec["teacher"] = teacher;
        break;
    }
    }
}

void TeacherSection::fill(const json& spec) {
    const bool hasTeacher = spec.is_object() && spec.contains("teacher");
    const json& teacher = member(spec, "teacher");
    Source source = Source::None;
    if (hasTeacher) {
        if (teacher.contains("torchscript")) source = Source::TorchScript;
        else if (teacher.contains("state_dict")) source = Source::StateDict;
        else if (teacher.contains("run_id") || teacher.contains("run_name")) source = Source::StoreRun;
        else source = Source::ZooCheckpoint;
    }
    source_->setCurrentIndex(int(source));
    if (source == Source::ZooCheckpoint) {
        showInCombo(model_, stringAt(teacher, "model", "resnet20"));
        checkpoint_->setText(stringAt(teacher, "checkpoint", ""));
    } else if (source == Source::StoreRun) {
        const bool byName = teacher.contains("run_name");
        runReference_->setCurrentIndex(byName ? 1 : 0);
        selectRun(byName ? 0 : integerAt(teacher, "run_id", 0), stringAt(teacher, "run_name", ""));
    } else if (source == Source::StateDict) {
        showInCombo(stateDictModel_, stringAt(teacher, "model", "resnet32x4"));
        stateDict_->setText(stringAt(teacher, "state_dict", ""));
    } else if (source == Source::TorchScript) {
        script_->setText(stringAt(teacher, "torchscript", ""));
        stem_->setText(listTextAt(teacher, "stem"));
        stages_->setText(listTextAt(teacher, "stages"));
        classifier_->setText(stringAt(teacher, "classifier", ""));
    }
    pages_->setCurrentIndex(int(source));
}

void TeacherSection::updateVisibility() {
    // A stacked widget is as tall as its tallest page: only the current page may claim height.
    const int source = source_->currentIndex();
    for (int i = 0; i < pages_->count(); ++i)
        pages_->widget(i)->setSizePolicy(QSizePolicy::Preferred, i == source ? QSizePolicy::Preferred : QSizePolicy::Ignored);
    pages_->setCurrentIndex(source);
    pages_->setVisible(source != int(Source::None));
    pages_->adjustSize();
}

bool TeacherSection::setStoreRuns(const QList<RunListEntry>& runs) {
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
    if (sameRuns()) return false;
    finishedRuns_ = finished;
    fillRuns();
    return true;
}

void TeacherSection::fillRuns() {
    const qint64 id = run_->currentData(kRunIdRole).toLongLong();
    const QString name = run_->currentData(kRunNameRole).toString();
    run_->clear();
    for (const RunListEntry& entry : std::as_const(finishedRuns_)) {
        run_->addItem(runLabel(entry.run));
        run_->setItemData(run_->count() - 1, qlonglong(entry.run.id), kRunIdRole);
        run_->setItemData(run_->count() - 1, QString::fromStdString(entry.run.name), kRunNameRole);
    }
    if (id > 0 || !name.isEmpty()) selectRun(id, name);
}

void TeacherSection::selectRun(qint64 id, const QString& name) {
    for (int i = 0; i < run_->count(); ++i) {
        const bool match = id > 0 ? run_->itemData(i, kRunIdRole).toLongLong() == id
                                  : run_->itemData(i, kRunNameRole).toString() == name;
        if (match) {
            run_->setCurrentIndex(i);
            return;
        }
    }
    // Not among this store's finished runs: kept, so the spec stays what it was and its error shows.
    run_->addItem(id > 0 ? tr("run %1 (not a finished run of this store)").arg(id)
                         : tr("%1 (not a finished run of this store)").arg(name));
    run_->setItemData(run_->count() - 1, qlonglong(id), kRunIdRole);
    run_->setItemData(run_->count() - 1, name, kRunNameRole);
    run_->setCurrentIndex(run_->count() - 1);
}

}  // namespace distillery::views
