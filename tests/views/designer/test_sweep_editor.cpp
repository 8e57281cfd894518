// The designer's sweep editor, driven through its widgets: fields become lists, ranges or checked
// choices; the page then builds a study whose run count shows on the queue button as the study
// parser expands it; its errors show under the fields their paths name; a study file loads back into
// the form, what the form cannot show kept as written; the study queues into a store; undo covers
// sweep toggles and edits.
//
// With DISTILLERY_SCREENSHOT_DIR set, screenshots() writes designer-sweep.png there.
#include <algorithm>

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QToolButton>
#include <QUndoStack>
#include <QScrollArea>
#include <QScrollBar>
#include <QtTest>

#include "DesignerDriving.h"
#include "DesignerPage.h"
#include "MethodForm.h"
#include "StoreSession.h"
#include "SweepEditor.h"
#include "SweepableField.h"
#include "spec/RunSpec.h"
#include "spec/Study.h"
#include "store/Store.h"

using namespace distillery;
using namespace distillery::views;
using distillery::testing::lineAt;
using distillery::testing::typeInto;
using nlohmann::json;

namespace {

const QString kNoEngine = QStringLiteral("/nonexistent/distillery-engine");

// Turns a field's sweep on with its toggle button, as a user does.
SweepEditor* sweep(DesignerPage& page, const QString& path) {
    SweepableField* field = page.sweepField(path);
    if (!field) return nullptr;
    if (!field->isSweeping()) field->toggleButton()->click();
    return field->isSweeping() ? field->sweepEditor() : nullptr;
}

// Checks exactly these choices of a choice sweep, one click each as a user does.
void checkOnly(SweepEditor* editor, const QStringList& choices) {
    QVERIFY(editor && editor->choiceList());
    QListWidget* list = editor->choiceList();
    for (int i = 0; i < list->count(); ++i) {
        const Qt::CheckState wanted = choices.contains(list->item(i)->text()) ? Qt::Checked : Qt::Unchecked;
        if (list->item(i)->checkState() != wanted) list->item(i)->setCheckState(wanted);
    }
}

json shownJson(const DesignerPage& page) { return json::parse(page.specText().toStdString()); }

spec::ExperimentParse expanded(const DesignerPage& page) { return spec::parseExperiment(page.studyJson().toStdString()); }

// The values a field took across a study's runs, first seen first.
json variedValues(const spec::StudyPlan& plan, const std::string& path) {
    json out = json::array();
    for (const auto& run : plan.runs)
        for (const auto& [p, v] : run.varied)
            if (p == path && std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
    return out;
}

json readJsonFile(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return json();
    return json::parse(file.readAll().toStdString());
}

// A study design that needs a teacher: resnet20 from a checkpoint file (the parser does not open it).
void useZooTeacher(DesignerPage& page) {
    qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("teacher")))
        ->setCurrentIndex(int(DesignerPage::TeacherSource::ZooCheckpoint));
    typeInto(lineAt(page, QStringLiteral("teacher.model")), QStringLiteral("resnet20"));
    typeInto(lineAt(page, QStringLiteral("teacher.checkpoint")), QStringLiteral("/data/r20.pt"));
}

}  // namespace

class TestSweepEditor : public QObject {
    Q_OBJECT
private slots:
    void listAndChoicesGiveAGridAndALiveRunCount();
    void rangesExpandAsTheStudyParserDoes();
    void anInvalidItemShowsUnderItsFieldAndBlocksQueueing();
    void sweepingTheMethodWritesMethodBlocks();
    void togglingBackRestoresTheSingleValue();
    void earlyStoppingIsAStudyOption();
    void aBuiltStudySavesAndLoadsBackIntoTheForm();
    void theLaptopStudyLoadsWithoutLosingAnything();
    void aRandomPartIsKeptAsWritten();
    void queueingAStudyRecordsItAndItsRuns();
    void undoRevertsSweepTogglesAndEdits();
    void screenshots();
};

void TestSweepEditor::listAndChoicesGiveAGridAndALiveRunCount() {
    DesignerPage page(kNoEngine);
    typeInto(lineAt(page, QStringLiteral("name")), QStringLiteral("lr-by-student"));
    QVERIFY(!page.isStudy());

    SweepEditor* lr = sweep(page, QStringLiteral("optim.lr"));
    QVERIFY(lr);
    // A fresh sweep starts from the field's value.
    QCOMPARE(lr->listEdit()->text(), QStringLiteral("0.05"));
    typeInto(lr->listEdit(), QStringLiteral("0.05, 0.1, 0.2"));
    QVERIFY(page.isStudy());
    QCOMPARE(page.queueButton()->text(), QStringLiteral("Queue 3 runs (3 configurations × 1 seed)"));

    SweepEditor* student = sweep(page, QStringLiteral("student.model"));
    QVERIFY(student);
    QCOMPARE(student->gridValue(), json::array({"resnet8"}));
    checkOnly(student, {QStringLiteral("resnet8"), QStringLiteral("resnet14")});
    typeInto(lineAt(page, QStringLiteral("seed")), QStringLiteral("1, 2, 3"));

    QCOMPARE(page.queueButton()->text(), QStringLiteral("Queue 18 runs (6 configurations × 3 seeds)"));
    QVERIFY2(page.isValid(), qPrintable(page.generalErrorText()));
    QVERIFY(page.queueButton()->isEnabled());
    const json study = shownJson(page);
    QCOMPARE(study["study"], json("lr-by-student"));
    QCOMPARE(study["grid"], json::parse(R"({"optim.lr": [0.05, 0.1, 0.2], "student.model": ["resnet8", "resnet14"]})"));
    QCOMPARE(study["seeds"], json::parse("[1, 2, 3]"));
    // The base holds the fixed values only: no seed, no name (the study names the runs), no swept field.
    for (const char* absent : {"seed", "name", "student"}) QVERIFY2(!study["base"].contains(absent), absent);
    QVERIFY(!study["base"].contains("optim") || !study["base"]["optim"].contains("lr"));
    QCOMPARE(page.studyJson(), page.specText().toUtf8());

    const auto parsed = expanded(page);
    QVERIFY2(parsed.ok() && parsed.study, parsed.errorText().c_str());
    QCOMPARE(parsed.runs.size(), size_t(18));
    QCOMPARE(parsed.study->configurations(), size_t(6));
    QCOMPARE(page.runSpecs().size(), 18);
}

void TestSweepEditor::rangesExpandAsTheStudyParserDoes() {
    DesignerPage page(kNoEngine);
    SweepEditor* lr = sweep(page, QStringLiteral("optim.lr"));
    QVERIFY(lr);
    lr->modeBox()->setCurrentIndex(int(SweepEditor::Mode::Range));
    typeInto(lr->fromEdit(), QStringLiteral("0.001"));
    typeInto(lr->toEdit(), QStringLiteral("0.1"));
    lr->countBox()->setValue(3);
    lr->spacingBox()->setCurrentIndex(int(SweepEditor::Spacing::Log));
    QCOMPARE(shownJson(page)["grid"]["optim.lr"], json::parse(R"({"logspace": [0.001, 0.1, 3]})"));
    auto parsed = expanded(page);
    QVERIFY2(parsed.ok() && parsed.study, parsed.errorText().c_str());
    QCOMPARE(variedValues(*parsed.study, "optim.lr"), json::parse("[0.001, 0.01, 0.1]"));
    // The values show under the range.
    QCOMPARE(lr->preview(), QStringLiteral("values: 0.001, 0.01, 0.1"));
    QCOMPARE(page.queueButton()->text(), QStringLiteral("Queue 3 runs (3 configurations × 1 seed)"));

    lr->spacingBox()->setCurrentIndex(int(SweepEditor::Spacing::Linear));
    parsed = expanded(page);
    QVERIFY2(parsed.ok() && parsed.study, parsed.errorText().c_str());
    QCOMPARE(variedValues(*parsed.study, "optim.lr"), json::parse("[0.001, 0.0505, 0.1]"));

    // Whole numbers: a range with a step.
    SweepEditor* epochs = sweep(page, QStringLiteral("epochs"));
    QVERIFY(epochs && epochs->stepBox() && !epochs->countBox());
    epochs->modeBox()->setCurrentIndex(int(SweepEditor::Mode::Range));
    typeInto(epochs->fromEdit(), QStringLiteral("2"));
    typeInto(epochs->toEdit(), QStringLiteral("6"));
    epochs->stepBox()->setValue(2);
    QCOMPARE(shownJson(page)["grid"]["epochs"], json::parse(R"({"range": [2, 6, 2]})"));
    parsed = expanded(page);
    QVERIFY2(parsed.ok() && parsed.study, parsed.errorText().c_str());
    QCOMPARE(variedValues(*parsed.study, "epochs"), json::parse("[2, 4, 6]"));
    QCOMPARE(page.queueButton()->text(), QStringLiteral("Queue 9 runs (9 configurations × 1 seed)"));

    // A check box sweeps on and off.
    SweepEditor* augment = sweep(page, QStringLiteral("data.augment"));
    QVERIFY(augment);
    checkOnly(augment, {QStringLiteral("on"), QStringLiteral("off")});
    QCOMPARE(shownJson(page)["grid"]["data.augment"], json::parse("[true, false]"));
    QCOMPARE(page.queueButton()->text(), QStringLiteral("Queue 18 runs (18 configurations × 1 seed)"));
}

void TestSweepEditor::anInvalidItemShowsUnderItsFieldAndBlocksQueueing() {
    DesignerPage page(kNoEngine);
    SweepEditor* lr = sweep(page, QStringLiteral("optim.lr"));
    QVERIFY(lr);
    typeInto(lr->listEdit(), QStringLiteral("0.05, abc"));
    const QString error = page.fieldError(QStringLiteral("optim.lr"));
    QVERIFY2(error.contains(QStringLiteral("\"abc\"")), qPrintable(error));
    QVERIFY(page.generalErrorText().isEmpty());
    QVERIFY(!page.isValid());
    QVERIFY(!page.queueButton()->isEnabled());
    QSignalSpy queued(&page, &DesignerPage::studyQueueRequested);
    page.queueRuns();
    QCOMPARE(queued.count(), 0);

    // A range that is not one names its part.
    lr->modeBox()->setCurrentIndex(int(SweepEditor::Mode::Range));
    typeInto(lr->fromEdit(), QStringLiteral("x"));
    typeInto(lr->toEdit(), QStringLiteral("0.1"));
    QVERIFY2(page.fieldError(QStringLiteral("optim.lr")).startsWith(QStringLiteral("lr.linspace: ")),
             qPrintable(page.fieldError(QStringLiteral("optim.lr"))));
    // An empty list too.
    lr->modeBox()->setCurrentIndex(int(SweepEditor::Mode::List));
    typeInto(lr->listEdit(), QString());
    QVERIFY(!page.fieldError(QStringLiteral("optim.lr")).isEmpty());

    typeInto(lr->listEdit(), QStringLiteral("0.05, 0.1"));
    QVERIFY(page.fieldError(QStringLiteral("optim.lr")).isEmpty());
    QVERIFY(page.queueButton()->isEnabled());

    // Out of the field's range: the run's error, under the field.
    typeInto(lr->listEdit(), QStringLiteral("0.05, 500"));
    QVERIFY(!page.fieldError(QStringLiteral("optim.lr")).isEmpty());
    QVERIFY(page.generalErrorText().isEmpty());
    QVERIFY(!page.queueButton()->isEnabled());
}

void TestSweepEditor::sweepingTheMethodWritesMethodBlocks() {
    DesignerPage page(kNoEngine);
    useZooTeacher(page);
    qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("method.name")))->setCurrentText(QStringLiteral("kd"));
    qobject_cast<QDoubleSpinBox*>(page.fieldWidget(QStringLiteral("method.T")))->setValue(2);
    SweepEditor* methods = sweep(page, QStringLiteral("method.name"));
    QVERIFY(methods);
    checkOnly(methods, {QStringLiteral("ce"), QStringLiteral("kd")});
    json study = shownJson(page);
    // One block per method; the form's parameters (kd's) in kd's block.
    QCOMPARE(study["grid"]["method"], json::parse(R"([{"name": "ce"}, {"name": "kd", "T": 2}])"));
    QVERIFY(!study["base"].contains("method"));
    QCOMPARE(page.queueButton()->text(), QStringLiteral("Queue 2 runs (2 configurations × 1 seed)"));
    QVERIFY2(page.isValid(), qPrintable(page.generalErrorText() + page.specText()));
    // The form says whose parameters it shows.
    const auto notes = page.findChildren<QLabel*>();
    QVERIFY(std::any_of(notes.begin(), notes.end(), [](const QLabel* label) {
        return label->isVisibleTo(label->window()) && label->text().contains(QStringLiteral("parameters below are kd's"));
    }));

    // A swept parameter of the form's method is a sub-grid of its block.
    SweepEditor* temperature = sweep(page, QStringLiteral("method.T"));
    QVERIFY(temperature);
    typeInto(temperature->listEdit(), QStringLiteral("2, 4"));
    study = shownJson(page);
    QCOMPARE(study["grid"]["method"], json::parse(R"([{"name": "ce"}, {"name": "kd", "T": [2, 4]}])"));
    QCOMPARE(page.queueButton()->text(), QStringLiteral("Queue 3 runs (3 configurations × 1 seed)"));
    // Its errors show under the parameter.
    typeInto(temperature->listEdit(), QStringLiteral("2, 999"));
    QVERIFY2(!page.methodForm()->fieldError(QStringLiteral("T")).isEmpty(), qPrintable(page.generalErrorText()));
    QVERIFY(!page.queueButton()->isEnabled());
    typeInto(temperature->listEdit(), QStringLiteral("2, 4"));
    QVERIFY(page.queueButton()->isEnabled());

    // Unchecking the form's method: the first checked one takes its place, at its defaults.
    checkOnly(methods, {QStringLiteral("ce"), QStringLiteral("at")});
    QCOMPARE(page.methodForm()->method(), QStringLiteral("ce"));
    QCOMPARE(shownJson(page)["grid"]["method"], json::parse(R"([{"name": "ce"}, {"name": "at"}])"));
}

void TestSweepEditor::togglingBackRestoresTheSingleValue() {
    DesignerPage page(kNoEngine);
    typeInto(lineAt(page, QStringLiteral("optim.lr")), QStringLiteral("0.2"));
    const QByteArray single = page.specJson();
    SweepEditor* lr = sweep(page, QStringLiteral("optim.lr"));
    typeInto(lr->listEdit(), QStringLiteral("0.1, 0.3"));
    QVERIFY(page.isStudy());
    SweepableField* field = page.sweepField(QStringLiteral("optim.lr"));
    field->toggleButton()->click();
    QVERIFY(!field->isSweeping());
    QVERIFY(!page.isStudy());
    QCOMPARE(lineAt(page, QStringLiteral("optim.lr"))->text(), QStringLiteral("0.2"));
    QCOMPARE(page.specJson(), single);
    QCOMPARE(page.specText().toUtf8(), single);
    QCOMPARE(page.queueButton()->text(), QStringLiteral("Queue 1 run"));
    // Toggled on again, the sweep holds what it held.
    field->toggleButton()->click();
    QCOMPARE(field->sweepEditor()->listEdit()->text(), QStringLiteral("0.1, 0.3"));
}

void TestSweepEditor::earlyStoppingIsAStudyOption() {
    DesignerPage page(kNoEngine);
    QCheckBox* stop = page.stopBelowMedianBox();
    QVERIFY(!stop->isChecked());
    QVERIFY(!stop->isEnabled());   // one run: no median to compare with
    typeInto(lineAt(page, QStringLiteral("seed")), QStringLiteral("1, 2, 3"));
    QVERIFY(stop->isEnabled());
    QVERIFY(!shownJson(page).contains("early_stopping"));
    stop->click();
    page.graceEpochsBox()->setValue(2);
    QCOMPARE(shownJson(page)["early_stopping"], json::parse(R"({"rule": "median", "grace_epochs": 2})"));
    const auto parsed = expanded(page);
    QVERIFY2(parsed.ok() && parsed.study, parsed.errorText().c_str());
    QCOMPARE(parsed.study->earlyStopping.rule, std::string("median"));
    QCOMPARE(parsed.study->earlyStopping.graceEpochs, int64_t(2));
}

void TestSweepEditor::aBuiltStudySavesAndLoadsBackIntoTheForm() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("study.json"));
    DesignerPage page(kNoEngine);
    typeInto(lineAt(page, QStringLiteral("name")), QStringLiteral("roundtrip"));
    useZooTeacher(page);
    qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("method.name")))->setCurrentText(QStringLiteral("kd"));
    checkOnly(sweep(page, QStringLiteral("method.name")), {QStringLiteral("ce"), QStringLiteral("kd")});
    typeInto(sweep(page, QStringLiteral("method.T"))->listEdit(), QStringLiteral("2, 8"));
    SweepEditor* lr = sweep(page, QStringLiteral("optim.lr"));
    lr->modeBox()->setCurrentIndex(int(SweepEditor::Mode::Range));
    typeInto(lr->fromEdit(), QStringLiteral("0.01"));
    typeInto(lr->toEdit(), QStringLiteral("0.1"));
    lr->spacingBox()->setCurrentIndex(int(SweepEditor::Spacing::Log));
    checkOnly(sweep(page, QStringLiteral("schedule.name")), {QStringLiteral("multistep"), QStringLiteral("cosine")});
    typeInto(lineAt(page, QStringLiteral("seed")), QStringLiteral("1, 2"));
    page.stopBelowMedianBox()->click();
    QVERIFY2(page.isValid(), qPrintable(page.generalErrorText() + page.specText()));
    QVERIFY(page.saveSpecFile(path));
    QCOMPARE(readJsonFile(path), shownJson(page));

    DesignerPage other(kNoEngine);
    QVERIFY(other.loadSpecFile(path));
    QCOMPARE(shownJson(other), shownJson(page));
    QCOMPARE(other.queueButton()->text(), page.queueButton()->text());
    // The form holds every part: the sweeps, the seeds, early stopping, nothing kept aside.
    for (const char* path : {"method.name", "method.T", "optim.lr", "schedule.name"})
        QVERIFY2(other.sweepField(QString::fromLatin1(path))->isSweeping(), path);
    QCOMPARE(other.sweepField(QStringLiteral("optim.lr"))->sweepEditor()->spacingBox()->currentIndex(),
             int(SweepEditor::Spacing::Log));
    QCOMPARE(lineAt(other, QStringLiteral("seed"))->text(), QStringLiteral("1, 2"));
    QCOMPARE(lineAt(other, QStringLiteral("name"))->text(), QStringLiteral("roundtrip"));
    QVERIFY(other.stopBelowMedianBox()->isChecked());
    QVERIFY(!other.noticeText().contains(QStringLiteral("Kept as written")));
    // Edited and edited back, the form's own study is the same file.
    auto* epochs = qobject_cast<QSpinBox*>(other.fieldWidget(QStringLiteral("epochs")));
    epochs->setValue(2);
    epochs->setValue(1);
    QCOMPARE(shownJson(other), shownJson(page));
}

void TestSweepEditor::theLaptopStudyLoadsWithoutLosingAnything() {
    const QString path = QStringLiteral(DISTILLERY_SOURCE_DIR "/experiments/laptop/study.json");
    const json file = readJsonFile(path);
    QVERIFY(file.is_object());
    const auto fromFile = spec::parseExperimentFile(path.toStdString());
    QVERIFY2(fromFile.ok() && fromFile.study, fromFile.errorText().c_str());

    DesignerPage page(kNoEngine);
    QVERIFY(page.loadSpecFile(path));
    QCOMPARE(shownJson(page), file);
    QVERIFY(page.isStudy());
    QCOMPARE(page.queueButton()->text(), QStringLiteral("Queue 66 runs (3 teacher runs + 21 configurations × 3 seeds)"));
    // The form shows the base and the seeds; the teachers and the labelled method blocks are kept.
    QCOMPARE(qobject_cast<QSpinBox*>(page.fieldWidget(QStringLiteral("epochs")))->value(), 6);
    QCOMPARE(lineAt(page, QStringLiteral("seed"))->text(), QStringLiteral("1, 2, 3"));
    QCOMPARE(lineAt(page, QStringLiteral("name"))->text(), QStringLiteral("laptop"));
    for (const char* kept : {"teachers", "grid.method", "description"})
        QVERIFY2(page.noticeText().contains(QString::fromLatin1(kept)), qPrintable(page.noticeText()));
    QVERIFY(!page.noticeText().contains(QStringLiteral("Not taken")));

    // An edit: the form's study, with the kept parts as they were and the same runs otherwise.
    auto* epochs = qobject_cast<QSpinBox*>(page.fieldWidget(QStringLiteral("epochs")));
    epochs->setValue(7);
    json edited = shownJson(page);
    QCOMPARE(edited["base"]["epochs"], json(7));
    for (const char* kept : {"teachers", "description", "seeds"}) QCOMPARE(edited[kept], file[kept]);
    QCOMPARE(edited["grid"], file["grid"]);
    epochs->setValue(6);
    const auto rebuilt = expanded(page);
    QVERIFY2(rebuilt.ok() && rebuilt.study, rebuilt.errorText().c_str());
    QCOMPARE(rebuilt.runs.size(), fromFile.runs.size());
    for (size_t i = 0; i < rebuilt.runs.size(); ++i)
        QCOMPARE(spec::toJson(rebuilt.runs[i]).dump(), spec::toJson(fromFile.runs[i]).dump());
    // Undo brings the file back as it was loaded.
    page.undoStack()->undo();
    QCOMPARE(shownJson(page), file);
}

void TestSweepEditor::aRandomPartIsKeptAsWritten() {
    const json study = json::parse(R"({
        "study": "drawn", "description": "random learning rates",
        "base": {"epochs": 2},
        "grid": {"optim.weight_decay": [0.0005, 0.001]},
        "random": {"n": 4, "seed": 7, "space": {"optim.lr": {"log_uniform": [0.001, 0.3]}}},
        "seeds": [1, 2],
        "early_stopping": {"rule": "median", "grace_epochs": 1, "min_runs": 2}})");
    DesignerPage page(kNoEngine);
    QVERIFY(page.loadSpecJson(QByteArray::fromStdString(study.dump())));
    QCOMPARE(shownJson(page), study);
    QVERIFY(page.noticeText().contains(QStringLiteral("random")));
    QVERIFY(page.sweepField(QStringLiteral("optim.weight_decay"))->isSweeping());
    QVERIFY(page.stopBelowMedianBox()->isChecked());
    QCOMPARE(page.queueButton()->text(), QStringLiteral("Queue 16 runs (8 configurations × 2 seeds)"));
    // The form's own study keeps the random part and min_runs.
    qobject_cast<QSpinBox*>(page.fieldWidget(QStringLiteral("epochs")))->setValue(3);
    json edited = shownJson(page);
    QCOMPARE(edited["random"], study["random"]);
    QCOMPARE(edited["early_stopping"], study["early_stopping"]);
    QCOMPARE(edited["grid"], study["grid"]);
    QCOMPARE(page.queueButton()->text(), QStringLiteral("Queue 16 runs (8 configurations × 2 seeds)"));
}

void TestSweepEditor::queueingAStudyRecordsItAndItsRuns() {
    QTemporaryDir dir;
    StoreSession::Options options;
    options.trainQueuedRuns = false;
    options.enginePath = kNoEngine;
    StoreSession session(options);
    QString error;
    QVERIFY2(session.open(dir.filePath(QStringLiteral("runs.sqlite")), 1, &error), qPrintable(error));

    DesignerPage page(kNoEngine);
    typeInto(lineAt(page, QStringLiteral("name")), QStringLiteral("sweep-lr"));
    typeInto(sweep(page, QStringLiteral("optim.lr"))->listEdit(), QStringLiteral("0.05, 0.1"));
    typeInto(lineAt(page, QStringLiteral("seed")), QStringLiteral("1, 2"));
    QSignalSpy queued(&page, &DesignerPage::studyQueueRequested);
    page.queueButton()->click();
    QCOMPARE(queued.count(), 1);
    const QByteArray studyJson = queued.first().first().toByteArray();
    const QList<qint64> ids = session.queueStudy(studyJson, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(ids.size(), 4);

    const auto study = session.store()->studyNamed("sweep-lr");
    QVERIFY(study);
    const auto runs = session.store()->studyRuns(study->id);
    QCOMPARE(runs.size(), size_t(4));
    for (const auto& run : runs) {
        QVERIFY(ids.contains(run.id));
        QCOMPARE(run.status, store::RunStatus::Queued);
        QCOMPARE(run.studyRole, std::string("student"));
    }
    // Queued again unchanged: the same runs, none twice.
    QCOMPARE(session.queueStudy(studyJson, &error), ids);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(session.store()->studyRuns(study->id).size(), size_t(4));

    // Changed under the same name: refused in plain words, nothing queued.
    typeInto(page.sweepField(QStringLiteral("optim.lr"))->sweepEditor()->listEdit(), QStringLiteral("0.05, 0.2"));
    QVERIFY(session.queueStudy(page.studyJson(), &error).isEmpty());
    QVERIFY2(error.contains(QStringLiteral("already a study")), qPrintable(error));
    QCOMPARE(session.store()->studyRuns(study->id).size(), size_t(4));
    // A study with errors queues nothing and names them.
    error.clear();
    QVERIFY(session.queueStudy(R"({"study": "bad", "base": {"epochs": 0}, "seeds": [1]})", &error).isEmpty());
    QVERIFY2(error.contains(QStringLiteral("epochs")), qPrintable(error));
    QVERIFY(!session.store()->studyNamed("bad"));
}

void TestSweepEditor::undoRevertsSweepTogglesAndEdits() {
    DesignerPage page(kNoEngine);
    QUndoStack* stack = page.undoStack();
    typeInto(lineAt(page, QStringLiteral("optim.lr")), QStringLiteral("0.2"));
    QCOMPARE(stack->count(), 1);
    const QByteArray single = page.specText().toUtf8();
    SweepEditor* lr = sweep(page, QStringLiteral("optim.lr"));
    QCOMPARE(stack->count(), 2);   // the toggle is a step of its own, even after an edit of the field
    typeInto(lr->listEdit(), QStringLiteral("0.2, 0.4"));
    QCOMPARE(stack->count(), 3);
    const json swept = shownJson(page);
    QCOMPARE(swept["grid"]["optim.lr"], json::parse("[0.2, 0.4]"));

    stack->undo();   // the list edit
    QCOMPARE(shownJson(page)["grid"]["optim.lr"], json::parse("[0.2]"));
    QCOMPARE(lr->listEdit()->text(), QStringLiteral("0.2"));
    stack->undo();   // the toggle
    QVERIFY(!page.sweepField(QStringLiteral("optim.lr"))->isSweeping());
    QVERIFY(!page.isStudy());
    QCOMPARE(page.specText().toUtf8(), single);
    QCOMPARE(lineAt(page, QStringLiteral("optim.lr"))->text(), QStringLiteral("0.2"));
    stack->redo();
    stack->redo();
    QVERIFY(page.sweepField(QStringLiteral("optim.lr"))->isSweeping());
    QCOMPARE(shownJson(page), swept);

    // A method sweep and its parameters' sweeps are one state.
    useZooTeacher(page);
    qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("method.name")))->setCurrentText(QStringLiteral("kd"));
    checkOnly(sweep(page, QStringLiteral("method.name")), {QStringLiteral("ce"), QStringLiteral("kd")});
    typeInto(sweep(page, QStringLiteral("method.T"))->listEdit(), QStringLiteral("2, 4"));
    const json withT = shownJson(page);
    page.sweepField(QStringLiteral("method.name"))->toggleButton()->click();
    QVERIFY(!page.isStudy() || !shownJson(page)["grid"].contains("method"));
    stack->undo();
    QCOMPARE(shownJson(page), withT);
    QVERIFY(page.sweepField(QStringLiteral("method.T"))->isSweeping());
}

// ---- screenshots ---------------------------------------------------------------------------------

void TestSweepEditor::screenshots() {
    const QString out = qEnvironmentVariable("DISTILLERY_SCREENSHOT_DIR");
    if (out.isEmpty()) QSKIP("set DISTILLERY_SCREENSHOT_DIR to write the sweep editor's screenshot");
    QVERIFY(QDir().mkpath(out));
    DesignerPage page(kNoEngine);
    page.resize(1500, 1100);
    typeInto(lineAt(page, QStringLiteral("name")), QStringLiteral("kd-lr-sweep"));
    useZooTeacher(page);
    qobject_cast<QComboBox*>(page.fieldWidget(QStringLiteral("method.name")))->setCurrentText(QStringLiteral("kd"));
    checkOnly(sweep(page, QStringLiteral("method.name")), {QStringLiteral("ce"), QStringLiteral("kd")});
    typeInto(sweep(page, QStringLiteral("method.T"))->listEdit(), QStringLiteral("2, 4, 8"));
    checkOnly(sweep(page, QStringLiteral("student.model")), {QStringLiteral("resnet8"), QStringLiteral("resnet14")});
    SweepEditor* lr = sweep(page, QStringLiteral("optim.lr"));
    lr->modeBox()->setCurrentIndex(int(SweepEditor::Mode::Range));
    typeInto(lr->fromEdit(), QStringLiteral("0.01"));
    typeInto(lr->toEdit(), QStringLiteral("0.1"));
    lr->spacingBox()->setCurrentIndex(int(SweepEditor::Spacing::Log));
    typeInto(lineAt(page, QStringLiteral("seed")), QStringLiteral("1, 2, 3"));
    page.stopBelowMedianBox()->click();
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    // The form scrolled to the student, where the sweeps start.
    QWidget* student = page.sweepField(QStringLiteral("student.model"));
    for (QWidget* w = student->parentWidget(); w; w = w->parentWidget())
        if (auto* scroll = qobject_cast<QScrollArea*>(w)) {
            scroll->verticalScrollBar()->setValue(student->mapTo(scroll->widget(), QPoint(0, 0)).y() - 40);
            break;
        }
    QTest::qWait(100);
    QVERIFY(page.grab().save(QDir(out).filePath(QStringLiteral("designer-sweep.png"))));
}

QTEST_MAIN(TestSweepEditor)
#include "test_sweep_editor.moc"
