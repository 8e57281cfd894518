// The seed feature methods adain, stat_l2 and channel (amap: test_amap.cpp): loss terms and diagnostics
// against golden values from an independent Python reference (tests/fixtures/golden_seed_features.py →
// tests/fixtures/golden/seed_features.json, which also holds a tiny staged teacher's weights), where
// their gradients go, spotLoss on sample subsets, and forward + backward on pairs of zoo models.
#include <QtTest>

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "GoldenFixture.h"
#include "SeedFeatureFixture.h"
#include "methods/ChannelTransform.h"
#include "methods/Connector.h"
#include "methods/SpotAdaptive.h"
#include "methods/StatisticsTransfer.h"
#include "models/ModelRegistry.h"
#include "spec/RunSpec.h"

using namespace distillery;
using nlohmann::json;

using namespace seedfixture;

namespace {
std::map<std::string, double> worstByMethod;   // the largest golden deviation per method, reported at the end
}  // namespace

class TestSeedFeatures : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::manual_seed(0); }

    void goldenLosses_data() {
        addGoldenCaseRows(golden());
    }

    // Each loss term, and each diagnostics row, equals the Python reference within 1e-5 relative.
    void goldenLosses() {
        QFETCH(QString, name);
        const auto& c = goldenCase(golden(), name.toStdString());
        auto b = build(c);
        const auto terms = lossesOf(b, /*collectDiagnostics=*/true);
        const auto& expected = c["expected"];
        QCOMPARE(terms.size(), expected.size());
        double& worst = worstByMethod[c["method"].get<std::string>()];
        for (const auto& [term, value] : expected.items()) {
            QVERIFY2(terms.count(term), ("missing term " + term).c_str());
            const double got = terms.at(term).item<double>(), want = value.get<double>();
            const double rel = relativeError(got, want);
            worst = std::max(worst, rel);
            qInfo("%s %s: C++ %.10g  Python %.10g  rel %.2e", name.toUtf8().constData(), term.c_str(), got, want, rel);
            QVERIFY2(rel < 1e-5, (term + ": " + std::to_string(got) + " vs " + std::to_string(want)).c_str());
        }

        const auto diagnostics = b.method->diagnostics();
        const auto& stats = c["expected_channel_stats"];
        QCOMPARE(diagnostics.channelStats.size(), stats.size());
        double worstRow = 0;
        for (size_t r = 0; r < stats.size(); ++r) {
            const auto& row = diagnostics.channelStats[r];
            const auto& want = stats[r];
            QCOMPARE(QString::fromStdString(row.spot), QString::fromStdString(want[0].get<std::string>()));
            QCOMPARE(row.channel, want[1].get<int64_t>());
            const double got[4] = {row.teacherMean, row.teacherStd, row.studentMean, row.studentStd};
            for (int v = 0; v < 4; ++v) worstRow = std::max(worstRow, relativeError(got[v], want[2 + v].get<double>(), 1e-2));
            // channel's rows carry the transform's alignment error as a seventh column.
            QCOMPARE(row.alignmentError.has_value(), want.size() > 6);
            if (row.alignmentError) worstRow = std::max(worstRow, relativeError(*row.alignmentError, want[6].get<double>(), 1e-2));
        }
        // The scalars, by key: each spot's loss, adain's teacher accuracies, channel's alignment errors.
        // One spot's float32 KL loses more digits to cancellation than the sums above: 1e-4.
        const auto& scalars = c["expected_scalars"];
        QCOMPARE(diagnostics.scalars.size(), scalars.size());
        double worstScalar = 0;
        for (const auto& scalar : diagnostics.scalars) {
            QVERIFY2(scalars.contains(scalar.key), ("unexpected scalar " + scalar.key).c_str());
            worstScalar = std::max(worstScalar, relativeError(scalar.value, scalars[scalar.key].get<double>(), 1e-2));
        }
        qInfo("%s scalars: worst rel %.2e", name.toUtf8().constData(), worstScalar);
        QVERIFY(worstScalar < 1e-4);
        const auto& paths = c["expected_path_weights"];
        QCOMPARE(diagnostics.pathWeights.size(), paths.size());
        for (size_t r = 0; r < paths.size(); ++r) {
            const auto& row = diagnostics.pathWeights[r];
            QCOMPARE(QString::fromStdString(row.path), QString::fromStdString(paths[r][0].get<std::string>()));
            worstRow = std::max({worstRow, relativeError(row.weight, paths[r][1].get<double>()),
                                 relativeError(row.rawLoss, paths[r][2].get<double>())});
        }
        qInfo("%s diagnostics: worst rel %.2e (values below 1e-2 in absolute terms)", name.toUtf8().constData(),
              worstRow);
        QVERIFY(worstRow < 1e-5);
        QCOMPARE(diagnostics.gates.size(), size_t(0));
    }

    // The largest deviation from the reference per method (goldenLosses ran first: slots run in order).
    void goldenSummary() {
        for (const auto& [method, worst] : worstByMethod) qInfo("golden %s: largest relative deviation %.2e", method.c_str(), worst);
        QCOMPARE(worstByMethod.size(), size_t(3));
    }

    // Diagnostics are computed only for a losses() call that asks for them.
    void diagnosticsOnlyWhenCollected() {
        for (const auto& c : golden()["cases"]) {
            auto b = build(c);
            lossesOf(b, true);
            QVERIFY(!b.method->diagnostics().empty());
            lossesOf(b, false);
            QVERIFY2(b.method->diagnostics().empty(), c["name"].get<std::string>().c_str());
        }
    }

    // Student statistics equal to the teacher's (here its maps flipped in space): adain and stat_l2 are 0.
    void zeroOnEqualStatistics() {
        for (const char* method : {"adain", "stat_l2"}) {
            auto b = build(goldenCase(golden(), std::string(method) == "adain" ? "adain_equal_all" : "stat_l2_all"));
            auto equal = std::make_shared<GoldenNet>(3, 4, layoutOf(golden()["teacher"]["stages"]), 5);
            b.method = methods::createDistiller(methodSpec(method), b.teacher.get(), *equal, goldenContext());
            b.studentFeatures.stages.clear();
            for (const auto& t : b.teacherFeatures.stages) b.studentFeatures.stages.push_back(t.detach().flip({2, 3}));
            const double feat = lossesOf(b).at("feat").item<double>();
            qInfo("%s on equal statistics: %.3g", method, feat);
            QVERIFY(std::abs(feat) < 1e-6);
        }
    }

    // adain's gradient reaches the student only through μ_s and σ_s: per sample and channel it lies in
    // span{1, F − μ} (d/dF of the mean and of the std), a spatial permutation of the student's map
    // permutes it the same way, and the frozen teacher and its features get none.
    void adainGradientThroughStatisticsOnly() {
        auto b = build(goldenCase(golden(), "adain_equal_all"), true);
        const auto feat = lossesOf(b).at("feat");
        feat.backward();
        for (size_t k = 0; k < b.studentFeatures.stages.size(); ++k) {
            const auto& f = b.studentFeatures.stages[k];
            QVERIFY(hasGradient(f));
            const auto g = f.grad().flatten(2).to(torch::kDouble);
            const auto centred = (f.detach().flatten(2) - f.detach().flatten(2).mean(2, true)).to(torch::kDouble);
            // Least squares of g on {1, centred} per (sample, channel); the two are orthogonal.
            const auto onOnes = g.mean(2, true);
            const auto onCentred = (g * centred).sum(2, true) / centred.pow(2).sum(2, true).clamp_min(1e-30) * centred;
            const auto residual = (g - onOnes - onCentred).norm().item<double>();
            qInfo("stage %zu: gradient outside span{1, F - mu}: %.2e of %.2e", k, residual, g.norm().item<double>());
            QVERIFY(residual < 1e-4 * g.norm().item<double>());
        }
        for (const auto& t : b.teacherFeatures.stages) QVERIFY(!t.grad().defined());
        for (const auto& p : b.teacher->parameters()) QVERIFY(!p.grad().defined());

        auto flipped = build(goldenCase(golden(), "adain_equal_all"), true);
        for (auto& f : flipped.studentFeatures.stages) f = f.detach().flip({2, 3}).requires_grad_(true);
        const auto flippedFeat = lossesOf(flipped).at("feat");
        qInfo("flipped student maps: feat %.9g vs %.9g", flippedFeat.item<double>(), feat.item<double>());
        QVERIFY(relativeError(flippedFeat.item<double>(), feat.item<double>()) < 1e-5);
        flippedFeat.backward();
        for (size_t k = 0; k < b.studentFeatures.stages.size(); ++k)
            QVERIFY(torch::allclose(flipped.studentFeatures.stages[k].grad().flip({2, 3}),
                                    b.studentFeatures.stages[k].grad(), 1e-4, 1e-7));
    }

    // With projections, adain and stat_l2 train them and the student; the teacher gets nothing.
    void statisticsGradients() {
        for (const char* name : {"adain_unequal_fewer_stages", "adain_label_stage0", "stat_l2_all"}) {
            auto b = build(goldenCase(golden(), name), true);
            lossesOf(b).at("feat").backward();
            const auto projected = b.method->parameters();
            QVERIFY(!projected.empty());
            for (const auto& p : projected) QVERIFY2(p.grad().defined(), name);
            bool studentGrad = false;
            for (const auto& f : b.studentFeatures.stages) studentGrad = studentGrad || hasGradient(f);
            QVERIFY(studentGrad);
            for (const auto& t : b.teacherFeatures.stages) QVERIFY(!t.grad().defined());
            for (const auto& p : b.teacher->parameters()) QVERIFY(!p.grad().defined());
        }
    }

    // channel's loss trains the transform and the student, never the teacher.
    void channelGradients() {
        for (const char* name : {"channel_pointwise", "channel_pooled", "channel_upsampled", "channel_conv1x1_stages"}) {
            auto b = build(goldenCase(golden(), name), true);
            lossesOf(b).at("feat").backward();
            for (const auto& p : b.method->parameters()) QVERIFY2(hasGradient(p), name);
            auto channel = std::dynamic_pointer_cast<methods::ChannelTransformDistiller>(b.method);
            for (const auto& spot : channel->channelSpots())
                QVERIFY(hasGradient(b.studentFeatures.stages[size_t(spot.studentStage)]));
            for (const auto& t : b.teacherFeatures.stages) QVERIFY(!t.grad().defined());
        }
    }

    // spotLoss on a subset of the samples equals the feat term of losses() on feature sets of that subset.
    void spotLossOnSubsets() {
        const auto indices = torch::tensor(std::vector<int64_t>{0, 2, 3});
        for (const char* name : {"adain_equal_all", "adain_unequal_fewer_stages", "stat_l2_all", "stat_l2_stage1",
                                 "adain_next", "adain_stat", "stat_l2_std_stages", "channel_pointwise", "channel_pooled",
                                 "channel_upsampled", "channel_pre_relu", "channel_conv1x1_stages"}) {
            auto b = build(goldenCase(golden(), name));
            QVERIFY(b.method->minSpotSamples() <= indices.size(0));
            Built sub = b;
            sub.studentFeatures = subset(b.studentFeatures, indices);
            sub.teacherFeatures = subset(b.teacherFeatures, indices);
            sub.labels = b.labels.index_select(0, indices);
            // A spot loss holds every distillation term at its spot: adain's "stat" too.
            const auto terms = lossesOf(sub);
            const double feat = terms.at("feat").item<double>() + (terms.count("stat") ? terms.at("stat").item<double>() : 0);
            double spotSum = 0;
            size_t stageSpots = 0;
            for (const auto& spot : b.method->spots())
                if (spot.studentStage >= 0)
                    spotSum += b.method->spotLoss(stageSpots++, sub.studentFeatures, sub.teacherFeatures).item<double>();
            qInfo("%s: feat %.8g, sum of spot losses %.8g over %zu spots", name, feat, spotSum, stageSpots);
            QVERIFY(stageSpots > 0);
            QVERIFY(relativeError(spotSum, feat) < 1e-6);
            // A different subset gives a different loss: the spot loss does read only the samples given.
            const auto others = subset(b.studentFeatures, torch::tensor(std::vector<int64_t>{1, 2}));
            const auto otherTeacher = subset(b.teacherFeatures, torch::tensor(std::vector<int64_t>{1, 2}));
            QVERIFY(relativeError(b.method->spotLoss(0, others, otherTeacher).item<double>(),
                                  b.method->spotLoss(0, sub.studentFeatures, sub.teacherFeatures).item<double>()) > 1e-6);
        }
        // adain on the labels cannot be gated: a spot loss carries no labels.
        auto label = build(goldenCase(golden(), "adain_label_all"));
        QVERIFY_EXCEPTION_THROWN(label.method->spotLoss(0, label.studentFeatures, label.teacherFeatures),
                                 std::invalid_argument);
    }

    // The factories pair stages by relative depth, describe their spots and reject bad stages.
    void factories() {
        auto teacher = models::createModel("resnet50", 3, 10);   // 4 stages: 256, 512, 1024, 2048 channels
        auto student = models::createModel("resnet8x4", 3, 10);  // 3 stages: 64, 128, 256
        const methods::DistillerContext context{0, 3, 32, 32};
        auto adain = std::dynamic_pointer_cast<methods::AdaIn>(
            methods::createDistiller(methodSpec("adain"), teacher.get(), *student, context));
        QVERIFY(adain);
        std::vector<std::pair<int64_t, int64_t>> pairs;
        for (const auto& s : adain->statisticsSpots()) pairs.emplace_back(s.studentStage, s.teacherStage);
        QVERIFY(pairs == (std::vector<std::pair<int64_t, int64_t>>{{0, 0}, {1, 2}, {2, 3}}));
        const auto spots = adain->spots();
        QCOMPARE(spots.size(), size_t(3));
        QCOMPARE(QString::fromStdString(spots[1].name), QString("stage 2"));
        QCOMPARE(QString::fromStdString(spots[1].connector), QString::fromStdString(adain->projection(1)->describe()));
        QVERIFY(!spots[1].connector.empty());
        QVERIFY(adain->projection(0));
        QCOMPARE(adain->minSpotSamples(), int64_t(2));

        auto single = std::dynamic_pointer_cast<methods::StatL2>(
            methods::createDistiller(methodSpec("stat_l2", {{"stage", 1}}), teacher.get(), *student, context));
        QCOMPARE(single->statisticsSpots().size(), size_t(1));
        QCOMPARE(single->statisticsSpots()[0].teacherStage, int64_t(2));
        // Equal channels: no projection, no connector.
        auto same = models::createModel("resnet32x4", 3, 10);
        auto plain = std::dynamic_pointer_cast<methods::StatL2>(
            methods::createDistiller(methodSpec("stat_l2"), same.get(), *student, context));
        QVERIFY(plain->parameters().empty());
        QCOMPARE(QString::fromStdString(plain->spots()[0].connector), QString());
        QCOMPARE(plain->minSpotSamples(), int64_t(1));

        auto channel = std::dynamic_pointer_cast<methods::ChannelTransformDistiller>(
            methods::createDistiller(methodSpec("channel", {{"kd_alpha", 1.0}}), teacher.get(), *student, context));
        QCOMPARE(channel->channelSpots().size(), size_t(1));
        QCOMPARE(channel->channelSpots()[0].studentStage, int64_t(2));
        QCOMPARE(channel->channelSpots()[0].teacherStage, int64_t(3));
        // Strides 4 and 32: the map is pooled, the transform stays 1×1.
        QCOMPARE(QString::fromStdString(channel->transform()->describe()),
                 QString("1×1 conv → ReLU → 1×1 conv (256→2048→2048)"));
        QCOMPARE(channel->spots().size(), size_t(2));   // the stage and the KD term's logits
        auto channel0 = std::dynamic_pointer_cast<methods::ChannelTransformDistiller>(
            methods::createDistiller(methodSpec("channel", {{"stage", 0}, {"hidden", 32}}), teacher.get(), *student,
                                     context));
        QCOMPARE(channel0->channelSpots()[0].teacherStage, int64_t(0));   // round(4/3) − 1
        QCOMPARE(QString::fromStdString(channel0->transform()->describe()),
                 QString("1×1 conv → ReLU → 1×1 conv (64→32→256)"));

        for (const char* name : {"adain", "stat_l2", "channel"}) {
            QVERIFY_EXCEPTION_THROWN(methods::createDistiller(methodSpec(name, {{"stage", 3}}), teacher.get(), *student,
                                                              context),
                                     std::invalid_argument);
            QVERIFY_EXCEPTION_THROWN(methods::createDistiller(methodSpec(name), nullptr, *student, context),
                                     std::invalid_argument);
        }
    }

    // In a bf16 run the methods that run network stages inside their losses compute them in bf16 too:
    // adain's re-normalised teacher and adain as sakd's base (the type reaches it through the
    // context). Each term differs from float32's by bf16's rounding, no more.
    void networkStagesInLossesFollowTheRunsPrecision() {
        const ZooPair pair = makeZooPair("resnet20", "resnet8", 1, /*frozen=*/true);
        const auto& [t, s, size, images, labels, tf] = pair;
        const auto sf = s->forwardFeatures(images);
        const auto termIn = [&](const char* method, const json& params, const char* term, at::ScalarType type) {
            methods::DistillerContext context{0, 1, size, size};
            context.forwardType = type;
            torch::manual_seed(3);   // the same projections and agent in both precisions
            auto d = methods::createDistiller(methodSpec(method, params), t.get(), *s, context);
            const methods::StepInputs inputs{sf, &tf, labels, 0, 0, {}};
            std::vector<methods::LossTerm> terms;
            if (auto sakd = std::dynamic_pointer_cast<methods::SpotAdaptive>(d))
                terms = sakd->studentTerms(inputs, torch::ones({images.size(0), sakd->decisionCount()}));
            else
                terms = d->losses(inputs);
            return byName(terms).at(term);
        };
        const struct {
            const char* method;
            json params;
            const char* term;
        } cases[] = {{"adain", json::object(), "feat"}, {"sakd", {{"base", "adain"}}, "feat"}};
        for (const auto& c : cases) {
            const auto bf16Term = termIn(c.method, c.params, c.term, at::kBFloat16);
            QCOMPARE(bf16Term.scalar_type(), at::kFloat);   // the losses stay float32
            const double fp32 = termIn(c.method, c.params, c.term, at::kFloat).item<double>();
            const double bf16 = bf16Term.item<double>();
            const QString what = QString("%1 %2: fp32 %3, bf16 %4").arg(c.method, c.term).arg(fp32, 0, 'g', 9).arg(bf16, 0, 'g', 9);
            QVERIFY2(fp32 != bf16, qPrintable(what));
            QVERIFY2(std::abs(bf16 - fp32) < 0.05 * std::abs(fp32) + 1e-3, qPrintable(what));
        }
    }

    void zooPairs_data() { addZooPairRows(); }

    // Every method, from its defaults and with options that change its spots, runs forward and
    // backward on real features: mismatched channels, strides and stage counts. The teacher is frozen
    // and in eval mode, as the trainer holds it; channel statistics match the features directly.
    void zooPairs() {
        QFETCH(QString, teacher);
        QFETCH(QString, student);
        QFETCH(int, channels);
        const ZooPair pair = makeZooPair(teacher, student, channels, /*frozen=*/true);
        const auto& [t, s, size, images, labels, tf] = pair;
        const methods::DistillerContext context{0, channels, size, size};
        const std::vector<std::pair<std::string, json>> configs = {
            {"adain", {{"kd_alpha", 0.5}}}, {"adain", {{"target", "label"}, {"stage", 0}}},
            {"stat_l2", {{"kd_alpha", 0.5}}}, {"channel", {{"kd_alpha", 0.5}}}, {"channel", {{"stage", 0}}}};
        for (const auto& [name, params] : configs) {
            auto d = methods::createDistiller(methodSpec(name, params), t.get(), *s, context);
            s->zero_grad();
            const auto sf = s->forwardFeatures(images);
            methods::StepInputs inputs{sf, &tf, labels, 0, 0, {}};
            inputs.collectDiagnostics = true;
            const auto terms = d->losses(inputs);
            at::Tensor total;
            for (const auto& term : terms) {
                QVERIFY2(term.value.dim() == 0 && std::isfinite(term.value.item<double>()), (name + " " + term.name).c_str());
                total = total.defined() ? total + term.value : term.value;
            }
            QVERIFY2(byName(terms).count("feat") && byName(terms).count("ce"), name.c_str());
            total.backward();
            bool studentGrad = false;
            for (const auto& p : s->parameters())
                if (p.grad().defined()) {
                    QVERIFY2(torch::isfinite(p.grad()).all().item<bool>(), name.c_str());
                    studentGrad = true;
                }
            QVERIFY2(studentGrad, name.c_str());
            for (const auto& p : d->parameters()) QVERIFY2(p.grad().defined(), name.c_str());
            for (const auto& p : t->parameters()) QVERIFY(!p.grad().defined());

            const auto diagnostics = d->diagnostics();
            // One row per spot and teacher channel; the teacher's means are those of its maps (for
            // channel, of the teacher's map itself).
            std::map<std::string, at::Tensor> teacherMaps, alignmentErrors;
            size_t expectedRows = 0;
            for (const auto& spot : d->spots()) {
                if (spot.teacherStage < 0) continue;
                at::Tensor map = tf.stages[size_t(spot.teacherStage)];
                if (auto channel = std::dynamic_pointer_cast<methods::ChannelTransformDistiller>(d)) {
                    // The student's map is resized to the teacher's, whose map stays as it is.
                    torch::NoGradGuard noGrad;
                    const auto resized = methods::resizeSpatial(sf.stages[size_t(spot.studentStage)], map.size(2), map.size(3));
                    alignmentErrors[spot.name] = (channel->transform()->forward(resized) - map).pow(2).mean({0, 2, 3});
                }
                teacherMaps[spot.name] = map;
                expectedRows += size_t(map.size(1));
            }
            QCOMPARE(diagnostics.channelStats.size(), expectedRows);
            for (const auto& row : diagnostics.channelStats) {
                const double want = teacherMaps.at(row.spot).select(1, row.channel).mean().item<double>();
                QVERIFY2(relativeError(row.teacherMean, want, 1e-3) < 1e-4, name.c_str());
                QVERIFY(std::isfinite(row.studentMean) && std::isfinite(row.studentStd) && row.teacherStd >= 0);
                // Only channel measures the per-channel alignment error of its transform.
                const auto error = alignmentErrors.find(row.spot);
                QCOMPARE(row.alignmentError.has_value(), error != alignmentErrors.end());
                if (row.alignmentError)
                    QVERIFY2(relativeError(*row.alignmentError, error->second[row.channel].item<double>(), 1e-6) < 1e-4,
                             name.c_str());
            }
        }
    }
};

QTEST_APPLESS_MAIN(TestSeedFeatures)
#include "test_seed_features.moc"
