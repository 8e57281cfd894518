// What crosses to and from PyTorch: TorchScript teachers in, state_dicts out. The Python side is
// Debian's python3-torch, run from the test.
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include "TestPrinters.h"

#include <torch/torch.h>

#include "engine/Checkpoint.h"
#include "engine/Trainer.h"
#include "models/ModelRegistry.h"
#include "models/TorchScriptNet.h"
#include "spec/FieldError.h"
#include "spec/RunQueue.h"
#include "spec/RunSpec.h"
#include "store/Store.h"

using namespace distillery;

namespace {
const QString kPython = "/usr/bin/python3";   // Debian's, with python3-torch
const QString kFixtures = QString(DISTILLERY_SOURCE_DIR) + "/tests/fixtures/";

QByteArray runPython(const QStringList& arguments) {
    QProcess python;
    python.start(kPython, arguments);
    if (!python.waitForFinished(120000) || python.exitCode() != 0)
        qFatal("python failed: %s", python.readAllStandardError().constData());
    return python.readAllStandardOutput();
}

spec::RunSpec parse(const nlohmann::json& json) {
    auto parsed = spec::parseRunSpec(json);
    if (!parsed.ok()) qFatal("%s", parsed.errorText().c_str());
    return *parsed.spec;
}

engine::Outcome train(store::Store& db, const spec::RunSpec& spec, int64_t* id) {
    *id = spec::queueRun(db, spec);
    db.claimRun(*id, 1, "test", "cpu");
    engine::Trainer trainer(db, *id, spec, {});
    const auto outcome = trainer.run();
    if (outcome != engine::Outcome::Finished) qWarning("%s", trainer.error().c_str());
    return outcome;
}
}  // namespace

class TestEngineIo : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    QString teacherPath_;
    std::vector<float> pythonLogits_;

private Q_SLOTS:
    void initTestCase() {
        teacherPath_ = dir_.filePath("teacher.pt");
        const auto out = runPython({kFixtures + "make_torchscript_teacher.py", teacherPath_});
        for (const auto& v : QJsonDocument::fromJson(out).array()) pythonLogits_.push_back(float(v.toDouble()));
        QCOMPARE(pythonLogits_.size(), size_t(8));   // 2 samples × 4 classes
    }

    void torchScriptTeacherGivesPyTorchsLogits() {
        const auto x = torch::linspace(-1, 1, 2 * 28 * 28).reshape({2, 1, 28, 28});
        const auto expected = torch::tensor(pythonLogits_).reshape({2, 4});
        models::TorchScriptNet whole(teacherPath_.toStdString(), {}, {}, "", 1, 28, 28);
        QCOMPARE(whole.numStages(), int64_t(0));
        QCOMPARE(whole.numClasses(), int64_t(4));
        QVERIFY(torch::allclose(whole.forward(x), expected, 1e-4, 1e-5));

        models::TorchScriptNet staged(teacherPath_.toStdString(), {"conv1", "bn1", "relu"}, {"layer1", "layer2"}, "fc",
                                      1, 28, 28);
        QCOMPARE(staged.numStages(), int64_t(2));
        QCOMPARE(staged.stageChannels(0), int64_t(16));
        QCOMPARE(staged.stageChannels(1), int64_t(32));
        QCOMPARE(staged.stageStride(0), int64_t(2));
        QCOMPARE(staged.stageStride(1), int64_t(4));
        const auto features = staged.forwardFeatures(x);
        QCOMPARE(features.stages[1].sizes(), (c10::IntArrayRef{2, 32, 7, 7}));
        QVERIFY(torch::allclose(features.logits, expected, 1e-4, 1e-5));
    }

    void torchScriptErrorsSayWhatIsWrong() {
        try {
            models::TorchScriptNet missing("/nonexistent/teacher.pt", {}, {}, "", 1, 28, 28);
            QFAIL("a missing file must throw");
        } catch (const spec::FieldError& e) {
            QCOMPARE(e.path(), std::string("teacher.torchscript"));
            QVERIFY2(std::string(e.what()).find("cannot load \"/nonexistent/teacher.pt\"") != std::string::npos, e.what());
        }
        try {
            models::TorchScriptNet wrong(teacherPath_.toStdString(), {"conv1"}, {"layer9"}, "fc", 1, 28, 28);
            QFAIL("a missing submodule must throw");
        } catch (const spec::FieldError& e) {
            QCOMPARE(e.path(), std::string("teacher"));
            QVERIFY2(std::string(e.what()).find("no submodule \"layer9\"; submodules there: conv1, bn1, relu, layer1") !=
                         std::string::npos,
                     e.what());
        }
    }

    void studentDistilsFromATorchScriptTeacher() {
        store::Store db(dir_.filePath("ts.sqlite").toStdString());
        const auto spec = parse({{"name", "kd-from-torchscript"},
                                 {"data", {{"name", "synthetic"}, {"num_classes", 4}, {"train_size", 256},
                                           {"test_size", 64}, {"val_size", 64}}},
                                 {"teacher", {{"torchscript", teacherPath_.toStdString()}}},
                                 {"student", {{"model", "tinycnn"}}},
                                 {"method", {{"name", "kd"}}},
                                 {"epochs", 1}, {"batch_size", 32}, {"threads", 2}});
        int64_t id = 0;
        QCOMPARE(train(db, spec, &id), engine::Outcome::Finished);
        QCOMPARE(db.run(id)->teacher, std::string("torchscript"));
        QVERIFY(db.summary(id, "train/loss/kd").has_value());
        QVERIFY(db.summary(id, "val/agreement").has_value());   // teacher–student agreement is measured
    }

    // Both programs print one version line: the version of the top-level CMakeLists.txt, the git commit
    // of the checkout they were built from (when it is one) and the LibTorch version of torch's header.
    void bothProgramsPrintTheirVersion() {
        QFile cmake(QString(DISTILLERY_SOURCE_DIR) + "/CMakeLists.txt");
        QVERIFY(cmake.open(QIODevice::ReadOnly));
        const auto match = QRegularExpression(R"(project\(Distillery VERSION ([0-9.]+))").match(cmake.readAll());
        QVERIFY(match.hasMatch());
        const QString version = match.captured(1);
        QProcess git;
        git.start("git", {"-C", DISTILLERY_SOURCE_DIR, "rev-parse", "--short=12", "HEAD"});
        const bool inGit = git.waitForFinished(10000) && git.exitCode() == 0;
        const QString commit = QString(git.readAllStandardOutput()).trimmed();
        for (const QString program : {"distillery-engine", "distillery"}) {
            const QString binary = QString(DISTILLERY_BIN_DIR) + "/" + program;
            if (program == "distillery" && !QFile::exists(binary)) continue;   // a build without the GUI
            QProcess process;
            process.setProcessEnvironment([] {
                auto env = QProcessEnvironment::systemEnvironment();
                env.insert("QT_QPA_PLATFORM", "offscreen");
                return env;
            }());
            process.start(binary, {"--version"});
            QVERIFY(process.waitForFinished(30000));
            QCOMPARE(process.exitCode(), 0);
            const QString line = QString(process.readAllStandardOutput()).trimmed();
            qInfo("%s", qPrintable(line));
            QVERIFY2(line.startsWith(program + " " + version + " "), qPrintable(line));
            if (inGit) QVERIFY2(line.contains("(git " + commit), qPrintable(line));
            QVERIFY2(line.contains(QString("LibTorch ") + TORCH_VERSION), qPrintable(line));
        }
    }

    void exportedStateDictLoadsIntoRepDistillersResnet8() {
        store::Store db(dir_.filePath("export.sqlite").toStdString());
        const auto spec = parse({{"name", "resnet8-c100"},
                                 {"data", {{"name", "synthetic"}, {"channels", 3}, {"height", 32}, {"width", 32},
                                           {"num_classes", 100}, {"train_size", 128}, {"test_size", 32},
                                           {"val_size", 32}}},
                                 {"student", {{"model", "resnet8"}}},
                                 {"epochs", 1}, {"batch_size", 32}, {"max_steps_per_epoch", 2}, {"threads", 2}});
        int64_t id = 0;
        QCOMPARE(train(db, spec, &id), engine::Outcome::Finished);
        const QString out = dir_.filePath("student.pth");
        QProcess exporter;
        exporter.start(QString(DISTILLERY_BIN_DIR) + "/distillery-engine",
                       {"export", "--db", dir_.filePath("export.sqlite"), "--run", QString::number(id), "--format",
                        "state-dict", "--out", out});
        QVERIFY(exporter.waitForFinished(60000));
        QVERIFY2(exporter.exitCode() == 0, exporter.readAllStandardError().constData());

        // Python loads it strictly into its own resnet8 and sums every value; the C++ sum must agree.
        const auto words = QString(runPython({kFixtures + "check_state_dict.py", "resnet8", out, "100"})).split(' ');
        auto net = models::createModel("resnet8", 3, 100);
        std::string best;
        for (const auto& c : db.checkpoints(id))
            if (c.kind == "best") best = c.path;
        engine::loadModuleWeights(*net, best, "test");
        int64_t tensors = 0;
        double cppSum = 0;
        for (const auto& p : net->named_parameters()) ++tensors, cppSum += p.value().to(torch::kDouble).sum().item<double>();
        for (const auto& b : net->named_buffers()) ++tensors, cppSum += b.value().to(torch::kDouble).sum().item<double>();
        QCOMPARE(words[0].toLongLong(), tensors);
        const double pythonSum = words[1].toDouble();
        QVERIFY2(std::abs(pythonSum - cppSum) <= 1e-9 * std::max(1.0, std::abs(cppSum)),
                 qPrintable(QString("python %1, C++ %2").arg(pythonSum, 0, 'g', 17).arg(cppSum, 0, 'g', 17)));
    }
};

QTEST_GUILESS_MAIN(TestEngineIo)
#include "test_engine_io.moc"
