#include <QtTest>

#include <algorithm>
#include <cmath>
#include <set>

#include "spec/RunSpec.h"
#include "spec/Study.h"

using namespace distillery;
using nlohmann::json;

namespace {
// A KD student of a teacher outside the study, 2 epochs; tests add grid, random, seeds and teachers.
json baseStudy() {
    return json::parse(R"({
        "study": "s",
        "base": {"name": "kd-base", "student": {"model": "resnet8"}, "teacher": {"run_name": "outside"},
                 "method": {"name": "kd", "T": 4}, "epochs": 2, "optim": {"lr": 0.05},
                 "schedule": {"milestones": [1]}},
        "seeds": [1, 2, 3]
    })");
}

json patched(const std::string& patch) {
    json study = baseStudy();
    study.merge_patch(json::parse(patch));
    return study;
}

std::string errorText(const spec::StudyParse& r) {
    std::string text;
    for (const auto& e : r.errors)
        text += e.toString() + "\n";
    return text;
}

// The plan, or an empty one (and the errors printed): the test's next comparison then fails.
spec::StudyPlan planOf(const json& study) {
    const auto r = spec::parseStudy(study);
    if (r.ok()) return *r.plan;
    qWarning("the study does not parse:\n%s", errorText(r).c_str());
    return {};
}

bool hasError(const spec::StudyParse& r, const std::string& path, const std::string& fragment) {
    for (const auto& e : r.errors)
        if (e.path == path && e.message.find(fragment) != std::string::npos) return true;
    return false;
}

const json* variedValue(const spec::StudyRun& run, const std::string& path) {
    for (const auto& [p, v] : run.varied)
        if (p == path) return &v;
    return nullptr;
}

// The distinct values the runs took for a field, first seen first.
std::vector<json> valuesOf(const spec::StudyPlan& plan, const std::string& path) {
    std::vector<json> out;
    for (const auto& run : plan.runs)
        if (const json* v = variedValue(run, path))
            if (std::find(out.begin(), out.end(), *v) == out.end()) out.push_back(*v);
    return out;
}

// The spec with what names runs blanked: the study and the generated file name runs differently.
std::string withoutNames(const spec::RunSpec& run) {
    json j = spec::toJson(run);
    j["name"] = "";
    if (j.contains("teacher") && j["teacher"].contains("run_name")) j["teacher"]["run_name"] = "";
    return j.dump();
}
}  // namespace

class TestStudy : public QObject {
    Q_OBJECT

private slots:
    void gridIsACartesianProductTimesSeeds() {
        const auto plan =
            planOf(patched(R"({"grid": {"optim.lr": [0.05, 0.1, 0.2], "student.model": ["resnet8", "resnet14"]}})"));
        QCOMPARE(plan.runs.size(), size_t(18));
        QCOMPARE(plan.configurations(), size_t(6));
        QCOMPARE(plan.variedFields, (std::vector<std::string>{"optim.lr", "student.model"}));
        // The first key outermost, seeds innermost: the 5th run is lr 0.05, resnet14, seed 2.
        const spec::StudyRun& fifth = plan.runs[4];
        QCOMPARE(fifth.spec.optim.lr, 0.05);
        QCOMPARE(fifth.spec.studentModel, std::string("resnet14"));
        QCOMPARE(fifth.spec.method.param("T"), 4.0);
        QCOMPARE(fifth.spec.seed, int64_t(2));
        QCOMPARE(fifth.spec.name, std::string("s-lr0.05-resnet14-s2"));
        QCOMPARE(fifth.spec.teacher.runName, std::string("outside"));  // not a key of "teachers": left as it is
        QCOMPARE(fifth.configuration, std::string("lr0.05-resnet14"));
        QCOMPARE(fifth.varied.size(), size_t(2));
        QCOMPARE(fifth.varied[0].first, std::string("optim.lr"));
        QCOMPARE(fifth.varied[0].second.get<double>(), 0.05);
        QCOMPARE(plan.runs[17].spec.name, std::string("s-lr0.2-resnet14-s3"));
        QVERIFY(std::none_of(plan.runs.begin(), plan.runs.end(), [](const spec::StudyRun& r) { return r.teacher; }));

        // With method.T as well: 2 × 3 × 2 configurations, and the 5th run now has T 2, lr 0.05, resnet14.
        const auto three = planOf(patched(R"({"grid": {"method.T": [2, 8], "optim.lr": [0.05, 0.1, 0.2],
                                                        "student.model": ["resnet8", "resnet14"]}})"));
        QCOMPARE(three.runs.size(), size_t(36));
        QCOMPARE(three.runs[4].spec.method.param("T"), 2.0);
        QCOMPARE(three.runs[4].spec.optim.lr, 0.05);
        QCOMPARE(three.runs[4].spec.name, std::string("s-T2-lr0.05-resnet14-s2"));
        QCOMPARE(three.runs[35].spec.name, std::string("s-T8-lr0.2-resnet14-s3"));
    }

    void nothingVariedIsTheBaseTimesSeeds() {
        const auto plan = planOf(baseStudy());
        QCOMPARE(plan.runs.size(), size_t(3));
        QCOMPARE(plan.runs[0].spec.name, std::string("s-kd-base-s1"));
        QCOMPARE(plan.runs[2].spec.seed, int64_t(3));
        QVERIFY(plan.variedFields.empty());
        json unnamed = baseStudy();
        unnamed["base"].erase("name");
        QCOMPARE(planOf(unnamed).runs[1].spec.name, std::string("s-s2"));   // a design over seeds
    }

    void methodBlocksWithSubGrids() {
        const auto plan = planOf(patched(R"({"seeds": [1, 2], "grid": {"method": [
            {"name": "ce"},
            {"name": "kd", "T": [2, 4, 8], "alpha": 0.9},
            {"name": "multipath", "paths": [["kd@logits", "at@stages"], ["kd@logits", "nst@stages"]], "weights": [1, 2]}]}})"));
        QCOMPARE(plan.configurations(), size_t(6));
        QCOMPARE(plan.runs.size(), size_t(12));
        std::vector<std::string> labels;
        for (size_t i = 0; i < plan.runs.size(); i += 2)
            labels.push_back(plan.runs[i].configuration);
        QCOMPARE(labels,
                 (std::vector<std::string>{"ce", "kd-T2", "kd-T4", "kd-T8", "multipath-paths-kd_logits+at_stages",
                                           "multipath-paths-kd_logits+nst_stages"}));
        // ce takes no teacher: the base's is dropped; the block replaces the base's method.
        QVERIFY(!plan.runs[0].spec.teacher.present());
        QCOMPARE(plan.runs[0].spec.method.name, std::string("ce"));
        QVERIFY(plan.runs[0].spec.method.params.empty());
        QCOMPARE(plan.runs[4].spec.method.param("T"), 4.0);
        QCOMPARE(plan.runs[4].spec.method.param("alpha"), 0.9);
        QCOMPARE(plan.runs[4].spec.teacher.runName, std::string("outside"));
        QCOMPARE(plan.runs[10].spec.method.names("paths"), (std::vector<std::string>{"kd@logits", "nst@stages"}));
        QCOMPARE(plan.runs[10].spec.method.numbers("weights"), (std::vector<double>{1, 2}));  // a plain list: one value
        QCOMPARE(plan.variedFields, (std::vector<std::string>{"method.name", "method.T", "method.paths"}));
        QCOMPARE(plan.runs[2].spec.name, std::string("s-kd-T2-s1"));
        QCOMPARE(plan.runs[4].varied.size(), size_t(2));
        QCOMPARE(plan.runs[4].varied[1].second.get<int>(), 4);
        QCOMPARE(plan.runs[0].varied.size(), size_t(1));
        // A label names a block; two blocks of the same method get -2.
        const auto labelled = planOf(patched(R"({"grid": {"method": [{"name": "at", "label": "at+kd", "kd_alpha": 1},
                                                                     {"name": "kd", "alpha": 0.5}, {"name": "kd"}]}})"));
        QCOMPARE(labelled.runs[0].spec.name, std::string("s-at+kd-s1"));
        QCOMPARE(labelled.runs[3].configuration, std::string("kd"));
        QCOMPARE(labelled.runs[6].configuration, std::string("kd-2"));
    }

    void methodKeysApplyOnlyWhereDeclaredAndDuplicatesMerge() {
        // ce declares no T: its three grid points are one configuration.
        const auto plan =
            planOf(patched(R"({"grid": {"method": [{"name": "ce"}, {"name": "kd"}], "method.T": [2, 4, 8]}})"));
        QCOMPARE(plan.configurations(), size_t(4));
        QCOMPARE(plan.runs.size(), size_t(12));
        QCOMPARE(plan.runs[0].configuration, std::string("ce"));
        QCOMPARE(plan.runs[0].varied.size(), size_t(1));
        QVERIFY(!plan.runs[0].spec.method.params.contains("T"));
        QCOMPARE(plan.runs[3].configuration, std::string("kd-T2"));
        QCOMPARE(plan.runs[11].spec.method.param("T"), 8.0);
        // The same for random draws: ce's draws are all the same configuration.
        const auto drawn = planOf(patched(R"({"seeds": [1], "grid": {"method": [{"name": "ce"}, {"name": "kd"}]},
                                              "random": {"n": 3, "space": {"method.alpha": {"uniform": [0, 1]}}}})"));
        QCOMPARE(drawn.runs.size(), size_t(4));
        QCOMPARE(drawn.runs[0].configuration, std::string("ce"));
        QCOMPARE(drawn.runs[1].configuration, std::string("kd-r1"));
        QCOMPARE(drawn.runs[3].configuration, std::string("kd-r3"));
        // A repeated grid value is one configuration too.
        const auto same = planOf(patched(R"({"grid": {"optim.lr": [0.05, 0.05]}})"));
        QCOMPARE(same.runs.size(), size_t(3));
    }

    void randomDrawsAreSeededAndBounded() {
        const json study = patched(R"({"seeds": [1, 2], "grid": {"method.T": [2, 4]},
            "random": {"n": 5, "seed": 7, "space": {
                "method.alpha": {"uniform": [0.2, 0.7]}, "optim.lr": {"log_uniform": [0.001, 0.3]},
                "batch_size": {"int_uniform": [32, 256]}, "optim.name": {"choice": ["sgd", "adamw"]}}}})");
        const auto plan = planOf(study);
        QCOMPARE(plan.runs.size(), size_t(20));
        QCOMPARE(plan.configurations(), size_t(10));
        QCOMPARE(plan.runs[0].configuration, std::string("T2-r1"));
        QCOMPARE(plan.runs[19].configuration, std::string("T4-r5"));
        QCOMPARE(plan.variedFields,
                 (std::vector<std::string>{"method.T", "batch_size", "method.alpha", "optim.lr", "optim.name"}));
        std::set<std::string> optimisers;
        for (const auto& run : plan.runs) {
            QVERIFY(run.spec.method.param("alpha") >= 0.2 && run.spec.method.param("alpha") < 0.7);
            QVERIFY(run.spec.optim.lr >= 0.001 && run.spec.optim.lr < 0.3);
            QVERIFY(run.spec.batchSize >= 32 && run.spec.batchSize <= 256);
            QVERIFY(variedValue(run, "batch_size")->is_number_integer());
            optimisers.insert(run.spec.optim.name);
        }
        QCOMPARE(optimisers.size(), size_t(2));
        // int_uniform reaches both ends: 50 draws from [64, 65] are two configurations.
        const auto ends = planOf(
            patched(R"({"seeds": [1], "random": {"n": 50, "space": {"batch_size": {"int_uniform": [64, 65]}}}})"));
        QCOMPARE(ends.configurations(), size_t(2));
        QCOMPARE(valuesOf(ends, "batch_size").size(), size_t(2));
        // Seeds share the draw; the same random.seed draws the same values, another seed others.
        QCOMPARE(plan.runs[0].spec.optim.lr, plan.runs[1].spec.optim.lr);
        const auto again = planOf(study);
        json otherSeed = study;
        otherSeed["random"]["seed"] = 8;
        const auto other = planOf(otherSeed);
        for (size_t i = 0; i < plan.runs.size(); ++i) {
            QCOMPARE(spec::toJson(again.runs[i].spec), spec::toJson(plan.runs[i].spec));
            QVERIFY(other.runs[i].spec.optim.lr != plan.runs[i].spec.optim.lr);
        }
    }

    void logUniformIsSpreadGeometrically() {
        const auto plan = planOf(patched(R"({"seeds": [1], "random": {"n": 2000, "seed": 3,
                                             "space": {"optim.lr": {"log_uniform": [0.001, 0.1]}}}})"));
        QCOMPARE(plan.runs.size(), size_t(2000));
        std::vector<double> lrs;
        for (const auto& run : plan.runs)
            lrs.push_back(run.spec.optim.lr);
        std::sort(lrs.begin(), lrs.end());
        const double median = (lrs[999] + lrs[1000]) / 2, geometricMean = 0.01;
        QVERIFY2(std::fabs(median - geometricMean) < 0.1 * geometricMean, std::to_string(median).c_str());
        QVERIFY(lrs.front() >= 0.001 && lrs.back() < 0.1);
        QVERIFY(lrs.front() < 0.0015 && lrs.back() > 0.07);  // the whole range is reached
        QCOMPARE(plan.runs[0].configuration, std::string("r1"));
    }

    void rangesGiveExactValues() {
        const auto plan = planOf(patched(R"({"seeds": [1], "grid": {
            "method.T": {"linspace": [2, 8, 4]}, "optim.lr": {"logspace": [0.001, 1, 4]}}})"));
        QCOMPARE(valuesOf(plan, "method.T"), (std::vector<json>{2, 4, 6, 8}));
        QVERIFY(variedValue(plan.runs[0], "method.T")->is_number_integer());  // integers stay integers
        std::vector<double> lrs;
        for (size_t i = 0; i < 4; ++i)
            lrs.push_back(plan.runs[i].spec.optim.lr);
        QCOMPARE(lrs, (std::vector<double>{0.001, 0.01, 0.1, 1}));
        const auto fractions = planOf(patched(R"({"seeds": [1], "grid": {"method.alpha": {"linspace": [0.1, 0.5, 5]},
                                                  "method.T": {"range": [0.5, 2, 0.5]}}})"));
        QCOMPARE(valuesOf(fractions, "method.alpha"), (std::vector<json>{0.1, 0.2, 0.3, 0.4, 0.5}));
        std::vector<double> ts;  // "method.T" sorts before "method.alpha": the outer key
        for (size_t i = 0; i < 20; i += 5)
            ts.push_back(fractions.runs[i].spec.method.param("T"));
        QCOMPARE(ts, (std::vector<double>{0.5, 1, 1.5, 2}));
        // range: `to` counts within rounding (0.1 steps), integers stay integers, a step past `to` stops before it.
        const auto steps = planOf(patched(R"({"seeds": [1], "grid": {"method.gamma": {"range": [0.1, 0.7, 0.1]},
                                              "batch_size": {"range": [32, 100, 32]}, "method.T": {"linspace": [3, 3, 1]}}})"));
        QCOMPARE(valuesOf(steps, "method.gamma"), (std::vector<json>{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7}));
        std::set<int64_t> batches;
        for (const auto& run : steps.runs)
            batches.insert(run.spec.batchSize);
        QCOMPARE(batches, (std::set<int64_t>{32, 64, 96}));
        QVERIFY(variedValue(steps.runs[0], "batch_size")->is_number_integer());
        QCOMPARE(steps.runs.size(), size_t(21));
        QCOMPARE(steps.runs[0].spec.method.param("T"), 3.0);
    }

    void teachersAreTrainedOncePerSeedAndShared() {
        const auto plan = planOf(patched(R"({"teachers": {"big": {"student": {"model": "resnet20"}, "epochs": 3},
                                                          "unused": {"student": {"model": "resnet32"}}},
                                             "base": {"teacher": {"run_name": "big"}},
                                             "grid": {"optim.lr": [0.05, 0.1]}})"));
        QCOMPARE(plan.runs.size(), size_t(9));  // 3 teacher runs + 2 configurations × 3 seeds
        QCOMPARE(plan.configurations(), size_t(2));
        for (int64_t seed = 1; seed <= 3; ++seed) {
            const spec::StudyRun& teacher = plan.runs[size_t(seed - 1)];
            QVERIFY(teacher.teacher);
            QCOMPARE(teacher.configuration, std::string("teacher-big"));
            QCOMPARE(teacher.spec.name, "s-teacher-big-s" + std::to_string(seed));
            QCOMPARE(teacher.spec.seed, seed);
            QCOMPARE(teacher.spec.studentModel, std::string("resnet20"));
            QCOMPARE(teacher.spec.method.name, std::string("ce"));  // base's method and teacher are not inherited
            QVERIFY(!teacher.spec.teacher.present());
            QCOMPARE(teacher.spec.epochs, int64_t(3));
            QCOMPARE(teacher.spec.optim.lr, 0.05);  // the base's, not the grid's
            QVERIFY(teacher.varied.empty());
        }
        for (size_t i = 3; i < plan.runs.size(); ++i) {
            const spec::StudyRun& student = plan.runs[i];
            QVERIFY(!student.teacher);
            QCOMPARE(student.spec.teacher.runName, "s-teacher-big-s" + std::to_string(student.spec.seed));
        }
        QCOMPARE(plan.runs[4].spec.name, std::string("s-lr0.05-s2"));
        QCOMPARE(plan.variedFields, (std::vector<std::string>{"optim.lr"}));

        // Through the grid: only the teacher a student names is trained; other names stay as they are.
        const auto viaGrid = planOf(patched(R"({"teachers": {"big": {"student": {"model": "resnet20"}}},
                                               "seeds": [5], "grid": {"teacher.run_name": ["big", "outside"]}})"));
        QCOMPARE(viaGrid.runs.size(), size_t(3));
        QCOMPARE(viaGrid.runs[0].spec.name, std::string("s-teacher-big-s5"));
        QCOMPARE(viaGrid.runs[1].spec.teacher.runName, std::string("s-teacher-big-s5"));
        QCOMPARE(viaGrid.runs[1].configuration, std::string("big"));
        QCOMPARE(viaGrid.runs[2].spec.teacher.runName, std::string("outside"));

        // The experiment parser returns the same runs, in order, with the plan.
        const auto experiment =
            spec::parseExperiment(patched(R"({"teachers": {"big": {"student": {"model": "resnet20"}}},
                                                                  "base": {"teacher": {"run_name": "big"}}})")
                                      .dump());
        QVERIFY2(experiment.ok(), experiment.errorText().c_str());
        QVERIFY(experiment.study.has_value());
        QCOMPARE(experiment.name, std::string("s"));
        QCOMPARE(experiment.runs.size(), size_t(6));
        QCOMPARE(experiment.runs[0].name, std::string("s-teacher-big-s1"));
        QCOMPARE(experiment.runs[5].name, experiment.study->runs[5].spec.name);
        QVERIFY(!spec::parseExperiment(R"({"name": "e", "runs": [{"name": "a"}]})").study.has_value());
    }

    void errorsNameTheirField_data() {
        QTest::addColumn<QString>("patch");  // JSON merge patch applied to the base study
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("fragment");
        QTest::newRow("sub-grid empty") << R"({"grid": {"method": [{"name": "ce"}, {"name": "kd", "T": []}]}})"
                                        << "grid.method[1].T"
                                        << "non-empty list";
        QTest::newRow("block parameter unknown") << R"({"grid": {"method": [{"name": "kd", "beta": [1, 2]}]}})"
                                                 << "grid.method[0].beta"
                                                 << "is not a parameter of kd";
        QTest::newRow("block method unknown") << R"({"grid": {"method": [{"name": "magic"}]}})"
                                              << "grid.method[0].name"
                                              << "unknown method \"magic\"";
        QTest::newRow("block label") << R"({"grid": {"method": [{"name": "kd", "label": "a b"}]}})"
                                     << "grid.method[0].label"
                                     << "letters, digits";
        QTest::newRow("value out of range") << R"({"grid": {"method": [{"name": "kd", "T": [2, 200]}]}})"
                                            << "runs of configuration \"kd-T200\" (seed 1).method.T"
                                            << "must be a number in [0.5, 100], got 200";
        QTest::newRow("grid list empty") << R"({"grid": {"optim.lr": []}})"
                                         << "grid.optim.lr"
                                         << "non-empty list";
        QTest::newRow("grid value not a list") << R"({"grid": {"optim.lr": 0.1}})"
                                               << "grid.optim.lr"
                                               << "non-empty list";
        QTest::newRow("grid empty") << R"({"grid": {}})"
                                    << "grid"
                                    << "lists no fields";
        QTest::newRow("range unknown") << R"({"grid": {"optim.lr": {"geomspace": [1, 2, 3]}}})"
                                       << "grid.optim.lr"
                                       << "one range";
        QTest::newRow("range arguments") << R"({"grid": {"optim.lr": {"linspace": [0.1, 0.2]}}})"
                                         << "grid.optim.lr.linspace"
                                         << "three numbers";
        QTest::newRow("linspace count") << R"({"grid": {"optim.lr": {"linspace": [0.1, 0.2, 0]}}})"
                                        << "grid.optim.lr.linspace"
                                        << "count must be a whole number in [1, 10000]";
        QTest::newRow("logspace from 0") << R"({"grid": {"optim.lr": {"logspace": [0, 0.2, 3]}}})"
                                         << "grid.optim.lr.logspace"
                                         << "must be > 0";
        QTest::newRow("range step") << R"({"grid": {"optim.lr": {"range": [0.1, 0.2, -0.1]}}})"
                                    << "grid.optim.lr.range"
                                    << "step must be non-zero";
        QTest::newRow("range too long") << R"({"grid": {"optim.lr": {"range": [0, 1, 1e-9]}}})"
                                        << "grid.optim.lr.range"
                                        << "more than 10000 values";
        QTest::newRow("grid path unknown") << R"({"grid": {"optim.lrr": [0.1]}})"
                                           << "grid.optim.lrr"
                                           << "does not name a field of a run spec (optim.lrr: unknown field";
        QTest::newRow("grid object unknown") << R"({"grid": {"optimizer.lr": [0.1]}})"
                                             << "grid.optimizer.lr"
                                             << "does not name a field of a run spec (optimizer: unknown field";
        QTest::newRow("grid path malformed") << R"({"grid": {"optim..lr": [0.1]}})"
                                             << "grid.optim..lr"
                                             << "not a field path";
        QTest::newRow("grid through a value") << R"({"grid": {"epochs.max": [1]}})"
                                              << "grid.epochs.max"
                                              << "cannot be set";
        QTest::newRow("grid seed") << R"({"grid": {"seed": [1, 2]}})"
                                   << "grid.seed"
                                   << "come from \"seeds\"";
        QTest::newRow("grid name") << R"({"grid": {"name": ["a", "b"]}})"
                                   << "grid.name"
                                   << "run names are made";
        QTest::newRow("method key nobody declares")
            << R"({"base": {"method": {"name": "ce", "T": null}, "teacher": null},
                                                           "grid": {"method.T": [2, 4]}})"
            << "grid.method.T"
            << "no method of this study has a parameter \"T\"";
        QTest::newRow("method key in a block too")
            << R"({"grid": {"method": [{"name": "kd", "T": [2, 4]}], "method.T": [8]}})"
            << "grid.method.T"
            << "is also varied by grid.method[0].T";
        QTest::newRow("method.name beside method") << R"({"grid": {"method": [{"name": "kd"}], "method.name": ["ce"]}})"
                                                   << "grid.method.name"
                                                   << "conflicts with grid.method";
        QTest::newRow("random distribution")
            << R"({"random": {"n": 2, "space": {"optim.lr": {"log_uniform": [0, 1]}}}})"
            << "random.space.optim.lr"
            << "must be one distribution";
        QTest::newRow("random unknown distribution")
            << R"({"random": {"n": 2, "space": {"optim.lr": {"normal": [0, 1]}}}})"
            << "random.space.optim.lr"
            << "must be one distribution";
        QTest::newRow("random int bounds")
            << R"({"random": {"n": 2, "space": {"batch_size": {"int_uniform": [32.5, 64]}}}})"
            << "random.space.batch_size"
            << "whole numbers";
        QTest::newRow("random choice empty") << R"({"random": {"n": 2, "space": {"optim.name": {"choice": []}}}})"
                                             << "random.space.optim.name"
                                             << "must be one distribution";
        QTest::newRow("random path unknown") << R"({"random": {"n": 2, "space": {"optim.lrr": {"uniform": [0, 1]}}}})"
                                             << "random.space.optim.lrr"
                                             << "does not name a field of a run spec";
        QTest::newRow("random and grid")
            << R"({"grid": {"optim.lr": [0.1]}, "random": {"n": 2, "space": {"optim.lr": {"uniform": [0.1, 1]}}}})"
            << "random.space.optim.lr"
            << "is also a grid key";
        QTest::newRow("random n missing") << R"({"random": {"space": {"optim.lr": {"uniform": [0.01, 1]}}}})"
                                          << "random.n"
                                          << "is required";
        QTest::newRow("random n zero") << R"({"random": {"n": 0, "space": {"optim.lr": {"uniform": [0.01, 1]}}}})"
                                       << "random.n"
                                       << "[1, 10000]";
        QTest::newRow("random space empty") << R"({"random": {"n": 2, "space": {}}})"
                                            << "random.space"
                                            << "must map fields";
        QTest::newRow("random unknown key")
            << R"({"random": {"n": 2, "draws": 3, "space": {"optim.lr": {"uniform": [0.01, 1]}}}})"
            << "random.draws"
            << "unknown field";
        QTest::newRow("study unknown key") << R"({"grids": {}})"
                                           << "grids"
                                           << "unknown field";
        QTest::newRow("study name missing") << R"({"study": ""})"
                                            << "study"
                                            << "must be the study's name";
        QTest::newRow("study name unsafe") << R"({"study": "my study"})"
                                           << "study"
                                           << "letters, digits";
        QTest::newRow("seeds missing") << R"({"seeds": null})"
                                       << "seeds"
                                       << "is required";
        QTest::newRow("seeds empty") << R"({"seeds": []})"
                                     << "seeds"
                                     << "non-empty list";
        QTest::newRow("seeds repeated") << R"({"seeds": [1, 2, 1]})"
                                        << "seeds[2]"
                                        << "repeats seed 1";
        QTest::newRow("seed negative") << R"({"seeds": [1, -2]})"
                                       << "seeds[1]"
                                       << "whole number in [0, 9007199254740992]";
        QTest::newRow("base seed") << R"({"base": {"seed": 4}})"
                                   << "base.seed"
                                   << "come from \"seeds\"";
        QTest::newRow("base unknown field") << R"({"base": {"epohcs": 3}})"
                                            << "base.epohcs"
                                            << "unknown field";
        QTest::newRow("base nested unknown field") << R"({"base": {"optim": {"lrr": 3}}})"
                                                   << "base.optim.lrr"
                                                   << "unknown field";
        QTest::newRow("base wrong value") << R"({"base": {"optim": {"lr": -1}}})"
                                          << "runs of configuration \"kd-base\" (seed 1).optim.lr"
                                          << "must be > 0";
        QTest::newRow("teacher unknown field") << R"({"teachers": {"big": {"studnet": {"model": "resnet20"}}},
                                                     "base": {"teacher": {"run_name": "big"}}})"
                                               << "teachers.big.studnet"
                                               << "unknown field";
        QTest::newRow("teacher wrong value") << R"({"teachers": {"big": {"student": {"model": "resnet9"}}},
                                                   "base": {"teacher": {"run_name": "big"}}})"
                                             << "runs of teacher \"big\" (seed 1).student.model"
                                             << "unknown \"resnet9\"";
        QTest::newRow("teacher seed") << R"({"teachers": {"big": {"seed": 3}}})"
                                      << "teachers.big.seed"
                                      << "come from";
        QTest::newRow("teacher key") << R"({"teachers": {"a/b": {}}})"
                                     << "teachers.a/b"
                                     << "letters, digits";
        QTest::newRow("early stopping rule") << R"({"early_stopping": {"rule": "mean"}})"
                                             << "early_stopping.rule"
                                             << "must be \"none\" or \"median\"";
        QTest::newRow("early stopping grace") << R"({"early_stopping": {"rule": "median", "grace_epochs": 0}})"
                                              << "early_stopping.grace_epochs"
                                              << "[1, 100000]";
        QTest::newRow("early stopping unknown") << R"({"early_stopping": {"patience": 2}})"
                                                << "early_stopping.patience"
                                                << "unknown field";
        QTest::newRow("too many runs")
            << R"({"grid": {"optim.lr": {"linspace": [0.01, 0.1, 5000]}}})"
            << "(study)"
            << "expands to 5000 configurations × 3 seeds = 15000 student runs, more than the "
               "limit of 10000 runs";
        QTest::newRow("far too many runs") << R"({"grid": {"optim.lr": {"linspace": [0.01, 0.1, 5000]},
                                                           "method.T": {"linspace": [1, 10, 5000]}}})"
                                           << "(study)"
                                           << "give 25000000 configurations × 3 seeds, more than the limit of 10000";
        QTest::newRow("too many with teachers")
            << R"({"teachers": {"big": {"student": {"model": "resnet20"}}},
                                                       "base": {"teacher": {"run_name": "big"}}, "seeds": [1, 2],
                                                       "grid": {"optim.lr": {"linspace": [0.01, 0.1, 5000]}}})"
            << "(study)"
            << "expands to 10002 runs (2 teacher runs + 5000 configurations × 2 seeds)";
    }
    void errorsNameTheirField() {
        QFETCH(QString, patch);
        QFETCH(QString, path);
        QFETCH(QString, fragment);
        const auto r = spec::parseStudy(patched(patch.toStdString()));
        QVERIFY(!r.ok());
        QVERIFY(!r.plan.has_value());
        QVERIFY2(hasError(r, path.toStdString(), fragment.toStdString()), errorText(r).c_str());
    }

    void allErrorsAreCollectedOnce() {
        const auto r = spec::parseStudy(patched(R"({"seeds": [1, 1], "grids": 3, "base": {"optim": {"lr": -1}},
            "grid": {"optim.lrr": [1, 2], "method": [{"name": "kd", "T": [2, 300]}]},
            "random": {"n": 2, "space": {"optim.momentum": {"uniform": [2, 1]}}}})"));
        for (const auto& [path, fragment] : std::vector<std::pair<std::string, std::string>>{
                 {"seeds[1]", "repeats"},
                 {"grids", "unknown field"},
                 {"grid.optim.lrr", "does not name a field"},
                 {"random.space.optim.momentum", "lo <= hi"},
                 {"runs of configuration \"kd-T2-lrr1\" (seed 1).optim.lr", "must be > 0"},
                 {"runs of configuration \"kd-T300-lrr1\" (seed 1).method.T", "got 300"}})
            QVERIFY2(hasError(r, path, fragment), (path + " missing from\n" + errorText(r)).c_str());
        // The base's wrong lr, in every configuration and seed, is shown once.
        QCOMPARE(
            std::count_if(r.errors.begin(), r.errors.end(),
                          [](const spec::SpecError& e) { return e.message.find("must be > 0") != std::string::npos; }),
            long(1));
        // A field that fails in many configurations shows three of them and counts the rest.
        const auto many =
            spec::parseStudy(patched(R"({"grid": {"method": [{"name": "kd", "T": [200, 300, 400, 500, 600]}]}})"));
        QCOMPARE(many.errors.size(), size_t(4));
        QCOMPARE(many.errors[2].path, std::string("runs of configuration \"kd-T400\" (seed 1).method.T"));
        QCOMPARE(many.errors[3].toString(),
                 std::string("(study): 2 more errors of other runs at the same fields, not shown"));
        const auto file = spec::parseExperiment(R"({"study": "x", "seeds": [1], "base": {"epohcs": 1}})");
        QCOMPARE(file.errorText(),
                 std::string("base.epohcs: unknown field; known fields here: batch_size, checkpoint_every, "
                             "checkpoint_minutes, data, device, diagnostics_every, distributed, epochs, "
                             "eval_batch_size, "
                             "log_every, max_steps_per_epoch, method, name, on_nonfinite, optim, precision, "
                             "schedule, seed, student, teacher, threads\n"));
    }

    void planPrintsATable() {
        const auto plan = planOf(json::parse(R"({
            "study": "tiny", "description": "a small study",
            "base": {"teacher": {"run_name": "big"}},
            "teachers": {"big": {"student": {"model": "resnet20"}}},
            "grid": {"method": [{"name": "ce"}, {"name": "kd", "T": [2, 4.5]}], "optim.lr": [0.05]},
            "seeds": [1, 2],
            "early_stopping": {"rule": "median", "grace_epochs": 2, "min_runs": 3}})"));
        // Columns in first-seen order: ce's optim.lr comes before kd's T.
        QCOMPARE(spec::formatPlan(plan),
                 std::string("study tiny: a small study\n"
                             "8 runs: 2 teacher runs + 6 student runs (3 configurations × 2 seeds)\n"
                             "early stopping: median (after 2 grace epochs, once 3 runs reached the epoch)\n"
                             "\n"
                             "configuration   method.name  optim.lr  method.T  seeds\n"
                             "teacher-big     -            -         -         1,2\n"
                             "ce-lr0.05       ce           0.05      -         1,2\n"
                             "kd-T2-lr0.05    kd           0.05      2         1,2\n"
                             "kd-T4.5-lr0.05  kd           0.05      4.5       1,2\n"));
        json single = baseStudy();
        single["seeds"] = {7};
        QCOMPARE(spec::formatPlan(planOf(single)),
                 std::string("study s\n"
                             "1 run: 0 teacher runs + 1 student run (1 configuration × 1 seed)\n"
                             "early stopping: none\n"
                             "\n"
                             "configuration  seeds\n"
                             "kd-base        7\n"));
    }

    // experiments/laptop/study.json is the laptop set (it replaced the generated all-seeds.json, to which
    // it was checked equal run by run when it was written). The quick-look files make_experiments.py
    // still writes (one per seed method, seed 1) must stay the same recipes: each of their runs equals
    // a run of the study field by field, less names.
    void laptopStudyHoldsTheGeneratedQuickLooks() {
        const std::string dir = std::string(DISTILLERY_SOURCE_DIR) + "/experiments/laptop/";
        const auto study = spec::parseExperimentFile(dir + "study.json");
        QVERIFY2(study.ok(), study.errorText().c_str());
        QVERIFY(study.study.has_value());
        QCOMPARE(study.runs.size(), size_t(66));
        QCOMPARE(study.study->configurations(), size_t(21));
        QCOMPARE(std::count_if(study.study->runs.begin(), study.study->runs.end(),
                               [](const spec::StudyRun& r) { return r.teacher; }),
                 long(3));
        std::multiset<std::string> fromStudy;
        for (const auto& run : study.runs) fromStudy.insert(withoutNames(run));
        size_t checked = 0;
        for (const char* file : {"adain.json", "sakd.json", "channel.json", "multipath.json", "amap.json"}) {
            const auto quickLook = spec::parseExperimentFile(dir + file);
            QVERIFY2(quickLook.ok(), quickLook.errorText().c_str());
            for (const auto& run : quickLook.runs) {
                QVERIFY2(fromStudy.count(withoutNames(run)) > 0, (std::string(file) + ": " + run.name).c_str());
                ++checked;
            }
        }
        QVERIFY(checked >= 20);
        // And each student learns from its own seed's teacher.
        for (const auto& run : study.runs)
            if (run.teacher.present())
                QCOMPARE(run.teacher.runName, "laptop-teacher-resnet20-s" + std::to_string(run.seed));
    }
};

QTEST_GUILESS_MAIN(TestStudy)
#include "test_study.moc"
