// multipath against golden values from an independent Python implementation
// (tests/fixtures/golden_multipath.py → tests/fixtures/golden/multipath.json): every path loss, every
// weighting's total, a GradNorm update and DWA's weights; then the weightings' properties, the
// diagnostics, the path-string errors and forward/backward on real pairs of zoo models.
#include <QtTest>

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <QTemporaryDir>

#include "GoldenFixture.h"
#include "InvalidArgument.h"
#include "engine/Checkpoint.h"
#include "engine/LogWindow.h"
#include "methods/DistillationPath.h"
#include "methods/MultiPath.h"
#include "models/ModelRegistry.h"
#include "spec/Catalog.h"
#include "spec/RunSpec.h"

using namespace distillery;
using nlohmann::json;

namespace {
const json& golden() {
    static const json data = readGoldenFixture("multipath.json", "golden_multipath.py");
    return data;
}

std::vector<double> valuesOf(const torch::Tensor& t) {
    const auto c = t.detach().to(torch::kDouble).contiguous();
    return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

double relativeError(double got, double want) { return std::abs(got - want) / std::max(1e-12, std::abs(want)); }

// The largest golden deviation seen, reported at the end.
double largestDeviation = 0;

void checkClose(double got, double want, const std::string& what) {
    const double rel = relativeError(got, want);
    largestDeviation = std::max(largestDeviation, rel);
    QVERIFY2(rel < 1e-5, (what + ": C++ " + std::to_string(got) + " vs Python " + std::to_string(want)).c_str());
}

// A net that only declares its stages' channels and strides: the golden scenes supply the features.
// With a head ({weight, bias}, the teacher of softmax_regression scenes) its classifier is that linear layer.
class LayoutNet : public models::StagedNet {
public:
    explicit LayoutNet(const json& layout, const json& head = json()) {
        std::vector<StageLayout> stages;
        for (const auto& s : layout) stages.push_back({s[0].get<int64_t>(), s[1].get<int64_t>()});
        setLayout(stages, 5);
        if (head.is_object()) {
            headWeight_ = tensorOf(head["weight"]);
            headBias_ = tensorOf(head["bias"]);
        }
    }

protected:
    at::Tensor stem(const at::Tensor& image) override { return image; }
    at::Tensor runStage(int64_t, const at::Tensor& x, at::Tensor*) override { return x; }
    at::Tensor classifier(const at::Tensor& pooled) override {
        return headWeight_.defined() ? pooled.matmul(headWeight_.t()) + headBias_ : pooled;
    }

private:
    torch::Tensor headWeight_, headBias_;
};

spec::MethodSpec multipathSpec(const json& params) {
    spec::MethodSpec m;
    m.name = "multipath";
    m.params = params;
    return m;
}

// A golden scene: the two layouts, the method built from the case's parameters with the case's module
// weights (and α), and the student's mixers that turn a stem into stage features.
struct Scene {
    std::shared_ptr<LayoutNet> studentNet, teacherNet;
    std::shared_ptr<methods::MultiPath> method;
    std::vector<torch::Tensor> mixers;
    torch::Tensor logitWeight;
};

Scene buildScene(const json& c) {
    Scene s;
    s.studentNet = std::make_shared<LayoutNet>(c["student_layout"]);
    s.teacherNet = std::make_shared<LayoutNet>(c["teacher_layout"], c.value("teacher_head", json()));
    s.method = std::dynamic_pointer_cast<methods::MultiPath>(
        methods::createDistiller(multipathSpec(c["params"]), s.teacherNet.get(), *s.studentNet));
    if (!s.method) throw std::runtime_error("createDistiller(multipath) is not a MultiPath");
    for (const auto& m : c["mixers"]) s.mixers.push_back(tensorOf(m));
    s.logitWeight = tensorOf(c["logit_weight"]);

    torch::NoGradGuard noGrad;
    auto params = s.method->named_parameters();
    size_t set = 0;
    for (const auto& [path, tensors] : c["modules"].items())
        for (const auto& [key, value] : tensors.items()) {
            auto* target = params.find(path + "." + key);
            if (!target) throw std::runtime_error("the method has no parameter " + path + "." + key);
            const auto v = tensorOf(value);
            if (target->sizes() != v.sizes()) throw std::runtime_error("shape of " + path + "." + key + " differs");
            target->copy_(v);
            ++set;
        }
    const size_t alphas = s.method->alphas().defined() ? 1 : 0;
    if (set + alphas != params.size())
        throw std::runtime_error("the reference sets " + std::to_string(set) + " of the method's " +
                                 std::to_string(params.size() - alphas) + " module parameters");
    if (c.contains("alphas"))
        s.method->alphas().copy_(torch::tensor(c["alphas"].get<std::vector<double>>()).to(torch::kFloat));
    return s;
}

struct Step {
    models::FeatureSet student, teacher;
    torch::Tensor labels;
    int64_t epoch = 0;
};

// The reference's student: stage k = tanh(conv1x1(avgpool(stem, 2^k), M_k)), logits = mean_hw(stem)·Wᵀ.
Step stepOf(const Scene& scene, const json& j, bool gradients = false) {
    Step s;
    s.student.stem = tensorOf(j["stem"]).requires_grad_(gradients);
    for (size_t k = 0; k < scene.mixers.size(); ++k) {
        const auto pooled = k == 0 ? s.student.stem : torch::avg_pool2d(s.student.stem, {int64_t(1) << k});
        s.student.stages.push_back(torch::tanh(torch::conv2d(pooled, scene.mixers[k])));
    }
    s.student.logits = s.student.stem.mean({2, 3}).matmul(scene.logitWeight.t());
    // The teacher's tensors require grad on purpose: the method must not send any into them.
    for (const auto& t : j["teacher_stages"]) s.teacher.stages.push_back(tensorOf(t).requires_grad_(gradients));
    s.teacher.logits = tensorOf(j["teacher_logits"]).requires_grad_(gradients);
    s.labels = torch::tensor(j["labels"].get<std::vector<int64_t>>(), torch::kLong);
    s.epoch = j["epoch"].get<int64_t>();
    return s;
}

std::vector<methods::LossTerm> run(methods::Distiller& d, const Step& s, bool diagnostics = false) {
    methods::StepInputs inputs{s.student, &s.teacher, s.labels, 0, s.epoch, {}};
    inputs.collectDiagnostics = diagnostics;
    return d.losses(inputs);
}

std::map<std::string, torch::Tensor> byName(const std::vector<methods::LossTerm>& terms) {
    std::map<std::string, torch::Tensor> out;
    for (const auto& t : terms) out[t.name] = t.value;
    return out;
}

torch::Tensor sumOf(const std::vector<methods::LossTerm>& terms) {
    torch::Tensor total = terms.front().value;
    for (size_t i = 1; i < terms.size(); ++i) total = total + terms[i].value;
    return total;
}

}  // namespace

class TestMultiPath : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::manual_seed(0); }

    void cleanupTestCase() { qInfo("largest golden deviation: %.2e relative", largestDeviation); }

    void goldenTerms_data() {
        addGoldenCaseRows(golden());
    }

    // Every step's terms (and GradNorm's weights, the diagnostics) equal the reference within 1e-5.
    void goldenTerms() {
        QFETCH(QString, name);
        const auto& c = goldenCase(golden(), name.toStdString());
        auto scene = buildScene(c);
        const bool gradnorm = c["params"]["weighting"] == "gradnorm";
        for (size_t i = 0; i < c["steps"].size(); ++i) {
            const auto& j = c["steps"][i];
            const auto step = stepOf(scene, j, gradnorm);
            const auto terms = byName(run(*scene.method, step, true));
            const auto& expected = j["expected"];
            QCOMPARE(terms.size(), expected.size());
            for (const auto& [term, value] : expected.items()) {
                QVERIFY2(terms.count(term), ("missing term " + term).c_str());
                checkClose(terms.at(term).item<double>(), value.get<double>(),
                           name.toStdString() + " step " + std::to_string(i) + " " + term);
            }
            if (gradnorm) {
                const auto weights = valuesOf(scene.method->gradnormWeights());
                const auto want = c["gradnorm_weights_after"][i].get<std::vector<double>>();
                for (size_t p = 0; p < want.size(); ++p) checkClose(weights[p], want[p], "gradnorm weight");
                const auto initial = valuesOf(scene.method->gradnormInitialLosses());
                const auto wantInitial = c["gradnorm_initial_losses"].get<std::vector<double>>();
                for (size_t p = 0; p < wantInitial.size(); ++p) checkClose(initial[p], wantInitial[p], "L_p(0)");
            }
            const auto rows = scene.method->diagnostics().pathWeights;
            if (c.contains("diagnostics")) {
                const auto& want = c["diagnostics"];
                QCOMPARE(rows.size(), want.size());
                for (size_t u = 0; u < rows.size(); ++u) {
                    QCOMPARE(QString::fromStdString(rows[u].path), QString::fromStdString(want[u][0]));
                    checkClose(rows[u].weight, want[u][1].get<double>(), rows[u].path + " weight");
                    checkClose(rows[u].rawLoss, want[u][2].get<double>(), rows[u].path + " raw loss");
                }
            }
            if (j.contains("dwa_balance")) {
                const auto balance = j["dwa_balance"].get<std::vector<double>>();
                const auto fixed = c["params"]["weights"].get<std::vector<double>>();
                QCOMPARE(rows.size(), balance.size());
                for (size_t p = 0; p < rows.size(); ++p)
                    checkClose(rows[p].weight, fixed[p] * balance[p], rows[p].path + " dwa weight");
            }
        }
    }

    // The two weight rules on given numbers.
    void goldenFormulas() {
        const auto& f = golden()["formulas"];
        const auto vec = [](const json& j) { return torch::tensor(j.get<std::vector<double>>()).to(torch::kFloat); };
        const auto& g = f["gradnorm"];
        const auto next = valuesOf(methods::MultiPath::gradNormStep(
            vec(g["weights"]), vec(g["losses"]), vec(g["initial"]), vec(g["norms"]), g["alpha"], g["lr"]));
        const auto want = g["expected"].get<std::vector<double>>();
        for (size_t p = 0; p < want.size(); ++p) checkClose(next[p], want[p], "gradNormStep");
        const auto& d = f["dwa"];
        const auto dwa = valuesOf(methods::MultiPath::dwaWeights(vec(d["previous"]), vec(d["before"]), d["T"]));
        const auto wantDwa = d["expected"].get<std::vector<double>>();
        for (size_t p = 0; p < wantDwa.size(); ++p) checkClose(dwa[p], wantDwa[p], "dwaWeights");
    }

    // With the features fixed and only the α trained by SGD, exp(−α_p)·w_p·L_p → 1 for every path:
    // the uncertainty weighting brings each path to unit contribution.
    void uncertaintyBalancesPaths() {
        const auto& c = goldenCase(golden(), "all_uncertainty");
        auto scene = buildScene(c);
        const auto step = stepOf(scene, c["steps"][0]);
        {
            torch::NoGradGuard noGrad;
            scene.method->alphas().zero_();
        }
        torch::optim::SGD sgd({scene.method->alphas()}, torch::optim::SGDOptions(0.1));
        for (int i = 0; i < 400; ++i) {
            sgd.zero_grad();
            sumOf(run(*scene.method, step)).backward();
            sgd.step();
        }
        run(*scene.method, step, true);
        for (const auto& row : scene.method->diagnostics().pathWeights)
            QVERIFY2(std::abs(row.weight * row.rawLoss - 1) < 0.03,
                     (row.path + ": exp(-a)*w*L = " + std::to_string(row.weight * row.rawLoss)).c_str());
    }

    // The total's gradient reaches every α, the student's stem and the path modules, never the teacher.
    void gradientsReachAlphaAndStudentOnly() {
        for (const char* name : {"all_uncertainty", "all_layerwise"}) {
            const auto& c = goldenCase(golden(), name);
            auto scene = buildScene(c);
            const auto step = stepOf(scene, c["steps"][0], true);
            sumOf(run(*scene.method, step)).backward();
            const auto alphaGrad = scene.method->alphas().grad();
            QVERIFY(alphaGrad.defined());
            QVERIFY((alphaGrad.abs() > 0).all().item<bool>());
            QVERIFY(step.student.stem.grad().defined());
            QVERIFY(step.student.stem.grad().abs().sum().item<double>() > 0);
            for (const auto& p : scene.method->parameters()) QVERIFY(p.grad().defined());
            for (const auto& t : step.teacher.stages) QVERIFY(!t.grad().defined());
            QVERIFY(!step.teacher.logits.grad().defined());
        }
        // α are parameters (the student's optimiser trains them); the other weightings have none of their own.
        const auto& fixed = goldenCase(golden(), "logits_fixed");
        QVERIFY(buildScene(fixed).method->parameters().empty());
    }

    // GradNorm raises the weight share of the path whose weighted gradient norm is smaller (two paths, first
    // step: every training rate is 1, so the target is the mean), keeps Σw = P and w ≥ 1e-4, and keeps
    // its state in buffers, not parameters.
    void gradnormProperties() {
        json twoPaths = goldenCase(golden(), "gradnorm");
        twoPaths["params"]["paths"] = {"kd", "at"};
        twoPaths["params"]["weights"] = {1.0, 2.0};
        twoPaths["modules"].erase("adaptation");   // mean@stage3's
        auto pair = buildScene(twoPaths);
        const auto first = stepOf(pair, twoPaths["steps"][0], true);
        const auto before = valuesOf(pair.method->gradnormWeights());
        std::vector<double> weighted;
        for (auto path : pair.method->paths()) {   // a copy of the holder: spotLosses() runs its modules
            const auto losses = path->spotLosses(first.student, first.teacher);
            auto loss = losses.front();
            for (size_t k = 1; k < losses.size(); ++k) loss = loss + losses[k];
            const auto grad = torch::autograd::grad({loss}, {first.student.stem}, {}, true)[0];
            weighted.push_back(before[weighted.size()] * grad.norm().item<double>());
        }
        run(*pair.method, first);
        const auto after = valuesOf(pair.method->gradnormWeights());
        const size_t smaller = weighted[0] < weighted[1] ? 0 : 1;
        QVERIFY(after[smaller] / 2.0 > before[smaller] / 3.0);
        QVERIFY(after[1 - smaller] / 2.0 < before[1 - smaller] / 3.0);

        const auto& c = goldenCase(golden(), "gradnorm");
        auto scene = buildScene(c);
        auto& weights = scene.method->gradnormWeights();
        for (int i = 0; i < 5; ++i) {
            run(*scene.method, stepOf(scene, c["steps"][i % 2], true));
            QVERIFY(std::abs(weights.sum().item<double>() - 3.0) < 1e-4);
            QVERIFY((weights >= 1e-4).all().item<bool>());
        }
        const auto buffers = scene.method->named_buffers(false);
        QVERIFY(buffers.find("gradnorm_weights") && buffers.find("gradnorm_initial_losses"));
        QVERIFY(scene.method->named_parameters(/*recurse=*/false).is_empty());
        // Under no-grad (evaluation) there is nothing to measure: the weights stay.
        const auto frozen = valuesOf(weights);
        {
            torch::NoGradGuard noGrad;
            run(*scene.method, stepOf(scene, c["steps"][0]));
        }
        QVERIFY(valuesOf(weights) == frozen);
    }

    // DWA: the fixed weights alone in epochs 0 and 1, then fixed·P·softmax(ratio/T) of the previous two
    // epochs' mean losses; a method restored from the buffers (a checkpoint) continues identically.
    void dwaFollowsEpochAverages() {
        const auto& c = goldenCase(golden(), "dwa");
        auto scene = buildScene(c);
        const auto fixed = c["params"]["weights"].get<std::vector<double>>();
        const double temperature = c["params"]["dwa_T"];
        const std::vector<int64_t> epochs = {0, 0, 1, 1, 1, 2, 2, 3};
        std::map<int64_t, std::vector<double>> sums;
        std::map<int64_t, int> counts;
        auto restored = buildScene(c);
        for (size_t i = 0; i < epochs.size(); ++i) {
            auto step = stepOf(scene, c["steps"][i % c["steps"].size()]);
            step.epoch = epochs[i];
            if (i == 5) {
                // Resume: a fresh method gets the buffers, as loading a checkpoint does.
                torch::NoGradGuard noGrad;
                auto from = scene.method->named_buffers();
                for (auto& b : restored.method->named_buffers()) b.value().copy_(*from.find(b.key()));
                scene = restored;
            }
            run(*scene.method, step, true);
            const auto rows = scene.method->diagnostics().pathWeights;
            QCOMPARE(rows.size(), fixed.size());
            const int64_t e = epochs[i];
            std::vector<double> balance(fixed.size(), 1.0);
            if (e >= 2) {
                std::vector<double> previous, beforePrevious;
                for (size_t p = 0; p < fixed.size(); ++p) {
                    previous.push_back(sums[e - 1][p] / counts[e - 1]);
                    beforePrevious.push_back(sums[e - 2][p] / counts[e - 2]);
                }
                balance = valuesOf(methods::MultiPath::dwaWeights(torch::tensor(previous),
                                                                  torch::tensor(beforePrevious), temperature));
            }
            sums[e].resize(fixed.size());
            for (size_t p = 0; p < fixed.size(); ++p) {
                QVERIFY2(relativeError(rows[p].weight, fixed[p] * balance[p]) < 1e-5,
                         (rows[p].path + " in epoch " + std::to_string(e)).c_str());
                sums[e][p] += rows[p].rawLoss;
            }
            ++counts[e];
        }
        const auto buffers = scene.method->named_buffers(false);
        for (const char* b : {"dwa_sums", "dwa_steps", "dwa_averages", "dwa_epochs"}) QVERIFY2(buffers.find(b), b);
    }

    // Rows only after a losses() call with collectDiagnostics, once; one per path, or per stage of the
    // "@stages" paths when layerwise, each weight exp(−α)·w.
    void diagnosticsRows() {
        const auto& c = goldenCase(golden(), "all_layerwise");
        auto scene = buildScene(c);
        const auto step = stepOf(scene, c["steps"][0]);
        QVERIFY(scene.method->diagnostics().empty());
        run(*scene.method, step);
        QVERIFY(scene.method->diagnostics().empty());
        run(*scene.method, step, true);
        const auto rows = scene.method->diagnostics().pathWeights;
        const std::vector<std::string> names = {"kd@logits",   "at@stage1",  "at@stage2",  "at@stage3",
                                                "nst@stage1", "nst@stage2", "nst@stage3", "fitnet@stage2"};
        QCOMPARE(rows.size(), names.size());
        const auto alphas = c["alphas"].get<std::vector<double>>();
        for (size_t u = 0; u < rows.size(); ++u) {
            QCOMPARE(QString::fromStdString(rows[u].path), QString::fromStdString(names[u]));
            QVERIFY(std::abs(rows[u].weight - std::exp(-float(alphas[u]))) < 1e-6);
            QVERIFY(rows[u].rawLoss > 0);
            QCOMPARE(rows[u].runId, int64_t(0));
            QCOMPARE(rows[u].step, int64_t(0));
        }
        QVERIFY(scene.method->diagnostics().empty());   // reported once
        QVERIFY(scene.method->weightedSpotNames() == names);

        auto plain = buildScene(goldenCase(golden(), "all_uncertainty"));
        run(*plain.method, stepOf(plain, goldenCase(golden(), "all_uncertainty")["steps"][0]), true);
        QCOMPARE(plain.method->diagnostics().pathWeights.size(), size_t(6));
    }

    void spots() {
        auto student = models::createModel("resnet8x4", 3, 10);   // stages 64/128/256
        auto teacher = models::createModel("wrn_40_2", 3, 10);    // stages 32/64/128
        const auto d = methods::createDistiller(
            multipathSpec({{"paths", {"kd", "at", "fitnet", "nst@stage3", "mean@stage1", "channel"}}}), teacher.get(),
            *student);
        std::vector<std::string> names;
        for (const auto& s : d->spots()) names.push_back(s.name);
        const std::vector<std::string> want = {"kd@logits",     "at@stage1",  "at@stage2",   "at@stage3",
                                               "fitnet@stage2", "nst@stage3", "mean@stage1", "channel@stage3"};
        QVERIFY(names == want);
        const auto all = d->spots();
        QCOMPARE(all[0].studentStage, methods::Spot::kLogits);
        QCOMPARE(all[4].studentStage, int64_t(1));
        QCOMPARE(all[4].teacherStage, int64_t(1));
        QVERIFY(all[1].connector.empty());
        for (size_t k = 4; k < all.size(); ++k) QVERIFY2(!all[k].connector.empty(), all[k].name.c_str());
        // Equal channel counts (256 = 256): the official adaptation is applied all the same.
        auto sameWidth = models::createModel("resnet32x4", 3, 10);
        const auto plain =
            methods::createDistiller(multipathSpec({{"paths", {"nst@stage3"}}}), sameWidth.get(), *student);
        QVERIFY(!plain->spots().at(0).connector.empty());
        QCOMPARE(plain->parameters().size(), size_t(4));   // α, the adaptation's conv weight, BN weight and bias
        // Logits-only paths need no features; a GradNorm weighting needs the stem.
        QVERIFY(!methods::createDistiller(multipathSpec({{"paths", {"kd", "logits_mse"}}}), teacher.get(), *student)
                     ->needsFeatures());
        QVERIFY(methods::createDistiller(multipathSpec({{"paths", {"kd"}}, {"weighting", "gradnorm"}}), teacher.get(),
                                         *student)
                    ->needsFeatures());
        QVERIFY(d->needsTeacher());
        QCOMPARE(QString::fromStdString(d->name()), QString("multipath"));
    }

    // Bad paths and weights fail at construction with a message naming the path, the problem and the forms.
    void badSpecs() {
        auto student = models::createModel("resnet8x4", 3, 10);
        auto teacher = models::createModel("resnet32x4", 3, 10);
        const auto message = [&](const json& params) {
            return invalidArgumentMessage(
                [&] { methods::createDistiller(multipathSpec(params), teacher.get(), *student); });
        };
        struct Bad {
            json params;
            std::vector<std::string> mentions;
        };
        const std::vector<Bad> bad = {
            {{{"paths", {"kd@stage1"}}}, {"\"kd@stage1\"", "only spot is logits", "valid forms"}},
            {{{"paths", {"at@logits"}}}, {"\"at@logits\"", "stages or stageN", "valid forms"}},
            {{{"paths", {"at@stage4"}}}, {"\"at@stage4\"", "out of range", "3 stages", "valid forms"}},
            {{{"paths", {"at@stage0"}}}, {"\"at@stage0\"", "out of range"}},
            {{{"paths", {"nst@layer3"}}}, {"\"nst@layer3\"", "unknown spot \"layer3\"", "valid forms"}},
            {{{"paths", {"at@stage"}}}, {"unknown spot \"stage\""}},
            {{{"paths", {"foo@logits"}}}, {"\"foo@logits\"", "unknown loss \"foo\"", "valid forms"}},
            {{{"paths", {"at", "at@stages"}}}, {"at@stages", "listed twice"}},
            {{{"paths", {"softmax_regression@stage2"}}},
             {"\"softmax_regression@stage2\"", "teacher's classifier", "only spot is stage3", "valid forms"}},
            {{{"paths", {"softmax_regression@stages"}}}, {"only spot is stage3"}},
            {{{"paths", {"softmax_regression@logits"}}}, {"stages or stageN"}},
            {{{"paths", {"kd", "at"}}, {"weighting", "fixed"}, {"weights", {1, 2, 3}}}, {"3 weights for 2 paths"}},
            {{{"paths", {"kd", "at"}}, {"weighting", "equal"}, {"weights", {1, 2}}}, {"equal", "2 were given"}},
        };
        for (const auto& b : bad) {
            const std::string text = message(b.params);
            for (const auto& m : b.mentions)
                QVERIFY2(text.find(m) != std::string::npos,
                         (b.params.dump() + " → \"" + text + "\" lacks " + m).c_str());
        }
        QVERIFY(!invalidArgumentMessage([&] {
                     methods::createDistiller(multipathSpec(json::object()), nullptr, *student);
                 }).empty());
        // The defaults build: kd@logits and at@stages with the uncertainty weighting.
        const auto d = std::dynamic_pointer_cast<methods::MultiPath>(
            methods::createDistiller(multipathSpec(json::object()), teacher.get(), *student));
        QVERIFY(d && d->weighting() == methods::MultiPath::Weighting::Uncertainty);
        QCOMPARE(d->alphas().numel(), int64_t(2));
        // Paths with default spots on a 4-stage student.
        const auto plan = methods::planPath("fitnet", 4, 3);
        QCOMPARE(QString::fromStdString(plan.name), QString("fitnet@stage2"));
        QVERIFY(plan.pairs == (std::vector<std::pair<int64_t, int64_t>>{{1, 1}}));
        QCOMPARE(QString::fromStdString(methods::planPath("mean", 4, 3).name), QString("mean@stage4"));
        const auto regression = methods::planPath("softmax_regression", 4, 3);
        QCOMPARE(QString::fromStdString(regression.name), QString("softmax_regression@stage4"));
        QVERIFY(regression.pairs == (std::vector<std::pair<int64_t, int64_t>>{{3, 2}}));
        QVERIFY(methods::planPath("at", 4, 3).pairs ==
                (std::vector<std::pair<int64_t, int64_t>>{{0, 0}, {2, 1}, {3, 2}}));
        QVERIFY(methods::planPath("kd", 0, 0).pairs.empty());
        QVERIFY(!invalidArgumentMessage([] { methods::planPath("at", 3, 0); }).empty());
    }

    // The engine's checkpoint carries the weighting state (buffers, α) and the path modules, empty ones
    // (kd@logits, at@stages) included: a restored method continues exactly where the saved one stopped.
    void checkpointRoundTrip() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.filePath("last.pt").toStdString();
        auto teacher = models::createModel("resnet20", 1, 10);
        auto student = models::createModel("resnet8", 1, 10);
        const auto images = torch::randn({2, 1, 28, 28});
        const auto labels = torch::tensor(std::vector<int64_t>{3, 7});
        models::FeatureSet tf;
        {
            torch::NoGradGuard noGrad;
            tf = teacher->forwardFeatures(images);
        }
        // The student sees other images each epoch, so each epoch's mean losses differ (DWA's ratios).
        const auto epochImages = torch::randn({4, 2, 1, 28, 28});
        const auto lossesAt = [&](methods::Distiller& d, int64_t epoch) {
            const auto sf = student->forwardFeatures(epochImages[epoch]);
            return byName(d.losses({sf, &tf, labels, 0, epoch, {}}));
        };
        for (const char* weighting : {"dwa", "gradnorm", "uncertainty_layerwise"}) {
            const json params = {{"paths", {"kd", "at", "nst", "mean", "fitnet"}}, {"weighting", weighting}};
            auto saved = methods::createDistiller(multipathSpec(params), teacher.get(), *student);
            for (int64_t epoch : {0, 1, 2}) lossesAt(*saved, epoch);
            if (std::string(weighting) == "uncertainty_layerwise") {
                torch::NoGradGuard noGrad;
                std::dynamic_pointer_cast<methods::MultiPath>(saved)->alphas().uniform_(-1, 1);
            }
            auto generator = at::make_generator<at::CPUGeneratorImpl>(1);
            engine::LogWindow window;
            torch::optim::SGD savedOptimizer(saved->parameters(), torch::optim::SGDOptions(0.1));
            engine::saveCheckpoint(path, {*student, *saved, savedOptimizer, nullptr, generator, window}, {});

            auto restored = methods::createDistiller(multipathSpec(params), teacher.get(), *student);
            torch::optim::SGD restoredOptimizer(restored->parameters(), torch::optim::SGDOptions(0.1));
            engine::loadCheckpoint(path, {*student, *restored, restoredOptimizer, nullptr, generator, window},
                                   torch::kCPU);
            auto fresh = methods::createDistiller(multipathSpec(params), teacher.get(), *student);
            const auto want = lossesAt(*saved, 3);
            const auto got = lossesAt(*restored, 3);
            const auto unrestored = lossesAt(*fresh, 3);
            for (const auto& [name, value] : want) {
                QVERIFY2(relativeError(got.at(name).item<double>(), value.item<double>()) < 1e-6,
                         (std::string(weighting) + " " + name).c_str());
                // Without the checkpoint every path's term differs (the weighting state, or the modules).
                if (name != "ce")
                    QVERIFY2(relativeError(unrestored.at(name).item<double>(), value.item<double>()) > 1e-4,
                             (std::string(weighting) + " " + name + " does not depend on the restored state").c_str());
            }
        }
    }

    // The official always-on adaptation (kd_image.py:74-83, 155-160): at equal widths too, one module per
    // student stage shared by nst, mean and softmax_regression (at reads the raw map), trained by the
    // student's optimiser; softmax_regression is the teacher's classifier on the adapted, pooled map.
    void adaptationSharedAlwaysOnAndTrained() {
        const ZooPair pair = makeZooPair("resnet32x4", "resnet8x4", 3, /*frozen=*/true);   // 64/128/256 both
        const auto& [t, s, size, images, labels, tf] = pair;
        const auto d = std::dynamic_pointer_cast<methods::MultiPath>(methods::createDistiller(
            multipathSpec({{"paths", {"nst@stages", "mean", "softmax_regression", "at"}}}), t.get(), *s));
        QVERIFY(d);
        QStringList names;
        for (const auto& p : d->named_parameters()) names << QString::fromStdString(p.key());
        QStringList want{"alphas"};   // the method's own parameter, then its modules'
        for (int stage = 1; stage <= 3; ++stage)
            for (const char* tensor : {"conv.weight", "bn.weight", "bn.bias"})
                want << QString("adaptation.stage%1.%2").arg(stage).arg(tensor);
        QCOMPARE(names, want);
        const auto& paths = d->paths();
        QVERIFY(paths[0]->projection(2).get() == paths[1]->projection(0).get());   // nst@stage3, mean@stage3
        QVERIFY(paths[1]->projection(0).get() == paths[2]->projection(0).get());   // … and softmax_regression
        QVERIFY(!paths[3]->projection(0));                                          // at: raw features
        QVERIFY(QString::fromStdString(d->spots().at(2).connector).contains("shared"));

        std::map<std::string, torch::Tensor> before;
        for (const auto& p : d->named_parameters()) before[p.key()] = p.value().detach().clone();
        torch::optim::SGD sgd(d->studentParameters(), torch::optim::SGDOptions(0.1));
        const auto sf = s->forwardFeatures(images);
        const auto terms = byName(d->losses({sf, &tf, labels, 0, 0, {}}));
        // α = 0, λ = 1: the term is the loss, MSE(teacher classifier(pool(adapt(last stage))), teacher logits).
        const auto adapted = paths[2]->projection(0)->forward(sf.stages[2]);
        const auto wantRegression = torch::mse_loss(t->classify(adapted.mean({2, 3})), tf.logits);
        QVERIFY(torch::allclose(terms.at("path/softmax_regression@stage3"), wantRegression));
        torch::Tensor total = terms.at("ce");
        for (const auto& [name, value] : terms)
            if (name != "ce") total = total + value;
        sgd.zero_grad();
        total.backward();
        sgd.step();
        for (const auto& p : d->named_parameters()) {
            if (p.key() == "alphas") continue;
            QVERIFY2(p.value().grad().defined() && p.value().grad().abs().sum().item<double>() > 0, p.key().c_str());
            // NST compares L2-normalised channels, blind to a channel's scale: stages 1-2 (NST only) leave
            // their BN weight where it was; every other tensor moves.
            if (p.key() == "adaptation.stage1.bn.weight" || p.key() == "adaptation.stage2.bn.weight") continue;
            QVERIFY2(!p.value().equal(before[p.key()]), p.key().c_str());
        }
        for (const auto& p : t->parameters()) QVERIFY(!p.grad().defined());
    }

    // The diagnostics' gradient measure on constructed terms: a term whose gradient is CE's negated has
    // cosine −1, a scaled copy +1 with the scaled norm, an orthogonal one 0, one that does not reach
    // the layer norm 0; the graphs survive for the step's own backward.
    void gradientAlignmentOnConstructedTerms() {
        const auto x = torch::randn({3, 4}).requires_grad_(true);
        const auto v = torch::randn({3, 4});
        auto w = torch::randn({3, 4});
        w = w - (w * v).sum() / (v * v).sum() * v;
        const auto ce = (x * v).sum();
        const std::vector<torch::Tensor> terms = {ce, -(x * v).sum(), 3 * (x * v).sum(), (x * w).sum(),
                                                  torch::tensor(2.0)};
        const auto g = methods::MultiPath::gradientAlignment(terms, x);
        QCOMPARE(g.sizes().vec(), (std::vector<int64_t>{2, 5}));
        const auto norms = valuesOf(g[0]), cosines = valuesOf(g[1]);
        const double nv = v.norm().item<double>(), nw = w.norm().item<double>();
        const std::vector<double> wantNorms = {nv, nv, 3 * nv, nw, 0}, wantCosines = {1, -1, 1, 0, 0};
        for (size_t k = 0; k < terms.size(); ++k) {
            QVERIFY2(std::abs(norms[k] - wantNorms[k]) < 1e-5 * std::max(1.0, wantNorms[k]), std::to_string(k).c_str());
            QVERIFY2(std::abs(cosines[k] - wantCosines[k]) < 1e-5, std::to_string(cosines[k]).c_str());
        }
        (terms[1] + terms[2]).backward();   // retained
        QVERIFY(x.grad().defined());
    }

    // On a real pair: raw α per path, and at the student's stem convolution weight each term's gradient
    // norm and each path's cosine with CE, equal to autograd's; nothing of it on ordinary steps.
    void gradientDiagnosticsOfTheMethod() {
        const ZooPair pair = makeZooPair("resnet20", "resnet8", 1, /*frozen=*/true);
        const auto& [t, s, size, images, labels, tf] = pair;
        const std::vector<std::string> pathNames = {"kd@logits", "at@stages", "softmax_regression@stage3"};
        const auto d = std::dynamic_pointer_cast<methods::MultiPath>(methods::createDistiller(
            multipathSpec({{"paths", {"kd", "at", "softmax_regression"}}, {"distill_weight", 2.0}}), t.get(), *s));
        const std::vector<double> alphas = {0.3, -0.2, 0.5};
        {
            torch::NoGradGuard noGrad;
            d->alphas().copy_(torch::tensor(alphas).to(torch::kFloat));
        }
        const auto sf = s->forwardFeatures(images);
        d->losses({sf, &tf, labels, 0, 0, {}});
        QVERIFY(d->diagnostics().scalars.empty());
        methods::StepInputs inputs{sf, &tf, labels, 0, 0, {}};
        inputs.collectDiagnostics = true;
        const auto terms = d->losses(inputs);
        std::map<std::string, double> scalars;
        for (const auto& sc : d->diagnostics().scalars) scalars[sc.key] = sc.value;
        QCOMPARE(scalars.size(), size_t(3 + 1 + 2 * 3));

        const auto probe = s->named_parameters()["conv1.weight"];
        std::vector<torch::Tensor> grads;
        for (const auto& term : terms)
            grads.push_back(torch::autograd::grad({term.value}, {probe}, {}, true)[0].flatten().to(torch::kDouble));
        std::vector<std::string> keys = {"multipath/grad_norm/ce"};
        for (const auto& path : pathNames)
            for (const char* what : {"alpha/", "grad_norm/", "grad_cos_ce/"}) keys.push_back("multipath/" + (what + path));
        for (const auto& key : keys) QVERIFY2(scalars.count(key), ("missing " + key).c_str());
        const auto has = [&](const std::string& key) { return scalars.at(key); };
        const auto near = [](double got, double want) {
            return std::abs(got - want) <= 1e-4 * std::max(1.0, std::abs(want));
        };
        QVERIFY(near(has("multipath/grad_norm/ce"), grads[0].norm().item<double>()));
        for (size_t p = 0; p < pathNames.size(); ++p) {
            const auto& path = pathNames[p];
            QVERIFY2(near(has("multipath/alpha/" + path), float(alphas[p])), path.c_str());
            const auto& g = grads[p + 1];
            QVERIFY2(g.norm().item<double>() > 0, path.c_str());
            QVERIFY2(near(has("multipath/grad_norm/" + path), g.norm().item<double>()), path.c_str());
            const double cosine = (g.dot(grads[0]) / (g.norm() * grads[0].norm())).item<double>();
            QVERIFY2(near(has("multipath/grad_cos_ce/" + path), cosine),
                     (path + " " + std::to_string(scalars["multipath/grad_cos_ce/" + path]) + " vs " +
                      std::to_string(cosine))
                         .c_str());
        }
        QVERIFY(d->diagnostics().scalars.empty());   // reported once
    }

    void zooPairs_data() {
        QTest::addColumn<QString>("teacher");
        QTest::addColumn<QString>("student");
        QTest::addColumn<int>("channels");
        QTest::newRow("resnet20->resnet8 1x28x28") << QString("resnet20") << QString("resnet8") << 1;
        QTest::newRow("resnet32x4->resnet8x4 3x32x32") << QString("resnet32x4") << QString("resnet8x4") << 3;
        QTest::newRow("wrn_40_2->shufflenetv1 3x32x32") << QString("wrn_40_2") << QString("shufflenetv1") << 3;
    }

    // Every path on real features, under every weighting: forward and backward, finite, gradients in the
    // student and never in the teacher.
    void zooPairs() {
        QFETCH(QString, teacher);
        QFETCH(QString, student);
        QFETCH(int, channels);
        const ZooPair pair = makeZooPair(teacher, student, channels);
        const auto& [t, s, size, images, labels, tf] = pair;
        const json paths = {"kd", "logits_mse", "at", "nst", "fitnet", "channel", "mean"};
        for (const char* weighting : {"equal", "fixed", "uncertainty", "uncertainty_layerwise", "gradnorm", "dwa"}) {
            json params = {{"paths", paths}, {"weighting", weighting}};
            if (std::string(weighting) != "equal") params["weights"] = {0.1, 0.1, 1000, 10, 1, 0.01, 1};
            auto d = methods::createDistiller(multipathSpec(params), t.get(), *s);
            s->zero_grad();
            const auto sf = s->forwardFeatures(images);
            const auto terms = d->losses({sf, &tf, labels, 0, 0, {}});
            QCOMPARE(terms.size(), size_t(1 + paths.size()));
            const auto total = sumOf(terms);
            QVERIFY2(std::isfinite(total.item<double>()), weighting);
            total.backward();
            bool anyGrad = false;
            for (const auto& p : s->parameters())
                if (p.grad().defined()) {
                    QVERIFY2(torch::isfinite(p.grad()).all().item<bool>(), weighting);
                    anyGrad = true;
                }
            QVERIFY2(anyGrad, weighting);
            for (const auto& p : t->parameters()) QVERIFY(!p.grad().defined());
        }
    }
};

QTEST_APPLESS_MAIN(TestMultiPath)
#include "test_multipath.moc"
