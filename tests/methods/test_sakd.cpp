// sakd: its two losses and the agent's gradient on the policy against golden values from an
// independent Python reference after the official train.py and gs.py (tests/fixtures/golden_sakd.py →
// golden/sakd.json), and the properties that pin its learning signal: the graft forward, the open rate
// as σ(margin), independent seed streams, the prior per pair and its fading, a hurting spot closed
// end to end, the reverse ablation, the agent's step and the diagnostics.
#include <QtTest>

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "GoldenFixture.h"
#include "methods/AttentionTransfer.h"
#include "methods/Connector.h"
#include "methods/RelationalKd.h"
#include "methods/SpotAdaptive.h"
#include "models/Autocast.h"
#include "models/ModelRegistry.h"
#include "spec/RunSpec.h"

using namespace distillery;
using nlohmann::json;

namespace {
std::map<std::string, double> byName(const std::vector<methods::LossTerm>& terms) {
    std::map<std::string, double> out;
    for (const auto& t : terms) out[t.name] = t.value.item<double>();
    return out;
}

bool close(double actual, double expected, double relative = 1e-5) {
    return std::abs(actual - expected) <= relative * std::max(1.0, std::abs(expected));
}

// A frozen teacher in eval mode, as the trainer loads one.
std::shared_ptr<models::StagedNet> frozen(const std::string& model, int64_t channels) {
    auto net = models::createModel(model, channels, 10);
    net->eval();
    for (auto& p : net->parameters()) p.set_requires_grad(false);
    return net;
}

std::shared_ptr<methods::SpotAdaptive> makeSakd(models::StagedNet& teacher, models::StagedNet& student,
                                                json params, uint64_t seed = 0) {
    spec::MethodSpec m;
    m.name = "sakd";
    m.params = std::move(params);
    methods::DistillerContext context;
    context.seed = seed;
    context.totalSteps = 100;
    return std::dynamic_pointer_cast<methods::SpotAdaptive>(methods::createDistiller(m, &teacher, student, context));
}

}  // namespace

class TestSakd : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init() { torch::manual_seed(7); }

    void studentTermsEqualTheReference() {
        const json golden = readGoldenFixture("sakd.json", "golden_sakd.py");
        auto teacher = frozen("resnet20", 1);
        auto student = models::createModel("resnet8", 1, 10);
        int cases = 0;
        for (const auto& c : golden["cases"]) {
            if (c["kind"] != "student") continue;
            std::vector<torch::Tensor> fs, ft;
            for (const auto& f : c["student_features"]) fs.push_back(tensorOf(f));
            for (const auto& f : c["teacher_features"]) ft.push_back(tensorOf(f));
            models::FeatureSet s, t;
            s.logits = tensorOf(c["student_logits"]);
            t.logits = tensorOf(c["teacher_logits"]);
            std::shared_ptr<methods::Distiller> base;
            const double beta = c["beta"];
            if (c["base"] == "at") {
                s.stages = fs;
                t.stages = ft;
                base = std::make_shared<methods::AttentionTransfer>(
                    beta, 2.0, std::vector<std::pair<int64_t, int64_t>>{{0, 0}, {1, 1}, {2, 2}});
            } else {
                s.pooled = fs[0];
                t.pooled = ft[0];
                base = std::make_shared<methods::RelationalKd>(beta, 25.0, 50.0);
            }
            methods::SpotAdaptive::Options options;
            options.alpha = c["alpha"];
            options.temperature = c["T"];
            methods::SpotAdaptive sakd(base, *teacher, *student, options, {});
            const auto labels = torch::tensor(c["labels"].get<std::vector<int64_t>>(), torch::kLong);
            std::vector<float> gates;
            for (const auto& row : c["gates"])
                for (const auto& g : row) gates.push_back(g.get<float>());
            const auto open = torch::tensor(gates).reshape({labels.size(0), sakd.decisionCount()});
            const methods::StepInputs inputs{s, &t, labels, 0, 0, {}};
            const auto terms = byName(sakd.studentTerms(inputs, open));
            for (const auto& [name, expected] : c["expected"].items()) {
                const double actual = terms.at(name);
                QVERIFY2(close(actual, expected.get<double>()),
                         qPrintable(QString("%1 %2: %3 vs reference %4")
                                        .arg(QString::fromStdString(c["name"]), QString::fromStdString(name))
                                        .arg(actual, 0, 'g', 9)
                                        .arg(expected.get<double>(), 0, 'g', 9)));
            }
            ++cases;
        }
        QCOMPARE(cases, 5);
    }

    void routingLossEqualsTheReference() {
        const json golden = readGoldenFixture("sakd.json", "golden_sakd.py");
        int cases = 0;
        for (const auto& c : golden["cases"]) {
            if (c["kind"] != "routing") continue;
            const auto labels = torch::tensor(c["labels"].get<std::vector<int64_t>>(), torch::kLong);
            const auto gates = torch::tensor(c["output_gates"].get<std::vector<float>>());
            const double route = methods::SpotAdaptive::routingLoss(tensorOf(c["mixed_logits"]), tensorOf(c["student_logits"]),
                                                                    labels, gates, c["gamma"].get<double>())
                                     .item<double>();
            QVERIFY2(close(route, c["expected"]["route"].get<double>()), qPrintable(QString::fromStdString(c["name"])));
            ++cases;
        }
        QCOMPARE(cases, 3);
    }

    void multiPathEndsAreTheTeacherAndTheStudent_data() {
        QTest::addColumn<QString>("teacher");
        QTest::addColumn<QString>("student");
        QTest::addColumn<QString>("base");
        QTest::addColumn<int>("channels");
        QTest::addColumn<int>("pixels");
        QTest::newRow("at resnet20→resnet8") << "resnet20" << "resnet8" << "at" << 1 << 28;
        QTest::newRow("fitnet resnet20→resnet8") << "resnet20" << "resnet8" << "fitnet" << 1 << 28;
        QTest::newRow("sp resnet20→resnet8") << "resnet20" << "resnet8" << "sp" << 1 << 28;
        QTest::newRow("rkd (pooled) resnet20→resnet8") << "resnet20" << "resnet8" << "rkd" << 1 << 28;
        QTest::newRow("at resnet32x4→resnet8x4") << "resnet32x4" << "resnet8x4" << "at" << 3 << 32;
        QTest::newRow("at vgg8→resnet8 (4 vs 3 stages)") << "vgg8" << "resnet8" << "at" << 3 << 32;
        QTest::newRow("pkt wrn_40_2→shufflenetv1") << "wrn_40_2" << "shufflenetv1" << "pkt" << 3 << 32;
    }
    void multiPathEndsAreTheTeacherAndTheStudent() {
        QFETCH(QString, teacher);
        QFETCH(QString, student);
        QFETCH(QString, base);
        QFETCH(int, channels);
        QFETCH(int, pixels);
        auto t = frozen(teacher.toStdString(), channels);
        auto s = models::createModel(student.toStdString(), channels, 10);
        s->train();
        auto sakd = makeSakd(*t, *s, {{"base", base.toStdString()}});
        const auto images = torch::randn({4, channels, pixels, pixels});
        torch::Tensor teacherLogits, studentLogits;
        {
            torch::NoGradGuard noGrad;
            teacherLogits = t->forward(images);
            s->eval();
            studentLogits = s->forward(images);
            s->train();
        }
        const auto ones = torch::ones({4, sakd->decisionCount()});
        const auto allTeacher = sakd->multiPathLogits(images, ones);
        const auto allStudent = sakd->multiPathLogits(images, torch::zeros_like(ones));
        QVERIFY(s->is_training());   // the multi-path forward runs the student in eval mode, then restores it
        QVERIFY2((allTeacher - teacherLogits).abs().max().item<double>() < 1e-5, "all gates 1 ≠ the teacher's logits");
        QVERIFY2((allStudent - studentLogits).abs().max().item<double>() < 1e-5, "all gates 0 ≠ the student's logits");
        // Mixed gates give neither, so the two checks above are not vacuous.
        auto mixed = ones.clone();
        mixed.select(1, 0).fill_(0);
        QVERIFY((sakd->multiPathLogits(images, mixed) - teacherLogits).abs().max().item<double>() > 1e-4);
    }

    // In a bf16 run the multi-path forward computes in bf16 too (it is most of a sakd step): its logits
    // differ from the float32 forward's by bf16's rounding, no more, and come back in float32 for the losses.
    void multiPathComputesInTheRunsPrecision() {
        auto t = frozen("resnet20", 1);
        auto s = models::createModel("resnet8", 1, 10);
        auto sakd = makeSakd(*t, *s, {{"base", "at"}});
        const auto images = torch::randn({4, 1, 28, 28});
        auto gates = torch::ones({4, sakd->decisionCount()});
        gates.select(1, 0).fill_(0);   // mixed paths: student stage 1 feeds the teacher's later stages
        const auto fp32 = sakd->multiPathLogits(images, gates);
        sakd->setForwardType(at::kBFloat16);
        const auto bf16 = sakd->multiPathLogits(images, gates);
        QCOMPARE(bf16.scalar_type(), at::kFloat);
        const double scale = fp32.abs().max().item<double>(), difference = (bf16 - fp32).abs().max().item<double>();
        QVERIFY2(difference > 1e-4 * scale, qPrintable(QString("computed in float32 (difference %1)").arg(difference)));
        QVERIFY2(difference < 3e-2 * scale, qPrintable(QString("difference %1 of %2").arg(difference).arg(scale)));
    }

    void initialBiasOpensNearlyEveryGate() {
        auto t = frozen("resnet20", 1);
        auto s = models::createModel("resnet8", 1, 10);
        const auto batch = batchFor(*t, *s, 64, 1, 28);
        // The policy's weights are zeroed so that its bias (+ prior) alone decides: on random features a
        // default-initialised layer can push a margin by ±5, which the prior is not meant to outweigh.
        const auto biasOnly = [](methods::SpotAdaptive& sakd) {
            torch::NoGradGuard noGrad;
            sakd.policy()->weight.zero_();
        };
        auto sakd = makeSakd(*t, *s, {{"base", "at"}});
        biasOnly(*sakd);
        const double open = sakd->decide(batch.student, batch.teacher, 0).mean().item<double>();
        QVERIFY2(open > 0.999, qPrintable(QString("open rate at step 0 with +10 bias: %1").arg(open)));
        // Without the bias the gates open about half the time: the check above can fail.
        auto unbiased = makeSakd(*t, *s, {{"base", "at"}, {"init_bias", 0.0}});
        biasOnly(*unbiased);
        const double half = unbiased->decide(batch.student, batch.teacher, 0).mean().item<double>();
        QVERIFY2(half > 0.3 && half < 0.7, qPrintable(QString("open rate without bias: %1").arg(half)));
    }

    void reverseDistilsExactlyWherePolicyWouldNot() {
        auto t = frozen("resnet20", 1);
        auto s = models::createModel("resnet8", 1, 10);
        const auto batch = batchFor(*t, *s, 32, 1, 28);
        torch::manual_seed(11);
        auto policy = makeSakd(*t, *s, {{"base", "at"}, {"init_bias", 0.0}}, 3);
        torch::manual_seed(11);
        auto reverse = makeSakd(*t, *s, {{"base", "at"}, {"init_bias", 0.0}, {"gate", "reverse"}}, 3);
        methods::StepInputs inputs{batch.student, &batch.teacher, batch.labels, 5, 0, {}};
        inputs.images = &batch.images;
        inputs.learningRate = 0.05;
        const auto policyGates = policy->decide(batch.student, batch.teacher, 5).detach();
        policy->losses(inputs);
        reverse->losses(inputs);
        const auto p = policy->diagnostics().gates, r = reverse->diagnostics().gates;
        QCOMPARE(int(p.size()), policy->decisionCount());
        QCOMPARE(int(r.size()), reverse->decisionCount());
        for (size_t k = 0; k < p.size(); ++k) {
            QCOMPARE(r[k].spot, p[k].spot);
            QVERIFY2(std::abs(r[k].openRate - (1 - p[k].openRate)) < 1e-6, qPrintable(QString::fromStdString(p[k].spot)));
            QVERIFY(p[k].openRate > 0 && p[k].openRate < 1);
            QCOMPARE(p[k].openRate, policyGates.select(1, int64_t(k)).mean().item<double>());
        }
        // The reverse student loss is the loss on the complementary samples (gates drawn before the agent's step).
        const auto gatesNow = reverse->decide(batch.student, batch.teacher, 5).detach();
        const auto terms = byName(reverse->losses(inputs));
        const auto expected = byName(reverse->studentTerms(inputs, 1 - gatesNow));
        QVERIFY(close(terms.at("feat"), expected.at("feat")));
        QVERIFY(close(terms.at("kd"), expected.at("kd")));
    }

    void agentStepsBeforeTheStudentAndOwnsItsParameters() {
        auto t = frozen("resnet20", 1);
        auto s = models::createModel("resnet8", 1, 10);
        const auto batch = batchFor(*t, *s, 16, 1, 28);
        auto sakd = makeSakd(*t, *s, {{"base", "fitnet"}});
        // The student's optimiser gets the base's connector only; the agent owns policy and adaptors.
        int64_t studentSide = 0, all = 0;
        for (const auto& p : sakd->studentParameters()) studentSide += p.numel();
        for (const auto& p : sakd->parameters()) all += p.numel();
        QVERIFY(studentSide > 0 && studentSide < all);
        QVERIFY(sakd->ownOptimizer() != nullptr);

        const auto policyBefore = sakd->named_parameters()["policy.weight"].clone();
        std::vector<torch::Tensor> studentBefore;
        for (const auto& p : s->parameters()) studentBefore.push_back(p.detach().clone());
        methods::StepInputs inputs{batch.student, &batch.teacher, batch.labels, 0, 0, {}};
        inputs.images = &batch.images;
        inputs.learningRate = 0.1;
        const auto terms = sakd->losses(inputs);
        QVERIFY(!torch::equal(policyBefore, sakd->named_parameters()["policy.weight"]));
        const auto studentAfter = s->parameters();
        for (size_t i = 0; i < studentBefore.size(); ++i) QVERIFY(torch::equal(studentBefore[i], studentAfter[i]));
        // The student's terms back-propagate to the student and the base's connector, not the teacher.
        torch::Tensor total = terms[0].value + terms[1].value + terms[2].value;
        for (auto& p : s->parameters()) p.mutable_grad() = torch::Tensor();
        total.backward();
        QVERIFY(s->parameters().front().grad().defined());
        for (const auto& p : t->parameters()) QVERIFY(!p.grad().defined());

        // gate "all" trains no agent.
        auto always = makeSakd(*t, *s, {{"base", "fitnet"}, {"gate", "all"}});
        const auto fixedPolicy = always->named_parameters()["policy.weight"].clone();
        const auto allTerms = byName(always->losses(inputs));
        QVERIFY(torch::equal(fixedPolicy, always->named_parameters()["policy.weight"]));
        QVERIFY(allTerms.at("feat") > 0 && allTerms.at("kd") > 0);
    }

    void gateNoneLeavesOnlyTheLabels() {
        auto t = frozen("resnet20", 1);
        auto s = models::createModel("resnet8", 1, 10);
        const auto batch = batchFor(*t, *s, 8, 1, 28);
        auto sakd = makeSakd(*t, *s, {{"base", "at"}, {"gate", "none"}});
        methods::StepInputs inputs{batch.student, &batch.teacher, batch.labels, 0, 0, {}};
        inputs.images = &batch.images;
        const auto terms = byName(sakd->losses(inputs));
        QCOMPARE(terms.at("feat"), 0.0);
        QCOMPARE(terms.at("kd"), 0.0);
        QVERIFY(terms.at("ce") > 0);
        for (const auto& g : sakd->diagnostics().gates) QCOMPARE(g.openRate, 0.0);
    }

    void evaluationReportsOpenRatePerClass() {
        auto t = frozen("resnet20", 1);
        auto s = models::createModel("resnet8", 1, 10);
        auto sakd = makeSakd(*t, *s, {{"base", "rkd"}});
        QVERIFY(sakd->observesEvaluation());
        torch::NoGradGuard noGrad;
        const auto images = torch::randn({20, 1, 28, 28});
        const auto labels = torch::tensor(std::vector<int64_t>{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 3});
        sakd->observeEvaluation(s->forwardFeatures(images), t->forwardFeatures(images), labels);
        const auto rows = sakd->evaluationDiagnostics().gateClasses;
        QCOMPARE(int(rows.size()), 4 * sakd->decisionCount());   // classes 0..3 present, 2 decisions each
        for (const auto& r : rows) {
            QVERIFY(r.classIndex >= 0 && r.classIndex <= 3);
            QVERIFY2(r.openRate > 0.999, "the +10 bias opens the gates at evaluation too");
        }
        QVERIFY(sakd->evaluationDiagnostics().gateClasses.empty());   // reset after reporting
        auto random = makeSakd(*t, *s, {{"base", "rkd"}, {"gate", "random"}});
        QVERIFY(!random->observesEvaluation());
    }

    // The agent's gradient on the policy's weights and bias, through the official straight-through
    // Gumbel-softmax, against train.py's arithmetic in float64 (golden_sakd.py): pins its sign and size.
    void policyGradientEqualsTheReference() {
        const json golden = readGoldenFixture("sakd.json", "golden_sakd.py");
        auto t = frozen("resnet20", 1);
        auto s = models::createModel("resnet8", 1, 10);
        int cases = 0;
        for (const auto& c : golden["cases"]) {
            if (c["kind"] != "policy_gradient") continue;
            auto sakd = makeSakd(*t, *s, {{"base", "at"}, {"prior", "never"}});
            {
                torch::NoGradGuard noGrad;
                sakd->policy()->weight.copy_(tensorOf(c["policy_weight"]));
                sakd->policy()->bias.copy_(tensorOf(c["policy_bias"]));
            }
            models::FeatureSet student, teacher;
            student.pooled = tensorOf(c["student_pooled"]);
            teacher.pooled = tensorOf(c["teacher_pooled"]);
            const auto studentLogits = tensorOf(c["student_logits"]), teacherLogits = tensorOf(c["teacher_logits"]);
            const auto labels = torch::tensor(c["labels"].get<std::vector<int64_t>>(), torch::kLong);
            const auto gates = methods::SpotAdaptive::straightThrough(sakd->policyLogits(student, teacher, 0),
                                                                      tensorOf(c["uniform"]), c["tau"].get<double>())
                                   .select(2, 0);
            const int64_t out = sakd->decisionCount() - 1;
            const auto outGate = gates.select(1, out).unsqueeze(1);
            auto mixed = outGate * teacherLogits + (1 - outGate) * studentLogits;
            for (int64_t k = 0; k < out; ++k) mixed = mixed + gates.select(1, k).unsqueeze(1) * tensorOf(c["offsets"][size_t(k)]);
            std::vector<float> hard;
            for (const auto& row : c["gates"])
                for (const auto& g : row) hard.push_back(g.get<float>());
            QVERIFY2(torch::equal((gates > 0.5).to(torch::kFloat), torch::tensor(hard).reshape(gates.sizes())),
                     "the hard decisions differ from the official gumbel_softmax's");
            const auto route = methods::SpotAdaptive::routingLoss(mixed, studentLogits, labels, gates.select(1, out),
                                                                  c["gamma"].get<double>());
            QVERIFY(close(route.item<double>(), c["expected"]["route"].get<double>()));
            route.backward();
            for (const auto& [what, grad] : {std::pair{"grad_weight", sakd->policy()->weight.grad()},
                                             std::pair{"grad_bias", sakd->policy()->bias.grad()}}) {
                const auto expected = tensorOf(c[what]);
                const double error = (grad - expected).abs().max().item<double>();
                const double scale = expected.abs().max().item<double>();
                QVERIFY2(scale > 1e-3, "the reference gradient is not trivially zero");
                QVERIFY2(error <= 1e-4 * scale, qPrintable(QString("%1 %2: max error %3 of %4")
                                                                .arg(QString::fromStdString(c["name"]), what)
                                                                .arg(error)
                                                                .arg(scale)));
            }
            ++cases;
        }
        QCOMPARE(cases, 2);
    }

    // With a zero weight and a bias margin m on "distil", the Gumbel-max draw opens a gate with
    // probability σ(m) exactly: the open rate over 10,240 draws is within 5 standard errors of it.
    void openRateIsTheSigmoidOfTheBiasMargin_data() {
        QTest::addColumn<double>("margin");
        QTest::newRow("m = 1") << 1.0;
        QTest::newRow("m = -2") << -2.0;
        QTest::newRow("m = 3") << 3.0;
    }
    void openRateIsTheSigmoidOfTheBiasMargin() {
        QFETCH(double, margin);
        auto t = frozen("resnet20", 1);
        auto s = models::createModel("resnet8", 1, 10);
        auto sakd = makeSakd(*t, *s, {{"base", "at"}, {"prior", "never"}}, 5);
        {
            torch::NoGradGuard noGrad;
            sakd->policy()->weight.zero_();
            sakd->policy()->bias.zero_();
            for (int64_t k = 0; k < sakd->decisionCount(); ++k) sakd->policy()->bias[2 * k] = margin;
        }
        models::FeatureSet student, teacher;
        student.pooled = torch::randn({256, 64});
        teacher.pooled = torch::randn({256, 64});
        student.logits = torch::zeros({256, 10});
        double open = 0;
        const int steps = 10;
        for (int step = 0; step < steps; ++step) open += sakd->decide(student, teacher, step).mean().item<double>();
        open /= steps;
        const double expected = 1 / (1 + std::exp(-margin));
        const double standardError = std::sqrt(expected * (1 - expected) / (256.0 * steps * sakd->decisionCount()));
        QVERIFY2(std::abs(open - expected) < 5 * standardError,
                 qPrintable(QString("open rate %1, σ(%2) = %3").arg(open).arg(margin).arg(expected)));
    }

    // Seeds are independent streams: seed s+1 does not replay seed s a fixed number of steps later
    // (it did with seed·7919 + step), and one (seed, step) always draws the same noise.
    void gateNoiseOfSeedsIsIndependent() {
        using methods::SpotAdaptive;
        QVERIFY(torch::equal(SpotAdaptive::gateNoise(3, 40, {8, 4, 2}), SpotAdaptive::gateNoise(3, 40, {8, 4, 2})));
        for (const int64_t shift : {int64_t(1), int64_t(7919), int64_t(1000003)}) {
            const auto a = SpotAdaptive::gateNoise(4, 10, {64}), b = SpotAdaptive::gateNoise(3, 10 + shift, {64});
            QVERIFY2(!torch::allclose(a, b), qPrintable(QString("seed 4 replays seed 3 shifted by %1 steps").arg(shift)));
        }
        // Uncorrelated across seeds at the same step.
        const auto a = SpotAdaptive::gateNoise(1, 0, {4096}), b = SpotAdaptive::gateNoise(2, 0, {4096});
        const double correlation = ((a - a.mean()) * (b - b.mean())).mean().item<double>() / (a.std() * b.std()).item<double>();
        QVERIFY2(std::abs(correlation) < 0.06, qPrintable(QString("correlation %1").arg(correlation)));
    }

    // The default prior follows the pair, as the official configs' homo flag does for all 15 released
    // configs (10 on CIFAR-100, 5 on Tiny-ImageNet; 11 distinct pairs, their ResNet50 the CIFAR
    // resnetv2 one): equal channels at every gated spot.
    void priorFollowsThePairType_data() {
        QTest::addColumn<QString>("teacher");
        QTest::addColumn<QString>("student");
        QTest::addColumn<bool>("homo");
        const QList<std::tuple<const char*, const char*, bool>> pairs = {
            {"resnet56", "resnet20", true},      {"resnet110", "resnet32", true},  {"resnet110", "resnet20", true},
            {"resnet32x4", "resnet8x4", true},   {"vgg13", "vgg8", true},          {"wrn_40_2", "wrn_16_2", true},
            {"resnet32x4", "resnet32", false},   {"vgg13", "mobilenetv2", false},  {"wrn_40_2", "shufflenetv1", false},
            {"resnet50_cifar", "mobilenetv2", false}, {"resnet50_cifar", "vgg8", false}};
        for (const auto& [teacher, student, homo] : pairs)
            QTest::newRow(qPrintable(QString("%1→%2").arg(teacher, student))) << teacher << student << homo;
    }
    void priorFollowsThePairType() {
        QFETCH(QString, teacher);
        QFETCH(QString, student);
        QFETCH(bool, homo);
        for (const char* base : {"at", "pkt"}) {
            auto t = frozen(teacher.toStdString(), 3);
            auto s = models::createModel(student.toStdString(), 3, 10);
            auto sakd = makeSakd(*t, *s, {{"base", base}});
            QCOMPARE(sakd->homogeneous(), homo);
            QCOMPARE(sakd->priorAt(0), homo ? 10.0 : 0.0);
            const auto notes = sakd->notes();
            QCOMPARE(notes.size(), size_t(1));
            QVERIFY2(QString::fromStdString(notes[0]).startsWith(homo ? "sakd: homogeneous pair" : "sakd: heterogeneous pair"),
                     notes[0].c_str());
            // prior always / never override the pair's type.
            QCOMPARE(makeSakd(*t, *s, {{"base", base}, {"prior", "always"}})->priorAt(0), 10.0);
            QCOMPARE(makeSakd(*t, *s, {{"base", base}, {"prior", "never"}})->priorAt(0), 0.0);
        }
    }

    // The prior fades over prior_decay of the run's steps (makeSakd: 100 steps), so a short run spends
    // the official proportion of its steps distilling everywhere; prior_decay 0 puts the official +10 in
    // the policy's bias instead, where only weight decay moves it.
    void priorFadesOverTheRunsProportion() {
        auto t = frozen("resnet20", 1);
        auto s = models::createModel("resnet8", 1, 10);
        const auto batch = batchFor(*t, *s, 128, 1, 28);
        auto sakd = makeSakd(*t, *s, {{"base", "at"}, {"prior_decay", 0.1}});
        QVERIFY(close(sakd->priorAt(10), 10.0 * std::exp(-1.0)));
        QVERIFY(close(sakd->priorAt(50), 10.0 * std::exp(-5.0)));
        const double start = sakd->decide(batch.student, batch.teacher, 0).mean().item<double>();
        const double late = sakd->decide(batch.student, batch.teacher, 90).mean().item<double>();
        QVERIFY2(start > 0.999 && late < 0.8, qPrintable(QString("open rate %1 at step 0, %2 at step 90").arg(start).arg(late)));

        auto official = makeSakd(*t, *s, {{"base", "at"}, {"prior_decay", 0.0}});
        QCOMPARE(official->priorAt(0), 0.0);
        const auto bias = official->policy()->bias.detach();
        QVERIFY((bias[0] - bias[1]).item<double>() > 9.0);
        QVERIFY(official->decide(batch.student, batch.teacher, 90).mean().item<double>() > 0.999);
    }

    // The multi-path forward with mixed gates equals the official graft (train.py, "Graft") computed
    // here stage by stage: at spot k the teacher stream continues with a·T_k + (1−a)·hint_k(S_k), the
    // student stream with (1−a)·S_k + a·anti_hint_k(T_k); the logits mix with the output gate.
    void graftForwardEqualsTheOfficialFormula() {
        auto t = frozen("resnet20", 1);
        auto s = models::createModel("resnet8", 1, 10);
        auto sakd = makeSakd(*t, *s, {{"base", "at"}});
        const auto images = torch::randn({6, 1, 28, 28});
        const auto gates = torch::tensor({1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 1, 1, 1, 0},
                                         torch::kFloat)
                               .reshape({6, 4});
        const auto mixed = sakd->multiPathLogits(images, gates);
        auto modules = sakd->named_modules();
        torch::NoGradGuard noGrad;
        t->eval();
        s->eval();
        at::Tensor teacherStream = images, studentStream = images;
        for (int64_t k = 0; k < 3; ++k) {
            const auto tk = t->forwardStages(teacherStream, k, k + 1), sk = s->forwardStages(studentStream, k, k + 1);
            const auto a = gates.select(1, k).reshape({-1, 1, 1, 1});
            const auto hint = modules["hints." + std::to_string(k)]->as<methods::ConnectorImpl>()->forward(sk);
            const auto antiHint = modules["anti_hints." + std::to_string(k)]->as<methods::ConnectorImpl>()->forward(tk);
            teacherStream = a * tk + (1 - a) * hint;
            studentStream = (1 - a) * sk + a * antiHint;
        }
        const auto pool = [](const at::Tensor& x) { return at::adaptive_avg_pool2d(x, {1, 1}).flatten(1); };
        const auto a = gates.select(1, 3).unsqueeze(1);
        const auto reference = a * t->classify(pool(teacherStream)) + (1 - a) * s->classify(pool(studentStream));
        s->train();
        const double error = (mixed - reference).abs().max().item<double>();
        QVERIFY2(error < 1e-5, qPrintable(QString("max difference %1").arg(error)));
    }

    // The graft takes the teacher's stages before the first junction from the step's teacher forward
    // instead of running them again: the same logits to the bit, whether the first junction is a stage
    // (at) or the pooled features (pkt, where the whole teacher is shared), in float32 and in bf16.
    void graftSharesTheTeachersForwardUpToTheFirstJunction_data() {
        QTest::addColumn<QString>("base");
        QTest::addColumn<bool>("bf16");
        QTest::newRow("at") << "at" << false;
        QTest::newRow("at-bf16") << "at" << true;
        QTest::newRow("pkt") << "pkt" << false;
    }
    void graftSharesTheTeachersForwardUpToTheFirstJunction() {
        QFETCH(QString, base);
        QFETCH(bool, bf16);
        auto t = frozen("resnet20", 1);
        auto s = models::createModel("resnet8", 1, 10);
        auto sakd = makeSakd(*t, *s, {{"base", base.toStdString()}});
        if (bf16) sakd->setForwardType(at::kBFloat16);
        const auto images = torch::randn({6, 1, 28, 28});
        auto gates = (torch::rand({6, sakd->decisionCount()}) < 0.5).to(torch::kFloat);
        gates.select(0, 0).fill_(1);
        gates.select(0, 1).fill_(0);
        models::FeatureSet teacherFeatures;
        {
            torch::NoGradGuard noGrad;
            models::AutocastScope autocast(bf16 ? at::kBFloat16 : at::kFloat, images.device().type());
            teacherFeatures = t->forwardFeatures(images);
        }
        for (auto& stage : teacherFeatures.stages) stage = stage.to(at::kFloat);   // as the trainer hands them over
        teacherFeatures.pooled = teacherFeatures.pooled.to(at::kFloat);
        const auto alone = sakd->multiPathLogits(images, gates);
        const auto shared = sakd->multiPathLogits(images, gates, &teacherFeatures);
        QVERIFY2(torch::equal(alone, shared),
                 qPrintable(QString("max difference %1").arg((alone - shared).abs().max().item<double>())));
    }

    // End to end, the agent learns to close a spot that only hurts. A resnet8 teacher is trained on a
    // separable synthetic set (so its labels vary and it gets them right); the student is a copy of
    // it and the adaptors are frozen identities, so every route through the multi-path network
    // computes the same intact teacher, except that the teacher's own stage 2 is then scrambled (its
    // batch-norm scales and shifts negated: other activations at the same scale, so the policy's
    // inputs stay moderate). Routing stage 2 through the teacher now wrecks both streams' logits;
    // routing it through the student does not. From exactly one half (no prior) the policy closes
    // stage 2 within 40 agent steps and leaves the other spots more open than it. A straight-through
    // gradient of the wrong sign opens it instead (to 1.0).
    void aSpotThatOnlyHurtsGetsClosed() {
        torch::manual_seed(3);
        const auto patterns = torch::randn({10, 1, 28, 28});
        const auto sample = [&](int64_t n) {
            const auto labels = torch::randint(0, 10, {n}, torch::kLong);
            return std::make_pair(patterns.index_select(0, labels) + torch::randn({n, 1, 28, 28}), labels);
        };
        auto t = models::createModel("resnet8", 1, 10);
        {
            torch::optim::SGD optimizer(t->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
            for (int step = 0; step < 60; ++step) {
                const auto [x, y] = sample(64);
                optimizer.zero_grad();
                torch::nn::functional::cross_entropy(t->forward(x), y).backward();
                optimizer.step();
            }
        }
        t->eval();
        for (auto& p : t->parameters()) p.set_requires_grad(false);
        auto s = models::createModel("resnet8", 1, 10);
        {
            torch::NoGradGuard noGrad;
            const auto from = t->named_parameters(), fromBuffers = t->named_buffers();
            for (auto& item : s->named_parameters()) item.value().copy_(from[item.key()]);
            for (auto& item : s->named_buffers()) item.value().copy_(fromBuffers[item.key()]);
        }
        const auto [images, labels] = sample(64);
        {
            torch::NoGradGuard noGrad;
            const double accuracy = t->forward(images).argmax(1).eq(labels).to(torch::kFloat).mean().item<double>();
            QVERIFY2(accuracy > 0.9, qPrintable(QString("the trained teacher's accuracy: %1").arg(accuracy)));
            for (auto& item : t->named_parameters()) {
                const std::string& name = item.key();
                if (name.rfind("layer2.", 0) == 0 && name.find("bn") != std::string::npos) item.value().neg_();
            }
        }
        auto sakd = makeSakd(*t, *s, {{"base", "at"}, {"prior", "never"}}, 9);
        {
            torch::NoGradGuard noGrad;   // every gate starts at exactly one half; adaptors pass features through
            sakd->policy()->weight.zero_();
            sakd->policy()->bias.zero_();
            for (auto& item : sakd->named_parameters()) {
                const std::string& name = item.key();
                if (name.find("hints.") == std::string::npos || name.find(".conv.") == std::string::npos) continue;
                auto& p = item.value();
                if (p.dim() == 4) p.copy_(torch::eye(p.size(0)).reshape({p.size(0), p.size(1), 1, 1}));
                else p.zero_();
            }
            // Frozen, so that only the policy learns: trained adaptors could learn to undo the scrambled
            // stage downstream, and closing the other spots would then be right too.
            for (auto& item : sakd->named_parameters())
                if (item.key().find("hints.") != std::string::npos) item.value().set_requires_grad(false);
        }
        sakd->eval();   // the adaptors' batch norm at its initial running statistics: an identity
        models::FeatureSet teacher;
        {
            torch::NoGradGuard noGrad;
            teacher = t->forwardFeatures(images);
        }
        const auto student = s->forwardFeatures(images);
        const auto openRates = [&] {
            torch::NoGradGuard noGrad;
            return sakd->distilProbability(student, teacher).mean(0);
        };
        const auto before = openRates();
        methods::StepInputs inputs{student, &teacher, labels, 0, 0, {}};
        inputs.images = &images;
        inputs.learningRate = 0.1;
        for (int64_t step = 0; step < 40; ++step) {
            inputs.step = step;
            sakd->losses(inputs);
        }
        const auto after = openRates();
        const double stage2 = after[1].item<double>();
        QVERIFY2(std::abs(before[1].item<double>() - 0.5) < 1e-6, qPrintable(QString("stage 2 starts at %1").arg(before[1].item<double>())));
        QVERIFY2(stage2 < 0.1, qPrintable(QString("stage 2's open probability after 40 steps: %1").arg(stage2)));
        QVERIFY2(after[0].item<double>() > stage2 && after[2].item<double>() > stage2,
                 qPrintable(QString("stage 1 %1, stage 3 %2").arg(after[0].item<double>()).arg(after[2].item<double>())));
    }

    // At the diagnostics cadence sakd explains its gates: the agent's loss and its two CEs, the prior,
    // and per spot the mean logit margin and the bias (+ prior) margin; none on other steps.
    void diagnosticsExplainTheGates() {
        auto t = frozen("resnet20", 1);
        auto s = models::createModel("resnet8", 1, 10);
        const auto batch = batchFor(*t, *s, 16, 1, 28);
        auto sakd = makeSakd(*t, *s, {{"base", "at"}, {"prior_decay", 0.1}});
        methods::StepInputs inputs{batch.student, &batch.teacher, batch.labels, 10, 0, {}};
        inputs.images = &batch.images;
        inputs.learningRate = 0.05;
        sakd->losses(inputs);
        QVERIFY(sakd->diagnostics().scalars.empty());
        inputs.collectDiagnostics = true;
        const auto bias = sakd->policy()->bias.detach().clone();
        const auto weight = sakd->policy()->weight.detach().clone();
        const double studentCe = torch::nn::functional::cross_entropy(batch.student.logits, batch.labels).item<double>();
        sakd->losses(inputs);
        std::map<std::string, double> scalars;
        for (const auto& d : sakd->diagnostics().scalars) scalars[d.key] = d.value;
        QCOMPARE(scalars.size(), size_t(4 + 2 * sakd->decisionCount()));
        QVERIFY(close(scalars.at("sakd/prior"), 10.0 * std::exp(-1.0)));
        QVERIFY(close(scalars.at("sakd/student_ce"), studentCe));
        QVERIFY(scalars.at("sakd/mixed_ce") > 0 && scalars.at("sakd/route_loss") > 0);
        // The mean "distil − skip" margin per spot, computed here from the policy that drew the gates.
        const auto input = torch::cat({batch.teacher.pooled, batch.student.pooled}, 1).detach();
        const auto logits = torch::addmm(bias, input, weight.t()).view({input.size(0), -1, 2});
        const auto margins = (logits.select(2, 0) - logits.select(2, 1)).mean(0) + 10.0 * std::exp(-1.0);
        const char* spots[] = {"stage 1", "stage 2", "stage 3", "logits"};
        for (int64_t k = 0; k < 4; ++k) {
            const std::string key = std::string("sakd/logit_margin/") + spots[k];
            QVERIFY2(scalars.count(key), spots[k]);
            QVERIFY2(close(scalars.at(key), margins[k].item<double>(), 1e-4),
                     qPrintable(QString("%1: %2, expected %3").arg(spots[k]).arg(scalars.at(key)).arg(margins[k].item<double>())));
        }
        // The bias margin is read before the agent's step (the policy that drew this step's gates).
        QVERIFY(close(scalars.at("sakd/bias_margin/logits"),
                      (bias[6] - bias[7]).item<double>() + 10.0 * std::exp(-1.0), 1e-4));
    }

    void temperatureSchedules() {
        auto t = frozen("resnet20", 1);
        auto s = models::createModel("resnet8", 1, 10);
        QCOMPARE(makeSakd(*t, *s, {{"base", "at"}})->tauAt(50), 5.0);
        QVERIFY(close(makeSakd(*t, *s, {{"base", "at"}, {"tau_schedule", "linear"}, {"tau_final", 1.0}})->tauAt(50), 3.0));
        QVERIFY(close(makeSakd(*t, *s, {{"base", "at"}, {"tau_schedule", "exponential"}, {"tau", 4.0}, {"tau_final", 1.0}})
                          ->tauAt(50),
                      2.0));
    }
};

QTEST_GUILESS_MAIN(TestSakd)
#include "test_sakd.moc"
