#include <QDirIterator>
#include <QTemporaryDir>
#include <QtTest>

#include "TestPrinters.h"

#include <cmath>
#include <fstream>
#include <limits>

#include "spec/Catalog.h"
#include "spec/JsonText.h"
#include "spec/RunQueue.h"
#include "spec/RunSpec.h"

using namespace distillery;
using nlohmann::json;

namespace {
json validKd() {
    return json::parse(R"({
        "name": "kd-r8",
        "data": {"name": "fashion-mnist", "val_size": 5000, "train_subset": 10000},
        "teacher": {"run_name": "teacher-r32x4"},
        "student": {"model": "resnet8"},
        "method": {"name": "kd", "T": 4, "alpha": 0.9, "gamma": 0.1},
        "optim": {"name": "sgd", "lr": 0.05, "momentum": 0.9, "weight_decay": 5e-4},
        "schedule": {"name": "multistep", "milestones": [2, 3], "gamma": 0.1},
        "epochs": 4, "batch_size": 128, "seed": 1
    })");
}

bool hasError(const spec::ParseResult& r, const std::string& path, const std::string& fragment) {
    for (const auto& e : r.errors)
        if (e.path == path && e.message.find(fragment) != std::string::npos) return true;
    return false;
}

void writeFile(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

// The valid KD spec with a JSON merge patch applied (null removes a field).
json patched(const QString& patch) {
    json spec = validKd();
    spec.merge_patch(json::parse(patch.toStdString()));
    return spec;
}

std::string repeat(const std::string& text, int times) {
    std::string out;
    for (int i = 0; i < times; ++i) out += text;
    return out;
}

// Nothing a user sees may be nlohmann's raw exception text.
bool hasRawExceptionText(const std::string& text) { return text.find("[json.exception") != std::string::npos; }
}  // namespace

class TestSpec : public QObject {
    Q_OBJECT

private slots:
    void validSpecParsesAndRoundTrips() {
        const auto r = spec::parseRunSpec(validKd());
        QVERIFY2(r.ok(), r.errorText().c_str());
        QCOMPARE(r.spec->method.param("T"), 4.0);
        QCOMPARE(r.spec->teacher.runName, std::string("teacher-r32x4"));
        QCOMPARE(r.spec->schedule.milestones, (std::vector<int64_t>{2, 3}));
        QCOMPARE(r.spec->data.trainSubset, int64_t(10000));
        const auto again = spec::parseRunSpec(spec::toJson(*r.spec));
        QVERIFY2(again.ok(), again.errorText().c_str());
        QCOMPARE(spec::toJson(*again.spec), spec::toJson(*r.spec));
    }

    void choiceAndListParametersRoundTrip() {
        json spec = validKd();
        spec["method"] = {{"name", "multipath"}, {"weighting", "fixed"}, {"paths", {"kd", "at@stage2"}},
                          {"weights", {0.5, 1000}}};
        spec["diagnostics_every"] = 25;
        const auto r = spec::parseRunSpec(spec);
        QVERIFY2(r.ok(), r.errorText().c_str());
        QCOMPARE(r.spec->method.choice("weighting"), std::string("fixed"));
        QCOMPARE(r.spec->method.names("paths"), (std::vector<std::string>{"kd", "at@stage2"}));
        QCOMPARE(r.spec->method.numbers("weights"), (std::vector<double>{0.5, 1000}));
        QCOMPARE(r.spec->diagnosticsEvery, int64_t(25));
        const auto again = spec::parseRunSpec(spec::toJson(*r.spec));
        QVERIFY2(again.ok(), again.errorText().c_str());
        QCOMPARE(spec::toJson(*again.spec), spec::toJson(*r.spec));
        // Left out, each takes its declared default.
        spec["method"] = {{"name", "sakd"}};
        const auto sakd = spec::parseRunSpec(spec);
        QVERIFY2(sakd.ok(), sakd.errorText().c_str());
        QCOMPARE(sakd.spec->method.choice("base"), std::string("at"));
        QCOMPARE(sakd.spec->method.choice("gate"), std::string("policy"));
        spec["method"] = {{"name", "multipath"}};
        const auto multipath = spec::parseRunSpec(spec);
        QCOMPARE(multipath.spec->method.names("paths"), (std::vector<std::string>{"kd@logits", "at@stages"}));
        QVERIFY(multipath.spec->method.numbers("weights").empty());
    }

    void defaultsFillWhatIsMissing() {
        const auto r = spec::parseRunSpec(json::parse(R"({"student": {"model": "tinycnn"}})"));
        QVERIFY2(r.ok(), r.errorText().c_str());
        QCOMPARE(r.spec->name, std::string("ce-tinycnn"));
        QCOMPARE(r.spec->data.name, std::string("fashion-mnist"));
        QCOMPARE(r.spec->method.name, std::string("ce"));
        json kd = validKd();
        kd["method"] = {{"name", "kd"}};
        QCOMPARE(spec::parseRunSpec(kd).spec->method.param("alpha"), 0.9);   // the declared default
    }

    void everyErrorIsReportedWithItsPath_data() {
        QTest::addColumn<QString>("patch");   // JSON merge patch applied to the valid spec
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("fragment");
        QTest::newRow("lr negative") << R"({"optim": {"lr": -1}})" << "optim.lr" << "must be > 0, got -1";
        QTest::newRow("lr not a number") << R"({"optim": {"lr": "fast"}})" << "optim.lr" << "must be a number";
        QTest::newRow("momentum") << R"({"optim": {"momentum": 1.5}})" << "optim.momentum" << "[0, 1)";
        QTest::newRow("weight decay") << R"({"optim": {"weight_decay": -0.1}})" << "optim.weight_decay" << ">= 0";
        QTest::newRow("optimiser") << R"({"optim": {"name": "lion"}})" << "optim.name" << "known: sgd";
        QTest::newRow("unknown student") << R"({"student": {"model": "resnet9"}})" << "student.model"
                                         << "unknown \"resnet9\"; known: resnet8, ";
        QTest::newRow("unknown method") << R"({"method": {"name": "magic"}})" << "method.name" << "known: ce, kd";
        QTest::newRow("method param range") << R"({"method": {"T": 0}})" << "method.T" << "must be a number in [0.5, 100], got 0";
        QTest::newRow("method param unknown") << R"({"method": {"beta": 3}})" << "method.beta"
                                              << "is not a parameter of kd; its parameters: T, gamma, alpha";
        QTest::newRow("choice unknown") << R"({"method": {"name": "sakd", "gamma": null, "base": "mlp"}})"
                                        << "method.base" << "must be one of at, fitnet, sp";
        QTest::newRow("choice not a string") << R"({"method": {"name": "sakd", "gamma": null, "gate": 1}})"
                                             << "method.gate" << "must be one of policy, random";
        QTest::newRow("path of no known kind")
            << R"({"method": {"name": "multipath", "gamma": null, "alpha": null, "paths": ["kd", "xyz@stage1"]}})"
            << "method.paths" << "\"xyz@stage1\" names no known kind; known: kd, logits_mse";
        QTest::newRow("paths empty") << R"({"method": {"name": "multipath", "gamma": null, "alpha": null, "paths": []}})"
                                     << "method.paths" << "non-empty list of names";
        QTest::newRow("weights not numbers")
            << R"({"method": {"name": "multipath", "gamma": null, "alpha": null, "weights": [1, "a"]}})"
            << "method.weights" << "must be a number";
        QTest::newRow("diagnostics cadence") << R"({"diagnostics_every": -1})" << "diagnostics_every"
                                             << "must be a whole number in [0, 1000000000], got -1; 0 = none";
        QTest::newRow("unknown field") << R"({"epohcs": 3})" << "epohcs" << "unknown field";
        QTest::newRow("nested unknown field") << R"({"optim": {"lrr": 0.1}})" << "optim.lrr" << "unknown field";
        QTest::newRow("epochs") << R"({"epochs": 0, "schedule": {"milestones": []}})" << "epochs"
                                << "must be a whole number in [1, 100000], got 0";
        QTest::newRow("epochs type") << R"({"epochs": 2.5})" << "epochs" << "whole number";
        QTest::newRow("batch size") << R"({"batch_size": 0})" << "batch_size" << "in [1, 65536], got 0";
        QTest::newRow("device") << R"({"device": "tpu"})" << "device" << "auto, cpu, cuda or cuda:N";
        QTest::newRow("precision") << R"({"precision": "int8"})" << "precision" << "must be fp32, bf16, fp16 or auto, got \"int8\"";
        QTest::newRow("threads") << R"({"threads": -2})" << "threads" << "in [0, 1024], got -2";
        QTest::newRow("milestone beyond epochs") << R"({"schedule": {"milestones": [2, 9]}})"
                                                 << "schedule.milestones[1]" << "epochs = 4";
        QTest::newRow("milestone in a one-epoch run") << R"({"epochs": 1, "schedule": {"milestones": [4]}})"
                                                      << "schedule.milestones[0]"
                                                      << "a run of 1 epoch has no epoch to lower the rate at";
        QTest::newRow("milestones order") << R"({"schedule": {"milestones": [3, 2]}})" << "schedule.milestones[1]"
                                          << "larger than the one before";
        QTest::newRow("schedule name") << R"({"schedule": {"name": "poly"}})" << "schedule.name" << "multistep, cosine, constant";
        QTest::newRow("milestones with cosine") << R"({"schedule": {"name": "cosine"}})" << "schedule.milestones"
                                                << "multistep schedule only";
        QTest::newRow("min_lr with multistep") << R"({"schedule": {"min_lr": 0.001}})" << "schedule.min_lr"
                                               << "cosine schedule only";
        QTest::newRow("warm-up too long") << R"({"schedule": {"warmup_epochs": 4}})" << "schedule.warmup_epochs"
                                          << "[0, epochs) = [0, 4), got 4";
        QTest::newRow("adamw with momentum") << R"({"optim": {"name": "adamw"}})" << "optim.momentum"
                                             << "does not apply to adamw";
        QTest::newRow("sgd with betas") << R"({"optim": {"beta1": 0.8}})" << "optim.beta1" << "does not apply to sgd";
        QTest::newRow("beta2 range") << R"({"optim": {"name": "adamw", "momentum": null, "beta2": 1.0}})"
                                     << "optim.beta2" << "[0, 1)";
        QTest::newRow("grad clip") << R"({"optim": {"grad_clip": -1}})" << "optim.grad_clip" << "0 turns clipping off";
        QTest::newRow("label smoothing") << R"({"optim": {"label_smoothing": 1.0}})" << "optim.label_smoothing"
                                         << "[0, 1), got 1";
        QTest::newRow("cifar needs root") << R"({"data": {"name": "cifar100", "train_subset": 0}})" << "data.root"
                                          << "is required for cifar100";
        QTest::newRow("torchscript and run") << R"({"teacher": {"torchscript": "/t.pt"}})" << "teacher"
                                             << "not several";
        QTest::newRow("stages without torchscript") << R"({"teacher": {"stages": ["layer1"]}})" << "teacher"
                                                    << "describe a TorchScript teacher";
        QTest::newRow("stages need classifier")
            << R"({"teacher": {"run_name": null, "torchscript": "/t.pt", "stages": ["layer1"]}})"
            << "teacher.classifier" << "is required with stages";
        QTest::newRow("stage names") << R"({"teacher": {"run_name": null, "torchscript": "/t.pt", "stages": [1]}})"
                                     << "teacher.stages" << "list of names";
        QTest::newRow("schedule gamma") << R"({"schedule": {"gamma": 2}})" << "schedule.gamma" << "(0, 1]";
        QTest::newRow("data name") << R"({"data": {"name": "imagenet"}})" << "data.name" << "fashion-mnist, mnist, cifar10, cifar100, synthetic";
        QTest::newRow("val size") << R"({"data": {"val_size": -5}})" << "data.val_size" << "in [0, 59999], got -5";
        QTest::newRow("synthetic-only field") << R"({"data": {"height": 32}})" << "data.height" << "synthetic data set only";
        QTest::newRow("synthetic too small") << R"({"data": {"name": "synthetic", "height": 8, "train_subset": 0}})"
                                             << "data.height" << "in [28, 4096], got 8";
        QTest::newRow("teacher missing") << R"({"teacher": null})" << "teacher" << "distils from a teacher";
        QTest::newRow("teacher two sources") << R"({"teacher": {"run_id": 4}})" << "teacher" << "not several";
        QTest::newRow("teacher none") << R"({"teacher": {"run_name": null}})" << "teacher" << "needs trained weights";
        QTest::newRow("teacher model unknown") << R"({"teacher": {"model": "vgg99"}})" << "teacher.model" << "unknown \"vgg99\"";
        QTest::newRow("checkpoint needs model") << R"({"teacher": {"run_name": null, "checkpoint": "/x.pt"}})"
                                                << "teacher.model" << "required with a checkpoint";
        QTest::newRow("state_dict needs model") << R"({"teacher": {"run_name": null, "state_dict": "/x.pth"}})"
                                                << "teacher.model" << "is required with a state_dict";
        QTest::newRow("state_dict and checkpoint")
            << R"({"teacher": {"run_name": null, "model": "resnet20", "state_dict": "/x.pth", "checkpoint": "/x.pt"}})"
            << "teacher" << "give one of run_id, run_name, checkpoint, state_dict or torchscript, not several";
        QTest::newRow("state_dict with stages")
            << R"({"teacher": {"run_name": null, "model": "resnet20", "state_dict": "/x.pth", "stages": ["layer1"]}})"
            << "teacher" << "describe a TorchScript teacher";
        QTest::newRow("student init type") << R"({"student": {"init": 3}})" << "student.init" << "must be a string";
        QTest::newRow("teacher for ce") << R"({"method": {"name": "ce", "T": null, "alpha": null, "gamma": null}})"
                                        << "teacher" << "uses no teacher";
        QTest::newRow("wrong type object") << R"({"optim": 3})" << "optim" << "must be an object";
        QTest::newRow("augment type") << R"({"data": {"augment": "yes"}})" << "data.augment" << "true or false";
    }
    void everyErrorIsReportedWithItsPath() {
        QFETCH(QString, patch);
        QFETCH(QString, path);
        QFETCH(QString, fragment);
        json spec = validKd();
        spec.merge_patch(json::parse(patch.toStdString()));
        const auto r = spec::parseRunSpec(spec);
        QVERIFY(!r.ok());
        QVERIFY2(hasError(r, path.toStdString(), fragment.toStdString()), r.errorText().c_str());
    }

    void newerOptionsRoundTrip() {
        json spec = validKd();
        spec.merge_patch(json::parse(R"({"optim": {"name": "adamw", "momentum": null, "lr": 0.001, "grad_clip": 5,
                                                    "label_smoothing": 0.1},
                                          "schedule": {"name": "cosine", "milestones": null, "min_lr": 1e-5,
                                                       "warmup_epochs": 0.5},
                                          "teacher": {"run_name": null, "torchscript": "/t.pt", "stem": ["conv1", "bn1"],
                                                      "stages": ["layer1", "layer2"], "classifier": "fc"}})"));
        const auto r = spec::parseRunSpec(spec);
        QVERIFY2(r.ok(), r.errorText().c_str());
        QCOMPARE(r.spec->optim.weightDecay, 5e-4);                 // given explicitly
        QCOMPARE(r.spec->schedule.warmupEpochs, 0.5);
        QCOMPARE(r.spec->teacher.stages, (std::vector<std::string>{"layer1", "layer2"}));
        const auto again = spec::parseRunSpec(spec::toJson(*r.spec));
        QVERIFY2(again.ok(), again.errorText().c_str());
        QCOMPARE(spec::toJson(*again.spec), spec::toJson(*r.spec));
        // A PyTorch teacher and the student's initial weights survive the round trip.
        json pytorch = validKd();
        pytorch.merge_patch(json::parse(R"({"teacher": {"run_name": null, "model": "resnet32x4", "state_dict": "/t.pth"},
                                            "student": {"model": "resnet8x4", "init": "/s.pth"}})"));
        const auto withPth = spec::parseRunSpec(pytorch);
        QVERIFY2(withPth.ok(), withPth.errorText().c_str());
        QCOMPARE(withPth.spec->teacher.stateDict, std::string("/t.pth"));
        QCOMPARE(withPth.spec->studentInit, std::string("/s.pth"));
        const json written = spec::toJson(*withPth.spec);
        QCOMPARE(written["teacher"], json({{"model", "resnet32x4"}, {"state_dict", "/t.pth"}}));
        QCOMPARE(written["student"], json({{"model", "resnet8x4"}, {"init", "/s.pth"}}));
        QCOMPARE(spec::toJson(*spec::parseRunSpec(written).spec), written);
        json adamw = json::parse(R"({"student": {"model": "tinycnn"}, "optim": {"name": "adamw"}})");
        QCOMPARE(spec::parseRunSpec(adamw).spec->optim.weightDecay, 0.01);   // AdamW's own default
    }

    void allErrorsAreCollectedAtOnce() {
        json spec = validKd();
        spec.merge_patch(json::parse(R"({"optim": {"lr": -1}, "student": {"model": "resnet9"}, "epochs": 0})"));
        const auto r = spec::parseRunSpec(spec);
        QVERIFY2(r.errors.size() >= 3, r.errorText().c_str());
        QVERIFY(r.errorText().find("optim.lr: must be > 0, got -1") != std::string::npos);
    }

    void malformedJsonNamesTheProblem() {
        const auto r = spec::parseRunSpec(std::string("{\"epochs\": 3,,}"));
        QVERIFY(!r.ok());
        QCOMPARE(r.errors.size(), size_t(1));
        QCOMPARE(r.errors[0].path, std::string("line 1, column 14 (after epochs)"));
        QCOMPARE(r.errors[0].message,
                 std::string("invalid JSON: syntax error while parsing object key - unexpected ','; expected string literal"));
    }

    void experimentsCheckEveryRun() {
        const std::string text = R"({"name": "demo", "runs": [
            {"name": "teacher", "student": {"model": "resnet20"}},
            {"name": "kd", "student": {"model": "resnet8"}, "method": {"name": "kd"}, "teacher": {"run_name": "teacher"},
             "optim": {"lr": 0}},
            {"name": "teacher", "student": {"model": "resnet8"}}]})";
        const auto e = spec::parseExperiment(text);
        QVERIFY(!e.ok());
        bool lrError = false, duplicate = false;
        for (const auto& err : e.errors) {
            lrError |= err.path == "runs[1].optim.lr";
            duplicate |= err.path == "runs[2].name" && err.message.find("unique") != std::string::npos;
        }
        QVERIFY2(lrError && duplicate, e.errorText().c_str());

        const auto single = spec::parseExperiment(R"({"student": {"model": "tinycnn"}, "name": "one"})");
        QVERIFY2(single.ok(), single.errorText().c_str());
        QCOMPARE(single.runs.size(), size_t(1));
        QCOMPARE(single.name, std::string("one"));
        const auto missing = spec::parseExperimentFile("/nonexistent/spec.json");
        QVERIFY(!missing.ok());
        QVERIFY(missing.errorText().find("/nonexistent/spec.json") != std::string::npos);
    }

    void shippedExperimentsAreValid() {
        const auto e = spec::parseExperimentFile(std::string(DISTILLERY_SOURCE_DIR) + "/experiments/default.json");
        QVERIFY2(e.ok(), e.errorText().c_str());
        QVERIFY(e.runs.size() >= 3);
    }

    // --- Hostile input (issue 13, point 7) ---------------------------------------------------------

    // 200,000 levels crashed validate (nlohmann's dump, used to describe the wrong value, recurses once
    // per level). Every entry point refuses the text before nlohmann sees it.
    void deepNestingIsRefusedWithoutCrashing() {
        const std::string arrays = std::string(200000, '[') + std::string(200000, ']');
        std::string objects;
        for (int i = 0; i < 200000; ++i) objects += "{\"a\":";
        objects += "1" + std::string(200000, '}');
        const std::string unclosed = "{\"runs\": " + std::string(200000, '[');
        for (const std::string* text : {&arrays, static_cast<const std::string*>(&objects), &unclosed}) {
            const auto experiment = spec::parseExperiment(*text);
            QCOMPARE(experiment.errors.size(), size_t(1));
            QVERIFY2(experiment.errors[0].message.find("nesting deeper than 64 levels") != std::string::npos,
                     experiment.errorText().c_str());
            const auto one = spec::parseRunSpec(*text);
            QCOMPARE(one.errors.size(), size_t(1));
            QVERIFY(one.errors[0].message.find("nesting deeper than 64 levels") != std::string::npos);
        }
        QCOMPARE(spec::parseRunSpec(arrays).errors[0].path.substr(0, 30), std::string("line 1, column 65 ([0][0][0][0"));
        QCOMPARE(spec::parseRunSpec(unclosed).errors[0].path, "line 1, column 73 (runs" + repeat("[0]", 24) + "...)");
        // The file: its name, the line and column of the 65th bracket.
        QTemporaryDir dir;
        const std::string path = dir.filePath("deep.json").toStdString();
        writeFile(path, "{\n  \"runs\": [\n" + arrays + "\n]}\n");
        const auto file = spec::parseExperimentFile(path);
        QCOMPARE(file.errors.size(), size_t(1));
        QVERIFY2(file.errorText().rfind(path + ": line 3, column 63 (runs[0][0]", 0) == 0, file.errorText().c_str());
        // (the object and "runs" are levels 1 and 2: the 63rd bracket of line 3 opens level 65)
        // 64 levels are still JSON (the spec then says what is wrong with it); 65 are not.
        const std::string at64 = std::string(64, '[') + std::string(64, ']');
        const std::string at65 = std::string(65, '[') + std::string(65, ']');
        QVERIFY(spec::parseJsonText(at64).ok());
        QVERIFY(!spec::parseJsonText(at65).ok());
        QVERIFY(hasError(spec::parseRunSpec(at64), "(spec)", "must be a JSON object"));
        // Brackets inside strings do not count.
        QVERIFY(spec::parseJsonText("{\"name\": \"" + std::string(1000, '[') + "\"}").ok());
    }

    void everyNumericFieldIsBounded_data() {
        QTest::addColumn<QString>("patch");   // JSON merge patch applied to the valid KD spec
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("fragment");
        QTest::newRow("epochs 1e12") << R"({"epochs": 1e12})" << "epochs" << "in [1, 100000], got 1000000000000";
        QTest::newRow("epochs above") << R"({"epochs": 100001})" << "epochs" << "in [1, 100000], got 100001";
        QTest::newRow("batch above") << R"({"batch_size": 65537})" << "batch_size" << "in [1, 65536], got 65537";
        QTest::newRow("eval batch above") << R"({"eval_batch_size": 65537})" << "eval_batch_size" << "in [1, 65536]";
        QTest::newRow("eval batch zero") << R"({"eval_batch_size": 0})" << "eval_batch_size" << "in [1, 65536]";
        QTest::newRow("log every zero") << R"({"log_every": 0})" << "log_every" << "in [1, 1000000000], got 0";
        QTest::newRow("log every above") << R"({"log_every": 1000000001})" << "log_every" << "in [1, 1000000000]";
        QTest::newRow("diagnostics above") << R"({"diagnostics_every": 1e10})" << "diagnostics_every"
                                           << "in [0, 1000000000], got 10000000000";
        QTest::newRow("steps per epoch") << R"({"max_steps_per_epoch": 1000000001})" << "max_steps_per_epoch"
                                         << "in [0, 1000000000]";
        QTest::newRow("checkpoint every") << R"({"checkpoint_every": 100001})" << "checkpoint_every" << "in [0, 100000]";
        QTest::newRow("checkpoint every negative") << R"({"checkpoint_every": -1})" << "checkpoint_every" << "in [0, 100000]";
        QTest::newRow("seed above 2^53") << R"({"seed": 9007199254740993})" << "seed" << "in [0, 9007199254740992]";
        QTest::newRow("seed negative") << R"({"seed": -1})" << "seed" << "in [0, 9007199254740992], got -1";
        QTest::newRow("threads above") << R"({"threads": 1025})" << "threads" << "in [0, 1024], got 1025";
        QTest::newRow("val size 70000") << R"({"data": {"val_size": 70000, "train_subset": 0}})" << "data.val_size"
                                        << "in [0, 59999], got 70000; fashion-mnist has 60000 training images";
        QTest::newRow("val size all") << R"({"data": {"val_size": 60000, "train_subset": 0}})" << "data.val_size"
                                      << "at least one must remain for training";
        QTest::newRow("subset above") << R"({"data": {"val_size": 0, "train_subset": 60001}})" << "data.train_subset"
                                      << "in [0, 60000], got 60001";
        QTest::newRow("subset + val") << R"({"data": {"val_size": 5000, "train_subset": 55001}})" << "data.train_subset"
                                      << "in [0, 55000], got 55001; the 60000 training images of fashion-mnist less the "
                                         "5000 of val_size";
        QTest::newRow("subset negative") << R"({"data": {"train_subset": -1}})" << "data.train_subset" << "in [0, 55000]";
        QTest::newRow("cifar val size") << R"({"data": {"name": "cifar10", "root": "/c", "val_size": 50000, "train_subset": 0}})"
                                        << "data.val_size" << "in [0, 49999], got 50000; cifar10 has 50000";
        QTest::newRow("cifar100 subset") << R"({"data": {"name": "cifar100", "root": "/c", "train_subset": 45001}})"
                                         << "data.train_subset" << "in [0, 45000]";
        QTest::newRow("mnist val size") << R"({"data": {"name": "mnist", "root": "/m", "val_size": 60000, "train_subset": 0}})"
                                        << "data.val_size" << "in [0, 59999]";
        QTest::newRow("pad above side") << R"({"data": {"pad": 29}})" << "data.pad" << "in [0, 28], got 29";
        QTest::newRow("pad negative") << R"({"data": {"pad": -1}})" << "data.pad" << "in [0, 28]";
        QTest::newRow("synthetic subset") << R"({"data": {"name": "synthetic", "train_subset": 2049}})" << "data.train_subset"
                                          << "in [0, 2048], got 2049; the synthetic set has train_size = 2048";
        QTest::newRow("synthetic channels") << R"({"data": {"name": "synthetic", "train_subset": 0, "channels": 65}})"
                                            << "data.channels" << "in [1, 64], got 65";
        QTest::newRow("synthetic width") << R"({"data": {"name": "synthetic", "train_subset": 0, "width": 4097}})"
                                         << "data.width" << "in [28, 4096], got 4097";
        QTest::newRow("synthetic classes") << R"({"data": {"name": "synthetic", "train_subset": 0, "num_classes": 1}})"
                                           << "data.num_classes" << "in [2, 100000], got 1";
        QTest::newRow("synthetic classes above") << R"({"data": {"name": "synthetic", "train_subset": 0, "num_classes": 100001}})"
                                                 << "data.num_classes" << "in [2, 100000]";
        QTest::newRow("synthetic train size") << R"({"data": {"name": "synthetic", "train_subset": 0, "train_size": 10000001}})"
                                              << "data.train_size" << "in [1, 10000000]";
        QTest::newRow("synthetic test size") << R"({"data": {"name": "synthetic", "train_subset": 0, "test_size": 0}})"
                                             << "data.test_size" << "in [1, 10000000], got 0";
        QTest::newRow("synthetic val size") << R"({"data": {"name": "synthetic", "train_subset": 0, "val_size": 10000001}})"
                                            << "data.val_size" << "in [0, 10000000]";
        // 1,000,000 + 5,000 + 512 + 10 images of 1×33×33 bytes: 1044 MiB, over the 1 GiB of pixels allowed
        // (the same at 32×32 is allowed, see boundsAreGenerous).
        QTest::newRow("synthetic bytes") << R"({"data": {"name": "synthetic", "train_subset": 0, "train_size": 1000000,
                                                         "height": 33, "width": 33}})"
                                         << "data" << "the synthetic set would hold 1044 MiB (train_size + val_size + "
                                                      "test_size + num_classes templates = 1005522 images of 1x33x33 bytes), "
                                                      "more than the 1024 MiB allowed";
        QTest::newRow("lr above") << R"({"optim": {"lr": 101}})" << "optim.lr" << "must be at most 100, got 101";
        QTest::newRow("lr zero") << R"({"optim": {"lr": 0}})" << "optim.lr" << "must be > 0, got 0";
        QTest::newRow("weight decay above") << R"({"optim": {"weight_decay": 11}})" << "optim.weight_decay"
                                            << "at most 10, got 11";
        QTest::newRow("grad clip above") << R"({"optim": {"grad_clip": 1e10}})" << "optim.grad_clip" << "at most 1000000000, got 10000000000";
        QTest::newRow("eps above") << R"({"optim": {"name": "adamw", "momentum": null, "eps": 2}})" << "optim.eps"
                                   << "in (0, 1], got 2";
        QTest::newRow("min lr above lr") << R"({"schedule": {"name": "cosine", "milestones": null, "min_lr": 0.06}})"
                                         << "schedule.min_lr" << "in [0, optim.lr] = [0, 0.05], got 0.06";
        QTest::newRow("milestone huge") << R"({"schedule": {"milestones": [2, 1e20]}})" << "schedule.milestones"
                                        << "list of whole numbers in [1, 100000]";
        QTest::newRow("run id 0") << R"({"teacher": {"run_name": null, "run_id": 0}})" << "teacher.run_id"
                                  << "in [1, 9223372036854775807], got 0; the id of a finished run";
        QTest::newRow("run id huge") << R"({"teacher": {"run_name": null, "run_id": 1e19}})" << "teacher.run_id"
                                     << "got 1e+19";
        QTest::newRow("stage names too many")
            << R"({"teacher": {"run_name": null, "torchscript": "/t.pt", "classifier": "fc", "stages": ["s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s","s"]}})"
            << "teacher.stages" << "list of names such as [\"layer1\", \"layer2\"] (at most 64), got [\"s\",";
        QTest::newRow("method param huge") << R"({"method": {"alpha": 1e300}})" << "method.alpha"
                                           << "must be a number in [0, 100], got 1e+300";
        QTest::newRow("method param unsigned") << R"({"method": {"name": "crd", "T": null, "alpha": null, "gamma": null,
                                                                 "nce_k": 18446744073709551615}})"
                                               << "method.nce_k" << "in [1, 1000000], got 18446744073709551615";
        QTest::newRow("method list too long")
            << R"({"method": {"name": "multipath", "T": null, "alpha": null, "gamma": null, "weights": [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}})"
            << "method.weights" << "at most 64 items, got 65";
    }
    void everyNumericFieldIsBounded() {
        QFETCH(QString, patch);
        QFETCH(QString, path);
        QFETCH(QString, fragment);
        const auto r = spec::parseRunSpec(patched(patch));
        QVERIFY(!r.ok());
        QVERIFY2(hasError(r, path.toStdString(), fragment.toStdString()), r.errorText().c_str());
    }

    // The largest values the bounds allow still parse.
    void boundsAreGenerous_data() {
        QTest::addColumn<QString>("patch");
        QTest::newRow("most epochs") << R"({"epochs": 100000})";
        QTest::newRow("largest batches") << R"({"batch_size": 65536, "eval_batch_size": 65536})";
        QTest::newRow("cadences") << R"({"log_every": 1000000000, "diagnostics_every": 1000000000,
                                         "max_steps_per_epoch": 1000000000, "checkpoint_every": 100000})";
        QTest::newRow("seed 2^53 as a float") << R"({"seed": 9007199254740992.0, "threads": 1024})";
        QTest::newRow("one training image left") << R"({"data": {"val_size": 59999, "train_subset": 1}})";
        QTest::newRow("every training image") << R"({"data": {"val_size": 0, "train_subset": 60000}})";
        QTest::newRow("cifar") << R"({"data": {"name": "cifar10", "root": "/c", "val_size": 5000, "train_subset": 45000, "pad": 32}})";
        QTest::newRow("synthetic at the byte bound")   // (1000000 + 5000 + 512 + 10) * 32*32 < 2^30
            << R"({"data": {"name": "synthetic", "train_subset": 0, "train_size": 1000000, "height": 32, "width": 32, "pad": 32}})";
        QTest::newRow("synthetic large images") << R"({"data": {"name": "synthetic", "train_subset": 0, "channels": 3,
                                                                "height": 224, "width": 224, "train_size": 2048, "val_size": 0}})";
        QTest::newRow("optimiser extremes") << R"({"optim": {"lr": 100, "weight_decay": 10, "grad_clip": 1e9}})";
        QTest::newRow("min lr equal to lr") << R"({"schedule": {"name": "cosine", "milestones": null, "min_lr": 0.05}})";
        QTest::newRow("a week between checkpoints") << R"({"checkpoint_minutes": 10080, "on_nonfinite": "skip_step"})";
    }
    void boundsAreGenerous() {
        QFETCH(QString, patch);
        const auto r = spec::parseRunSpec(patched(patch));
        QVERIFY2(r.ok(), r.errorText().c_str());
    }

    // An integer too large for int64 arrives as a float (99999999999999999999 → 1e20): it is compared as
    // one before any cast, and the message shows the number given, never a wrapped one.
    void overflowingNumbersAreNamedNotWrapped_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");   // the whole error line
        QTest::newRow("batch 1e20") << R"({"student": {"model": "tinycnn"}, "batch_size": 99999999999999999999})"
                                    << "batch_size: must be a whole number in [1, 65536], got 1e+20";
        QTest::newRow("epochs 2^63") << R"({"student": {"model": "tinycnn"}, "epochs": 9223372036854775808})"
                                     << "epochs: must be a whole number in [1, 100000], got 9223372036854775808";
        QTest::newRow("epochs -2^63 - 1") << R"({"student": {"model": "tinycnn"}, "epochs": -9223372036854775809})"
                                          << "epochs: must be a whole number in [1, 100000], got -9.22337203685478e+18";
        QTest::newRow("seed 2^64 - 1") << R"({"student": {"model": "tinycnn"}, "seed": 18446744073709551615})"
                                       << "seed: must be a whole number in [0, 9007199254740992], got 18446744073709551615";
        QTest::newRow("threads 1e308") << R"({"student": {"model": "tinycnn"}, "threads": 1e308})"
                                       << "threads: must be a whole number in [0, 1024], got 1e+308; 0 = all cores";
        QTest::newRow("val size 1e20") << R"({"student": {"model": "tinycnn"}, "data": {"val_size": 1e20}})"
                                       << "data.val_size: must be a whole number in [0, 59999], got 1e+20; "
                                          "fashion-mnist has 60000 training images and at least one must remain for training";
        QTest::newRow("fraction") << R"({"student": {"model": "tinycnn"}, "log_every": 2.5})"
                                  << "log_every: must be a whole number in [1, 1000000000], got 2.5";
        QTest::newRow("string") << R"({"student": {"model": "tinycnn"}, "epochs": "3"})"
                                << "epochs: must be a whole number in [1, 100000], got \"3\"";
    }
    void overflowingNumbersAreNamedNotWrapped() {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        const auto r = spec::parseRunSpec(text.toStdString());
        QCOMPARE(QString::fromStdString(r.errorText()), expected + "\n");
    }

    // 1e400 overflows a double: nlohmann threw out_of_range, without a position, past the parse_error
    // handler. The error names the file, the line, the column of the number and the field.
    void malformedJsonNamesFileLineColumnAndField() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("spec.json").toStdString();
        writeFile(path, "{\n  \"student\": {\"model\": \"tinycnn\"},\n  \"optim\": {\"lr\": 1e400}\n}\n");
        const auto file = spec::parseExperimentFile(path);
        QCOMPARE(file.errorText(), path + ": line 3, column 19 (optim.lr): number 1e400 is out of range for a double "
                                          "(largest about 1.8e308); write a number in range\n");
        // In an experiment's second run, a negative overflow.
        const auto runs = spec::parseExperiment("{\"runs\": [{\"name\": \"a\"},\n {\"name\": \"b\", \"epochs\": -2e999}]}");
        QCOMPARE(runs.errorText(), std::string("line 2, column 26 (runs[1].epochs): number -2e999 is out of range for "
                                               "a double (largest about 1.8e308); write a number in range\n"));

        struct Case {
            std::string text, expected;
        };
        const std::vector<Case> cases = {
            {"{\"optim\": {\"lr\": 0.1,}}", "line 1, column 22 (after optim.lr): invalid JSON: syntax error while "
                                           "parsing object key - unexpected '}'; expected string literal"},
            {"{\"epochs\": tru}", "line 1, column 15 (epochs): invalid JSON: syntax error while parsing value - "
                                  "invalid literal; last read: '\"epochs\": tru}'"},
            {"", "line 1, column 1: invalid JSON: syntax error while parsing value - unexpected end of input; "
                 "expected '[', '{', or a literal"},
            {"{\"name\": \"caf\xc3\xa9\", \"seed\": 1}}", "line 1, column 28: invalid JSON: syntax error while parsing "
                                                          "value - unexpected '}'; expected end of input"},
            {"{\"name\": \"\xff\"}", "line 1, column 11 (name): invalid JSON: syntax error while parsing value - "
                                     "invalid string: ill-formed UTF-8 byte; last read: '\"\xff'"},
            {"{\"runs\": [{\"method\": {\"paths\": [\"kd\", NaN]}}]}",
             "line 1, column 39 (runs[0].method.paths[1]): invalid JSON: syntax error while parsing value - invalid "
             "literal; last read: '\"kd\", N'"},
        };
        for (const auto& c : cases) {
            const auto r = spec::parseRunSpec(c.text);
            QCOMPARE(r.errors.size(), size_t(1));
            QCOMPARE(r.errors[0].toString(), c.expected);
            const auto e = spec::parseExperiment(c.text);
            QVERIFY(!hasRawExceptionText(e.errorText()));
        }
    }

    // A file that cannot be a spec is refused before it is read whole.
    void unreadableFilesSayWhy() {
        QTemporaryDir dir;
        const auto folder = spec::parseExperimentFile(dir.path().toStdString());
        QCOMPARE(folder.errorText(), dir.path().toStdString() + ": is a folder, not a spec file\n");
        const std::string big = dir.filePath("big.json").toStdString();
        writeFile(big, std::string(spec::kMaxSpecFileBytes + 1, ' '));
        const auto tooBig = spec::parseExperimentFile(big);
        QCOMPARE(tooBig.errorText(), big + ": is larger than 16 MiB; a spec file is a few KB: is it the right file?\n");
    }

    // JSON text cannot hold NaN or infinity, but a spec built in code (the designer, a test) can.
    void nonFiniteNumbersAreRejected() {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const double inf = std::numeric_limits<double>::infinity();
        json spec = validKd();
        spec["optim"]["lr"] = nan;
        spec["optim"]["grad_clip"] = inf;
        spec["schedule"]["gamma"] = -inf;
        spec["method"]["T"] = nan;
        spec["method"]["alpha"] = inf;
        spec["epochs"] = inf;
        spec["checkpoint_minutes"] = nan;
        const auto r = spec::parseRunSpec(spec);
        QVERIFY(hasError(r, "optim.lr", "must be a finite number, got nan"));
        QVERIFY(hasError(r, "optim.grad_clip", "must be a finite number, got inf"));
        QVERIFY(hasError(r, "schedule.gamma", "must be a finite number, got -inf"));
        QVERIFY(hasError(r, "method.T", "must be a number in [0.5, 100], got nan"));
        QVERIFY(hasError(r, "method.alpha", "must be a number in [0, 100], got inf"));
        QVERIFY(hasError(r, "epochs", "must be a whole number in [1, 100000], got inf"));
        QVERIFY2(hasError(r, "checkpoint_minutes", "must be a finite number, got nan"), r.errorText().c_str());
        json weights = validKd();
        weights["method"] = {{"name", "multipath"}, {"weights", {1.0, nan}}};
        QVERIFY(hasError(spec::parseRunSpec(weights), "method.weights", "got nan"));
    }

    void checkpointMinutesAndOnNonFiniteParseAndRoundTrip() {
        const auto defaults = spec::parseRunSpec(validKd());
        QVERIFY2(defaults.ok(), defaults.errorText().c_str());
        QCOMPARE(defaults.spec->checkpointMinutes, 0.0);
        QCOMPARE(defaults.spec->onNonFinite, std::string("fail"));
        // Left at their defaults, they are not written (specs stored before them compare equal).
        QVERIFY(!spec::toJson(*defaults.spec).contains("checkpoint_minutes"));
        QVERIFY(!spec::toJson(*defaults.spec).contains("on_nonfinite"));

        const auto set = spec::parseRunSpec(patched(R"({"checkpoint_minutes": 2.5, "on_nonfinite": "skip_step"})"));
        QVERIFY2(set.ok(), set.errorText().c_str());
        QCOMPARE(set.spec->checkpointMinutes, 2.5);
        QCOMPARE(set.spec->onNonFinite, std::string("skip_step"));
        const json written = spec::toJson(*set.spec);
        QCOMPARE(written.at("checkpoint_minutes").get<double>(), 2.5);
        QCOMPARE(written.at("on_nonfinite").get<std::string>(), std::string("skip_step"));
        const auto again = spec::parseRunSpec(written.dump());
        QVERIFY2(again.ok(), again.errorText().c_str());
        QCOMPARE(again.spec->checkpointMinutes, 2.5);
        QCOMPARE(again.spec->onNonFinite, std::string("skip_step"));
        QCOMPARE(spec::toJson(*again.spec), written);
        QCOMPARE(spec::parseRunSpec(patched(R"({"on_nonfinite": "fail"})")).spec->onNonFinite, std::string("fail"));

        struct Bad {
            const char* patch;
            const char* path;
            const char* fragment;
        };
        for (const Bad& bad : {Bad{R"({"checkpoint_minutes": -1})", "checkpoint_minutes", "must be in [0, 10080]"},
                               Bad{R"({"checkpoint_minutes": 10080.5})", "checkpoint_minutes", "got 10080.5"},
                               Bad{R"({"checkpoint_minutes": "30"})", "checkpoint_minutes", "must be a number, got \"30\""},
                               Bad{R"({"on_nonfinite": "ignore"})", "on_nonfinite",
                                   "must be \"fail\" (stop the run at a NaN or infinite loss) or \"skip_step\" (skip that "
                                   "step and count it), got \"ignore\""},
                               Bad{R"({"on_nonfinite": true})", "on_nonfinite", "must be a string"}}) {
            const auto r = spec::parseRunSpec(patched(bad.patch));
            QVERIFY2(hasError(r, bad.path, bad.fragment), (std::string(bad.patch) + " gave " + r.errorText()).c_str());
        }
    }

    // Every experiment shipped with the project still parses under the bounds.
    void everyShippedExperimentIsValid() {
        int files = 0;
        QDirIterator it(QStringLiteral(DISTILLERY_SOURCE_DIR "/experiments"), {QStringLiteral("*.json")}, QDir::Files,
                        QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const std::string path = it.next().toStdString();
            const auto e = spec::parseExperimentFile(path);
            QVERIFY2(e.ok(), e.errorText().c_str());
            ++files;
        }
        QVERIFY(files >= 3);
    }

    void queueRunFillsTheRow() {
        QTemporaryDir dir;
        store::Store db(dir.filePath("q.sqlite").toStdString());
        auto teacherSpec = spec::parseRunSpec(json::parse(R"({"name": "teacher-r32x4", "student": {"model": "resnet32x4"}})"));
        const int64_t teacherId = spec::queueRun(db, *teacherSpec.spec);
        const auto kd = spec::parseRunSpec(validKd());
        const int64_t before = spec::queueRun(db, *kd.spec);
        QCOMPARE(db.run(before)->teacher, std::string("run:teacher-r32x4"));   // not finished yet
        db.claimRun(teacherId, 1, "h", "cpu");
        db.finishRun(teacherId, store::RunStatus::Finished);
        const int64_t after = spec::queueRun(db, *kd.spec);
        const auto row = db.run(after);
        QCOMPARE(row->status, store::RunStatus::Queued);
        QCOMPARE(row->teacher, std::string("resnet32x4"));
        QCOMPARE(row->student, std::string("resnet8"));
        QCOMPARE(row->method, std::string("kd"));
        QCOMPARE(row->dataset, std::string("fashion-mnist"));
        QCOMPARE(row->seed, int64_t(1));
        QVERIFY(spec::parseRunSpec(row->specJson).ok());
    }
};

QTEST_GUILESS_MAIN(TestSpec)
#include "test_spec.moc"
