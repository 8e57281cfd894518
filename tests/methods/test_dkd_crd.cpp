// dkd and crd against golden values of an independent Python implementation
// (tests/fixtures/golden_dkd_crd.py → tests/fixtures/golden/dkd_crd.json), their gradients, and a
// small end-to-end crd step on real tinycnn features.
#include <QtTest>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "methods/Crd.h"
#include "GoldenFixture.h"
#include "methods/Distiller.h"
#include "methods/Dkd.h"
#include "models/ModelRegistry.h"
#include "spec/Catalog.h"
#include "spec/RunSpec.h"

using namespace distillery;
using nlohmann::json;

namespace {
const json& golden() {
    static const json data = readGoldenFixture("dkd_crd.json", "golden_dkd_crd.py");
    return data;
}

torch::Tensor matrix(const json& rows) {
    std::vector<float> flat;
    for (const auto& r : rows)
        for (const auto& v : r) flat.push_back(v.get<float>());
    return torch::tensor(flat).reshape({int64_t(rows.size()), int64_t(rows[0].size())});
}
torch::Tensor vector(const json& values) {
    std::vector<float> flat;
    for (const auto& v : values) flat.push_back(v.get<float>());
    return torch::tensor(flat);
}
torch::Tensor longs(const json& values) {
    std::vector<int64_t> flat;
    if (values[0].is_array()) {
        for (const auto& r : values)
            for (const auto& v : r) flat.push_back(v.get<int64_t>());
        return torch::tensor(flat).reshape({int64_t(values.size()), int64_t(values[0].size())});
    }
    for (const auto& v : values) flat.push_back(v.get<int64_t>());
    return torch::tensor(flat);
}

bool closeRel(double actual, double expected, double rel = 1e-5) {
    return std::abs(actual - expected) <= rel * std::max(1.0, std::abs(expected));
}
#define QVERIFY_CLOSE(actual, expected)                                                                           \
    QVERIFY2(closeRel((actual), (expected)),                                                                      \
             qPrintable(QString("%1 = %2, expected %3").arg(#actual).arg((actual), 0, 'g', 10).arg((expected), 0, \
                                                                                                    'g', 10)))

double term(const std::vector<methods::LossTerm>& terms, const std::string& name) {
    for (const auto& t : terms)
        if (t.name == name) return t.value.item<double>();
    return NAN;
}

std::shared_ptr<methods::Distiller> makeDistiller(const std::string& name, const json& params,
                                                  models::StagedNet* teacher, models::StagedNet& student,
                                                  const methods::DistillerContext& context = {}) {
    spec::MethodSpec method;
    method.name = name;
    method.params = params;
    return methods::createDistiller(method, teacher, student, context);
}

// A Crd sized and filled as the golden CRD block: embeddings and memory banks from the JSON.
std::shared_ptr<methods::Crd> goldenCrd() {
    const auto& g = golden()["crd"];
    methods::Crd::Options o;
    o.featDim = g["feat_dim"].get<int64_t>();
    o.nceK = g["nce_k"].get<int64_t>();
    o.nceT = g["nce_t"].get<double>();
    o.momentum = g["nce_m"].get<double>();
    o.beta = g["beta"].get<double>();
    auto crd = std::make_shared<methods::Crd>(g["student_dim"].get<int64_t>(), g["teacher_dim"].get<int64_t>(),
                                              g["train_size"].get<int64_t>(), o);
    torch::NoGradGuard noGrad;
    crd->embedStudent()->weight.copy_(matrix(g["embed_s_weight"]));
    crd->embedStudent()->bias.copy_(vector(g["embed_s_bias"]));
    crd->embedTeacher()->weight.copy_(matrix(g["embed_t_weight"]));
    crd->embedTeacher()->bias.copy_(vector(g["embed_t_bias"]));
    crd->memoryStudent().copy_(matrix(g["memory_v1"]));
    crd->memoryTeacher().copy_(matrix(g["memory_v2"]));
    return crd;
}

bool rowsClose(const torch::Tensor& actual, const torch::Tensor& expected, double tol = 1e-5) {
    return (actual - expected).abs().max().item<double>() <= tol * std::max(1.0, expected.abs().max().item<double>());
}
}  // namespace

class TestDkdCrd : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void catalogDeclaresBoth() {
        const auto* dkd = spec::findMethod("dkd");
        QVERIFY(dkd);
        QCOMPARE(dkd->param("alpha")->defaultValue, 1.0);
        QCOMPARE(dkd->param("beta")->defaultValue, 8.0);
        QCOMPARE(dkd->param("T")->defaultValue, 4.0);
        QCOMPARE(dkd->param("warmup")->defaultValue, 20.0);
        QCOMPARE(dkd->param("ce_weight")->defaultValue, 1.0);
        const auto* crd = spec::findMethod("crd");
        QVERIFY(crd);
        QCOMPARE(crd->param("beta")->defaultValue, 0.8);
        QCOMPARE(crd->param("feat_dim")->defaultValue, 128.0);
        QCOMPARE(crd->param("nce_k")->defaultValue, 16384.0);
        QCOMPARE(crd->param("nce_t")->defaultValue, 0.07);
        QCOMPARE(crd->param("nce_m")->defaultValue, 0.5);
        QVERIFY(crd->param("kd_alpha"));
        QCOMPARE(crd->param("kd_alpha")->defaultValue, 0.0);
    }

    // ---- dkd ---------------------------------------------------------------------------------------
    void dkdMatchesGolden() {
        const auto& g = golden()["dkd"];
        auto net = models::createModel("tinycnn", 1, 7);
        models::FeatureSet s, t;
        s.logits = matrix(g["student_logits"]);
        t.logits = matrix(g["teacher_logits"]);
        const auto labels = longs(g["labels"]);
        QVERIFY(g["cases"].size() >= 8);
        for (const auto& c : g["cases"]) {
            auto d = makeDistiller("dkd", c["params"], net.get(), *net);
            QVERIFY(!d->needsFeatures());
            QVERIFY(d->needsTeacher());
            const auto terms = d->losses({s, &t, labels, 0, c["epoch"].get<int64_t>(), {}});
            QCOMPARE(terms.size(), size_t(3));
            qInfo("dkd T=%g epoch %d: ce %.8g (ref %.8g) tckd %.8g (ref %.8g) nckd %.8g (ref %.8g)",
                  c["params"]["T"].get<double>(), int(c["epoch"].get<int64_t>()), term(terms, "ce"),
                  c["ce"].get<double>(), term(terms, "tckd"), c["tckd"].get<double>(), term(terms, "nckd"),
                  c["nckd"].get<double>());
            QVERIFY_CLOSE(term(terms, "ce"), c["ce"].get<double>());
            QVERIFY_CLOSE(term(terms, "tckd"), c["tckd"].get<double>());
            QVERIFY_CLOSE(term(terms, "nckd"), c["nckd"].get<double>());
            const auto [tckd, nckd] = methods::Dkd::parts(s.logits, t.logits, labels, c["params"]["T"].get<double>());
            QVERIFY_CLOSE(tckd.item<double>(), c["tckd_raw"].get<double>());
            QVERIFY_CLOSE(nckd.item<double>(), c["nckd_raw"].get<double>());
        }
    }

    void dkdGradientsReachStudentOnly() {
        const auto& g = golden()["dkd"];
        auto net = models::createModel("tinycnn", 1, 7);
        auto d = makeDistiller("dkd", json::object(), net.get(), *net);
        models::FeatureSet s, t;
        s.logits = matrix(g["student_logits"]).requires_grad_(true);
        t.logits = matrix(g["teacher_logits"]).requires_grad_(true);
        const auto labels = longs(g["labels"]);
        for (const std::string name : {"tckd", "nckd"}) {
            s.logits.mutable_grad() = torch::Tensor();
            t.logits.mutable_grad() = torch::Tensor();
            const auto terms = d->losses({s, &t, labels, 0, 30, {}});
            for (const auto& term : terms)
                if (term.name == name) term.value.backward();
            QVERIFY2(s.logits.grad().defined() && s.logits.grad().abs().sum().item<double>() > 0, name.c_str());
            QVERIFY2(!t.logits.grad().defined() || t.logits.grad().abs().sum().item<double>() == 0, name.c_str());
        }
    }

    // ---- crd ---------------------------------------------------------------------------------------
    void crdMatchesGolden() {
        const auto& g = golden()["crd"];
        auto crd = goldenCrd();
        QCOMPARE(crd->nceK(), g["nce_k"].get<int64_t>());
        QVERIFY(crd->normalisers()[0].item<double>() < 0);
        auto v1 = crd->memoryStudent().clone(), v2 = crd->memoryTeacher().clone();
        for (const auto& step : g["steps"]) {
            const auto indices = longs(step["indices"]);
            const auto loss = crd->contrastLoss(matrix(step["student_pooled"]), matrix(step["teacher_pooled"]),
                                                indices, longs(step["contrast_indices"]));
            qInfo("crd step: L_s+L_t %.8g (ref %.8g), Z %.8g %.8g (ref %.8g %.8g)", loss.item<double>(),
                  step["crd_raw"].get<double>(), crd->normalisers()[0].item<double>(),
                  crd->normalisers()[1].item<double>(), step["z"][0].get<double>(), step["z"][1].get<double>());
            QVERIFY_CLOSE(loss.item<double>(), step["crd_raw"].get<double>());
            // Z: set on the first batch, kept afterwards.
            QVERIFY_CLOSE(crd->normalisers()[0].item<double>(), step["z"][0].get<double>());
            QVERIFY_CLOSE(crd->normalisers()[1].item<double>(), step["z"][1].get<double>());
            // The memory update: the batch's rows as the reference has them, the others untouched.
            QVERIFY(rowsClose(crd->memoryStudent().index_select(0, indices), matrix(step["memory_v1_rows"])));
            QVERIFY(rowsClose(crd->memoryTeacher().index_select(0, indices), matrix(step["memory_v2_rows"])));
            v1.index_copy_(0, indices, crd->memoryStudent().index_select(0, indices));
            v2.index_copy_(0, indices, crd->memoryTeacher().index_select(0, indices));
            QVERIFY(torch::equal(crd->memoryStudent(), v1));
            QVERIFY(torch::equal(crd->memoryTeacher(), v2));
        }
    }

    void crdGradientsReachStudentAndEmbeddingsOnly() {
        const auto& g = golden()["crd"];
        const auto& step = g["steps"][0];
        auto crd = goldenCrd();
        models::FeatureSet s, t;
        s.pooled = matrix(step["student_pooled"]).requires_grad_(true);
        t.pooled = matrix(step["teacher_pooled"]).requires_grad_(true);
        s.logits = torch::randn({4, 3}).requires_grad_(true);
        t.logits = torch::randn({4, 3}).requires_grad_(true);
        const auto labels = torch::tensor(std::vector<int64_t>{0, 1, 2, 1});
        const auto terms = crd->losses({s, &t, labels, 0, 0, longs(step["indices"])});
        QCOMPARE(terms.size(), size_t(2));   // kd_alpha = 0: no kd term
        for (const auto& term : terms)
            if (term.name == "crd") term.value.backward();
        QVERIFY(s.pooled.grad().defined() && s.pooled.grad().abs().sum().item<double>() > 0);
        QVERIFY(!t.pooled.grad().defined());
        for (auto* layer : {&crd->embedStudent(), &crd->embedTeacher()}) {
            QVERIFY((*layer)->weight.grad().defined() && (*layer)->weight.grad().abs().sum().item<double>() > 0);
            QVERIFY((*layer)->bias.grad().defined());
        }
        QVERIFY(!crd->memoryStudent().requires_grad() && !crd->memoryStudent().grad().defined());
        QVERIFY(!crd->memoryTeacher().requires_grad() && !crd->memoryTeacher().grad().defined());
        // Registered where the trainer looks: parameters are the embeddings, buffers the banks, Z, sampler.
        QCOMPARE(crd->parameters().size(), size_t(4));
        const auto buffers = crd->named_buffers(false);
        for (const char* name : {"memory_v1", "memory_v2", "z", "sampler_state"}) QVERIFY2(buffers.contains(name), name);
    }

    void crdSamplingIsReproducibleFromItsBuffer() {
        torch::manual_seed(7);
        methods::Crd::Options o;
        o.featDim = 16;
        o.nceK = 50;
        auto a = std::make_shared<methods::Crd>(4, 4, 100, o);
        torch::manual_seed(7);
        auto b = std::make_shared<methods::Crd>(4, 4, 100, o);
        const auto indices = torch::tensor(std::vector<int64_t>{4, 8, 15, 16, 23, 42});
        const auto state = a->named_buffers()["sampler_state"].clone();
        const auto first = a->sampleContrastIndices(indices);
        QVERIFY((first.sizes().vec() == std::vector<int64_t>{6, 51}));
        QVERIFY(torch::equal(first.select(1, 0), indices));
        QVERIFY(first.min().item<int64_t>() >= 0 && first.max().item<int64_t>() < 100);
        QVERIFY(torch::equal(first, b->sampleContrastIndices(indices)));   // same seed, same draws
        const auto second = a->sampleContrastIndices(indices);
        QVERIFY(!torch::equal(first, second));
        // A restored state (what a checkpoint carries) replays the draws.
        a->named_buffers()["sampler_state"].copy_(state);
        QVERIFY(torch::equal(a->sampleContrastIndices(indices), first));
        QVERIFY(torch::equal(a->sampleContrastIndices(indices), second));
    }

    void crdEndToEndOnTinyCnn() {
        torch::manual_seed(3);
        auto teacher = models::createModel("tinycnn", 1, 10);
        auto student = models::createModel("tinycnn", 1, 10);
        teacher->eval();
        methods::DistillerContext context;
        context.trainSize = 64;
        auto distiller = makeDistiller("crd", json::object(), teacher.get(), *student, context);
        auto* crd = dynamic_cast<methods::Crd*>(distiller.get());
        QVERIFY(crd);
        QVERIFY(distiller->needsFeatures());
        QCOMPARE(crd->requestedNceK(), int64_t(16384));
        QCOMPARE(crd->nceK(), int64_t(63));   // capped at trainSize - 1
        QVERIFY((crd->memoryStudent().sizes().vec() == std::vector<int64_t>{64, 128}));
        const double stdv = 1.0 / std::sqrt(128.0 / 3.0);
        QVERIFY(crd->memoryStudent().abs().max().item<double>() <= stdv);

        const auto before1 = crd->memoryStudent().clone(), before2 = crd->memoryTeacher().clone();
        const auto images = torch::randn({8, 1, 28, 28});
        const auto labels = torch::randint(0, 10, {8}, torch::kLong);
        const auto indices = torch::tensor(std::vector<int64_t>{1, 7, 8, 20, 33, 40, 41, 63});
        for (int call = 0; call < 2; ++call) {
            models::FeatureSet t;
            {
                torch::NoGradGuard noGrad;
                t = teacher->forwardFeatures(images);
            }
            const auto s = student->forwardFeatures(images);
            const auto terms = distiller->losses({s, &t, labels, call, 0, indices});
            QCOMPARE(terms.size(), size_t(2));
            for (const auto& term : terms) QVERIFY2(std::isfinite(term.value.item<double>()), term.name.c_str());
            torch::Tensor total = terms[0].value + terms[1].value;
            total.backward();
        }
        auto changed = [](const torch::Tensor& now, const torch::Tensor& before) {
            return (now != before).any(1);
        };
        auto expected = torch::zeros({64}, torch::kBool);
        expected.index_fill_(0, indices, true);
        QVERIFY(torch::equal(changed(crd->memoryStudent(), before1), expected));
        QVERIFY(torch::equal(changed(crd->memoryTeacher(), before2), expected));
        // Updated rows are unit vectors.
        const auto norms = crd->memoryStudent().index_select(0, indices).norm(2, 1);
        QVERIFY(torch::allclose(norms, torch::ones_like(norms), 1e-5, 1e-5));
        QVERIFY(crd->normalisers().min().item<double>() > 0);
    }
};

QTEST_GUILESS_MAIN(TestDkdCrd)
#include "test_dkd_crd.moc"
