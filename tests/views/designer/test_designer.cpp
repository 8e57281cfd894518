// The experiment designer without the engine: the method form follows the catalog, errors appear
// under the fields their paths name as the user types, seeds become runs, specs survive a save and
// a load, undo/redo restore the form, and the pair view draws what a description says. Hostile
// values and file names show as written in errors, their tool tips and the notice.
#include <algorithm>
#include <limits>

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest>

#include "DesignerDriving.h"
#include "DesignerPage.h"
#include "ClusterTarget.h"
#include "FolderPreview.h"
#include "FormRows.h"
#include "MethodForm.h"
#include "PairView.h"
#include "OkabeItoPalette.h"
#include "spec/Catalog.h"
#include "spec/ImageFolderListing.h"
#include "spec/RunSpec.h"
#include "spec/SpecFields.h"
#include "views/HostileText.h"

using namespace distillery;
using namespace distillery::views;
using distillery::testing::lineAt;
using distillery::testing::typeInto;

namespace {

// No engine in this suite: the describer fails to start it and the pair view says so.
const QString kNoEngine = QStringLiteral("/nonexistent/distillery-engine");

// The spec of a finished run of the laptop store (run 16), as the store holds it.
const char* kStoredRunSpec = R"({
  "batch_size": 128, "checkpoint_every": 0,
  "data": {"augment": false, "name": "fashion-mnist", "pad": 2, "train_subset": 15000, "val_size": 5000},
  "device": "auto", "diagnostics_every": 20, "epochs": 6, "eval_batch_size": 500, "log_every": 20,
  "max_steps_per_epoch": 0,
  "method": {"base": "at", "name": "sakd"},
  "name": "fmnist-sakd-s1",
  "optim": {"grad_clip": 0.0, "label_smoothing": 0.0, "lr": 0.1, "momentum": 0.9, "name": "sgd",
            "nesterov": false, "weight_decay": 0.0005},
  "schedule": {"gamma": 0.1, "milestones": [4, 5], "name": "multistep", "warmup_epochs": 0.0},
  "seed": 1, "student": {"model": "resnet8"}, "teacher": {"run_name": "fmnist-teacher-s1"}, "threads": 2
})";

QString expectedError(const QByteArray& specJson, const std::string& path) {
    for (const auto& e : spec::parseRunSpec(specJson.toStdString()).errors)
        if (e.path == path) return QString::fromStdString(e.message);
    return {};
}

// The spec as the parser reads it, every method parameter spelled out (the form writes only those
// that differ from their defaults): two JSON texts are the same run when these are equal.
nlohmann::json normalised(const QByteArray& specJson) {
    const auto parsed = spec::parseRunSpec(specJson.toStdString());
    if (!parsed.ok()) return nlohmann::json();
    nlohmann::json out = spec::toJson(*parsed.spec);
    for (const auto& p : spec::findMethod(parsed.spec->method.name)->params) {
        if (out["method"].contains(p.name)) continue;
        switch (p.kind) {
        case spec::ParamKind::Number: out["method"][p.name] = p.defaultValue; break;
        case spec::ParamKind::Choice: out["method"][p.name] = p.defaultNames.front(); break;
        case spec::ParamKind::Names: out["method"][p.name] = p.defaultNames; break;
        case spec::ParamKind::Numbers: out["method"][p.name] = nlohmann::json::array(); break;
        }
    }
    return out;
}

RunListEntry finishedRun(qint64 id, const std::string& name, const std::string& student) {
    RunListEntry entry;
    entry.run.id = id;
    entry.run.name = name;
    entry.run.student = student;
    entry.run.method = "ce";
    entry.run.status = store::RunStatus::Finished;
    return entry;
}

PairDescription resnetPair() {
    PairDescription d;
    const QList<StageShape> stages{{16, 28, 28}, {32, 14, 14}, {64, 7, 7}};
    d.teacher = NetDescription{QStringLiteral("resnet20"), 272186, stages};
    d.student = NetDescription{QStringLiteral("resnet8"), 77754, stages};
    for (int k = 0; k < 3; ++k)
        d.spots.append({QStringLiteral("stage %1").arg(k + 1), k, k,
                        QStringLiteral("1×1 conv + BN + ReLU, %1→%1").arg(stages[k].channels)});
    d.spots.append({QStringLiteral("logits"), SpotDescription::kLogits, SpotDescription::kLogits, QStringLiteral("none")});
    return d;
}

}  // namespace

class TestDesigner : public QObject {
    Q_OBJECT
private slots:
    void methodFormHasEveryDeclaredParameterAtItsDefault();
    void errorsAppearUnderTheirFieldsAsYouType();
    void methodParameterErrorsAppearInTheMethodForm();
    void oneSeedQueuesARunSeveralSeedsAStudy();
    void saveThenLoadGivesTheSameSpec();
    void severalSeedsSaveAsAStudyAndLoadBack();
    void loadingAStoredRunsSpecFillsTheFields();
    void loadingAFileWithErrorsShowsThemWithoutCrashing();
    void experimentWithDifferentRunsLoadsTheFirstAndSaysSo();
    void undoRestoresEarlierStatesAndRedoReappliesThem();
    void pairViewDrawsStagesAndOneLinePerSpot();
    void pairViewShowsAMessageWithoutADescription();
    void hostileValuesShowAsWritten();
    void formRowsFollowTheSpecFieldTable();
    void checkpointMinutesAndOnNonFiniteReachTheQueuedRunSpecs();
    void stateDictTeacherAndStudentInitReachTheSpec();
    void folderPreviewCountsClassesAndShowsTheirFirstImages();
    void folderPreviewSaysWhatIsWrongWithTheFolder();
    void hiddenFormRowsComeBackInTheirPlaceWithTheirLabels();
    void runOnSlurmSubmitsTheStudyWithItsOptions();
};

void TestDesigner::methodFormHasEveryDeclaredParameterAtItsDefault() {
    MethodForm form;
    for (const spec::MethodDecl& method : spec::methodCatalog()) {
        const QString name = QString::fromStdString(method.name);
        form.setMethod(name);
        QStringList declared;
        for (const auto& p : method.params) declared << QString::fromStdString(p.name);
        QCOMPARE(form.parameterNames(), declared);
        for (const spec::ParamDecl& p : method.params) {
            const QString key = QString::fromStdString(p.name);
            QWidget* editor = form.editor(key);
            QVERIFY2(editor, qPrintable(name + "." + key));
            QCOMPARE(editor->toolTip(), QString::fromStdString(p.help));
            QCOMPARE(form.helpText(key), QString::fromStdString(p.help));
            QVERIFY(form.fieldError(key).isEmpty());
            switch (p.kind) {
            case spec::ParamKind::Number: {
                auto* spin = qobject_cast<QDoubleSpinBox*>(editor);
                QVERIFY2(spin, qPrintable(name + "." + key));
                QCOMPARE(spin->value(), p.defaultValue);
                QCOMPARE(spin->minimum(), p.min);
                QCOMPARE(spin->maximum(), p.max);
                break;
            }
            case spec::ParamKind::Choice: {
                auto* combo = qobject_cast<QComboBox*>(editor);
                QVERIFY2(combo, qPrintable(name + "." + key));
                QCOMPARE(combo->currentText(), QString::fromStdString(p.defaultNames.front()));
                QCOMPARE(combo->count(), int(p.choices.size()));
                break;
            }
            case spec::ParamKind::Names: {
                auto* line = qobject_cast<QLineEdit*>(editor);
                QVERIFY2(line, qPrintable(name + "." + key));
                QStringList defaults;
                for (const auto& d : p.defaultNames) defaults << QString::fromStdString(d);
                QCOMPARE(line->text(), defaults.join(QStringLiteral(", ")));
                break;
            }
            case spec::ParamKind::Numbers: {
                auto* line = qobject_cast<QLineEdit*>(editor);
                QVERIFY2(line, qPrintable(name + "." + key));
                QVERIFY(line->text().isEmpty());
                break;
            }
            }
        }
        // At the defaults the spec's method object needs no parameter at all.
        QCOMPARE(form.changedValues(), nlohmann::json::object());
    }
}

void TestDesigner::errorsAppearUnderTheirFieldsAsYouType() {
    DesignerPage page(kNoEngine);
    QVERIFY(page.isValid());
    QVERIFY(page.queueButton()->isEnabled());

    typeInto(lineAt(page, QStringLiteral("optim.lr")), QStringLiteral("-1"));
    const QString lrError = expectedError(page.specJson(), "optim.lr");
    QVERIFY(!lrError.isEmpty());
    QCOMPARE(page.fieldError(QStringLiteral("optim.lr")), lrError);
    QVERIFY(page.fieldError(QStringLiteral("optim.momentum")).isEmpty());
    QVERIFY(!page.queueButton()->isEnabled());

    typeInto(lineAt(page, QStringLiteral("optim.lr")), QStringLiteral("0.1"));
    QVERIFY(page.fieldError(QStringLiteral("optim.lr")).isEmpty());
    QVERIFY(page.queueButton()->isEnabled());

    typeInto(lineAt(page, QStringLiteral("student.model")), QStringLiteral("nosuchnet"));
    const QString studentError = page.fieldError(QStringLiteral("student.model"));
    QCOMPARE(studentError, expectedError(page.specJson(), "student.model"));
    QVERIFY(studentError.contains(QStringLiteral("\"nosuchnet\"")));
    QVERIFY(!page.queueButton()->isEnabled());

    // Errors of list elements go under the list's field, naming the element.
    typeInto(lineAt(page, QStringLiteral("student.model")), QStringLiteral("resnet8"));
    typeInto(lineAt(page, QStringLiteral("schedule.milestones")), QStringLiteral("5"));
    QVERIFY(page.fieldError(QStringLiteral("schedule.milestones")).contains(QStringLiteral("milestones[0]")));
    typeInto(lineAt(page, QStringLiteral("schedule.milestones")), QString());
    QVERIFY(page.isValid());

    // A method that needs a teacher, without one: the error sits under the teacher's source.
    qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("method.name")))->setCurrentText(QStringLiteral("kd"));
    QCOMPARE(page.fieldError(QStringLiteral("teacher")), expectedError(page.specJson(), "teacher"));
    QVERIFY(!page.fieldError(QStringLiteral("teacher")).isEmpty());
    QVERIFY(page.generalErrorText().isEmpty());

    // Seeds are the form's own field.
    typeInto(lineAt(page, QStringLiteral("seed")), QStringLiteral("1, x"));
    QVERIFY(page.fieldError(QStringLiteral("seed")).contains(QStringLiteral("\"x\"")));
}

void TestDesigner::methodParameterErrorsAppearInTheMethodForm() {
    DesignerPage page(kNoEngine);
    qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("method.name")))->setCurrentText(QStringLiteral("multipath"));
    QCOMPARE(page.methodForm()->method(), QStringLiteral("multipath"));
    auto* paths = qobject_cast<QLineEdit*>(page.fieldWidget(QStringLiteral("method.paths")));
    QVERIFY(paths);
    typeInto(paths, QStringLiteral("kd@logits, bogus@stages"));
    const QString expected = expectedError(page.specJson(), "method.paths");
    QVERIFY(expected.contains(QStringLiteral("bogus")));
    QCOMPARE(page.methodForm()->fieldError(QStringLiteral("paths")), expected);
    QCOMPARE(page.fieldError(QStringLiteral("method.paths")), expected);
    typeInto(paths, QStringLiteral("kd@logits, at@stages"));
    QVERIFY(page.methodForm()->fieldError(QStringLiteral("paths")).isEmpty());
    // The defaults leave the method object without parameters; a change writes the parameter.
    QVERIFY(!page.specText().contains(QStringLiteral("\"paths\"")));
    qobject_cast<QDoubleSpinBox*>(page.fieldWidget(QStringLiteral("method.T")))->setValue(2);
    QVERIFY(page.specText().contains(QStringLiteral("\"T\": 2")));
}

void TestDesigner::oneSeedQueuesARunSeveralSeedsAStudy() {
    DesignerPage page(kNoEngine);
    typeInto(lineAt(page, QStringLiteral("name")), QStringLiteral("vanilla-r8"));
    QCOMPARE(page.queueButton()->text(), QStringLiteral("Queue 1 run"));
    QSignalSpy queued(&page, &DesignerPage::queueRequested);
    QSignalSpy queuedStudy(&page, &DesignerPage::studyQueueRequested);
    page.queueButton()->click();
    QCOMPARE(queued.count(), 1);
    QCOMPARE(queued.first().first().value<QList<QByteArray>>().size(), 1);

    // Several seeds: a study of one configuration, one run per seed.
    typeInto(lineAt(page, QStringLiteral("seed")), QStringLiteral("1, 2, 3"));
    QVERIFY(page.isStudy());
    QCOMPARE(page.queueButton()->text(), QStringLiteral("Queue 3 runs (1 configuration × 3 seeds)"));
    QVERIFY(page.queueButton()->isEnabled());
    page.queueButton()->click();
    QCOMPARE(queued.count(), 1);
    QCOMPARE(queuedStudy.count(), 1);
    const auto parsed = spec::parseExperiment(queuedStudy.first().first().toByteArray().toStdString());
    QVERIFY2(parsed.ok() && parsed.study, parsed.errorText().c_str());
    QCOMPARE(parsed.study->name, std::string("vanilla-r8"));
    QCOMPARE(parsed.runs.size(), size_t(3));
    for (int i = 0; i < 3; ++i) QCOMPARE(parsed.runs[i].seed, int64_t(i + 1));
    QCOMPARE(page.runSpecs().size(), 3);

    // Invalid: the button is disabled and a direct call emits nothing.
    typeInto(lineAt(page, QStringLiteral("optim.lr")), QStringLiteral("0"));
    QVERIFY(!page.queueButton()->isEnabled());
    page.queueRuns();
    QCOMPARE(queuedStudy.count(), 1);
    QVERIFY(page.runSpecs().isEmpty());
}

void TestDesigner::saveThenLoadGivesTheSameSpec() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("at.json"));
    DesignerPage page(kNoEngine);
    typeInto(lineAt(page, QStringLiteral("name")), QStringLiteral("at-r20-r8"));
    qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("method.name")))->setCurrentText(QStringLiteral("at"));
    qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("teacher")))->setCurrentIndex(int(DesignerPage::TeacherSource::ZooCheckpoint));
    typeInto(lineAt(page, QStringLiteral("teacher.model")), QStringLiteral("resnet20"));
    typeInto(lineAt(page, QStringLiteral("teacher.checkpoint")), QStringLiteral("/data/r20.pt"));
    qobject_cast<QDoubleSpinBox*>(page.fieldWidget(QStringLiteral("method.beta")))->setValue(500);
    typeInto(lineAt(page, QStringLiteral("optim.lr")), QStringLiteral("0.2"));
    qobject_cast<QSpinBox*>(page.fieldWidget(QStringLiteral("epochs")))->setValue(30);
    typeInto(lineAt(page, QStringLiteral("schedule.milestones")), QStringLiteral("10, 20"));
    typeInto(lineAt(page, QStringLiteral("seed")), QStringLiteral("4"));
    QVERIFY2(page.isValid(), qPrintable(page.specText()));
    const QByteArray saved = page.specJson();
    QString error;
    QVERIFY2(page.saveSpecFile(path, &error), qPrintable(error));

    DesignerPage other(kNoEngine);
    QVERIFY(other.loadSpecFile(path));
    QCOMPARE(other.specJson(), saved);
    QVERIFY(other.noticeText().isEmpty());
    QCOMPARE(lineAt(other, QStringLiteral("seed"))->text(), QStringLiteral("4"));
    QCOMPARE(qobject_cast<QDoubleSpinBox*>(other.fieldWidget(QStringLiteral("method.beta")))->value(), 500.0);
}

void TestDesigner::severalSeedsSaveAsAStudyAndLoadBack() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("seeds.json"));
    DesignerPage page(kNoEngine);
    typeInto(lineAt(page, QStringLiteral("name")), QStringLiteral("vanilla"));
    typeInto(lineAt(page, QStringLiteral("seed")), QStringLiteral("1, 2"));
    QVERIFY(page.saveSpecFile(path));
    // The file is a study the engine runs as it is.
    const auto experiment = spec::parseExperimentFile(path.toStdString());
    QVERIFY2(experiment.ok(), experiment.errorText().c_str());
    QVERIFY(experiment.study);
    QCOMPARE(experiment.runs.size(), size_t(2));
    QCOMPARE(experiment.runs[1].seed, int64_t(2));

    DesignerPage other(kNoEngine);
    QVERIFY(other.loadSpecFile(path));
    QCOMPARE(other.specJson(), page.specJson());
    QCOMPARE(other.studyJson(), page.studyJson());
    QCOMPARE(lineAt(other, QStringLiteral("seed"))->text(), QStringLiteral("1, 2"));
    QVERIFY(other.noticeText().contains(QStringLiteral("is a study")));

    // An experiment file of runs that differ only in their seeds loads as one design with those seeds.
    const QString experimentPath = dir.filePath(QStringLiteral("runs.json"));
    QFile file(experimentPath);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(R"({"runs": [{"name": "v-s1", "seed": 1}, {"name": "v-s2", "seed": 2}]})");
    file.close();
    QVERIFY(other.loadSpecFile(experimentPath));
    QCOMPARE(lineAt(other, QStringLiteral("seed"))->text(), QStringLiteral("1, 2"));
    QCOMPARE(lineAt(other, QStringLiteral("name"))->text(), QStringLiteral("v"));
    QVERIFY(other.noticeText().contains(QStringLiteral("seeds 1, 2")));
}

void TestDesigner::loadingAStoredRunsSpecFillsTheFields() {
    DesignerPage page(kNoEngine);
    page.setStoreRuns({finishedRun(1, "fmnist-teacher-s1", "resnet20"), finishedRun(4, "fmnist-vanilla-s1", "resnet8")});
    QVERIFY(page.loadSpecJson(kStoredRunSpec));
    QCOMPARE(lineAt(page, QStringLiteral("name"))->text(), QStringLiteral("fmnist-sakd-s1"));
    QCOMPARE(qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("teacher")))->currentIndex(),
             int(DesignerPage::TeacherSource::StoreRun));
    auto* teacherRun = qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("teacher.run_name")));
    QVERIFY(teacherRun->currentText().contains(QStringLiteral("fmnist-teacher-s1")));
    QCOMPARE(teacherRun->currentData().toLongLong(), 1);
    QCOMPARE(qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("student.model")))->currentText(), QStringLiteral("resnet8"));
    QCOMPARE(qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("method.name")))->currentText(), QStringLiteral("sakd"));
    QCOMPARE(qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("method.base")))->currentText(), QStringLiteral("at"));
    QCOMPARE(qobject_cast<QSpinBox*>(page.fieldWidget(QStringLiteral("epochs")))->value(), 6);
    QCOMPARE(qobject_cast<QSpinBox*>(page.fieldWidget(QStringLiteral("batch_size")))->value(), 128);
    QCOMPARE(qobject_cast<QSpinBox*>(page.fieldWidget(QStringLiteral("data.train_subset")))->value(), 15000);
    QCOMPARE(qobject_cast<QCheckBox*>(page.fieldWidget(QStringLiteral("data.augment")))->isChecked(), false);
    QCOMPARE(lineAt(page, QStringLiteral("optim.lr"))->text(), QStringLiteral("0.1"));
    QCOMPARE(lineAt(page, QStringLiteral("schedule.milestones"))->text(), QStringLiteral("4, 5"));
    QCOMPARE(qobject_cast<QSpinBox*>(page.fieldWidget(QStringLiteral("diagnostics_every")))->value(), 20);
    QCOMPARE(qobject_cast<QSpinBox*>(page.fieldWidget(QStringLiteral("threads")))->value(), 2);
    QCOMPARE(lineAt(page, QStringLiteral("seed"))->text(), QStringLiteral("1"));
    QVERIFY(page.isValid());
    QVERIFY(page.noticeText().isEmpty());
    // The same run, as the parser reads both.
    QCOMPARE(normalised(page.specJson()), normalised(kStoredRunSpec));

    // A store refresh keeps the chosen teacher.
    page.setStoreRuns({finishedRun(1, "fmnist-teacher-s1", "resnet20"), finishedRun(2, "fmnist-teacher-s2", "resnet20")});
    QCOMPARE(teacherRun->currentData().toLongLong(), 1);
    QCOMPARE(normalised(page.specJson()), normalised(kStoredRunSpec));
}

void TestDesigner::loadingAFileWithErrorsShowsThemWithoutCrashing() {
    DesignerPage page(kNoEngine);
    const QByteArray before = page.specJson();
    QVERIFY(!page.loadSpecJson("{\"epochs\": 3,"));
    QVERIFY(page.generalErrorText().contains(QStringLiteral("not valid JSON")));
    QCOMPARE(page.specJson(), before);
    QVERIFY(!page.loadSpecJson("[1, 2]"));

    QVERIFY(page.loadSpecJson(R"({"student": {"model": "nope"}, "optim": {"lr": -2, "lrr": 1},
                                  "method": {"name": "kd", "T": "hot"}, "epochs": "many"})"));
    QVERIFY(page.fieldError(QStringLiteral("student.model")).contains(QStringLiteral("\"nope\"")));
    QVERIFY(page.fieldError(QStringLiteral("optim.lr")).contains(QStringLiteral("-2")));
    QVERIFY(!page.fieldError(QStringLiteral("teacher")).isEmpty());
    QVERIFY(!page.queueButton()->isEnabled());
    // What the form cannot hold is listed, with its path.
    QVERIFY(page.noticeText().contains(QStringLiteral("optim.lrr")));
    QVERIFY(page.noticeText().contains(QStringLiteral("method.T")));
    QVERIFY(page.noticeText().contains(QStringLiteral("epochs")));
}

void TestDesigner::experimentWithDifferentRunsLoadsTheFirstAndSaysSo() {
    DesignerPage page(kNoEngine);
    QVERIFY(page.loadSpecJson(R"({"name": "two", "runs": [
        {"name": "first", "student": {"model": "resnet14"}, "seed": 7},
        {"name": "second", "student": {"model": "resnet20"}, "seed": 7}]})"));
    QCOMPARE(qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("student.model")))->currentText(), QStringLiteral("resnet14"));
    QCOMPARE(lineAt(page, QStringLiteral("name"))->text(), QStringLiteral("first"));
    QCOMPARE(lineAt(page, QStringLiteral("seed"))->text(), QStringLiteral("7"));
    QVERIFY(page.noticeText().contains(QStringLiteral("2 runs")));
    QVERIFY(page.noticeText().contains(QStringLiteral("\"first\"")));
}

void TestDesigner::undoRestoresEarlierStatesAndRedoReappliesThem() {
    DesignerPage page(kNoEngine);
    QUndoStack* stack = page.undoStack();
    const QByteArray start = page.specJson();
    typeInto(lineAt(page, QStringLiteral("optim.lr")), QStringLiteral("0.25"));   // four keystrokes, one command
    const QByteArray afterLr = page.specJson();
    QVERIFY(afterLr != start);
    QCOMPARE(stack->count(), 1);
    qobject_cast<QSpinBox*>(page.fieldWidget(QStringLiteral("epochs")))->setValue(7);
    const QByteArray afterEpochs = page.specJson();
    QCOMPARE(stack->count(), 2);

    stack->undo();
    QCOMPARE(page.specJson(), afterLr);
    QCOMPARE(page.specText().toUtf8(), afterLr);
    QCOMPARE(qobject_cast<QSpinBox*>(page.fieldWidget(QStringLiteral("epochs")))->value(), 1);
    stack->undo();
    QCOMPARE(page.specJson(), start);
    QCOMPARE(lineAt(page, QStringLiteral("optim.lr"))->text(), QStringLiteral("0.05"));
    stack->redo();
    QCOMPARE(page.specJson(), afterLr);
    stack->redo();
    QCOMPARE(page.specJson(), afterEpochs);

    // A method change and its parameters are one state: undo brings both back.
    qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("method.name")))->setCurrentText(QStringLiteral("at"));
    qobject_cast<QDoubleSpinBox*>(page.fieldWidget(QStringLiteral("method.p")))->setValue(3);
    const QByteArray withP = page.specJson();
    qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("method.name")))->setCurrentText(QStringLiteral("sp"));
    stack->undo();
    QCOMPARE(page.specJson(), withP);
    QCOMPARE(qobject_cast<QDoubleSpinBox*>(page.fieldWidget(QStringLiteral("method.p")))->value(), 3.0);

    // Loading is one step too.
    QVERIFY(page.loadSpecJson(kStoredRunSpec));
    stack->undo();
    QCOMPARE(page.specJson(), withP);
}

void TestDesigner::pairViewDrawsStagesAndOneLinePerSpot() {
    PairView view;
    view.resize(900, 420);
    const PairDescription description = resnetPair();
    view.setDescription(description);
    const QStringList shapes{QStringLiteral("16×28×28"), QStringLiteral("32×14×14"), QStringLiteral("64×7×7")};
    QCOMPARE(view.stageLabels(true), shapes);
    QCOMPARE(view.stageLabels(false), shapes);
    QVERIFY(view.rowLabel(true).contains(QStringLiteral("resnet20")));
    QVERIFY(view.rowLabel(true).contains(QStringLiteral("272k params")));
    QVERIFY(view.rowLabel(false).contains(QStringLiteral("resnet8")));

    const auto boxes = view.boxes();
    const auto boxOf = [&](bool teacher, int stage) {
        for (const auto& b : boxes)
            if (b.teacher == teacher && b.stage == stage) return b;
        return PairView::Box{};
    };
    QCOMPARE(boxOf(true, SpotDescription::kLogits).label, QStringLiteral("logits"));
    QCOMPARE(boxes.size(), 8);   // 3 + 3 stages and a logits head per row

    const auto lines = view.spotLines();
    QCOMPARE(lines.size(), description.spots.size());
    for (int i = 0; i < lines.size(); ++i) {
        const auto& spot = description.spots[i];
        QCOMPARE(lines[i].connector, spot.connector);
        QVERIFY(lines[i].labelText.contains(spot.name));
        if (spot.connector != QLatin1String("none")) QVERIFY(lines[i].labelText.contains(spot.connector));
        const QRectF teacherBox = boxOf(true, spot.teacherStage).rect, studentBox = boxOf(false, spot.studentStage).rect;
        // Each line starts at its teacher box's bottom edge and ends at its student box's top edge.
        QCOMPARE(lines[i].line.p1().y(), teacherBox.bottom());
        QVERIFY(lines[i].line.p1().x() > teacherBox.left() && lines[i].line.p1().x() < teacherBox.right());
        QCOMPARE(lines[i].line.p2().y(), studentBox.top());
        QVERIFY(lines[i].line.p2().x() > studentBox.left() && lines[i].line.p2().x() < studentBox.right());
        QVERIFY(teacherBox.bottom() < studentBox.top());
    }
    // Labels never overlap each other.
    for (int i = 0; i < lines.size(); ++i)
        for (int j = i + 1; j < lines.size(); ++j) QVERIFY(!lines[i].labelRect.intersects(lines[j].labelRect));

    // What is painted: the first spot's line in its colour, just below the teacher's box.
    const QImage image = view.grab().toImage();
    const QPointF probe = lines[0].line.pointAt(0.02) + QPointF(0, 1);
    const QColor painted = image.pixelColor(probe.toPoint());
    const QColor expected = OkabeItoPalette::color(0);
    QVERIFY2(std::abs(painted.red() - expected.red()) < 40 && std::abs(painted.green() - expected.green()) < 40 &&
                 std::abs(painted.blue() - expected.blue()) < 40,
             qPrintable(painted.name()));
}

void TestDesigner::pairViewShowsAMessageWithoutADescription() {
    PairView view;
    view.resize(600, 300);
    view.setDescription(resnetPair());
    view.setMessage(QStringLiteral("engine missing"));
    QVERIFY(!view.hasDescription());
    QCOMPARE(view.message(), QStringLiteral("engine missing"));
    QVERIFY(view.boxes().isEmpty());
    QVERIFY(view.spotLines().isEmpty());

    // A method without a teacher: the student row alone.
    PairDescription studentOnly;
    studentOnly.student = resnetPair().student;
    view.setDescription(studentOnly);
    QVERIFY(view.stageLabels(true).isEmpty());
    QCOMPARE(view.stageLabels(false).size(), 3);
    QCOMPARE(view.rowLabel(true), QStringLiteral("No teacher"));
}

void TestDesigner::hostileValuesShowAsWritten() {
    for (const testing::HostileText& hostile : testing::hostileTexts()) {
        // A model name no catalog has: its error quotes it, shown as plain text, its tool tip literally.
        DesignerPage page(kNoEngine);
        const QJsonObject spec{{QStringLiteral("name"), hostile.text},
                               {QStringLiteral("student"), QJsonObject{{QStringLiteral("model"), hostile.text}}}};
        page.loadSpecJson(QJsonDocument(spec).toJson());
        const QString error = page.fieldError(QStringLiteral("student.model"));
        QVERIFY2(!error.isEmpty(), hostile.tag);
        const QLabel* label = nullptr;
        for (const QLabel* candidate : page.findChildren<QLabel*>())
            if (candidate->text() == error) label = candidate;
        QVERIFY2(label, hostile.tag);
        QCOMPARE(label->textFormat(), Qt::PlainText);
        QCOMPARE(testing::shownText(label->toolTip()), testing::lineBreaksAsLf(error));
        QCOMPARE(lineAt(page, QStringLiteral("name"))->text(), hostile.text);
    }

    // A file whose name holds "%1 %2" and markup: the notice names it as it is.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("%1 %2 <b>x & [*].json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    const QJsonObject run{
        {QStringLiteral("name"), QStringLiteral("r-s1")},
        {QStringLiteral("seed"), 1},
        {QStringLiteral("student"), QJsonObject{{QStringLiteral("model"), QStringLiteral("resnet8")}}}};
    QJsonObject second = run;
    second.insert(QStringLiteral("name"), QStringLiteral("r-s2"));
    second.insert(QStringLiteral("seed"), 2);
    file.write(QJsonDocument(QJsonObject{{QStringLiteral("runs"), QJsonArray{run, second}}}).toJson());
    file.close();
    DesignerPage page(kNoEngine);
    QVERIFY(page.loadSpecFile(path));
    QVERIFY2(
        page.noticeText().startsWith(QFileInfo(path).fileName() + QStringLiteral(" holds 2 runs that differ only")),
        qPrintable(page.noticeText()));
}

void TestDesigner::formRowsFollowTheSpecFieldTable() {
    DesignerPage page(kNoEngine);
    for (const spec::SpecField& f : spec::specFields()) {
        const QString path = QString::fromStdString(f.path);
        if (path == QLatin1String("seed")) continue;   // the seeds list, built by hand
        QWidget* editor = page.fieldWidget(path);
        QVERIFY2(editor, f.path.c_str());
        QCOMPARE(editor->toolTip(), QString::fromStdString(f.help));
        switch (f.kind) {
        case spec::FieldKind::Int: {
            auto* spin = qobject_cast<QSpinBox*>(editor);
            QVERIFY2(spin, f.path.c_str());
            QCOMPARE(spin->minimum(), int(f.min));
            QCOMPARE(spin->maximum(), int(std::min<double>(f.max, std::numeric_limits<int>::max())));
            QCOMPARE(spin->specialValueText(), QString::fromStdString(f.zeroMeans));
            break;
        }
        case spec::FieldKind::Choice: {
            auto* combo = qobject_cast<QComboBox*>(editor);
            QVERIFY2(combo, f.path.c_str());
            QCOMPARE(combo->count(), int(f.choices.size()));
            QCOMPARE(combo->itemText(0), QString::fromStdString(f.choices.front()));
            QCOMPARE(combo->isEditable(), f.editable);
            break;
        }
        case spec::FieldKind::Bool: QVERIFY2(qobject_cast<QCheckBox*>(editor), f.path.c_str()); break;
        default: QVERIFY2(qobject_cast<QLineEdit*>(editor), f.path.c_str()); break;
        }
    }
    // A row shows while its field applies.
    auto* dataName = qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("data.name")));
    auto* height = page.fieldWidget(QStringLiteral("data.height"));
    auto* minLr = page.fieldWidget(QStringLiteral("schedule.min_lr"));
    QVERIFY(!height->isVisibleTo(&page));
    QVERIFY(!minLr->isVisibleTo(&page));
    QVERIFY(page.fieldWidget(QStringLiteral("optim.momentum"))->isVisibleTo(&page));
    QVERIFY(!page.fieldWidget(QStringLiteral("optim.beta1"))->isVisibleTo(&page));
    dataName->setCurrentText(QStringLiteral("synthetic"));
    QVERIFY(height->isVisibleTo(&page));
    QVERIFY(page.specText().contains(QStringLiteral("\"height\"")));
    qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("schedule.name")))->setCurrentText(QStringLiteral("cosine"));
    QVERIFY(minLr->isVisibleTo(&page));
    QVERIFY(!page.fieldWidget(QStringLiteral("schedule.milestones"))->isVisibleTo(&page));
    QVERIFY(!page.specText().contains(QStringLiteral("milestones")));
    QVERIFY2(page.isValid(), qPrintable(page.generalErrorText() + page.specText()));
}

void TestDesigner::checkpointMinutesAndOnNonFiniteReachTheQueuedRunSpecs() {
    DesignerPage page(kNoEngine);
    QLineEdit* minutes = lineAt(page, QStringLiteral("checkpoint_minutes"));
    auto* onNonFinite = qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("on_nonfinite")));
    QVERIFY(minutes);
    QVERIFY(onNonFinite);
    // At their defaults they are left out of the spec, as toJson leaves them out.
    QVERIFY(!page.specText().contains(QStringLiteral("checkpoint_minutes")));
    QVERIFY(!page.specText().contains(QStringLiteral("on_nonfinite")));

    typeInto(minutes, QStringLiteral("2.5"));
    onNonFinite->setCurrentText(QStringLiteral("skip_step"));
    typeInto(lineAt(page, QStringLiteral("seed")), QStringLiteral("3, 4"));
    QVERIFY2(page.isValid(), qPrintable(page.generalErrorText() + page.specText()));
    const QList<spec::RunSpec> runs = page.runSpecs();
    QCOMPARE(runs.size(), 2);
    for (int i = 0; i < runs.size(); ++i) {
        QCOMPARE(runs[i].checkpointMinutes, 2.5);
        QCOMPARE(runs[i].onNonFinite, std::string("skip_step"));
        QCOMPARE(runs[i].seed, int64_t(3 + i));
    }
    // Two seeds are a study: its runs carry both fields.
    QSignalSpy queued(&page, &DesignerPage::studyQueueRequested);
    page.queueRuns();
    QCOMPARE(queued.count(), 1);
    const auto parsed = spec::parseExperiment(queued.first().first().toByteArray().toStdString());
    QVERIFY2(parsed.ok(), parsed.errorText().c_str());
    QCOMPARE(parsed.runs.size(), size_t(2));
    for (const spec::RunSpec& run : parsed.runs) {
        QCOMPARE(run.checkpointMinutes, 2.5);
        QCOMPARE(run.onNonFinite, std::string("skip_step"));
    }

    // Undo takes the choice back; out of range, the parser's error shows under the field.
    page.undoStack()->undo();
    page.undoStack()->undo();
    QCOMPARE(onNonFinite->currentText(), QStringLiteral("fail"));
    typeInto(minutes, QStringLiteral("20000"));
    QCOMPARE(page.fieldError(QStringLiteral("checkpoint_minutes")), expectedError(page.specJson(), "checkpoint_minutes"));
    QVERIFY(!page.fieldError(QStringLiteral("checkpoint_minutes")).isEmpty());
    QVERIFY(page.runSpecs().isEmpty());

    // Every seed becomes a run's seed: each is held to the spec's bound, not the first alone.
    typeInto(minutes, QStringLiteral("2.5"));
    typeInto(lineAt(page, QStringLiteral("seed")), QStringLiteral("1, 9007199254740993"));
    QVERIFY(page.fieldError(QStringLiteral("seed")).contains(QStringLiteral("9007199254740993")));
    QVERIFY(page.runSpecs().isEmpty());
    QVERIFY(!page.queueButton()->isEnabled());

    // Loaded from a spec, they show in the form.
    QVERIFY(page.loadSpecJson(R"({"checkpoint_minutes": 30, "on_nonfinite": "skip_step"})"));
    QCOMPARE(minutes->text(), QStringLiteral("30"));
    QCOMPARE(onNonFinite->currentText(), QStringLiteral("skip_step"));
    QVERIFY(page.noticeText().isEmpty());
}


// A PyTorch teacher (zoo model + torch.save state dict) and the student's initial weights: typed in,
// they are the spec's fields; loaded back, the same source and files show.
void TestDesigner::stateDictTeacherAndStudentInitReachTheSpec() {
    DesignerPage page(kNoEngine);
    qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("method.name")))->setCurrentText(QStringLiteral("kd"));
    auto* source = qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("teacher")));
    source->setCurrentIndex(int(DesignerPage::TeacherSource::StateDict));
    QCOMPARE(source->currentText(), QStringLiteral("Zoo model + PyTorch state dict"));
    typeInto(lineAt(page, QStringLiteral("teacher.state_dict_model")), QStringLiteral("resnet32x4"));
    typeInto(lineAt(page, QStringLiteral("teacher.state_dict")), QStringLiteral("/data/resnet32x4_vanilla.pth"));
    typeInto(lineAt(page, QStringLiteral("student.init")), QStringLiteral("/data/resnet8x4_init.pth"));
    QVERIFY2(page.isValid(), qPrintable(page.specText()));
    const auto spec = nlohmann::json::parse(page.specJson().toStdString());
    QCOMPARE(spec["teacher"], nlohmann::json({{"model", "resnet32x4"}, {"state_dict", "/data/resnet32x4_vanilla.pth"}}));
    QCOMPARE(spec["student"]["init"].get<std::string>(), std::string("/data/resnet8x4_init.pth"));

    DesignerPage other(kNoEngine);
    QVERIFY(other.loadSpecJson(page.specJson()));
    QCOMPARE(other.specJson(), page.specJson());
    QCOMPARE(qobject_cast<QComboBox*>(other.fieldWidget(QStringLiteral("teacher")))->currentIndex(),
             int(DesignerPage::TeacherSource::StateDict));
    QCOMPARE(lineAt(other, QStringLiteral("teacher.state_dict"))->text(), QStringLiteral("/data/resnet32x4_vanilla.pth"));
    QCOMPARE(lineAt(other, QStringLiteral("student.init"))->text(), QStringLiteral("/data/resnet8x4_init.pth"));
}

namespace {

// Writes a w × h image of one colour at path (its format from the suffix), making its folder.
void writeImage(const QString& path, int w, int h, QColor colour, QImage::Format format = QImage::Format_RGB32) {
    QDir().mkpath(QFileInfo(path).path());
    QImage image(w, h, format);
    image.fill(colour);
    QVERIFY2(image.save(path), qPrintable(path));
}

// An image folder: train/{cat,ant,bee} and val/ with the same classes. ant's first file (by name) is a
// grey-scale PNG, bee's a JPEG, cat's a corrupt ".jpg"; a text file and a hidden folder are no images
// or classes.
void makeImageFolder(const QString& root) {
    writeImage(root + "/train/ant/a1.png", 40, 20, Qt::gray, QImage::Format_Grayscale8);
    writeImage(root + "/train/ant/a2.PNG", 8, 8, Qt::red);
    writeImage(root + "/train/bee/b1.jpg", 200, 100, Qt::yellow);
    writeImage(root + "/train/cat/c2.png", 8, 8, Qt::blue);
    QFile corrupt(root + "/train/cat/c1.jpg");
    QVERIFY(corrupt.open(QIODevice::WriteOnly));
    corrupt.write("\xff\xd8 this is no JPEG");
    corrupt.close();
    QFile notes(root + "/train/cat/notes.txt");
    QVERIFY(notes.open(QIODevice::WriteOnly));
    QDir().mkpath(root + "/train/.cache");
    for (const char* c : {"ant", "bee", "cat"}) writeImage(root + "/val/" + c + "/v.png", 8, 8, Qt::green);
}

}  // namespace

// With "folder" chosen and a root typed, the Data section shows the class count, the image counts and
// each class's first image (as the engine orders the files) under its name; the other data sets hide it.
void TestDesigner::folderPreviewCountsClassesAndShowsTheirFirstImages() {
    QTemporaryDir dir;
    makeImageFolder(dir.path());
    DesignerPage page(kNoEngine);
    page.show();   // shown: hidden form rows beside a wrapped error label once broke Qt 6.4 layouts (FormRows.h)
    FolderPreview* preview = page.folderPreview();
    QVERIFY(!preview->isVisibleTo(&page));   // fashion-mnist
    qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("data.name")))->setCurrentText(QStringLiteral("folder"));
    QVERIFY(preview->isVisibleTo(&page));
    typeInto(lineAt(page, QStringLiteral("data.root")), dir.path());
    QTRY_VERIFY(!preview->isReading());
    QCOMPARE(preview->shown().root, dir.path());
    QCOMPARE(preview->summaryText(),
             QStringLiteral("3 classes (ant, bee, cat) · 5 training images · 3 validation images (the test split)"));

    const auto& thumbnails = preview->shown().thumbnails;
    QCOMPARE(thumbnails.size(), 3);
    QCOMPARE(thumbnails[0].className, QStringLiteral("ant"));
    QCOMPARE(QFileInfo(thumbnails[0].path).fileName(), QStringLiteral("a1.png"));
    QCOMPARE(thumbnails[0].image.size(), QSize(64, 32));   // 40 × 20 scaled to fit 64 × 64
    QVERIFY(thumbnails[0].image.isGrayscale());
    QCOMPARE(thumbnails[1].className, QStringLiteral("bee"));
    QCOMPARE(thumbnails[1].image.size(), QSize(64, 32));
    QVERIFY(qAbs(qRed(thumbnails[1].image.pixel(32, 16)) - 255) < 8);   // yellow, through the JPEG decoder
    QCOMPARE(thumbnails[2].className, QStringLiteral("cat"));
    QCOMPARE(QFileInfo(thumbnails[2].path).fileName(), QStringLiteral("c1.jpg"));
    QVERIFY(thumbnails[2].image.isNull());
    QVERIFY(!thumbnails[2].error.isEmpty());
    // On screen: one picture per readable image, the corrupt one said so, captions by class.
    QList<QLabel*> labels = preview->findChildren<QLabel*>();
    QCOMPARE(std::count_if(labels.begin(), labels.end(), [](QLabel* l) { return !l->pixmap().isNull(); }), 2);
    QCOMPARE(std::count_if(labels.begin(), labels.end(), [](QLabel* l) { return l->text() == "(unreadable)"; }), 1);
    QCOMPARE(std::count_if(labels.begin(), labels.end(), [](QLabel* l) { return l->text() == "bee"; }), 1);

    // Another data set hides it; the folder again shows the same folder's preview.
    qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("data.name")))->setCurrentText(QStringLiteral("cifar10"));
    QVERIFY(!preview->isVisibleTo(&page));
    qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("data.name")))->setCurrentText(QStringLiteral("folder"));
    QVERIFY(preview->isVisibleTo(&page));
    QTRY_VERIFY(!preview->isReading());
    QCOMPARE(preview->shown().classes, QStringList({"ant", "bee", "cat"}));

    // Files added: "Read again" counts them.
    writeImage(dir.path() + "/train/bee/b2.png", 8, 8, Qt::white);
    preview->readAgain();
    QTRY_VERIFY(!preview->isReading());
    QVERIFY2(preview->summaryText().contains("6 training images"), qPrintable(preview->summaryText()));
}

// A folder the engine would refuse: the preview says why in the engine's words, with what it could count.
void TestDesigner::folderPreviewSaysWhatIsWrongWithTheFolder() {
    QTemporaryDir dir;
    FolderPreview preview;
    const auto shownFor = [&](const QString& root) {
        preview.setRoot(root);
        [&] { QTRY_VERIFY(!preview.isReading()); }();
        return preview.summaryText();
    };
    QString text = shownFor(dir.path() + "/nowhere");
    QVERIFY2(text.startsWith("The folder " + dir.path() + "/nowhere does not exist; an image folder needs ROOT/train/CLASS/"),
             qPrintable(text));
    writeImage(dir.path() + "/train/ant/a.png", 8, 8, Qt::red);
    text = shownFor(dir.path());
    QCOMPARE(text, "1 class (ant) · 1 training image\n" + dir.path() + "/val not found (its images are the test split); " +
                       spec::kImageFolderLayout + ".");
    QCOMPARE(preview.shown().thumbnails.size(), 1);
    writeImage(dir.path() + "/val/bee/a.png", 8, 8, Qt::red);
    preview.readAgain();
    QTRY_VERIFY(!preview.isReading());
    QVERIFY2(preview.summaryText().contains("\nThe class folders of " + dir.path() + "/val differ from those of " +
                                            dir.path() + "/train: it lacks ant; it has bee that"),
             qPrintable(preview.summaryText()));
    text = shownFor(QString());
    QCOMPARE(text, QStringLiteral("The folder data set needs data.root; ") + spec::kImageFolderLayout + ".");
}

QTEST_MAIN(TestDesigner)
// Rows hidden by setFormRowVisible leave the layout (Qt 6.4's setRowVisible is unsafe beside wrapped
// labels, see FormRows.h) and come back where they were, with their labels, in any order of showing.
void TestDesigner::hiddenFormRowsComeBackInTheirPlaceWithTheirLabels() {
    QWidget window;
    auto* form = new QFormLayout(&window);
    auto* error = new QLabel(QStringLiteral("a long message that wraps over several lines of a narrow form"));
    error->setWordWrap(true);
    form->addRow(QStringLiteral("first"), error);
    QList<QLineEdit*> fields;
    for (int i = 0; i < 5; ++i) {
        fields << new QLineEdit;
        form->addRow(QStringLiteral("row %1").arg(i), fields.back());
    }
    auto* spanning = new QLabel(QStringLiteral("spanning"));
    form->addRow(spanning);
    window.show();
    const auto labels = [form] {
        QStringList out;
        for (int r = 0; r < form->rowCount(); ++r) {
            QLayoutItem* label = form->itemAt(r, QFormLayout::LabelRole);
            QLayoutItem* span = form->itemAt(r, QFormLayout::SpanningRole);
            out << (label ? qobject_cast<QLabel*>(label->widget())->text() : qobject_cast<QLabel*>(span->widget())->text());
        }
        return out.join(QLatin1Char(','));
    };
    for (int i : {1, 3, 4}) setFormRowVisible(form, fields[i], false);
    setFormRowVisible(form, spanning, false);
    QCOMPARE(labels(), QStringLiteral("first,row 0,row 2"));
    QVERIFY(!fields[3]->isVisibleTo(&window));
    QVERIFY(!form->labelForField(fields[0]) || form->labelForField(fields[0])->isVisibleTo(&window));
    QVERIFY(!isFormRowVisible(form, fields[4]));
    setFormRowVisible(form, fields[4], true);
    setFormRowVisible(form, spanning, true);
    setFormRowVisible(form, fields[1], true);
    setFormRowVisible(form, fields[1], true);   // twice: no second row
    QCOMPARE(labels(), QStringLiteral("first,row 0,row 1,row 2,row 4,spanning"));
    setFormRowVisible(form, fields[3], true);
    QCOMPARE(labels(), QStringLiteral("first,row 0,row 1,row 2,row 3,row 4,spanning"));
    QVERIFY(fields[3]->isVisibleTo(&window));
    QVERIFY(form->labelForField(fields[3])->isVisibleTo(&window));
    // A row added after the first hiding sorts after the rows that were there.
    auto* late = new QLineEdit;
    form->addRow(QStringLiteral("late"), late);
    setFormRowVisible(form, late, false);
    setFormRowVisible(form, fields[0], false);
    setFormRowVisible(form, late, true);
    setFormRowVisible(form, fields[0], true);
    QCOMPARE(labels(), QStringLiteral("first,row 0,row 1,row 2,row 3,row 4,spanning,late"));
}

// "Run on: Slurm cluster": the options appear, the button says Submit, a relative shared folder or a
// template without its markers is refused in words, and the click hands the study with the options
// to the window (which runs the engine's submit) instead of queueing it here.
void TestDesigner::runOnSlurmSubmitsTheStudyWithItsOptions() {
    QStandardPaths::setTestModeEnabled(true);
    QSettings().remove(QStringLiteral("cluster"));
    QTemporaryDir dir;
    DesignerPage page(kNoEngine);
    typeInto(lineAt(page, QStringLiteral("name")), QStringLiteral("on-slurm"));
    typeInto(lineAt(page, QStringLiteral("seed")), QStringLiteral("1, 2"));
    ClusterTarget* target = page.clusterTarget();
    QVERIFY(!target->slurmBox()->isVisibleTo(&page));
    target->runOnBox()->setCurrentIndex(1);
    QVERIFY(target->slurmBox()->isVisibleTo(&page));
    QCOMPARE(page.queueButton()->text(), QStringLiteral("Submit 2 runs (1 configuration × 2 seeds) to Slurm"));

    target->sharedFolderEdit()->setText(QStringLiteral("relative/shared"));
    QVERIFY(!page.queueButton()->isEnabled());
    QVERIFY2(page.generalErrorText().contains(QStringLiteral("Shared folder: give an absolute path")),
             qPrintable(page.generalErrorText()));
    target->sharedFolderEdit()->setText(dir.filePath(QStringLiteral("shared")));
    QFile broken(dir.filePath(QStringLiteral("broken.sh")));
    QVERIFY(broken.open(QIODevice::WriteOnly));
    broken.write("#!/bin/bash\n\"@ENGINE@\" job --run-dir x\n");
    broken.close();
    target->templateEdit()->setText(broken.fileName());
    QVERIFY(!page.queueButton()->isEnabled());
    QVERIFY2(page.generalErrorText().contains(QStringLiteral("@LIST@")), qPrintable(page.generalErrorText()));
    target->templateEdit()->clear();
    QVERIFY(page.queueButton()->isEnabled());
    QVERIFY(target->batchScript().contains(QStringLiteral("distillery-engine\" job --run-dir")));

    target->partitionEdit()->setText(QStringLiteral("debug"));
    target->gresEdit()->setText(QStringLiteral("gpu:1"));
    target->cpusBox()->setValue(4);
    target->timeEdit()->setText(QStringLiteral("1:00:00"));
    target->maxParallelBox()->setValue(3);
    QList<ClusterSubmission> submissions;
    connect(&page, &DesignerPage::clusterSubmitRequested, this,
            [&submissions](const ClusterSubmission& s) { submissions << s; });
    QSignalSpy queuedHere(&page, &DesignerPage::studyQueueRequested);
    page.queueButton()->click();
    QCOMPARE(queuedHere.count(), 0);
    QCOMPARE(submissions.size(), 1);
    const ClusterSubmission& s = submissions[0];
    QCOMPARE(s.name, QStringLiteral("on-slurm"));
    QCOMPARE(s.sharedRoot, dir.filePath(QStringLiteral("shared")));
    const auto parsed = spec::parseExperiment(s.specText.toStdString());
    QVERIFY2(parsed.ok() && parsed.study, parsed.errorText().c_str());
    QCOMPARE(parsed.runs.size(), size_t(2));
    const std::vector<std::string> options = cluster::submitCommandOptions(s.slurm);
    const std::vector<std::string> expected = {"--partition", "debug", "--gres", "gpu:1", "--cpus", "4",
                                               "--time", "1:00:00", "--max-parallel", "3"};
    QCOMPARE(options, expected);
    // Remembered for the next window.
    ClusterTarget next;
    QCOMPARE(next.partitionEdit()->text(), QStringLiteral("debug"));
    QCOMPARE(next.maxParallelBox()->value(), 3);

    target->setOnSlurm(false);
    QCOMPARE(page.queueButton()->text(), QStringLiteral("Queue 2 runs (1 configuration × 2 seeds)"));
    QSettings().remove(QStringLiteral("cluster"));
}

#include "test_designer.moc"
