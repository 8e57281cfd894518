// The engine's tables against the declarations the spec validates with: the method registry against
// the method catalog (each catalog method builds from its defaults and gives finite losses), the
// optimiser and schedule tables against the names the spec reader accepts, the data-set table against
// the catalog's data sets. Also the field paths the method factories attach to their errors.
#include <QtTest>

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "GoldenFixture.h"
#include "InvalidArgument.h"
#include "data/DataLoading.h"
#include "engine/LearningRateSchedule.h"
#include "engine/OptimizerFactory.h"
#include "methods/MethodRegistry.h"
#include "models/ModelRegistry.h"
#include "spec/Catalog.h"
#include "spec/FieldError.h"
#include "spec/RunSpec.h"

using namespace distillery;
using nlohmann::json;

namespace {

constexpr int64_t kPixels = 16, kBatch = 4, kClasses = 10, kTrainSize = 64;

std::vector<std::string> catalogMethods() {
    std::vector<std::string> names;
    for (const auto& m : spec::methodCatalog()) names.push_back(m.name);
    return names;
}

QStringList qt(const std::vector<std::string>& names) {
    QStringList out;
    for (const auto& n : names) out << QString::fromStdString(n);
    return out;
}

methods::DistillerContext tinyContext() { return tinyRunContext(kPixels, 3); }

// A frozen teacher in eval mode, as the trainer holds one: resnet8 (3 stages) over tinycnn (2 stages),
// so every method pairs stages of different counts, widths and strides.
struct TinyPair {
    std::shared_ptr<models::StagedNet> teacher = models::createModel("resnet8", 1, kClasses);
    std::shared_ptr<models::StagedNet> student = models::createModel("tinycnn", 1, kClasses);
    TinyPair() {
        teacher->eval();
        for (auto& p : teacher->parameters()) p.set_requires_grad(false);
    }
};

// The spec reader's error at `path` for the spec `root`, "" when it has none.
std::string specErrorAt(const json& root, const std::string& path) {
    for (const auto& e : spec::parseRunSpec(root).errors)
        if (e.path == path) return e.message;
    return "";
}

}  // namespace

class TestRegistry : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init() { torch::manual_seed(11); }

    // Every catalog method has a registry row and every row a catalog entry, in the same order (the
    // list of known methods reads the same from either).
    void registryAndCatalogListTheSameMethods() {
        QCOMPARE(qt(methods::registeredMethods()), qt(catalogMethods()));
        for (const auto& name : catalogMethods()) QVERIFY2(methods::findFactory(name), name.c_str());
        QVERIFY(!methods::findFactory("nope"));
        QVERIFY(!methods::findFactory(""));

        TinyPair pair;
        const std::string message =
            invalidArgumentMessage([&] { methods::createDistiller(methodSpec("nope"), nullptr, *pair.student); });
        QCOMPARE(QString::fromStdString(message),
                 QString::fromStdString("unknown method \"nope\"; known: " + spec::joinNames(catalogMethods())));
    }

    // Each catalog method builds from its declared defaults on a tiny pair, is the method its row
    // names, and gives finite scalar losses on a random batch.
    void everyCatalogMethodBuildsFromItsDefaults_data() {
        QTest::addColumn<QString>("method");
        for (const auto& name : catalogMethods()) QTest::newRow(name.c_str()) << QString::fromStdString(name);
    }
    void everyCatalogMethodBuildsFromItsDefaults() {
        QFETCH(QString, method);
        const std::string name = method.toStdString();
        const spec::MethodDecl& decl = *spec::findMethod(name);
        TinyPair pair;
        models::StagedNet* teacher = decl.needsTeacher ? pair.teacher.get() : nullptr;
        const auto distiller = methods::createDistiller(methodSpec(name), teacher, *pair.student, tinyContext());
        QVERIFY(distiller);
        QCOMPARE(QString::fromStdString(distiller->name()), method);
        QCOMPARE(distiller->needsTeacher(), decl.needsTeacher);

        const auto images = torch::randn({kBatch, 1, kPixels, kPixels});
        const auto labels = torch::randint(0, kClasses, {kBatch}, torch::kLong);
        models::FeatureSet teacherFeatures;
        if (teacher) {
            torch::NoGradGuard noGrad;
            teacherFeatures = teacher->forwardFeatures(images);
        }
        const models::FeatureSet studentFeatures = pair.student->forwardFeatures(images);
        methods::StepInputs inputs{studentFeatures, teacher ? &teacherFeatures : nullptr, labels, 0, 0, {}};
        inputs.indices = torch::arange(kBatch, torch::kLong);
        inputs.images = &images;
        inputs.learningRate = 0.01;
        inputs.collectDiagnostics = true;
        const auto terms = distiller->losses(inputs);
        QVERIFY(!terms.empty());
        for (const auto& term : terms) {
            const std::string what = name + " " + term.name;
            QVERIFY2(term.value.defined() && term.value.dim() == 0, what.c_str());
            QVERIFY2(std::isfinite(term.value.item<double>()), what.c_str());
        }
    }

    // The optimiser table holds exactly the names the spec reader accepts: the reader's "known" list
    // is the table's, and the factory rejects what the reader rejects with the same words.
    void optimiserTableMatchesTheSpec() {
        const auto names = engine::optimizerNames();
        QVERIFY(!names.empty());
        const std::vector<at::Tensor> parameters = {torch::zeros({2}, torch::requires_grad())};
        for (const auto& name : names) {
            QVERIFY2(specErrorAt({{"optim", {{"name", name}}}}, "optim.name").empty(), name.c_str());
            spec::OptimSpec optim;
            optim.name = name;
            QVERIFY2(engine::makeOptimizer(optim, parameters), name.c_str());
        }
        spec::OptimSpec adamw;
        adamw.name = "adamw";
        QVERIFY(dynamic_cast<torch::optim::AdamW*>(engine::makeOptimizer(adamw, parameters).get()));
        QVERIFY(dynamic_cast<torch::optim::SGD*>(engine::makeOptimizer(spec::OptimSpec{}, parameters).get()));

        const std::string expected = "unknown optimiser \"lbfgs\"; known: " + spec::joinNames(names);
        QCOMPARE(QString::fromStdString(specErrorAt({{"optim", {{"name", "lbfgs"}}}}, "optim.name")),
                 QString::fromStdString(expected));
        spec::OptimSpec unknown;
        unknown.name = "lbfgs";
        QCOMPARE(QString::fromStdString(invalidArgumentMessage([&] { engine::makeOptimizer(unknown, parameters); })),
                 QString::fromStdString(expected));
    }

    // The same for the learning-rate schedules.
    void scheduleTableMatchesTheSpec() {
        const auto names = engine::scheduleNames();
        QVERIFY(!names.empty());
        for (const auto& name : names) {
            QVERIFY2(specErrorAt({{"schedule", {{"name", name}}}}, "schedule.name").empty(), name.c_str());
            spec::ScheduleSpec schedule;
            schedule.name = name;
            QCOMPARE(engine::LearningRateSchedule(spec::OptimSpec{}, schedule, 10, 2).at(0), spec::OptimSpec{}.lr);
        }
        const std::string expected = "unknown schedule \"step\"; known: " + spec::joinNames(names);
        QCOMPARE(QString::fromStdString(specErrorAt({{"schedule", {{"name", "step"}}}}, "schedule.name")),
                 QString::fromStdString(expected));
        spec::ScheduleSpec unknown;
        unknown.name = "step";
        QCOMPARE(QString::fromStdString(invalidArgumentMessage(
                     [&] { engine::LearningRateSchedule(spec::OptimSpec{}, unknown, 10, 2); })),
                 QString::fromStdString(expected));
    }

    // The data-set table lists the catalog's data sets in its order; the sets read from files
    // normalise as many channels as the catalog's shape declares, and only synthetic is generated.
    void datasetTableMatchesTheCatalog() {
        std::vector<std::string> names;
        for (const auto& entry : data::datasetTable()) names.push_back(entry.name);
        QCOMPARE(qt(names), qt(spec::datasetNames()));
        for (const auto& entry : data::datasetTable()) {
            QCOMPARE(entry.load == nullptr, entry.name == "synthetic");
            if (!entry.load) continue;
            spec::DataSpec data;
            data.name = entry.name;
            QCOMPARE(int64_t(entry.mean.size()), spec::dataShape(data).channels);
            QCOMPARE(entry.stddev.size(), entry.mean.size());
            QVERIFY2(!entry.defaultRoot.empty() || !entry.files.empty(), entry.name.c_str());
        }
        QVERIFY(!data::findDataset("svhn"));
    }

    // A factory's error caused by a field carries the path the designer shows it under, with the
    // message text the engine has always printed.
    void fieldErrorsCarryTheDesignersPaths_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("params");
        QTest::addColumn<bool>("withTeacher");
        QTest::addColumn<int>("trainSize");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("message");
        const int size = int(kTrainSize);
        QTest::newRow("fitnet stage") << "fitnet" << R"({"stage": 5})" << true << size << "method.stage"
                                      << "fitnet.stage: 5 but the student has 2 stages";
        QTest::newRow("stat_l2 stage") << "stat_l2" << R"({"stage": 2})" << true << size << "method.stage"
                                       << "stat_l2.stage: 2 but the student has 2 stages";
        QTest::newRow("no teacher") << "at" << "{}" << false << size << "method.name"
                                    << "method at distils stage features: it needs a teacher with stages";
        QTest::newRow("multipath no teacher") << "multipath" << "{}" << false << size << "method.name"
                                              << "method multipath distils from a teacher: give one";
        QTest::newRow("multipath path") << "multipath" << R"({"paths": ["kd@stage1"]})" << true << size
                                        << "method.paths" << "multipath path \"kd@stage1\": ";
        QTest::newRow("multipath twice") << "multipath" << R"({"paths": ["at", "at@stages"]})" << true << size
                                         << "method.paths" << "multipath.paths: the path at@stages is listed twice";
        QTest::newRow("multipath weights") << "multipath"
                                           << R"({"paths": ["kd", "at"], "weighting": "fixed", "weights": [1]})"
                                           << true << size << "method.weights" << "multipath.weights: 1 weights for 2";
        QTest::newRow("sakd gamma") << "sakd" << R"({"gamma": 0})" << true << size << "method.gamma"
                                    << "sakd.gamma: must be positive";
        QTest::newRow("crd bank") << "crd" << "{}" << true << 1 << "method"
                                  << "crd: the training split has 1 images; the memory bank needs at least 2";
    }
    void fieldErrorsCarryTheDesignersPaths() {
        QFETCH(QString, method);
        QFETCH(QString, params);
        QFETCH(bool, withTeacher);
        QFETCH(int, trainSize);
        QFETCH(QString, path);
        QFETCH(QString, message);
        TinyPair pair;
        auto context = tinyContext();
        context.trainSize = trainSize;
        const auto spec = methodSpec(method.toStdString(), json::parse(params.toStdString()));
        try {
            methods::createDistiller(spec, withTeacher ? pair.teacher.get() : nullptr, *pair.student, context);
            QFAIL("no error");
        } catch (const spec::FieldError& e) {
            QCOMPARE(QString::fromStdString(e.path()), path);
            QVERIFY2(QString::fromStdString(e.message()).startsWith(message), e.message().c_str());
            QCOMPARE(QString::fromUtf8(e.what()), QString::fromStdString(e.message()));
        }
    }
};

QTEST_GUILESS_MAIN(TestRegistry)
#include "test_registry.moc"
