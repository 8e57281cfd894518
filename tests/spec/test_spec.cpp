#include <QTemporaryDir>
#include <QtTest>

#include "TestPrinters.h"

#include <fstream>

#include "spec/Catalog.h"
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
        QTest::newRow("method param range") << R"({"method": {"T": 0}})" << "method.T" << "must be in [0.5, 100]";
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
        QTest::newRow("diagnostics cadence") << R"({"diagnostics_every": -1})" << "diagnostics_every" << ">= 0";
        QTest::newRow("unknown field") << R"({"epohcs": 3})" << "epohcs" << "unknown field";
        QTest::newRow("nested unknown field") << R"({"optim": {"lrr": 0.1}})" << "optim.lrr" << "unknown field";
        QTest::newRow("epochs") << R"({"epochs": 0, "schedule": {"milestones": []}})" << "epochs" << ">= 1, got 0";
        QTest::newRow("epochs type") << R"({"epochs": 2.5})" << "epochs" << "whole number";
        QTest::newRow("batch size") << R"({"batch_size": 0})" << "batch_size" << ">= 1";
        QTest::newRow("device") << R"({"device": "tpu"})" << "device" << "auto, cpu, cuda or cuda:N";
        QTest::newRow("precision") << R"({"precision": "int8"})" << "precision" << "must be fp32, bf16, fp16 or auto, got \"int8\"";
        QTest::newRow("threads") << R"({"threads": -2})" << "threads" << ">= 0";
        QTest::newRow("milestone beyond epochs") << R"({"schedule": {"milestones": [2, 9]}})"
                                                 << "schedule.milestones[1]" << "epochs = 4";
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
        QTest::newRow("val size") << R"({"data": {"val_size": -5}})" << "data.val_size" << ">= 0";
        QTest::newRow("synthetic-only field") << R"({"data": {"height": 32}})" << "data.height" << "synthetic data set only";
        QTest::newRow("synthetic too small") << R"({"data": {"name": "synthetic", "height": 8, "train_subset": 0}})"
                                             << "data.height" << ">= 28";
        QTest::newRow("teacher missing") << R"({"teacher": null})" << "teacher" << "distils from a teacher";
        QTest::newRow("teacher two sources") << R"({"teacher": {"run_id": 4}})" << "teacher" << "not several";
        QTest::newRow("teacher none") << R"({"teacher": {"run_name": null}})" << "teacher" << "needs trained weights";
        QTest::newRow("teacher model unknown") << R"({"teacher": {"model": "vgg99"}})" << "teacher.model" << "unknown \"vgg99\"";
        QTest::newRow("checkpoint needs model") << R"({"teacher": {"run_name": null, "checkpoint": "/x.pt"}})"
                                                << "teacher.model" << "required with a checkpoint";
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
        QCOMPARE(r.errors[0].path, std::string("(json)"));
        QVERIFY(r.errors[0].message.find("parse error") != std::string::npos);
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
