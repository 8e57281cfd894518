// `distillery-engine describe` through the PairDescriber, with the real engine: stage shapes and
// spots of a zoo pair, errors by path for a bad spec, a teacher found in a store, superseded
// requests, a missing engine, and the designer showing the engine's build errors under their field.
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include "DesignerPage.h"
#include "EngineBinary.h"
#include "PairDescriber.h"
#include "PairView.h"
#include "store/Store.h"

using namespace distillery;
using namespace distillery::views;

namespace {

constexpr int kEngineTimeoutMs = 60000;

QString enginePath() { return testing::builtEnginePath(); }

const QByteArray kAtSpec = R"({"name": "at-r20-r8", "data": {"name": "fashion-mnist"},
    "teacher": {"model": "resnet20", "checkpoint": "/not/read/by/describe.pt"},
    "student": {"model": "resnet8"}, "method": {"name": "at"}})";

// Waits for the describer's one answer and returns it.
PairDescription describe(PairDescriber& describer, const QByteArray& spec) {
    QSignalSpy described(&describer, &PairDescriber::described);
    QSignalSpy failed(&describer, &PairDescriber::failed);
    describer.request(spec);
    [&] { QTRY_VERIFY_WITH_TIMEOUT(described.count() + failed.count() > 0, kEngineTimeoutMs); }();
    if (!failed.isEmpty()) qWarning() << "describe failed:" << failed.first().first().toString();
    return described.isEmpty() ? PairDescription{} : described.first().first().value<PairDescription>();
}

QStringList stageLabels(const std::optional<NetDescription>& net) {
    QStringList labels;
    if (net)
        for (const StageShape& s : net->stages) labels << s.label();
    return labels;
}

QStringList errorPaths(const PairDescription& d) {
    QStringList paths;
    for (const FieldError& e : d.errors) paths << e.path;
    return paths;
}

}  // namespace

class TestPairDescriber : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void describesTheStagesAndSpotsOfAZooPair();
    void reportsSpecErrorsWithTheirPaths();
    void findsATeacherRunInTheStore();
    void aNewerRequestSupersedesARunningOne();
    void aMissingEngineFailsWithAFix();
    void describesATorchScriptTeacher();
    void theDesignerShowsTheEnginesErrorsUnderTheirField();
};

void TestPairDescriber::initTestCase() { QVERIFY2(testing::missingEngineReason().isEmpty(), qPrintable(testing::missingEngineReason())); }

void TestPairDescriber::describesTheStagesAndSpotsOfAZooPair() {
    PairDescriber describer(enginePath());
    describer.setDebounceMs(0);
    const PairDescription d = describe(describer, kAtSpec);
    const QStringList shapes{QStringLiteral("16×28×28"), QStringLiteral("32×14×14"), QStringLiteral("64×7×7")};
    QVERIFY(d.teacher && d.student);
    QCOMPARE(d.teacher->model, QStringLiteral("resnet20"));
    QCOMPARE(d.student->model, QStringLiteral("resnet8"));
    QCOMPARE(stageLabels(d.teacher), shapes);
    QCOMPARE(stageLabels(d.student), shapes);
    QVERIFY(d.teacher->params > d.student->params);
    QVERIFY(d.errors.isEmpty());
    // AT distils every stage of equal-depth nets, stage k with stage k, comparing attention maps.
    QCOMPARE(d.spots.size(), 3);
    for (int k = 0; k < 3; ++k) {
        QCOMPARE(d.spots[k].name, QStringLiteral("stage %1").arg(k + 1));
        QCOMPARE(d.spots[k].teacherStage, k);
        QCOMPARE(d.spots[k].studentStage, k);
        QVERIFY(d.spots[k].connector.contains(QStringLiteral("attention")));
    }

    // FitNet with the KD term: one hinted stage through a connector, and the logits.
    const PairDescription fitnet = describe(describer, R"({"teacher": {"model": "resnet32x4", "checkpoint": "x.pt"},
        "student": {"model": "resnet8"}, "method": {"name": "fitnet", "kd_alpha": 0.9}})");
    QCOMPARE(fitnet.spots.size(), 2);
    QCOMPARE(fitnet.spots[0].studentStage, 1);
    QCOMPARE(fitnet.spots[0].connector, QStringLiteral("1×1 conv + BN + ReLU, 32→128"));
    QCOMPARE(fitnet.spots[1].studentStage, SpotDescription::kLogits);
    QCOMPARE(fitnet.spots[1].connector, QStringLiteral("none"));
}

void TestPairDescriber::reportsSpecErrorsWithTheirPaths() {
    PairDescriber describer(enginePath());
    describer.setDebounceMs(0);
    const PairDescription d = describe(describer, R"({"student": {"model": "nope"}, "method": {"name": "kd", "T": 0},
                                                      "optim": {"lr": -1}})");
    const QStringList paths = errorPaths(d);
    QVERIFY2(paths.contains(QStringLiteral("student.model")), qPrintable(paths.join(' ')));
    QVERIFY(paths.contains(QStringLiteral("method.T")));
    QVERIFY(paths.contains(QStringLiteral("optim.lr")));
    QVERIFY(paths.contains(QStringLiteral("teacher")));
    for (const FieldError& e : d.errors)
        if (e.path == QLatin1String("optim.lr")) QCOMPARE(e.message, QStringLiteral("must be > 0, got -1"));
    QVERIFY(!d.student);
    QVERIFY(!d.teacher);

    // A spec that parses but cannot be built: the stage the student lacks, under method.stage.
    const PairDescription stage = describe(describer, R"({"teacher": {"model": "resnet20", "checkpoint": "x.pt"},
        "student": {"model": "resnet8"}, "method": {"name": "fitnet", "stage": 5}})");
    QCOMPARE(errorPaths(stage), QStringList{QStringLiteral("method.stage")});
    QVERIFY(stage.errors.first().message.contains(QStringLiteral("3 stages")));
    QVERIFY(stage.student && stage.teacher);   // the pair is still drawn
}

void TestPairDescriber::findsATeacherRunInTheStore() {
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("runs.sqlite"));
    {
        store::Store store(db.toStdString());
        store::NewRun teacher;
        teacher.name = "teacher-r14";
        teacher.specJson = R"({"student": {"model": "resnet14"}})";
        teacher.student = "resnet14";
        teacher.method = "ce";
        teacher.dataset = "fashion-mnist";
        const int64_t id = store.insertRun(teacher);
        QVERIFY(store.claimRun(id, 1, "test", "cpu"));
        store.finishRun(id, store::RunStatus::Finished);
    }
    PairDescriber describer(enginePath());
    describer.setDebounceMs(0);
    const QByteArray spec = R"({"teacher": {"run_name": "teacher-r14"}, "student": {"model": "resnet8"},
                                "method": {"name": "kd"}})";
    const PairDescription withoutStore = describe(describer, spec);
    QCOMPARE(errorPaths(withoutStore), QStringList{QStringLiteral("teacher.run_name")});

    describer.setStorePath(db);
    const PairDescription d = describe(describer, spec);
    QVERIFY2(d.errors.isEmpty(), qPrintable(errorPaths(d).join(' ')));
    QVERIFY(d.teacher);
    QCOMPARE(d.teacher->model, QStringLiteral("resnet14"));
    QCOMPARE(d.spots.size(), 1);
    QCOMPARE(d.spots.first().name, QStringLiteral("logits"));

    const PairDescription missing = describe(describer, R"({"teacher": {"run_id": 99}, "student": {"model": "resnet8"},
                                                             "method": {"name": "kd"}})");
    QCOMPARE(errorPaths(missing), QStringList{QStringLiteral("teacher.run_id")});
}

void TestPairDescriber::aNewerRequestSupersedesARunningOne() {
    PairDescriber describer(enginePath());
    describer.setDebounceMs(50);
    QSignalSpy described(&describer, &PairDescriber::described);
    QSignalSpy failed(&describer, &PairDescriber::failed);
    // Typing: many requests within the debounce time give one engine run, for the last.
    for (const char* student : {"resnet14", "resnet20", "resnet32"})
        describer.request(QByteArray(R"({"student": {"model": ")") + student + R"("}})");
    // After the debounce the engine starts for the last of them; loading LibTorch alone takes it
    // longer than this wait, so the next request supersedes it while it runs.
    QTest::qWait(80);
    describer.request(R"({"student": {"model": "resnet8x4"}})");
    QTRY_VERIFY_WITH_TIMEOUT(described.count() > 0, kEngineTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(!describer.isBusy(), kEngineTimeoutMs);
    QCOMPARE(failed.count(), 0);
    QCOMPARE(described.count(), 1);
    const auto d = described.first().first().value<PairDescription>();
    QCOMPARE(d.student->model, QStringLiteral("resnet8x4"));
    QCOMPARE(d.student->stages.first().channels, 64);
}

void TestPairDescriber::aMissingEngineFailsWithAFix() {
    PairDescriber describer(QStringLiteral("/nonexistent/distillery-engine"));
    describer.setDebounceMs(0);
    QSignalSpy failed(&describer, &PairDescriber::failed);
    describer.request(kAtSpec);
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, kEngineTimeoutMs);
    const QString message = failed.first().first().toString();
    QVERIFY(message.contains(QStringLiteral("/nonexistent/distillery-engine")));
    QVERIFY(message.contains(QStringLiteral("DISTILLERY_ENGINE")));
}

// A teacher exported from PyTorch (tests/fixtures/make_torchscript_teacher.py): its stages come from
// the submodules the spec names, its parameters are counted in the file.
void TestPairDescriber::describesATorchScriptTeacher() {
    QTemporaryDir dir;
    const QString teacher = dir.filePath(QStringLiteral("teacher.pt"));
    QProcess python;
    python.start(QStringLiteral("/usr/bin/python3"),
                 {QStringLiteral(DISTILLERY_SOURCE_DIR "/tests/fixtures/make_torchscript_teacher.py"), teacher});
    QVERIFY2(python.waitForFinished(120000) && python.exitCode() == 0, python.readAllStandardError().constData());

    const QByteArray spec = QStringLiteral(R"({"name": "kd-from-torchscript", "data": {"name": "fashion-mnist"},
        "teacher": {"torchscript": "%1", "stem": ["conv1", "bn1", "relu"], "stages": ["layer1", "layer2"],
                    "classifier": "fc"},
        "student": {"model": "resnet8"}, "method": {"name": "kd"}})").arg(teacher).toUtf8();
    PairDescriber describer(enginePath());
    describer.setDebounceMs(0);
    const PairDescription d = describe(describer, spec);
    QVERIFY2(d.errors.isEmpty(), qPrintable(errorPaths(d).join(QLatin1Char(' '))));
    QVERIFY(d.teacher.has_value());
    QCOMPARE(stageLabels(d.teacher), (QStringList{QStringLiteral("16×14×14"), QStringLiteral("32×7×7")}));
    // conv1 8·9 + bn1 2·8 + layer1 16·8·9+16 + layer2 32·16·9+32 + fc 4·32+4
    QCOMPARE(d.teacher->params, qint64(72 + 16 + 1168 + 4640 + 132));
    QVERIFY(d.teacher->model.contains(QStringLiteral("teacher.pt")));
}

void TestPairDescriber::theDesignerShowsTheEnginesErrorsUnderTheirField() {
    DesignerPage page(enginePath());
    page.describer()->setDebounceMs(0);
    QVERIFY(page.loadSpecJson(R"({"teacher": {"model": "resnet20", "checkpoint": "x.pt"},
        "student": {"model": "resnet8"}, "method": {"name": "fitnet", "stage": 5}, "seed": 1})"));
    // The parser accepts stage 5 (the range is the catalog's); the engine knows resnet8 has 3 stages.
    QTRY_VERIFY_WITH_TIMEOUT(!page.fieldError(QStringLiteral("method.stage")).isEmpty(), kEngineTimeoutMs);
    QVERIFY(page.fieldError(QStringLiteral("method.stage")).contains(QStringLiteral("3 stages")));
    QVERIFY(!page.queueButton()->isEnabled());
    QVERIFY(page.pairView()->hasDescription());
    QCOMPARE(page.pairView()->stageLabels(false).size(), 3);

    qobject_cast<QDoubleSpinBox*>(page.fieldWidget(QStringLiteral("method.stage")))->setValue(1);
    QTRY_VERIFY_WITH_TIMEOUT(page.fieldError(QStringLiteral("method.stage")).isEmpty() && page.pairView()->spotLines().size() == 1,
                             kEngineTimeoutMs);
    QVERIFY(page.queueButton()->isEnabled());
    QVERIFY(page.pairView()->spotLines().first().connector.contains(QStringLiteral("conv")));
}

QTEST_MAIN(TestPairDescriber)
#include "test_pair_describer.moc"
