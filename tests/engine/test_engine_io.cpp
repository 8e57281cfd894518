// What crosses to and from PyTorch: TorchScript teachers and torch.save state dicts in, state_dicts
// out. The Python side is Debian's python3-torch (and python3-torchvision), run from the test.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include "TestPrinters.h"

#include <map>

#include <torch/torch.h>

#include <caffe2/serialize/inline_container.h>

#include <fstream>

#include "engine/Checkpoint.h"
#include "engine/TorchSaveFile.h"
#include "engine/TeacherLoader.h"
#include "engine/Trainer.h"
#include "engine/TrainingSetup.h"
#include "models/ModelRegistry.h"
#include "models/TorchScriptNet.h"
#include "spec/Catalog.h"
#include "spec/FieldError.h"
#include "spec/RunQueue.h"
#include "spec/RunSpec.h"
#include "store/Results.h"
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

// The synthetic data set of make_pth_teacher.py's networks: 3×32×32 images, `classes` classes.
nlohmann::json cifarLike(int64_t classes = 10) {
    return {{"name", "synthetic"}, {"channels", 3}, {"height", 32}, {"width", 32}, {"num_classes", classes},
            {"train_size", 64}, {"test_size", 32}, {"val_size", 32}};
}

// The input make_pth_teacher.py prints its logits for.
torch::Tensor pthInput() { return torch::linspace(-2, 2, 2 * 3 * 32 * 32).reshape({2, 3, 32, 32}); }

// The FieldError a call throws, or a failure naming what it threw instead.
template <typename F>
spec::FieldError fieldError(F&& call) {
    try {
        call();
    } catch (const spec::FieldError& e) {
        return e;
    } catch (const std::exception& e) {
        qFatal("expected a FieldError, got: %s", e.what());
    }
    qFatal("expected a FieldError, nothing was thrown");
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

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
    std::map<std::string, std::vector<float>> pthLogits_;   // make_pth_teacher.py's, by network

    std::string pth(const char* name) const { return dir_.filePath(name).toStdString(); }

    // The network's logits on make_pth_teacher.py's input are PyTorch's (rtol 1e-5, atol 1e-5); else
    // a warning with the largest difference.
    bool givesPyTorchsLogits(models::StagedNet& net, const std::string& name) {
        torch::NoGradGuard noGrad;
        const auto logits = net.forward(pthInput());
        const auto expected = torch::tensor(pthLogits_[name]).reshape({2, 10});
        if (torch::allclose(logits, expected, 1e-5, 1e-5)) return true;
        qWarning("%s: largest difference %g", name.c_str(), (logits - expected).abs().max().item<double>());
        return false;
    }

    // The teacher a spec names, as a run loads it: frozen, batch norms folded.
    engine::LoadedTeacher teacherOf(const nlohmann::json& teacher, int64_t classes = 10) {
        store::Store db(dir_.filePath("teachers.sqlite").toStdString());
        const auto spec = parse({{"data", cifarLike(classes)}, {"teacher", teacher}, {"method", {{"name", "kd"}}}});
        return engine::loadTeacher(db, spec.teacher, {3, 32, 32, classes}, torch::kCPU);
    }

private Q_SLOTS:
    void initTestCase() {
        teacherPath_ = dir_.filePath("teacher.pt");
        const auto out = runPython({kFixtures + "make_torchscript_teacher.py", teacherPath_});
        for (const auto& v : QJsonDocument::fromJson(out).array()) pythonLogits_.push_back(float(v.toDouble()));
        QCOMPARE(pythonLogits_.size(), size_t(8));   // 2 samples × 4 classes

        const auto pth = QJsonDocument::fromJson(runPython({kFixtures + "make_pth_teacher.py", dir_.path()})).object();
        for (const QString net : {"resnet8x4", "resnet18"}) {
            for (const auto& v : pth[net].toArray()) pthLogits_[net.toStdString()].push_back(float(v.toDouble()));
            QCOMPARE(pthLogits_[net.toStdString()].size(), size_t(20));   // 2 samples × 10 classes
        }
    }

    // RepDistiller's checkpoint layout ({'epoch', 'model', 'best_acc', 'optimizer', 'opt'}, storages
    // tagged cuda:0) into the zoo's resnet8x4: the logits PyTorch computed, after the batch-norm fold.
    void stateDictTeacherGivesPyTorchsLogits() {
        const auto loaded = teacherOf({{"model", "resnet8x4"}, {"state_dict", pth("resnet8x4_repdistiller.pth")}});
        QCOMPARE(loaded.model, std::string("resnet8x4"));
        QVERIFY2(contains(loaded.description, "under \"model\"") && !contains(loaded.description, "module."),
                 loaded.description.c_str());
        QVERIFY(loaded.foldedNorms > 0);
        QVERIFY(givesPyTorchsLogits(*loaded.net, "resnet8x4"));
    }

    // torchvision's resnet18, saved from nn.DataParallel ("module." names), as the student's start.
    void studentInitGivesTorchvisionsLogits() {
        store::Store db(dir_.filePath("init.sqlite").toStdString());
        const auto spec = parse({{"data", cifarLike()},
                                 {"student", {{"model", "resnet18"}, {"init", pth("resnet18_torchvision.pth")}}},
                                 {"threads", 2}});
        QCOMPARE(spec::toJson(spec)["student"]["init"].get<std::string>(), pth("resnet18_torchvision.pth"));
        engine::TrainingSetup setup = engine::setUpTraining(spec, 2, db, [](const engine::LoadedTeacher&) {});
        const std::string log = engine::initialiseStudent(spec, setup);
        QVERIFY2(contains(log, "resnet18 starts from state dict") && contains(log, "\"module.\" prefix removed") &&
                     contains(log, "122 tensors"),
                 log.c_str());
        setup.student->eval();
        QVERIFY(givesPyTorchsLogits(*setup.student, "resnet18"));
    }

    // A run distils from a state-dict teacher into a student started from a state dict, and says so.
    void runDistilsFromStateDicts() {
        store::Store db(dir_.filePath("pth-run.sqlite").toStdString());
        const auto spec = parse({{"name", "kd-from-pth"},
                                 {"data", cifarLike()},
                                 {"teacher", {{"model", "resnet8x4"}, {"state_dict", pth("resnet8x4_repdistiller.pth")}}},
                                 {"student", {{"model", "resnet8x4"}, {"init", pth("resnet8x4_repdistiller.pth")}}},
                                 {"method", {{"name", "kd"}}},
                                 {"epochs", 1}, {"batch_size", 32}, {"max_steps_per_epoch", 1}, {"threads", 2}});
        int64_t id = 0;
        QCOMPARE(train(db, spec, &id), engine::Outcome::Finished);
        QCOMPARE(db.run(id)->teacher, std::string("resnet8x4"));
        bool teacherLogged = false, studentLogged = false;
        for (const auto& e : db.events(id)) {
            teacherLogged |= contains(e.message, "teacher resnet8x4 from state dict \"" + pth("resnet8x4_repdistiller.pth"));
            studentLogged |= contains(e.message, "student resnet8x4 starts from state dict \"" +
                                                     pth("resnet8x4_repdistiller.pth"));
        }
        QVERIFY(teacherLogged);
        QVERIFY(studentLogged);
    }

    // Every name that does not fit is listed, at the field that named the file, with the fix.
    void stateDictErrorsNameTheKeys() {
        const auto teacher = [&](const char* model, const std::string& file, int64_t classes = 10) {
            return fieldError([&] { teacherOf({{"model", model}, {"state_dict", file}}, classes); });
        };
        auto e = teacher("resnet8x4", pth("missing_key.pth"));
        QCOMPARE(e.path(), std::string("teacher.state_dict"));
        QVERIFY2(contains(e.what(), "1 missing from the file: layer2.0.bn1.running_var") &&
                     !contains(e.what(), "in the file but not in"),
                 e.what());
        e = teacher("resnet8x4", pth("unexpected_key.pth"));
        QVERIFY2(contains(e.what(), "1 in the file but not in resnet8x4 (3 input channels, 10 classes): "
                                    "layer4.0.conv1.weight") &&
                     !contains(e.what(), "missing"),
                 e.what());
        e = teacher("resnet8x4", pth("resnet8x4_repdistiller.pth"), 100);
        QVERIFY2(contains(e.what(), "2 of another shape: fc.weight [10, 256] in the file, [100, 256] in resnet8x4 "
                                    "(3 input channels, 100 classes), fc.bias [10] in the file, [100] in"),
                 e.what());
        // The wrong network: more mismatches than are listed, and the count of the rest.
        e = teacher("resnet8", pth("resnet8x4_repdistiller.pth"));
        QVERIFY2(contains(e.what(), "of another shape: conv1.weight [32, 3, 3, 3] in the file, [16, 3, 3, 3] in resnet8") &&
                     contains(e.what(), "more)") && contains(e.what(), "Name the network the weights were trained as"),
                 e.what());

        // Files that are not torch.save state dicts say what they are and which field takes them.
        e = teacher("resnet8x4", teacherPath_.toStdString());
        QVERIFY2(contains(e.what(), "is a TorchScript archive") && contains(e.what(), "teacher.torchscript"), e.what());
        e = teacher("resnet8x4", pth("no_state_dict.pth"));
        QVERIFY2(contains(e.what(), "holds no state dict") && contains(e.what(), "with keys epoch, acc"), e.what());
        QFile text(dir_.filePath("notes.pth"));
        QVERIFY(text.open(QIODevice::WriteOnly));
        text.write("not a checkpoint\n");
        text.close();
        e = teacher("resnet8x4", pth("notes.pth"));
        QVERIFY2(contains(e.what(), "is not a torch.save file (not a zip archive)"), e.what());
        e = teacher("resnet8x4", pth("nothing-here.pth"));
        QVERIFY2(contains(e.what(), "teacher.state_dict: file \"" + pth("nothing-here.pth") + "\" does not exist"), e.what());

        // The student's file: errors at student.init.
        store::Store db(dir_.filePath("init-errors.sqlite").toStdString());
        const auto spec = parse({{"data", cifarLike()},
                                 {"student", {{"model", "resnet18"}, {"init", pth("missing_key.pth")}}},
                                 {"threads", 2}});
        engine::TrainingSetup setup = engine::setUpTraining(spec, 2, db, [](const engine::LoadedTeacher&) {});
        e = fieldError([&] { engine::initialiseStudent(spec, setup); });
        QCOMPARE(e.path(), std::string("student.init"));
        QVERIFY2(contains(e.what(), "student.init: the state dict of") &&
                     contains(e.what(), "missing from the file: layer1.1.conv1.weight") &&
                     contains(e.what(), "conv1.weight [32, 3, 3, 3] in the file, [64, 3, 7, 7] in resnet18 (3 input "
                                        "channels, 10 classes)"),
                 e.what());
    }

    // A torch.save archive whose data.pkl is the given pickle bytes.
    std::string archiveOf(const char* name, const std::string& pickle) const {
        const std::string path = pth(name);
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        caffe2::serialize::PyTorchStreamWriter writer([&](const void* bytes, size_t n) {
            out.write(static_cast<const char*>(bytes), std::streamsize(n));
            return n;
        });
        writer.writeRecord("data.pkl", pickle.data(), pickle.size());
        writer.writeEndOfFile();
        return path;
    }

    // Pickles that hostile or damaged files can hold: a list or dict inside itself is refused (as a
    // shared_ptr cycle it would never be freed: the fuzzer's leak), and a million nested tuples are
    // read and freed without overflowing the stack.
    void hostilePicklesAreRefusedOrReadSafely() {
        using engine::TorchSaveError;
        using namespace std::string_literals;   // the pickles hold NUL bytes
        const auto refusal = [&](const char* name, const std::string& pickle) -> std::string {
            try {
                engine::readTorchSaveFile(archiveOf(name, pickle));
            } catch (const TorchSaveError& e) {
                if (e.reason() != TorchSaveError::Reason::Damaged) return "wrong reason";
                return e.what();
            }
            return "read";
        };
        // PROTO 2, EMPTY_LIST, BINPUT 0, BINGET 0, APPEND, STOP: l = []; l.append(l)
        std::string e = refusal("self-list.pth", "\x80\x02]q\x00h\x00" "a."s);   // split: \x00a would be one escape
        QVERIFY2(contains(e, "puts a list inside itself, which a state dict never does"), e.c_str());
        // d = {}; d["k"] = (d,)
        e = refusal("self-dict.pth", "\x80\x02}q\x00X\x01\x00\x00\x00kh\x00\x85s."s);
        QVERIFY2(contains(e, "puts a dict inside itself"), e.c_str());
        // The same shapes without the cycle are read.
        const auto fine = engine::readTorchSaveFile(
            archiveOf("list-in-dict.pth", "\x80\x02}q\x00X\x01\x00\x00\x00k]\x85s."s));
        QCOMPARE(fine.kind, engine::PickleValue::Kind::Dict);
        QCOMPARE(fine.at("k")->items.at(0)->kind, engine::PickleValue::Kind::List);

        const std::string deep = "\x80\x02]" + std::string(1000000, '\x85') + ".";   // ((((…[],),),),)
        const auto nested = engine::readTorchSaveFile(archiveOf("deep.pth", deep));
        QCOMPARE(nested.kind, engine::PickleValue::Kind::Tuple);
    }

    // A Distillery checkpoint is not a state dict: the error names the field that takes it.
    void distilleryCheckpointIsNamedAsSuch() {
        store::Store db(dir_.filePath("ckpt.sqlite").toStdString());
        const auto spec = parse({{"name", "tiny"}, {"data", cifarLike()}, {"student", {{"model", "resnet8"}}},
                                 {"epochs", 1}, {"batch_size", 32}, {"max_steps_per_epoch", 1}, {"threads", 2}});
        int64_t id = 0;
        QCOMPARE(train(db, spec, &id), engine::Outcome::Finished);
        const std::string checkpoint = spec::runCheckpoints(db, id).preferred();
        const auto e = fieldError([&] { teacherOf({{"model", "resnet8"}, {"state_dict", checkpoint}}); });
        QVERIFY2(contains(e.what(), "is a Distillery checkpoint, not a torch.save file; give it as teacher.checkpoint"),
                 e.what());
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
        const QByteArray printed = exporter.readAllStandardOutput();
        QFile printedFile(dir_.filePath("printed.txt"));
        QVERIFY(printedFile.open(QIODevice::WriteOnly));
        printedFile.write(printed);
        printedFile.close();
        QVERIFY2(printed.contains("from models import model_dict") &&
                     printed.contains("model = model_dict[\"resnet8\"](num_classes=100)") &&
                     printed.contains(("model.load_state_dict(torch.load(\"" + out + "\"").toUtf8()) &&
                     !printed.contains("in_channels") && !printed.contains("AdaptiveAvgPool2d"),
                 printed.constData());

        // The description beside it, against the store and the run's data.
        QFile manifestFile(dir_.filePath("student.json"));
        QVERIFY(manifestFile.open(QIODevice::ReadOnly));
        const auto manifest = nlohmann::json::parse(manifestFile.readAll().toStdString());
        const auto row = *db.run(id);
        QCOMPARE(manifest["model"].get<std::string>(), std::string("resnet8"));
        QCOMPARE(manifest["python_definition"].get<std::string>(), std::string("RepDistiller models/resnet.py"));
        QCOMPARE(manifest["input_shape"], nlohmann::json({3, 32, 32}));
        QCOMPARE(manifest["class_names"].size(), size_t(100));
        QCOMPARE(manifest["class_names"][7].get<std::string>(), spec::classNames(spec.data)[7]);
        QCOMPARE(manifest["run"]["id"].get<int64_t>(), id);
        QCOMPARE(manifest["run"]["name"].get<std::string>(), std::string("resnet8-c100"));
        QCOMPARE(manifest["run"]["uuid"].get<std::string>(), row.uuid);
        QVERIFY(!row.uuid.empty());
        QCOMPARE(manifest["run"]["method"].get<std::string>(), std::string("ce"));
        QCOMPARE(manifest["run"]["dataset"].get<std::string>(), std::string("synthetic"));
        QCOMPARE(manifest["run"]["checkpoint"].get<std::string>(), std::string("best"));
        const auto selected = store::selectByValidation(db, id);
        QVERIFY(selected.testAtBestVal.has_value());
        QCOMPARE(manifest["metrics"]["test_acc1_at_best_val"].get<double>(), *selected.testAtBestVal);
        QCOMPARE(manifest["metrics"]["val_acc1_best"].get<double>(), *selected.bestVal);
        QVERIFY(manifest["distillery_version"].get<std::string>().find(TORCH_VERSION) != std::string::npos);
        // The synthetic set has no constants: the training split's own statistics, as training used.
        const auto splits = engine::loadRunData(spec);
        QCOMPARE(manifest["normalize"]["mean"].get<std::vector<double>>(), splits.train.mean);
        QCOMPARE(manifest["normalize"]["std"].get<std::vector<double>>(), splits.train.std);
        QCOMPARE(manifest["normalize"]["source"].get<std::string>(), std::string("the training split's own statistics"));

        // Python loads it strictly into its own resnet8 and sums every value; the C++ sum must agree.
        // It also runs the printed transform line on an image and checks it against the manifest.
        const auto lines = QString(runPython({kFixtures + "check_state_dict.py", "resnet8", out, "100",
                                              dir_.filePath("student.json"), dir_.filePath("printed.txt")}))
                               .split('\n');
        const auto manifestWords = lines[1].split(' ');
        QCOMPARE(manifestWords.size(), 5);
        QCOMPARE(manifestWords[0], QString("manifest"));
        QCOMPARE(manifestWords[1] + manifestWords[2] + manifestWords[3], QString("33232"));
        QVERIFY2(manifestWords[4].toDouble() < 1e-6, qPrintable(lines[1]));
        const auto words = lines[0].split(' ');
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

    // Grey 28×28 images: the printed Python adapts RepDistiller's RGB, 32×32 network to them.
    void exportOfGreyImagesAdaptsThePythonModel() {
        store::Store db(dir_.filePath("export-grey.sqlite").toStdString());
        const auto spec = parse({{"name", "resnet8-grey"},
                                 {"data", {{"name", "synthetic"}, {"train_size", 64}, {"test_size", 32}, {"val_size", 32}}},
                                 {"student", {{"model", "resnet8"}}},
                                 {"epochs", 1}, {"batch_size", 32}, {"max_steps_per_epoch", 1}, {"threads", 2}});
        int64_t id = 0;
        QCOMPARE(train(db, spec, &id), engine::Outcome::Finished);
        QProcess exporter;
        exporter.start(QString(DISTILLERY_BIN_DIR) + "/distillery-engine",
                       {"export", "--db", dir_.filePath("export-grey.sqlite"), "--run", QString::number(id), "--out",
                        dir_.filePath("grey.pth")});
        QVERIFY(exporter.waitForFinished(60000));
        QVERIFY2(exporter.exitCode() == 0, exporter.readAllStandardError().constData());
        const QByteArray printed = exporter.readAllStandardOutput();
        QVERIFY2(printed.contains("model.conv1.in_channels = 1\n") &&
                     printed.contains("model.conv1.weight = torch.nn.Parameter(torch.empty(16, 1, 3, 3))\n") &&
                     printed.contains("model.avgpool = torch.nn.AdaptiveAvgPool2d(1)") &&
                     printed.contains("images of 28x28 pixels, 1 channel\n"),
                 printed.constData());
        QVERIFY(QFile::exists(dir_.filePath("grey.json")));
    }
};

QTEST_GUILESS_MAIN(TestEngineIo)
#include "test_engine_io.moc"
