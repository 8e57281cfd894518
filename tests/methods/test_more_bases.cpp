// The official SAKD distillers added as methods and as sakd bases: nst, vid, cc, ft, and crd on the
// open samples. Each loss and its gradient w.r.t. the student's feature against an independent Python
// reference written from RepDistiller's and the SAKD code's files (tests/fixtures/golden_more_bases.py →
// tests/fixtures/golden/more_bases.json); no gradient reaches the teacher's features; the catalog and
// registry rows; each builds as a sakd base and gives finite terms.
#include <QtTest>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "GoldenFixture.h"
#include "methods/CorrelationCongruence.h"
#include "methods/Crd.h"
#include "methods/DistillationPath.h"
#include "methods/FactorTransfer.h"
#include "methods/MethodRegistry.h"
#include "methods/NeuronSelectivity.h"
#include "methods/SpotAdaptive.h"
#include "methods/VariationalInformation.h"
#include "models/ModelRegistry.h"
#include "spec/Catalog.h"

using namespace distillery;
using nlohmann::json;

namespace {

const json& golden() {
    static const json data = readGoldenFixture("more_bases.json", "golden_more_bases.py");
    return data;
}

// The case of a method's golden block named by the current data row.
const json& currentCase(const std::string& method) {
    QFETCH(QString, name);
    return goldenCase(golden()[method], name.toStdString());
}

bool close(double actual, double expected, double relative = 1e-4) {
    return std::abs(actual - expected) <= relative * std::max(1.0, std::abs(expected));
}

// Every element within `relative` of the reference's largest magnitude: the gradient's sign and size.
bool tensorsClose(const torch::Tensor& actual, const torch::Tensor& expected, double relative = 1e-4) {
    if (!actual.defined() || actual.sizes() != expected.sizes()) return false;
    const double scale = std::max(1e-12, expected.abs().max().item<double>());
    return (actual.to(torch::kDouble) - expected.to(torch::kDouble)).abs().max().item<double>() <= relative * scale;
}

#define QVERIFY_CLOSE(actual, expected)   \
    QVERIFY2(close((actual), (expected)), \
             qPrintable(                  \
                 QString("%1 = %2, expected %3").arg(#actual).arg((actual), 0, 'g', 10).arg((expected), 0, 'g', 10)))

// Copies named tensors into a module's parameters and buffers; every parameter must be given.
void load(torch::nn::Module& module, const json& weights) {
    torch::NoGradGuard noGrad;
    auto parameters = module.named_parameters(true);
    auto buffers = module.named_buffers(true);
    size_t loadedParameters = 0;
    for (const auto& [key, value] : weights.items()) {
        const auto t = tensorOf(value);
        if (auto* p = parameters.find(key)) {
            QVERIFY2(p->sizes() == t.sizes(), key.c_str());
            p->copy_(t);
            ++loadedParameters;
        } else if (auto* b = buffers.find(key)) {
            b->copy_(t);
        } else {
            QFAIL(("no parameter or buffer " + key).c_str());
        }
    }
    QCOMPARE(loadedParameters, parameters.size());
}

// One stage: a student feature that records its gradient, and a teacher feature that would record one
// if any reached it.
struct StagePair {
    models::FeatureSet student, teacher;
    torch::Tensor studentMap, teacherMap;
};
StagePair stagePair(const json& c) {
    StagePair p;
    p.studentMap = tensorOf(c["student"]).requires_grad_(true);
    p.teacherMap = tensorOf(c["teacher"]).requires_grad_(true);
    p.student.stages = {p.studentMap};
    p.teacher.stages = {p.teacherMap};
    return p;
}

torch::Tensor longs(const json& values) {
    std::vector<int64_t> flat;
    for (const auto& v : values)
        flat.push_back(v.get<int64_t>());
    return torch::tensor(flat, torch::kLong);
}

spec::MethodSpec specOf(const std::string& name, json params = json::object()) {
    spec::MethodSpec m;
    m.name = name;
    m.params = std::move(params);
    return m;
}

constexpr int64_t kPixels = 16, kBatch = 4;

methods::DistillerContext tinyContext() { return tinyRunContext(kPixels, 5); }

double term(const std::vector<methods::LossTerm>& terms, const std::string& name) {
    for (const auto& t : terms)
        if (t.name == name) return t.value.item<double>();
    return NAN;
}

RandomBatch tinyBatch(models::StagedNet& teacher, models::StagedNet& student) {
    return batchFor(teacher, student, kBatch, 1, kPixels);
}
}  // namespace

class TestMoreBases : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init() { torch::manual_seed(3); }

    // ---- catalog and registry -----------------------------------------------------------------------

    // RepDistiller's train_student.py weights (scripts/run_cifar_distill.sh -b), the other official
    // defaults, the KD option (off), and a registry row that builds the method with its spots.
    void catalogAndRegistryRow_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("defaults");
        QTest::addColumn<QStringList>("spots");
        QTest::newRow("crd") << "crd"
                             << R"({"beta": 0.8})" << QStringList{"pooled"};
        QTest::newRow("nst") << "nst"
                             << R"({"beta": 50})" << QStringList{"stage 1", "stage 2"};
        QTest::newRow("vid") << "vid"
                             << R"({"beta": 1, "init_var": 5})" << QStringList{"stage 1", "stage 2"};
        QTest::newRow("cc") << "cc"
                            << R"({"beta": 0.02, "feat_dim": 128})" << QStringList{"pooled"};
        QTest::newRow("ft") << "ft"
                            << R"({"beta": 200, "paraphraser_share": 0.11, "paraphraser_lr": 0.01})"
                            << QStringList{"stage 2"};
    }
    void catalogAndRegistryRow() {
        QFETCH(QString, method);
        QFETCH(QString, defaults);
        QFETCH(QStringList, spots);
        const std::string name = method.toStdString();
        const spec::MethodDecl* decl = spec::findMethod(name);
        QVERIFY(decl);
        QVERIFY(decl->needsTeacher);
        const json expected = json::parse(defaults.toStdString());
        for (const auto& [key, value] : expected.items()) {
            QVERIFY2(decl->param(key), key.c_str());
            QCOMPARE(decl->param(key)->defaultValue, value.get<double>());
        }
        QVERIFY(decl->param("kd_alpha"));
        QCOMPARE(decl->param("kd_alpha")->defaultValue, 0.0);
        QVERIFY(methods::findFactory(name));
        const auto& bases = spec::findMethod("sakd")->param("base")->choices;
        QVERIFY2(std::find(bases.begin(), bases.end(), name) != bases.end(), "a sakd base choice");

        // resnet8 (3 stages) teaches tinycnn (2 stages): the stage methods pair by relative depth.
        auto teacher = models::createModel("resnet8", 1, 10);
        auto student = models::createModel("tinycnn", 1, 10);
        const auto distiller = methods::createDistiller(specOf(name), teacher.get(), *student, tinyContext());
        QCOMPARE(QString::fromStdString(distiller->name()), method);
        QStringList names;
        for (const auto& s : distiller->spots())
            names << QString::fromStdString(s.name);
        QCOMPARE(names, spots);
    }

    // ---- nst --------------------------------------------------------------------------------------------

    void nstMatchesGolden_data() { addGoldenCaseRows(golden()["nst"]); }
    void nstMatchesGolden() {
        const json& c = currentCase("nst");
        auto p = stagePair(c);
        methods::NeuronSelectivity nst(c["beta"].get<double>(), {{0, 0}});
        const auto loss = nst.spotLoss(0, p.student, p.teacher);
        qInfo("nst %s: %.8g (ref %.8g)", c["name"].get<std::string>().c_str(), loss.item<double>(),
              c["loss"].get<double>());
        QVERIFY_CLOSE(loss.item<double>(), c["loss"].get<double>());
        loss.backward();
        QVERIFY(tensorsClose(p.studentMap.grad(), tensorOf(c["grad"])));
        QVERIFY(!p.teacherMap.grad().defined());
    }

    // multipath's nst path is the AdaptiveDistillation code's linear-Gram NST, and lives in nst's file.
    void nstGramIsTheMultipathPath() {
        const json& g = golden()["nst"]["gram"];
        const auto s = tensorOf(g["student"]), t = tensorOf(g["teacher"]);
        QVERIFY_CLOSE(methods::NeuronSelectivity::gramMse(s, t).item<double>(), g["loss"].get<double>());
        QVERIFY(torch::equal(methods::DistillationPathImpl::nstLoss(s, t), methods::NeuronSelectivity::gramMse(s, t)));
    }

    // ---- vid --------------------------------------------------------------------------------------------

    void vidMatchesGolden_data() { addGoldenCaseRows(golden()["vid"]); }
    void vidMatchesGolden() {
        const json& c = currentCase("vid");
        auto p = stagePair(c);
        const int64_t cs = p.studentMap.size(1), ct = p.teacherMap.size(1);
        methods::VariationalInformation vid(c["beta"].get<double>(), c["init_var"].get<double>(), {{0, 0, cs, ct}});
        // The variance starts where VIDLoss starts it, and the student's optimiser trains it.
        QVERIFY(tensorsClose(vid.logScale(0), tensorOf(c["initial_log_scale"]), 1e-6));
        QVERIFY(vid.logScale(0).requires_grad());
        const auto trained = vid.studentParameters();
        QVERIFY(std::any_of(trained.begin(), trained.end(),
                            [&](const at::Tensor& t) { return t.is_same(vid.logScale(0)); }));
        load(*vid.regressor(0), c["weights"]);
        {
            torch::NoGradGuard noGrad;
            vid.logScale(0).copy_(tensorOf(c["log_scale"]));
        }
        const auto loss = vid.spotLoss(0, p.student, p.teacher);
        qInfo("vid %s: %.8g (ref %.8g)", c["name"].get<std::string>().c_str(), loss.item<double>(),
              c["loss"].get<double>());
        QVERIFY_CLOSE(loss.item<double>(), c["loss"].get<double>());
        loss.backward();
        QVERIFY(tensorsClose(p.studentMap.grad(), tensorOf(c["grad"])));
        QVERIFY(tensorsClose(vid.logScale(0).grad(), tensorOf(c["grad_log_scale"])));
        QVERIFY(!p.teacherMap.grad().defined());
    }

    // ---- cc ---------------------------------------------------------------------------------------------

    void ccMatchesGolden_data() { addGoldenCaseRows(golden()["cc"]); }
    void ccMatchesGolden() {
        const json& c = currentCase("cc");
        const auto studentPooled = tensorOf(c["student"]).requires_grad_(true);
        const auto teacherPooled = tensorOf(c["teacher"]).requires_grad_(true);
        methods::CorrelationCongruence cc(c["beta"].get<double>(), studentPooled.size(1), teacherPooled.size(1),
                                          c["feat_dim"].get<int64_t>());
        QCOMPARE(cc.minSpotSamples(), int64_t(2));
        load(*cc.embedStudent(), c["embed_s"]);
        load(*cc.embedTeacher(), c["embed_t"]);
        models::FeatureSet s, t;
        s.pooled = studentPooled;
        t.pooled = teacherPooled;
        const auto loss = cc.spotLoss(0, s, t);
        qInfo("cc %s: %.8g (ref %.8g)", c["name"].get<std::string>().c_str(), loss.item<double>(),
              c["loss"].get<double>());
        QVERIFY_CLOSE(loss.item<double>(), c["loss"].get<double>());
        loss.backward();
        QVERIFY(tensorsClose(studentPooled.grad(), tensorOf(c["grad"])));
        // The teacher's embedding learns through the loss (RepDistiller); the teacher's feature does not.
        QVERIFY(tensorsClose(cc.embedTeacher()->weight.grad(), tensorOf(c["grad_embed_t_weight"])));
        QVERIFY(!teacherPooled.grad().defined());
    }

    // ---- ft ---------------------------------------------------------------------------------------------

    // One paraphraser update (the official pre-training's loss and optimiser step), during which the FT
    // term is 0; then the FT loss against the frozen paraphraser's factor.
    void ftMatchesGolden_data() { addGoldenCaseRows(golden()["ft"]); }
    void ftMatchesGolden() {
        const json& c = currentCase("ft");
        auto p = stagePair(c);
        methods::FactorTransfer::Options o;
        o.beta = c["beta"].get<double>();
        o.paraphraserLr = 0.01;
        o.paraphraserSteps = 1;
        methods::FactorTransfer ft(o, 0, 0, p.studentMap.size(1), p.teacherMap.size(1));
        load(ft, c["weights"]);
        ft.train();

        QVERIFY(ft.inParaphraserPhase());
        const auto during = ft.spotLoss(0, p.student, p.teacher);
        QCOMPARE(during.item<double>(), 0.0);
        QVERIFY(!during.requires_grad());
        QCOMPARE(ft.paraphraserUpdates(), int64_t(1));
        QVERIFY(!ft.inParaphraserPhase());
        const auto diagnostics = ft.diagnostics();
        QCOMPARE(diagnostics.scalars.size(), size_t(1));
        QCOMPARE(QString::fromStdString(diagnostics.scalars[0].key), QString("ft/loss/paraphraser reconstruction"));
        QVERIFY_CLOSE(diagnostics.scalars[0].value, c["reconstruction"].get<double>());
        auto named = ft.named_parameters(true);
        for (const auto& [key, value] : c["stepped_paraphraser"].items()) {
            QVERIFY2(tensorsClose(named[key], tensorOf(value), 1e-5), key.c_str());
            QVERIFY2(!named[key].grad().defined(), key.c_str());  // no other optimiser may step it
        }

        const auto loss = ft.spotLoss(0, p.student, p.teacher);
        qInfo("ft %s: %.8g (ref %.8g)", c["name"].get<std::string>().c_str(), loss.item<double>(),
              c["loss"].get<double>());
        QVERIFY_CLOSE(loss.item<double>(), c["loss"].get<double>());
        loss.backward();
        QVERIFY(tensorsClose(p.studentMap.grad(), tensorOf(c["grad"])));
        QVERIFY(!p.teacherMap.grad().defined());
        for (const auto& param : ft.paraphraser()->parameters())
            QVERIFY(!param.grad().defined());
        // The student's optimiser trains the translator alone.
        QCOMPARE(ft.studentParameters().size(), ft.translator()->parameters().size());
    }

    // The phase is paraphraser_share of the run's steps, one update per loss call.
    void ftPhaseIsAShareOfTheRun() {
        auto teacher = models::createModel("resnet8", 1, 10);
        auto student = models::createModel("tinycnn", 1, 10);
        auto context = tinyContext();
        context.totalSteps = 30;
        auto distiller =
            methods::createDistiller(specOf("ft", {{"paraphraser_share", 0.1}}), teacher.get(), *student, context);
        auto ft = std::dynamic_pointer_cast<methods::FactorTransfer>(distiller);
        QVERIFY(ft);
        const auto [images, labels, s, t] = tinyBatch(*teacher, *student);
        std::vector<double> feats;
        for (int step = 0; step < 4; ++step)
            feats.push_back(term(ft->losses({s, &t, labels, step, 0, {}}), "feat"));
        QCOMPARE(feats[0], 0.0);
        QCOMPARE(feats[1], 0.0);
        QCOMPARE(feats[2], 0.0);
        QVERIFY(feats[3] > 0 && std::isfinite(feats[3]));
        QCOMPARE(ft->paraphraserUpdates(), int64_t(3));
    }

    // ---- crd on the open samples ------------------------------------------------------------------------

    // As the SAKD code calls CRD: the open samples alone, at their positions, with negatives drawn for
    // them; only their bank rows change.
    void crdOnOpenSamplesMatchesGolden() {
        const json& g = golden()["crd"];
        methods::Crd::Options o;
        o.featDim = g["feat_dim"].get<int64_t>();
        o.nceK = g["nce_k"].get<int64_t>();
        o.nceT = g["nce_t"].get<double>();
        o.momentum = g["nce_m"].get<double>();
        o.beta = g["beta"].get<double>();
        methods::Crd crd(g["student_dim"].get<int64_t>(), g["teacher_dim"].get<int64_t>(),
                         g["train_size"].get<int64_t>(), o);
        {
            torch::NoGradGuard noGrad;
            crd.embedStudent()->weight.copy_(tensorOf(g["embed_s_weight"]));
            crd.embedStudent()->bias.copy_(tensorOf(g["embed_s_bias"]));
            crd.embedTeacher()->weight.copy_(tensorOf(g["embed_t_weight"]));
            crd.embedTeacher()->bias.copy_(tensorOf(g["embed_t_bias"]));
            crd.memoryStudent().copy_(tensorOf(g["memory_v1"]));
            crd.memoryTeacher().copy_(tensorOf(g["memory_v2"]));
            auto generator = at::make_generator<at::CPUGeneratorImpl>(g["sampler_seed"].get<uint64_t>());
            crd.named_buffers()["sampler_state"].copy_(generator.get_state());
        }
        const auto open = longs(g["open_rows"]);
        const auto positions = longs(g["batch_positions"]).index_select(0, open);
        const auto studentOpen = tensorOf(g["student_pooled"]).index_select(0, open).requires_grad_(true);
        const auto teacherOpen = tensorOf(g["teacher_pooled"]).index_select(0, open).requires_grad_(true);
        models::FeatureSet s, t;
        s.pooled = studentOpen;
        t.pooled = teacherOpen;

        // Without the rows' positions the banks cannot be read: a clear error, not a silent guess.
        QVERIFY_EXCEPTION_THROWN(crd.spotLoss(0, s, t), std::invalid_argument);
        const auto before1 = crd.memoryStudent().clone(), before2 = crd.memoryTeacher().clone();

        crd.setSpotIndices(positions);
        const auto loss = crd.spotLoss(0, s, t);
        qInfo("crd open samples: %.8g (ref %.8g)", loss.item<double>(), g["loss"].get<double>());
        QVERIFY_CLOSE(loss.item<double>(), g["loss"].get<double>());
        QVERIFY_CLOSE(crd.normalisers()[0].item<double>(), g["z"][0].get<double>());
        QVERIFY_CLOSE(crd.normalisers()[1].item<double>(), g["z"][1].get<double>());
        loss.backward();
        QVERIFY(tensorsClose(studentOpen.grad(), tensorOf(g["grad_open_rows"])));
        QVERIFY(!teacherOpen.grad().defined());

        QVERIFY(tensorsClose(crd.memoryStudent().index_select(0, positions), tensorOf(g["memory_v1_open"]), 1e-5));
        QVERIFY(tensorsClose(crd.memoryTeacher().index_select(0, positions), tensorOf(g["memory_v2_open"]), 1e-5));
        auto expected1 = before1.clone(), expected2 = before2.clone();
        expected1.index_copy_(0, positions, crd.memoryStudent().index_select(0, positions));
        expected2.index_copy_(0, positions, crd.memoryTeacher().index_select(0, positions));
        QVERIFY(torch::equal(crd.memoryStudent(), expected1));  // the closed samples' rows are untouched
        QVERIFY(torch::equal(crd.memoryTeacher(), expected2));
        // The positions are used once.
        QVERIFY_EXCEPTION_THROWN(crd.spotLoss(0, s, t), std::invalid_argument);
    }

    // ---- as sakd bases ----------------------------------------------------------------------------------

    // Each base builds under sakd and gives finite terms, the gated base loss positive with every gate
    // open and reaching the student. Without a beta, sakd weighs the base by the official config's
    // other_kd (the same terms as that beta given explicitly, and not those of another); crd's open
    // samples get their training-split positions from sakd itself.
    void gatedBySakd_data() {
        QTest::addColumn<QString>("base");
        QTest::addColumn<double>("beta");
        QTest::newRow("crd") << "crd" << 0.8;
        QTest::newRow("nst") << "nst" << 50.0;
        QTest::newRow("vid") << "vid" << 1.0;
        QTest::newRow("cc") << "cc" << 0.02;
        QTest::newRow("ft") << "ft" << 200.0;
    }
    void gatedBySakd() {
        QFETCH(QString, base);
        QFETCH(double, beta);
        auto teacher = models::createModel("resnet8", 1, 10);
        teacher->eval();
        for (auto& p : teacher->parameters())
            p.set_requires_grad(false);
        auto student = models::createModel("tinycnn", 1, 10);
        const RandomBatch batch = tinyBatch(*teacher, *student);

        // One agent step, then the student's terms twice with every gate open (ft's first loss call is
        // its paraphraser update, the FT term 0; the next one distils). Returns the last feat term.
        const auto run = [&](json params) {
            torch::manual_seed(11);
            params["base"] = base.toStdString();
            const auto distiller = methods::createDistiller(specOf("sakd", params), teacher.get(), *student, tinyContext());
            auto sakd = std::dynamic_pointer_cast<methods::SpotAdaptive>(distiller);
            if (!sakd) throw std::logic_error("not a sakd distiller");
            auto gated = std::dynamic_pointer_cast<methods::Distiller>(sakd->named_children()["base"]);
            if (!gated || gated->name() != base.toStdString()) throw std::logic_error("sakd's base is not " + base.toStdString());
            methods::StepInputs inputs{batch.student, &batch.teacher, batch.labels, 0, 0, torch::arange(kBatch, torch::kLong)};
            inputs.images = &batch.images;
            inputs.learningRate = 0.01;
            for (const auto& term : sakd->losses(inputs))
                if (term.value.dim() != 0 || !std::isfinite(term.value.item<double>()))
                    throw std::logic_error("not a finite scalar: " + term.name);
            const auto open = torch::ones({kBatch, sakd->decisionCount()});
            at::Tensor feat;
            for (int call = 0; call < 2; ++call)
                for (const auto& term : sakd->studentTerms(inputs, open)) {
                    if (!std::isfinite(term.value.item<double>())) throw std::logic_error("not finite: " + term.name);
                    if (term.name == "feat") feat = term.value;
                }
            return feat;
        };
        const auto feat = run(json::object());
        QVERIFY(feat.item<double>() > 0);
        const double official = run({{"beta", beta}}).item<double>(), other = run({{"beta", 2 * beta}}).item<double>();
        QVERIFY2(std::abs(feat.item<double>() - official) <= 1e-5 * std::abs(official),
                 qPrintable(QString("default beta %1 vs beta %2 given: %3").arg(feat.item<double>()).arg(beta).arg(official)));
        QVERIFY(std::abs(other - official) > 1e-3 * std::abs(official));
        student->zero_grad();
        feat.backward();
        bool reached = false;
        for (const auto& p : student->parameters())
            reached = reached || (p.grad().defined() && p.grad().abs().sum().item<double>() > 0);
        QVERIFY(reached);
    }
};

QTEST_APPLESS_MAIN(TestMoreBases)
#include "test_more_bases.moc"
