// Issue 15's points on adain (7) and channel (8) beyond the golden values of test_seed_features: adain's
// last spot transfers the student's means alone (exactly), channel's transform stays 1×1 whatever the
// strides, what the mean reduction means for alpha, the per-spot diagnostics on zoo pairs, and the
// errors of options that cannot go together.
#include <QtTest>

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "GoldenFixture.h"
#include "SeedFeatureFixture.h"
#include "methods/ChannelTransform.h"
#include "methods/StatisticsTransfer.h"
#include "models/ModelRegistry.h"
#include "spec/FieldError.h"

using namespace distillery;
using namespace seedfixture;

namespace {
// The path of the spec::FieldError the call throws, "" when it throws none.
std::string fieldErrorPath(const std::function<void()>& call) {
    try {
        call();
    } catch (const spec::FieldError& e) {
        qInfo("%s: %s", e.path().c_str(), e.what());
        return e.path();
    }
    return "";
}

std::set<std::string> scalarKeys(const methods::Diagnostics& d) {
    std::set<std::string> keys;
    for (const auto& s : d.scalars) keys.insert(s.key);
    return keys;
}
}  // namespace

class TestAdainChannel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::manual_seed(0); }

    // At the teacher's last stage only the head follows the re-normalised map, and GAP of it is μ_s:
    // the logits are fc_t(μ_s), σ_s gets no gradient at all, and the teacher's map plays no part. One
    // stage earlier σ_s does get a gradient.
    void adainLastStageTransfersMeansOnly() {
        auto b = build(goldenCase(golden(), "adain_equal_all"));
        auto adain = std::dynamic_pointer_cast<methods::AdaIn>(b.method);
        const int64_t last = b.teacher->numStages() - 1;
        const auto gradients = [&](int64_t stage, const at::Tensor& teacherMap) {
            auto student = methods::channelStatistics(b.studentFeatures.stages[size_t(stage)].detach());
            student.mean.requires_grad_(true);
            student.std.requires_grad_(true);
            const auto teacher = methods::channelStatistics(teacherMap);
            const auto logits = adain->renormalisedOutput(stage, student, teacher, teacherMap);
            logits.pow(2).sum().backward();
            return std::make_tuple(logits.detach(), student.mean.grad(), student.std.grad());
        };
        const auto teacherMap = b.teacherFeatures.stages[size_t(last)].detach();
        const auto [logits, meanGrad, stdGrad] = gradients(last, teacherMap);
        QVERIFY(meanGrad.defined() && meanGrad.abs().sum().item<double>() > 0);
        QVERIFY2(!stdGrad.defined() || stdGrad.abs().max().item<double>() == 0, "sigma_s has a gradient at the last stage");
        // Another teacher map at the last stage: the same logits, to the bit.
        const auto [otherLogits, otherMeanGrad, otherStdGrad] = gradients(last, teacherMap.flip({0}) * 2 + 1);
        QVERIFY(torch::equal(logits, otherLogits));
        // and they equal the head on the re-normalised map up to rounding (the shortcut is exact maths).
        {
            torch::NoGradGuard noGrad;
            const auto student = methods::channelStatistics(b.studentFeatures.stages[size_t(last)]);
            const auto teacher = methods::channelStatistics(teacherMap);
            const auto full = b.teacher->head(student.std * (teacherMap - teacher.mean) / teacher.std + student.mean);
            QVERIFY(torch::allclose(full, logits, 1e-5, 1e-6));
        }
        const auto [earlyLogits, earlyMeanGrad, earlyStdGrad] = gradients(last - 1, b.teacherFeatures.stages[size_t(last - 1)].detach());
        QVERIFY(earlyStdGrad.defined() && earlyStdGrad.abs().sum().item<double>() > 0);

        // Through the whole loss: the student's last-stage map gets a gradient that is constant over
        // H×W per sample and channel (the mean's), exactly, i.e. nothing along F − μ.
        auto whole = build(goldenCase(golden(), "adain_equal_all"), true);
        lossesOf(whole).at("feat").backward();
        const auto g = whole.studentFeatures.stages[size_t(last)].grad().flatten(2);
        QVERIFY(g.abs().sum().item<double>() > 0);
        QCOMPARE((g.amax(2) - g.amin(2)).abs().max().item<double>(), 0.0);
        const auto early = whole.studentFeatures.stages[size_t(last - 1)].grad().flatten(2);
        QVERIFY((early.amax(2) - early.amin(2)).abs().max().item<double>() > 0);
    }

    // However the strides differ (student map larger or smaller), every kernel of channel's transform
    // is 1×1: the maps are aligned by pooling or interpolation, never by a learned spatial layer.
    void channelTransformIsPointwiseAtAnyStride() {
        const methods::DistillerContext context{0, 3, 32, 32};
        const struct {
            const char *teacher, *student;
        } pairs[] = {{"resnet50", "resnet8x4"}, {"resnet8x4", "resnet50"}};
        for (const auto& pair : pairs) {
            const ZooPair zoo = makeZooPair(pair.teacher, pair.student, 3, /*frozen=*/true);
            const auto sf = zoo.student->forwardFeatures(zoo.images);
            for (const char* kind : {"mlp", "linear", "conv1x1"}) {
                auto d = methods::createDistiller(methodSpec("channel", {{"transform", kind}, {"stages", {0, 1, 2}}}),
                                                  zoo.teacher.get(), *zoo.student, context);
                auto channel = std::dynamic_pointer_cast<methods::ChannelTransformDistiller>(d);
                QCOMPARE(channel->channelSpots().size(), size_t(3));
                bool stridesDiffer = false;
                for (const auto& spot : channel->channelSpots())
                    stridesDiffer = stridesDiffer || zoo.student->stageStride(spot.studentStage) !=
                                                         zoo.teacher->stageStride(spot.teacherStage);
                QVERIFY(stridesDiffer);
                size_t kernels = 0;
                for (const auto& p : d->named_parameters()) {
                    if (p.value().dim() != 4) continue;
                    ++kernels;
                    QVERIFY2(p.value().size(2) == 1 && p.value().size(3) == 1, (std::string(kind) + " " + p.key()).c_str());
                }
                QCOMPARE(kernels, size_t(kind == std::string("mlp") ? 6 : 3));
                const methods::StepInputs inputs{sf, &zoo.teacherFeatures, zoo.labels, 0, 0, {}};
                const double feat = byName(d->losses(inputs)).at("feat").item<double>();
                QVERIFY(std::isfinite(feat) && feat > 0);
            }
        }
    }

    // reduction=mean is the sum reduction divided by C·H·W of the teacher's map, as the help says.
    void channelMeanReductionDividesByTheMapSize() {
        const auto& c = goldenCase(golden(), "channel_pointwise");
        auto sum = build(c);
        const double summed = lossesOf(sum).at("feat").item<double>();
        json params = c["params"];
        params["reduction"] = "mean";
        json meanCase = c;
        meanCase["params"] = params;
        auto mean = build(meanCase);
        const double averaged = lossesOf(mean).at("feat").item<double>();
        const auto& target = sum.teacherFeatures.stages.back();
        const double perSample = double(target.size(1) * target.size(2) * target.size(3));
        qInfo("sum %.9g, mean %.9g, C*H*W %.0f", summed, averaged, perSample);
        QVERIFY(relativeError(averaged * perSample, summed) < 1e-5);
    }

    // On zoo pairs, at the diagnostics cadence: adain logs each spot's loss and the teacher's accuracy on
    // its re-normalised features (a percentage); channel logs each spot's loss and alignment error,
    // and the error without its transform where the widths agree.
    void diagnosticsPerSpot() {
        const ZooPair pair = makeZooPair("resnet20", "resnet8", 1, /*frozen=*/true);
        const methods::DistillerContext context{0, 1, pair.size, pair.size};
        const auto sf = pair.student->forwardFeatures(pair.images);
        methods::StepInputs inputs{sf, &pair.teacherFeatures, pair.labels, 0, 0, {}};
        inputs.collectDiagnostics = true;
        for (const json& params : {json::object(), json{{"eval", "next"}, {"distance", "mse"}, {"stat_weight", 1.0}}}) {
            auto adain = methods::createDistiller(methodSpec("adain", params), pair.teacher.get(), *pair.student, context);
            adain->losses(inputs);
            const auto d = adain->diagnostics();
            std::set<std::string> want{"adain/teacher_acc"};
            for (const char* spot : {"stage 1", "stage 2", "stage 3"}) {
                want.insert(std::string("adain/loss/") + spot);
                want.insert(std::string("adain/renorm_acc/") + spot);
                if (params.contains("stat_weight")) want.insert(std::string("adain/stat/") + spot);
            }
            QCOMPARE(scalarKeys(d), want);
            for (const auto& s : d.scalars)
                if (s.key.find("acc") != std::string::npos) QVERIFY(s.value == 0 || s.value == 50 || s.value == 100);
        }
        // resnet20 and resnet8 agree in width at every stage; the default spot is the last stage.
        auto equal = methods::createDistiller(methodSpec("channel", {{"stages", {0, 2}}}), pair.teacher.get(),
                                              *pair.student, context);
        equal->losses(inputs);
        QCOMPARE(scalarKeys(equal->diagnostics()),
                 (std::set<std::string>{"channel/loss/stage 1", "channel/align_error/stage 1",
                                        "channel/align_error_raw/stage 1", "channel/loss/stage 3",
                                        "channel/align_error/stage 3", "channel/align_error_raw/stage 3"}));
        const ZooPair wide = makeZooPair("resnet32x4", "resnet8", 3, /*frozen=*/true);
        const methods::DistillerContext wideContext{0, 3, wide.size, wide.size};
        const auto wf = wide.student->forwardFeatures(wide.images);
        methods::StepInputs wideInputs{wf, &wide.teacherFeatures, wide.labels, 0, 0, {}};
        wideInputs.collectDiagnostics = true;
        auto unequal = methods::createDistiller(methodSpec("channel"), wide.teacher.get(), *wide.student, wideContext);
        unequal->losses(wideInputs);
        QCOMPARE(scalarKeys(unequal->diagnostics()),
                 (std::set<std::string>{"channel/loss/stage 3", "channel/align_error/stage 3"}));
    }

    // Options that cannot go together, and stage lists the student cannot honour, are field errors
    // naming the parameter to change.
    void optionErrors() {
        auto teacher = models::createModel("resnet32x4", 3, 10);   // 3 stages: 64, 128, 256 channels
        auto student = models::createModel("resnet8", 3, 10);      // 3 stages: 16, 32, 64
        const methods::DistillerContext context{0, 3, 32, 32};
        const auto pathOf = [&](const char* method, const json& params) {
            return fieldErrorPath([&] { methods::createDistiller(methodSpec(method, params), teacher.get(), *student, context); });
        };
        QCOMPARE(pathOf("channel", {{"transform", "none"}}), std::string("method.transform"));
        QCOMPARE(pathOf("adain", {{"eval", "next"}}), std::string("method.eval"));   // KL on a feature map
        QCOMPARE(pathOf("adain", {{"eval", "next"}, {"target", "label"}}), std::string("method.eval"));   // CE on a map
        QCOMPARE(pathOf("adain", {{"eval", "next"}, {"distance", "mse"}}), std::string());
        QCOMPARE(pathOf("adain", {{"eval", "next"}, {"stages", {2}}}), std::string());   // the last stage: logits
        QCOMPARE(pathOf("adain", {{"target", "label"}, {"distance", "mse"}}), std::string("method.distance"));
        for (const char* method : {"adain", "stat_l2", "channel"}) {
            QCOMPARE(pathOf(method, {{"stage", 1}, {"stages", {0, 1}}}), std::string("method.stages"));
            QCOMPARE(pathOf(method, {{"stages", {0, 3}}}), std::string("method.stages"));
            QCOMPARE(pathOf(method, {{"stages", {1, 1}}}), std::string("method.stages"));
            QCOMPARE(pathOf(method, {{"stages", {0.5}}}), std::string("method.stages"));
            QCOMPARE(pathOf(method, {{"stages", {2, 0}}}), std::string());
        }
        // A list is put in forward order.
        auto stat = std::dynamic_pointer_cast<methods::StatL2>(
            methods::createDistiller(methodSpec("stat_l2", {{"stages", {2, 0}}}), teacher.get(), *student, context));
        QCOMPARE(stat->statisticsSpots().front().studentStage, int64_t(0));
        QCOMPARE(stat->statisticsSpots().back().studentStage, int64_t(2));
    }
};

QTEST_APPLESS_MAIN(TestAdainChannel)
#include "test_adain_channel.moc"
