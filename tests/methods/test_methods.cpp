// Method losses against values computed independently, in plain double arithmetic.
#include <QtTest>

#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "methods/Distiller.h"
#include "models/ModelRegistry.h"
#include "spec/RunSpec.h"

using namespace distillery;

namespace {
using Rows = std::vector<std::vector<double>>;

std::vector<double> softmax(const std::vector<double>& z, double t) {
    double maxZ = z[0];
    for (double v : z) maxZ = std::max(maxZ, v);
    std::vector<double> p(z.size());
    double sum = 0;
    for (size_t i = 0; i < z.size(); ++i) sum += p[i] = std::exp((z[i] - maxZ) / t);
    for (double& v : p) v /= sum;
    return p;
}

double crossEntropy(const Rows& logits, const std::vector<int64_t>& labels) {
    double loss = 0;
    for (size_t b = 0; b < logits.size(); ++b) loss -= std::log(softmax(logits[b], 1)[labels[b]]);
    return loss / logits.size();
}

double klTimesT2(const Rows& student, const Rows& teacher, double t) {
    double kl = 0;
    for (size_t b = 0; b < student.size(); ++b) {
        const auto ps = softmax(student[b], t), pt = softmax(teacher[b], t);
        for (size_t c = 0; c < ps.size(); ++c) kl += pt[c] * (std::log(pt[c]) - std::log(ps[c]));
    }
    return kl / student.size() * t * t;
}

torch::Tensor toTensor(const Rows& rows) {
    std::vector<float> flat;
    for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
    return torch::tensor(flat).reshape({int64_t(rows.size()), int64_t(rows[0].size())});
}

const Rows kStudent = {{1.0, -0.5, 2.0, 0.1}, {0.3, 0.2, -1.2, 0.9}, {-2.0, 1.5, 0.0, 0.4}};
const Rows kTeacher = {{2.5, -1.0, 0.5, 0.0}, {0.0, 1.0, -0.5, 3.0}, {-1.0, 2.0, 1.0, -0.3}};
const std::vector<int64_t> kLabels = {2, 3, 1};

double termValue(const std::vector<methods::LossTerm>& terms, const std::string& name) {
    for (const auto& t : terms)
        if (t.name == name) return t.value.item<double>();
    return NAN;
}
}  // namespace

class TestMethods : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void ceEqualsHandComputed() {
        auto student = models::createModel("tinycnn", 1, 4);
        spec::MethodSpec method;
        method.name = "ce";
        auto distiller = methods::createDistiller(method, nullptr, *student);
        models::FeatureSet s;
        s.logits = toTensor(kStudent);
        const auto labels = torch::tensor(kLabels);
        const auto terms = distiller->losses({s, nullptr, labels, 0, 0, {}});
        QCOMPARE(terms.size(), size_t(1));
        QVERIFY(std::abs(termValue(terms, "ce") - crossEntropy(kStudent, kLabels)) < 1e-6);
    }

    void kdEqualsHandComputed_data() {
        QTest::addColumn<double>("T");
        QTest::addColumn<double>("gamma");
        QTest::addColumn<double>("alpha");
        QTest::newRow("defaults") << 4.0 << 0.1 << 0.9;
        QTest::newRow("T=1") << 1.0 << 1.0 << 1.0;
        QTest::newRow("T=8") << 8.0 << 0.5 << 2.0;
    }
    void kdEqualsHandComputed() {
        QFETCH(double, T);
        QFETCH(double, gamma);
        QFETCH(double, alpha);
        auto student = models::createModel("tinycnn", 1, 4);
        auto teacher = models::createModel("tinycnn", 1, 4);
        spec::MethodSpec method;
        method.name = "kd";
        method.params = {{"T", T}, {"gamma", gamma}, {"alpha", alpha}};
        auto distiller = methods::createDistiller(method, teacher.get(), *student);
        QVERIFY(distiller->needsTeacher());
        models::FeatureSet s, t;
        s.logits = toTensor(kStudent).requires_grad_(true);
        t.logits = toTensor(kTeacher).requires_grad_(true);
        const auto labels = torch::tensor(kLabels);
        const auto terms = distiller->losses({s, &t, labels, 0, 0, {}});
        const double expectedCe = gamma * crossEntropy(kStudent, kLabels);
        const double expectedKd = alpha * klTimesT2(kStudent, kTeacher, T);
        QVERIFY2(std::abs(termValue(terms, "ce") - expectedCe) < 1e-5 * std::max(1.0, expectedCe),
                 qPrintable(QString("ce %1 vs %2").arg(termValue(terms, "ce")).arg(expectedCe)));
        QVERIFY2(std::abs(termValue(terms, "kd") - expectedKd) < 1e-5 * std::max(1.0, expectedKd),
                 qPrintable(QString("kd %1 vs %2").arg(termValue(terms, "kd")).arg(expectedKd)));

        // Gradients reach the student's logits and never the teacher's.
        (terms[0].value + terms[1].value).backward();
        QVERIFY(s.logits.grad().defined() && s.logits.grad().abs().sum().item<double>() > 0);
        QVERIFY(!t.logits.grad().defined());
    }

    void kdIsZeroWhenStudentEqualsTeacher() {
        auto student = models::createModel("tinycnn", 1, 4);
        spec::MethodSpec method;
        method.name = "kd";
        auto distiller = methods::createDistiller(method, student.get(), *student);
        models::FeatureSet s, t;
        s.logits = toTensor(kTeacher);
        t.logits = toTensor(kTeacher);
        const auto labels = torch::tensor(kLabels);
        QVERIFY(std::abs(termValue(distiller->losses({s, &t, labels, 0, 0, {}}), "kd")) < 1e-6);
    }

    // Each method declares where it distils, with the connector at each spot.
    void spotsAreDeclared() {
        auto teacher = models::createModel("resnet32x4", 3, 100);
        auto student = models::createModel("resnet8", 3, 100);   // stages 16/32/64 against 64/128/256
        methods::DistillerContext context;
        context.trainSize = 1000;
        auto spotsOf = [&](const std::string& name, nlohmann::json params = nlohmann::json::object()) {
            spec::MethodSpec method;
            method.name = name;
            method.params = std::move(params);
            return methods::createDistiller(method, teacher.get(), *student, context)->spots();
        };
        using Spot = methods::Spot;
        QVERIFY(spotsOf("ce").empty());
        for (const char* name : {"kd", "dkd"}) {
            const auto spots = spotsOf(name);
            QCOMPARE(spots.size(), size_t(1));
            QCOMPARE(spots[0].studentStage, Spot::kLogits);
        }
        const auto fitnet = spotsOf("fitnet");
        QCOMPARE(fitnet.size(), size_t(1));
        QCOMPARE(fitnet[0].studentStage, int64_t(1));   // the middle stage of three
        QCOMPARE(fitnet[0].teacherStage, int64_t(1));
        QCOMPARE(fitnet[0].connector, std::string("1×1 conv + BN + ReLU"));   // 32 → 128 channels, same size
        const auto fitnetKd = spotsOf("fitnet", {{"kd_alpha", 0.5}});
        QCOMPARE(fitnetKd.size(), size_t(2));
        QCOMPARE(fitnetKd[1].name, std::string("logits"));
        QCOMPARE(spotsOf("at").size(), size_t(3));
        QCOMPARE(spotsOf("sp")[0].studentStage, Spot::kLastStage);
        for (const char* name : {"rkd", "pkt", "crd"}) QCOMPARE(spotsOf(name)[0].studentStage, Spot::kPooled);
        QVERIFY(spotsOf("crd")[0].connector.find("128-d") != std::string::npos);
    }

    void unknownMethodIsRefusedByName() {
        auto student = models::createModel("tinycnn", 1, 4);
        spec::MethodSpec method;
        method.name = "telepathy";
        try {
            methods::createDistiller(method, nullptr, *student);
            QFAIL("an unknown method must throw");
        } catch (const std::invalid_argument& e) {
            QVERIFY(std::string(e.what()).find("known: ce, kd, fitnet") != std::string::npos);
        }
    }
};

QTEST_GUILESS_MAIN(TestMethods)
#include "test_methods.moc"
