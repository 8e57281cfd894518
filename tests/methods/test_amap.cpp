// amap (activation-map adaptation): loss terms and diagnostic scalars against golden values from an
// independent Python reference (tests/fixtures/golden_amap.py → tests/fixtures/golden/amap.json, which
// also holds a tiny staged teacher's weights): the warm-up and beta ramp, the attention and feature
// hints, several blocks replaced jointly; where the gradients go; the factory's checks; and forward +
// backward on pairs of zoo models.
#include <QtTest>

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "GoldenFixture.h"
#include "SeedFeatureFixture.h"
#include "methods/ActivationMapAdaptation.h"
#include "models/ModelRegistry.h"
#include "spec/FieldError.h"
#include "spec/RunSpec.h"

using namespace distillery;
using nlohmann::json;

namespace {
namespace nn = torch::nn;

using seedfixture::byName;
using seedfixture::hasGradient;
using seedfixture::relativeError;

const json& golden() {
    static const json data = readGoldenFixture("amap.json", "golden_amap.py");
    return data;
}

// A golden case as the method sees it: amap built by createDistiller from the case's parameters on the
// case's run length, with the fixture's module weights; the teacher's features from running it.
struct Built : seedfixture::Built {
    std::shared_ptr<methods::ActivationMapAdaptation> amap;
    int64_t step = 0;
};

// The teacher's features always require grad, on purpose: amap must not send any gradient into them.
Built build(const json& c, bool studentGrad = false) {
    Built b;
    static_cast<seedfixture::Built&>(b) =
        seedfixture::build(c, studentGrad, golden(), "amap", c["total_steps"].get<int64_t>());
    b.amap = std::dynamic_pointer_cast<methods::ActivationMapAdaptation>(b.method);
    if (!b.amap) throw std::runtime_error("createDistiller(amap) built something else");
    b.step = c["step"].get<int64_t>();
    return b;
}

std::map<std::string, torch::Tensor> lossesAt(Built& b, int64_t step, bool collectDiagnostics = false) {
    methods::StepInputs inputs{b.studentFeatures, &b.teacherFeatures, b.labels, step, 0, {}};
    inputs.collectDiagnostics = collectDiagnostics;
    return byName(b.amap->losses(inputs));
}

std::map<std::string, double> scalarsOf(const methods::Diagnostics& d) {
    std::map<std::string, double> out;
    for (const auto& s : d.scalars)
        out[s.key] = s.value;
    return out;
}

bool noGradient(const torch::Tensor& t) {
    return !t.grad().defined() || t.grad().abs().sum().item<double>() == 0;
}

// The parameters of the adaptive modules and of the connectors, apart.
std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> moduleParameters(
    const methods::ActivationMapAdaptation& amap) {
    std::vector<torch::Tensor> adapters, connectors;
    for (size_t i = 0; i < amap.replacementCount(); ++i) {
        for (const auto& p : amap.adapter(i)->parameters())
            adapters.push_back(p);
        if (amap.connector(i))
            for (const auto& p : amap.connector(i)->parameters())
                connectors.push_back(p);
    }
    return {adapters, connectors};
}
}  // namespace

class TestAmap : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::manual_seed(0); }

    void goldenLosses_data() { addGoldenCaseRows(golden()); }

    // Each loss term and each diagnostic scalar equals the Python reference (losses within 1e-5
    // relative; accuracies exactly), and amap writes no table rows: its cosines are scalars now.
    void goldenLosses() {
        QFETCH(QString, name);
        const auto& c = goldenCase(golden(), name.toStdString());
        auto b = build(c);
        QCOMPARE(b.amap->replacementCount(), c["pairs"].size());
        for (size_t i = 0; i < c["pairs"].size(); ++i) {
            QCOMPARE(b.amap->studentStage(i), c["pairs"][i][0].get<int64_t>());
            QCOMPARE(b.amap->teacherStage(i), c["pairs"][i][1].get<int64_t>());
        }
        const auto terms = lossesAt(b, b.step, /*collectDiagnostics=*/true);
        const auto& expected = c["expected"];
        QCOMPARE(terms.size(), expected.size());
        for (const auto& [term, value] : expected.items()) {
            QVERIFY2(terms.count(term), ("missing term " + term).c_str());
            const double got = terms.at(term).item<double>(), want = value.get<double>();
            qInfo("%s %s: C++ %.10g  Python %.10g", qPrintable(name), term.c_str(), got, want);
            if (want == 0)
                QCOMPARE(got, 0.0);
            else
                QVERIFY2(relativeError(got, want) < 1e-5,
                         (term + ": " + std::to_string(got) + " vs " + std::to_string(want)).c_str());
        }

        const auto diagnostics = b.amap->diagnostics();
        QVERIFY(diagnostics.pathWeights.empty());
        QVERIFY(diagnostics.gates.empty() && diagnostics.channelStats.empty() && diagnostics.gateClasses.empty());
        const auto scalars = scalarsOf(diagnostics);
        const auto& want = c["expected_scalars"];
        QCOMPARE(scalars.size(), want.size());
        for (const auto& [key, value] : want.items()) {
            QVERIFY2(scalars.count(key), ("missing scalar " + key).c_str());
            const double got = scalars.at(key), w = value.get<double>();
            const bool percent = key == "amap/hybrid_acc" || key == "amap/hybrid_agreement" || key == "amap/beta";
            QVERIFY2(percent ? std::abs(got - w) < 1e-9 : relativeError(got, w, 1e-3) < 1e-5,
                     (key + ": " + std::to_string(got) + " vs " + std::to_string(w)).c_str());
        }
    }

    // The hint weight follows the schedule: 0 through the warm-up (the "feat" term a constant 0 that
    // sends no gradient), then a linear ramp to beta; the Python reference gives beta and feat per step.
    void warmupAndRamp() {
        for (const char* name : {"amap_warmup", "amap_warmup_no_ramp"}) {
            const auto& c = goldenCase(golden(), name);
            QVERIFY(!c["schedule"].empty());
            for (const auto& row : c["schedule"]) {
                const auto step = row[0].get<int64_t>();
                const double beta = row[1].get<double>(), feat = row[2].get<double>();
                auto b = build(c, /*studentGrad=*/true);
                QVERIFY2(std::abs(b.amap->betaAt(step) - beta) < 1e-9,
                         qPrintable(QString("%1 step %2: beta %3, want %4")
                                        .arg(name)
                                        .arg(step)
                                        .arg(b.amap->betaAt(step))
                                        .arg(beta)));
                const auto terms = lossesAt(b, step);
                const auto& f = terms.at("feat");
                if (beta == 0) {
                    QCOMPARE(f.item<double>(), 0.0);
                    QVERIFY2(!f.requires_grad(), "the warm-up's hint term must send no gradient");
                } else {
                    QVERIFY(relativeError(f.item<double>(), feat) < 1e-5);
                    f.backward();
                    QVERIFY(hasGradient(b.studentFeatures.stages.back()));
                }
                // The modules train through the warm-up: the hybrid term is there at every step.
                QVERIFY(terms.at("hybrid").requires_grad() && terms.at("hybrid").item<double>() > 0);
            }
        }
        // The defaults on 1000 steps: 50 warm-up steps, a 100-step ramp.
        const auto b = build(goldenCase(golden(), "amap_warmup"));
        QCOMPARE(b.amap->options().warmupSteps, int64_t(50));
        QCOMPARE(b.amap->options().rampSteps, int64_t(100));
        QCOMPARE(b.amap->betaAt(49), 0.0);
        QCOMPARE(b.amap->betaAt(99), 500.0);
        QCOMPARE(b.amap->betaAt(100000), 1000.0);
    }

    // The hybrid term trains every module and nothing else (not the student, the connectors or the
    // teacher); the hint trains the student and the connectors, never the modules (their output is a
    // detached target) nor the teacher.
    void gradients() {
        for (const char* name :
             {"amap_stem", "amap_middle", "amap_last", "amap_joint", "amap_feature_strided", "amap_joint_feature"}) {
            auto b = build(goldenCase(golden(), name), true);
            const auto [adapters, connectors] = moduleParameters(*b.amap);
            QVERIFY(!adapters.empty());
            const auto terms = lossesAt(b, b.step);
            terms.at("hybrid").backward({}, /*retain_graph=*/true);
            for (const auto& p : adapters)
                QVERIFY2(hasGradient(p), name);
            for (const auto& p : connectors)
                QVERIFY2(noGradient(p), name);
            for (const auto& f : b.studentFeatures.stages)
                QVERIFY(!f.grad().defined());
            QVERIFY(!b.teacherFeatures.stem.grad().defined());
            for (const auto& t : b.teacherFeatures.stages)
                QVERIFY(!t.grad().defined());
            for (const auto& p : b.teacher->parameters())
                QVERIFY(!p.grad().defined());

            b.amap->zero_grad();
            terms.at("feat").backward();
            for (size_t i = 0; i < b.amap->replacementCount(); ++i)
                QVERIFY2(hasGradient(b.studentFeatures.stages[size_t(b.amap->studentStage(i))]), name);
            for (const auto& p : adapters)
                QVERIFY2(noGradient(p), name);
            // (A connector's conv bias gets a gradient of ~0: its BN removes the mean.)
            for (const auto& p : connectors)
                QVERIFY2(p.grad().defined(), name);
            if (!connectors.empty()) QVERIFY2(hasGradient(connectors.front()), name);
            for (const auto& t : b.teacherFeatures.stages)
                QVERIFY(!t.grad().defined());
        }
    }

    // Several blocks: one module per replaced teacher stage, replaced jointly: the second module reads
    // the hybrid's own stream, so its output changes with the first module's weights; the hint losses
    // are summed (feat = beta · Σ_k amap/loss/<spot>).
    void severalBlocksJointly() {
        const auto& c = goldenCase(golden(), "amap_joint_feature");
        auto b = build(c);
        QCOMPARE(b.amap->replacementCount(), size_t(2));
        QVERIFY(b.amap->adapter(0).get() != b.amap->adapter(1).get());
        QCOMPARE(b.amap->adapter(1)->conv1->weight.size(1),
                 int64_t(8));  // reads teacher stage 1's shape (M_1's output)
        QVERIFY(b.amap->connector(0) && b.amap->connector(1));
        QCOMPARE(int(b.amap->connector(0)->kind()), int(methods::ConnectorImpl::Kind::Strided));
        QCOMPARE(int(b.amap->connector(1)->kind()), int(methods::ConnectorImpl::Kind::Pointwise));
        const auto spots = b.amap->spots();
        QCOMPARE(spots.size(), size_t(2));
        QCOMPARE(QString::fromStdString(spots[0].name), QString("stage 2"));
        QCOMPARE(QString::fromStdString(spots[1].name), QString("stage 3"));

        const auto terms = lossesAt(b, b.step, true);
        const auto scalars = scalarsOf(b.amap->diagnostics());
        const double sum = scalars.at("amap/loss/stage 2") + scalars.at("amap/loss/stage 3");
        QVERIFY(relativeError(terms.at("feat").item<double>(), 1000 * sum) < 1e-6);

        // Joint: perturbing M_1 changes the target of M_2 (one hybrid per stage would not).
        const double before = scalars.at("amap/loss/stage 3");
        {
            torch::NoGradGuard noGrad;
            b.amap->adapter(0)->conv2->weight.mul_(-1);
        }
        lossesAt(b, b.step, true);
        const double after = scalarsOf(b.amap->diagnostics()).at("amap/loss/stage 3");
        qInfo("stage 3 hint loss %.6g, with M_1 flipped %.6g", before, after);
        QVERIFY(relativeError(after, before) > 1e-3);
    }

    // Diagnostics are computed only for a losses() call that asks for them.
    void diagnosticsOnlyWhenCollected() {
        for (const auto& c : golden()["cases"]) {
            auto b = build(c);
            lossesAt(b, b.step, true);
            QVERIFY(!b.amap->diagnostics().empty());
            lossesAt(b, b.step, false);
            QVERIFY2(b.amap->diagnostics().empty(), c["name"].get<std::string>().c_str());
        }
    }

    // The factory pairs stages by relative depth, sizes the modules, measures the stem for stage 0
    // without touching the teacher, and rejects stages the nets cannot honour with a field error.
    void factory() {
        auto teacher = models::createModel("resnet50", 3, 10);   // 4 stages: 256, 512, 1024, 2048 channels
        auto student = models::createModel("resnet8x4", 3, 10);  // 3 stages: 64, 128, 256
        const methods::DistillerContext context{0, 3, 32, 32};
        auto create = [&](const json& params) {
            return std::dynamic_pointer_cast<methods::ActivationMapAdaptation>(
                methods::createDistiller(methodSpec("amap", params), teacher.get(), *student, context));
        };
        auto amap = create(json::object());
        QCOMPARE(amap->replacementCount(), size_t(1));
        QCOMPARE(amap->studentStage(), int64_t(2));
        QCOMPARE(amap->teacherStage(), int64_t(3));
        QCOMPARE(amap->adapter()->conv1->weight.size(1), int64_t(1024));  // reads teacher stage 2
        QCOMPARE(amap->adapter()->conv1->weight.size(0), int64_t(256));   // at the student's width
        QCOMPARE(amap->adapter()->stride(), int64_t(2));                  // resnet50's stages 2, 3: stride 16, 32
        QVERIFY(!amap->connector());                                      // hint=attention needs none
        // Stage 0: M reads resnet50's stem (64 channels, stride 4), measured without touching the teacher.
        teacher->train();
        auto stem = create({{"stage", 0}});
        QVERIFY(teacher->is_training());
        QCOMPARE(stem->teacherStage(), int64_t(0));
        QCOMPARE(stem->adapter()->conv1->weight.size(1), int64_t(64));
        QCOMPARE(stem->adapter()->stride(), int64_t(1));
        // Every student stage: teacher stages 0, 2, 3 (relative depth); one module each.
        auto all = create({{"stages", {2, 0, 1}}, {"hint", "feature"}});
        QCOMPARE(all->replacementCount(), size_t(3));
        QCOMPARE(all->teacherStage(0), int64_t(0));
        QCOMPARE(all->teacherStage(1), int64_t(2));
        QCOMPARE(all->teacherStage(2), int64_t(3));
        QCOMPARE(all->adapter(1)->conv1->weight.size(1), int64_t(512));    // teacher stage 1's output
        QCOMPARE(all->connector(2)->conv->weight.size(0), int64_t(2048));  // 256 → 2048 channels
        QCOMPARE(all->spots().size(), size_t(3));

        const auto fieldOf = [&](const json& params) -> std::string {
            try {
                create(params);
            } catch (const spec::FieldError& e) {
                qInfo("%s", e.what());
                return e.path();
            }
            return "";
        };
        QCOMPARE(QString::fromStdString(fieldOf({{"stage", 3}})), QString("method.stage"));
        QCOMPARE(QString::fromStdString(fieldOf({{"stages", {0, 3}}})), QString("method.stages"));
        QCOMPARE(QString::fromStdString(fieldOf({{"stages", {1, 1}}})), QString("method.stages"));
        QCOMPARE(QString::fromStdString(fieldOf({{"stages", {0.5}}})), QString("method.stages"));
        QCOMPARE(QString::fromStdString(fieldOf({{"stages", {1}}, {"stage", 1}})), QString("method.stages"));
        // A student with more stages than its teacher: two student stages pair with one teacher stage.
        auto deep = models::createModel("mobilenetv2", 3, 10);
        auto shallow = models::createModel("resnet20", 3, 10);
        QVERIFY(deep->numStages() > shallow->numStages());
        int64_t s = 0;
        while (methods::stageAtDepth(s, deep->numStages(), shallow->numStages()) !=
               methods::stageAtDepth(s + 1, deep->numStages(), shallow->numStages()))
            ++s;
        QVERIFY_EXCEPTION_THROWN(
            methods::createDistiller(methodSpec("amap", {{"stages", {s, s + 1}}}), shallow.get(), *deep, context),
            spec::FieldError);
        QVERIFY_EXCEPTION_THROWN(methods::createDistiller(methodSpec("amap"), nullptr, *student, context),
                                 std::invalid_argument);
    }

    // In a bf16 run the hybrid teacher computes in bf16: its term differs from float32's by bf16's
    // rounding, no more, and stays a float32 loss.
    void hybridFollowsTheRunsPrecision() {
        const ZooPair pair = makeZooPair("resnet20", "resnet8", 1, /*frozen=*/true);
        const auto& [t, s, size, images, labels, tf] = pair;
        const auto sf = s->forwardFeatures(images);
        const auto hybridIn = [&](at::ScalarType type) {
            methods::DistillerContext context{0, 1, size, size};
            context.forwardType = type;
            torch::manual_seed(3);  // the same modules in both precisions
            auto d = methods::createDistiller(methodSpec("amap", {{"stages", {0, 2}}}), t.get(), *s, context);
            const methods::StepInputs inputs{sf, &tf, labels, 0, 0, {}};
            return byName(d->losses(inputs)).at("hybrid");
        };
        const auto bf16Term = hybridIn(at::kBFloat16);
        QCOMPARE(bf16Term.scalar_type(), at::kFloat);
        const double fp32 = hybridIn(at::kFloat).item<double>(), bf16 = bf16Term.item<double>();
        qInfo("hybrid: fp32 %.9g, bf16 %.9g", fp32, bf16);
        QVERIFY(fp32 != bf16);
        QVERIFY(std::abs(bf16 - fp32) < 0.05 * std::abs(fp32) + 1e-3);
    }

    void zooPairs_data() { addZooPairRows(); }

    // From its defaults and with the options that change its modules, amap runs forward and backward
    // on real features (mismatched channels, strides and stage counts); the teacher is frozen and in
    // eval mode, as the trainer holds it. Its diagnostics are scalars in range and no table rows.
    void zooPairs() {
        QFETCH(QString, teacher);
        QFETCH(QString, student);
        QFETCH(int, channels);
        const ZooPair pair = makeZooPair(teacher, student, channels, /*frozen=*/true);
        const auto& [t, s, size, images, labels, tf] = pair;
        const methods::DistillerContext context{0, channels, size, size};
        const int64_t last = s->numStages() - 1;
        const std::vector<json> configs = {
            {{"kd_alpha", 0.5}}, {{"stage", 0}}, {{"stages", {0, last}}}, {{"stages", {0, last}}, {"hint", "feature"}}};
        for (const auto& params : configs) {
            const std::string what = params.dump();
            auto d = std::dynamic_pointer_cast<methods::ActivationMapAdaptation>(
                methods::createDistiller(methodSpec("amap", params), t.get(), *s, context));
            s->zero_grad();
            const auto sf = s->forwardFeatures(images);
            methods::StepInputs inputs{sf, &tf, labels, 0, 0, {}};
            inputs.collectDiagnostics = true;
            const auto terms = d->losses(inputs);
            at::Tensor total;
            for (const auto& term : terms) {
                QVERIFY2(term.value.dim() == 0 && std::isfinite(term.value.item<double>()),
                         (what + " " + term.name).c_str());
                total = total.defined() ? total + term.value : term.value;
            }
            QVERIFY2(byName(terms).count("feat") && byName(terms).count("ce") && byName(terms).count("hybrid"),
                     what.c_str());
            total.backward();
            bool studentGrad = false;
            for (const auto& p : s->parameters())
                if (p.grad().defined()) {
                    QVERIFY2(torch::isfinite(p.grad()).all().item<bool>(), what.c_str());
                    studentGrad = true;
                }
            QVERIFY2(studentGrad, what.c_str());
            for (const auto& p : d->parameters())
                QVERIFY2(p.grad().defined(), what.c_str());
            for (const auto& p : t->parameters())
                QVERIFY(!p.grad().defined());

            const auto diagnostics = d->diagnostics();
            QVERIFY(diagnostics.pathWeights.empty());
            const auto scalars = scalarsOf(diagnostics);
            QCOMPARE(scalars.size(), 3 + 4 * d->replacementCount());
            for (const char* key : {"amap/hybrid_acc", "amap/hybrid_agreement"})
                QVERIFY2(scalars.at(key) >= 0 && scalars.at(key) <= 100, key);
            QCOMPARE(scalars.at("amap/beta"), 1000.0);
            for (const auto& spot : d->spots()) {
                if (spot.studentStage < 0) continue;  // the KD term's logits
                QVERIFY(scalars.at("amap/loss/" + spot.name) >= 0);
                for (const char* pairName : {"teacher-student", "adapted-student", "teacher-adapted"}) {
                    const double cosine = scalars.at("amap/map_cosine/" + spot.name + "/" + pairName);
                    // Attention maps are non-negative: their cosine lies in [0, 1].
                    QVERIFY2(cosine >= -1e-6 && cosine <= 1 + 1e-6, (what + " " + pairName).c_str());
                }
            }
        }
    }
};

QTEST_APPLESS_MAIN(TestAmap)
#include "test_amap.moc"
