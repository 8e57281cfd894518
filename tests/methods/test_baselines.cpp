// The baseline feature methods (fitnet, at, sp, rkd, pkt) against golden values from an independent
// Python implementation (tests/fixtures/golden_baselines.py → tests/fixtures/golden/baselines.json),
// their gradients, their catalog entries, and their shapes on real pairs of zoo models.
#include <QtTest>

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "GoldenFixture.h"
#include "methods/AttentionTransfer.h"
#include "methods/Connector.h"
#include "methods/CrossEntropy.h"
#include "methods/HintonKd.h"
#include "methods/FitNet.h"
#include "methods/ProbabilisticTransfer.h"
#include "methods/RelationalKd.h"
#include "methods/SimilarityPreserving.h"
#include "models/ModelRegistry.h"
#include "spec/Catalog.h"
#include "spec/RunSpec.h"

using namespace distillery;
using nlohmann::json;

namespace {
const json& golden() {
    static const json data = readGoldenFixture("baselines.json", "golden_baselines.py");
    return data;
}

// A golden case as the method sees it, plus the method built from the case's parameters.
struct Built {
    models::FeatureSet student, teacher;
    torch::Tensor labels;
    std::shared_ptr<methods::Distiller> method;
};

Built build(const json& c, bool studentGrad = false) {
    Built b;
    b.student.logits = tensorOf(c["student_logits"]);
    b.teacher.logits = tensorOf(c["teacher_logits"]);
    b.labels = torch::tensor(c["labels"].get<std::vector<int64_t>>(), torch::kLong);
    std::vector<torch::Tensor> fs, ft;
    for (const auto& f : c["student_features"]) fs.push_back(tensorOf(f).requires_grad_(studentGrad));
    // The teacher's features require grad on purpose: the methods must not send any into them.
    for (const auto& f : c["teacher_features"]) ft.push_back(tensorOf(f).requires_grad_(studentGrad));
    const std::string method = c["method"];
    const auto& p = c["params"];
    if (method == "rkd" || method == "pkt") {
        b.student.pooled = fs[0];
        b.teacher.pooled = ft[0];
    } else {
        b.student.stages = fs;
        b.teacher.stages = ft;
    }
    if (method == "fitnet") {
        const auto& k = c["connector"];
        auto fit = std::make_shared<methods::FitNet>(p["beta"].get<double>(), 0, 0, k["in_channels"].get<int64_t>(),
                                                     k["in_stride"].get<int64_t>(), k["out_channels"].get<int64_t>(),
                                                     k["out_stride"].get<int64_t>());
        auto connector = fit->connector();
        const std::string kind = k["kind"];
        const auto expectedKind = kind == "strided"      ? methods::ConnectorImpl::Kind::Strided
                                  : kind == "transposed" ? methods::ConnectorImpl::Kind::Transposed
                                                         : methods::ConnectorImpl::Kind::Pointwise;
        if (connector->kind() != expectedKind || connector->factor() != k["factor"].get<int64_t>())
            throw std::runtime_error("connector kind differs from the reference's for " + c["name"].get<std::string>());
        torch::NoGradGuard noGrad;
        auto& weight = connector->kind() == methods::ConnectorImpl::Kind::Transposed ? connector->deconv->weight
                                                                                    : connector->conv->weight;
        auto& bias = connector->kind() == methods::ConnectorImpl::Kind::Transposed ? connector->deconv->bias
                                                                                  : connector->conv->bias;
        const auto w = tensorOf(k["weight"]);
        if (weight.sizes() != w.sizes()) throw std::runtime_error("connector weight shape differs");
        weight.copy_(w);
        bias.copy_(tensorOf(k["bias"]));
        connector->bn->weight.copy_(tensorOf(k["bn_weight"]));
        connector->bn->bias.copy_(tensorOf(k["bn_bias"]));
        b.method = fit;
    } else if (method == "at") {
        std::vector<std::pair<int64_t, int64_t>> pairs;
        for (int64_t i = 0; i < int64_t(fs.size()); ++i) pairs.emplace_back(i, i);
        b.method = std::make_shared<methods::AttentionTransfer>(p["beta"].get<double>(), p["p"].get<double>(), pairs);
    } else if (method == "sp") {
        b.method = std::make_shared<methods::SimilarityPreserving>(p["beta"].get<double>());
    } else if (method == "rkd") {
        b.method = std::make_shared<methods::RelationalKd>(p["beta"].get<double>(), p["w_d"].get<double>(),
                                                           p["w_a"].get<double>());
    } else if (method == "pkt") {
        b.method = std::make_shared<methods::ProbabilisticTransfer>(p["beta"].get<double>());
    } else if (method == "kd") {
        b.method = std::make_shared<methods::HintonKd>(p["T"].get<double>(), p["gamma"].get<double>(),
                                                       p["alpha"].get<double>());
    } else if (method == "ce") {
        b.method = std::make_shared<methods::CrossEntropy>();
    }
    b.method->setKd(c["kd_alpha"].get<double>(), c["kd_T"].get<double>());
    return b;
}

std::map<std::string, torch::Tensor> byName(const std::vector<methods::LossTerm>& terms) {
    std::map<std::string, torch::Tensor> out;
    for (const auto& t : terms) out[t.name] = t.value;
    return out;
}

const std::vector<std::string> kMethods = {"fitnet", "at", "sp", "rkd", "pkt"};
}  // namespace

class TestBaselines : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::manual_seed(0); }

    void goldenLosses_data() {
        addGoldenCaseRows(golden());
    }

    // Each loss term equals the Python reference within 1e-5 relative.
    void goldenLosses() {
        QFETCH(QString, name);
        const auto& c = goldenCase(golden(), name.toStdString());
        auto b = build(c);
        const auto terms = byName(b.method->losses({b.student, &b.teacher, b.labels, 0, 0, {}}));
        const auto& expected = c["expected"];
        QCOMPARE(terms.size(), expected.size());
        for (const auto& [term, value] : expected.items()) {
            QVERIFY2(terms.count(term), ("missing term " + term).c_str());
            const double got = terms.at(term).item<double>(), want = value.get<double>();
            const double rel = std::abs(got - want) / std::max(1e-12, std::abs(want));
            qInfo("%s %s: C++ %.10g  Python %.10g  rel %.2e", name.toUtf8().constData(), term.c_str(), got, want, rel);
            QVERIFY2(rel < 1e-5, (term + ": " + std::to_string(got) + " vs " + std::to_string(want)).c_str());
        }
    }

    void gradients_data() {
        QTest::addColumn<QString>("name");
        for (const auto& c : golden()["cases"])
            if (std::find(kMethods.begin(), kMethods.end(), c["method"].get<std::string>()) != kMethods.end())
                QTest::newRow(c["name"].get<std::string>().c_str()) << QString::fromStdString(c["name"]);
    }

    // The feature term reaches the student's features (and the connector), never the teacher's.
    void gradients() {
        QFETCH(QString, name);
        const auto& c = goldenCase(golden(), name.toStdString());
        auto b = build(c, true);
        const auto terms = byName(b.method->losses({b.student, &b.teacher, b.labels, 0, 0, {}}));
        terms.at("feat").backward();
        const auto& fs = b.student.stages.empty() ? std::vector<torch::Tensor>{b.student.pooled} : b.student.stages;
        const auto& ft = b.teacher.stages.empty() ? std::vector<torch::Tensor>{b.teacher.pooled} : b.teacher.stages;
        for (const auto& f : fs) {
            QVERIFY(f.grad().defined());
            QVERIFY(torch::isfinite(f.grad()).all().item<bool>());
            QVERIFY(f.grad().abs().sum().item<double>() > 0);
        }
        for (const auto& f : ft) QVERIFY(!f.grad().defined());
        if (c["method"] == "fitnet") {
            const auto params = b.method->parameters();
            QVERIFY(!params.empty());
            for (const auto& p : params) {
                QVERIFY(p.grad().defined());
                QVERIFY(p.grad().abs().sum().item<double>() > 0);
            }
        } else {
            QVERIFY(b.method->parameters().empty());
        }
    }

    void connectorShapes() {
        using Kind = methods::ConnectorImpl::Kind;
        struct Row { int64_t cs, ss, ct, st, h; Kind kind; int64_t outH; };
        const std::vector<Row> rows = {{8, 2, 16, 2, 8, Kind::Pointwise, 8},   {6, 1, 12, 2, 8, Kind::Strided, 4},
                                       {16, 4, 8, 2, 4, Kind::Transposed, 8}, {4, 1, 6, 4, 16, Kind::Strided, 4},
                                       {4, 8, 6, 2, 2, Kind::Transposed, 8},  {4, 3, 6, 2, 5, Kind::Pointwise, 5}};
        for (const auto& r : rows) {
            methods::Connector c(r.cs, r.ss, r.ct, r.st);
            QVERIFY(c->kind() == r.kind);
            const auto y = c->forward(torch::randn({2, r.cs, r.h, r.h}));
            QVERIFY(y.sizes().vec() == (std::vector<int64_t>{2, r.ct, r.outH, r.outH}));
        }
    }

    void stageAtDepth() {
        using methods::stageAtDepth;
        for (int64_t n = 1; n <= 5; ++n)
            for (int64_t k = 0; k < n; ++k) QCOMPARE(stageAtDepth(k, n, n), k);
        QCOMPARE(stageAtDepth(0, 3, 4), int64_t(0));
        QCOMPARE(stageAtDepth(1, 3, 4), int64_t(2));
        QCOMPARE(stageAtDepth(2, 3, 4), int64_t(3));
        QCOMPARE(stageAtDepth(1, 2, 3), int64_t(2));
        QCOMPARE(stageAtDepth(0, 2, 3), int64_t(1));   // round(1.5) = 2 → stage 1
    }

    // `methods` lists each with its declared parameters, the KD block included.
    void catalogEntries() {
        const std::map<std::string, double> betas = {
            {"fitnet", 100}, {"at", 1000}, {"sp", 3000}, {"rkd", 1}, {"pkt", 30000}};
        for (const auto& name : kMethods) {
            const auto* decl = spec::findMethod(name);
            QVERIFY2(decl, name.c_str());
            QVERIFY(decl->needsTeacher);
            QVERIFY(!decl->summary.empty());
            QVERIFY(decl->param("beta"));
            QCOMPARE(decl->param("beta")->defaultValue, betas.at(name));
            QVERIFY(decl->param("kd_alpha"));
            QCOMPARE(decl->param("kd_alpha")->defaultValue, 0.0);
            QVERIFY(decl->param("kd_T"));
            for (const auto& p : decl->params) {
                QVERIFY(!p.help.empty());
                QVERIFY(p.min <= p.defaultValue && p.defaultValue <= p.max);
            }
        }
        QCOMPARE(spec::findMethod("fitnet")->param("stage")->defaultValue, -1.0);
        QCOMPARE(spec::findMethod("rkd")->param("w_d")->defaultValue, 25.0);
        QCOMPARE(spec::findMethod("rkd")->param("w_a")->defaultValue, 50.0);
        QCOMPARE(spec::findMethod("at")->param("p")->defaultValue, 2.0);
    }

    void createdFromDefaults() {
        auto teacher = models::createModel("resnet32x4", 3, 10);
        auto student = models::createModel("resnet8x4", 3, 10);
        for (const auto& name : kMethods) {
            auto d = methods::createDistiller(methodSpec(name), teacher.get(), *student);
            QCOMPARE(QString::fromStdString(d->name()), QString::fromStdString(name));
            QVERIFY(d->needsFeatures());
            QVERIFY(d->needsTeacher());
        }
        auto fit = std::dynamic_pointer_cast<methods::FitNet>(
            methods::createDistiller(methodSpec("fitnet"), teacher.get(), *student));
        QCOMPARE(fit->studentStage(), int64_t(1));
        QCOMPARE(fit->teacherStage(), int64_t(1));
        // 3-stage student, 4-stage teacher: spots by relative depth.
        auto big = models::createModel("resnet50", 3, 10);
        auto at = std::dynamic_pointer_cast<methods::AttentionTransfer>(
            methods::createDistiller(methodSpec("at"), big.get(), *student));
        QVERIFY(at->pairs() == (std::vector<std::pair<int64_t, int64_t>>{{0, 0}, {1, 2}, {2, 3}}));
        QVERIFY_EXCEPTION_THROWN(methods::createDistiller(methodSpec("fitnet", {{"stage", 5}}), teacher.get(), *student),
                                 std::invalid_argument);
        QVERIFY_EXCEPTION_THROWN(methods::createDistiller(methodSpec("fitnet"), nullptr, *student), std::invalid_argument);
    }

    void zooPairs_data() {
        QTest::addColumn<QString>("teacher");
        QTest::addColumn<QString>("student");
        QTest::addColumn<int>("channels");
        const std::vector<std::pair<const char*, const char*>> pairs = {
            {"resnet32x4", "resnet8x4"},  {"wrn_40_2", "mobilenetv2"},   {"vgg13", "shufflenetv1"},
            {"resnet50", "resnet18"},     {"resnet32x4", "shufflenetv2"}, {"resnet50", "mobilenetv2"},
            {"vgg13", "vgg8"},            {"wrn_40_2", "wrn_16_2"},       {"resnet56", "resnet20"},
            {"resnet50", "vgg8"},         {"vgg13", "resnet8"},           {"resnet18", "tinycnn"},
            {"tinycnn", "resnet8"},       {"mobilenetv2", "resnet50"}};
        for (const auto& [t, s] : pairs)
            for (int channels : {1, 3})
                QTest::newRow((std::string(t) + "->" + s + (channels == 1 ? " 1x28x28" : " 3x32x32")).c_str())
                    << QString(t) << QString(s) << channels;
    }

    // Every method builds from its defaults and runs forward and backward on the real features.
    void zooPairs() {
        QFETCH(QString, teacher);
        QFETCH(QString, student);
        QFETCH(int, channels);
        const ZooPair pair = makeZooPair(teacher, student, channels);
        const auto& [t, s, size, images, labels, tf] = pair;
        for (const auto& name : kMethods) {
            auto d = methods::createDistiller(methodSpec(name, {{"kd_alpha", 0.5}}), t.get(), *s);
            s->zero_grad();
            const auto sf = s->forwardFeatures(images);
            const auto terms = byName(d->losses({sf, &tf, labels, 0, 0, {}}));
            QVERIFY2(terms.count("ce") && terms.count("feat") && terms.count("kd"), name.c_str());
            const auto feat = terms.at("feat");
            QVERIFY2(feat.dim() == 0 && std::isfinite(feat.item<double>()), name.c_str());
            (terms.at("ce") + feat + terms.at("kd")).backward();
            bool anyGrad = false;
            for (const auto& p : s->parameters())
                if (p.grad().defined()) {
                    QVERIFY2(torch::isfinite(p.grad()).all().item<bool>(), name.c_str());
                    anyGrad = true;
                }
            QVERIFY(anyGrad);
        }
    }

    // The methods that need a connector or map alignment, on every (teacher, student) pair of the
    // zoo at 1×28×28, the smallest input: each model runs once, its features are reused.
    void everyZooPairConnects() {
        torch::NoGradGuard noGrad;
        const auto images = torch::randn({2, 1, 28, 28});
        const auto labels = torch::tensor(std::vector<int64_t>{3, 7});
        std::vector<std::pair<std::shared_ptr<models::StagedNet>, models::FeatureSet>> zoo;
        for (const auto& info : models::modelInfos()) {
            auto net = models::createModel(info.name, 1, 10);
            net->eval();
            zoo.emplace_back(net, net->forwardFeatures(images));
        }
        int checked = 0;
        for (auto& [teacher, teacherFeatures] : zoo)
            for (auto& [student, studentFeatures] : zoo)
                for (const char* name : {"fitnet", "at"}) {
                    auto d = methods::createDistiller(methodSpec(name), teacher.get(), *student);
                    d->eval();
                    const auto terms = byName(d->losses({studentFeatures, &teacherFeatures, labels, 0, 0, {}}));
                    QVERIFY2(terms.count("feat") && std::isfinite(terms.at("feat").item<double>()), name);
                    ++checked;
                }
        QCOMPARE(checked, int(2 * zoo.size() * zoo.size()));
    }
};

QTEST_APPLESS_MAIN(TestBaselines)
#include "test_baselines.moc"
