// sakd: its two losses against golden values from an independent Python reference
// (tests/fixtures/golden_sakd.py → golden/sakd.json), and the properties that pin its mechanics:
// the multi-path forward's ends, the initial gate bias, the reverse ablation, the agent's step.
#include <QtTest>

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "GoldenFixture.h"
#include "methods/AttentionTransfer.h"
#include "methods/RelationalKd.h"
#include "methods/SpotAdaptive.h"
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

struct Batch {
    torch::Tensor images, labels;
    models::FeatureSet student, teacher;
};

Batch batchFor(models::StagedNet& teacher, models::StagedNet& student, int64_t size, int64_t channels, int64_t pixels) {
    Batch b;
    b.images = torch::randn({size, channels, pixels, pixels});
    b.labels = torch::randint(0, 10, {size}, torch::kLong);
    {
        torch::NoGradGuard noGrad;
        b.teacher = teacher.forwardFeatures(b.images);
    }
    b.student = student.forwardFeatures(b.images);
    return b;
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
        auto sakd = makeSakd(*t, *s, {{"base", "at"}});
        const double open = sakd->decide(batch.student, batch.teacher, 0).mean().item<double>();
        QVERIFY2(open > 0.999, qPrintable(QString("open rate at step 0 with +10 bias: %1").arg(open)));
        // Without the bias the gates open about half the time: the check above can fail.
        auto unbiased = makeSakd(*t, *s, {{"base", "at"}, {"init_bias", 0.0}});
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
