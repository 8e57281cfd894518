// The Trainer on tiny synthetic runs: it learns, writes its metrics, checkpoints, resumes, fails clearly.
#include <QTemporaryDir>
#include <QtTest>

#include "SameMetrics.h"
#include "TestPrinters.h"
#include "TrainRun.h"

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "BuildInfo.h"
#include "engine/Precision.h"
#include "engine/TeacherOutputCache.h"
#include "engine/Trainer.h"
#include "spec/RunQueue.h"
#include "spec/RunSpec.h"
#include "store/Store.h"

using namespace distillery;

namespace {
spec::RunSpec tinySpec(const std::string& name, int64_t epochs) {
    auto parsed = spec::parseRunSpec(nlohmann::json{
        {"name", name},
        {"data", {{"name", "synthetic"}, {"num_classes", 4}, {"train_size", 960}, {"test_size", 128}, {"val_size", 128}}},
        {"student", {{"model", "tinycnn"}}},
        {"optim", {{"lr", 0.05}}},
        {"epochs", epochs},
        {"batch_size", 32},
        {"log_every", 5},
        {"threads", 2},
        {"seed", 7}});
    if (!parsed.ok()) qFatal("%s", parsed.errorText().c_str());
    return *parsed.spec;
}

// Records what the trainer reports, and can ask it to stop after a number of steps.
class RecordingSink : public engine::ProgressSink {
public:
    int64_t stopAfterStep = -1;
    std::vector<engine::Progress> reports;
    void report(const engine::Progress& p) override {
        reports.push_back(p);
        if (stopAfterStep >= 0 && p.step >= stopAfterStep) engine::Trainer::requestStop();
    }
};

using testing::train;
}  // namespace

class TestEngine : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;

private Q_SLOTS:
    void init() { engine::Trainer::clearStop(); }

    void thirtyStepsLearnAndLandInTheStore() {
        store::Store db(dir_.filePath("learn.sqlite").toStdString());
        auto spec = tinySpec("ce-30", 1);   // 960 / 32 = 30 steps
        spec.checkpointEvery = 1;
        const int64_t id = spec::queueRun(db, spec);
        QVERIFY(db.claimRun(id, 1, "test", "cpu"));
        RecordingSink sink;
        QCOMPARE(train(db, id, spec, &sink), engine::Outcome::Finished);

        const auto row = db.run(id);
        QCOMPARE(row->status, store::RunStatus::Finished);
        const auto loss = db.metrics(id, "train/loss");
        QCOMPARE(loss.size(), size_t(6));                       // every 5 steps
        QCOMPARE(loss.back().step, int64_t(30));
        QVERIFY2(loss.back().value < 0.5 * loss.front().value,
                 qPrintable(QString("loss %1 -> %2").arg(loss.front().value).arg(loss.back().value)));
        QCOMPARE(db.metrics(id, "train/loss/ce").size(), size_t(6));
        QCOMPARE(db.metrics(id, "lr").front().value, 0.05);
        const auto val = db.summary(id, "val/acc1");
        QVERIFY(val.has_value());
        QVERIFY2(val->lastValue > 60.0, qPrintable(QString::number(val->lastValue)));   // 4 classes: chance is 25%
        QVERIFY(db.summary(id, "test/acc1").has_value());
        bool sawLast = false, sawBest = false, sawPeriodic = false;
        for (const auto& c : db.checkpoints(id)) {
            sawLast |= c.kind == "last" && std::filesystem::exists(c.path);
            sawBest |= c.kind == "best" && std::filesystem::exists(c.path);
            sawPeriodic |= c.kind == "periodic" && std::filesystem::exists(c.path) && c.epoch == 1;
        }
        QVERIFY(sawLast && sawBest && sawPeriodic);
        QVERIFY(!db.events(id).empty());
        QVERIFY(!sink.reports.empty());
        QCOMPARE(sink.reports.back().step, int64_t(30));
        QCOMPARE(sink.reports.back().totalSteps, int64_t(30));
    }

    // bf16: the forward passes under autocast, channels-last; weights and losses stay float32. The
    // run learns like the fp32 run of the same seed, and records what it computed with.
    void bf16RunLearnsLikeFp32AndRecordsItsPrecision() {
        store::Store db(dir_.filePath("precision.sqlite").toStdString());
        std::map<std::string, std::vector<store::MetricPoint>> losses;
        for (const std::string precision : {"fp32", "bf16"}) {
            auto spec = tinySpec("ce-" + precision, 1);
            spec.studentModel = "resnet8";   // convolutions and batch norm, as the zoo has them
            spec.precision = precision;
            const int64_t id = spec::queueRun(db, spec);
            QVERIFY(db.claimRun(id, 1, "test", "cpu"));
            QCOMPARE(train(db, id, spec), engine::Outcome::Finished);
            const auto row = db.run(id);
            QCOMPARE(row->precision, precision);
            QCOMPARE(row->memoryFormat, std::string("channels_last"));   // on a CPU, in either precision
            QCOMPARE(row->threads, int64_t(2));
            // ... and the build that trained it.
            QCOMPARE(row->torchVersion, std::string(TORCH_VERSION));
            QVERIFY(!row->distilleryVersion.empty());
            QCOMPARE(row->distilleryVersion, distillery::buildInfo().version);
            losses[precision] = db.metrics(id, "train/loss");
            QVERIFY(db.summary(id, "val/acc1")->lastValue > 60.0);
        }
        QCOMPARE(losses["bf16"].size(), losses["fp32"].size());
        for (size_t i = 0; i < losses["fp32"].size(); ++i) {
            const double fp32 = losses["fp32"][i].value, bf16 = losses["bf16"][i].value;
            QVERIFY2(std::abs(bf16 - fp32) < 0.15 * fp32 + 0.02,
                     qPrintable(QString("step %1: fp32 %2, bf16 %3").arg(losses["fp32"][i].step).arg(fp32).arg(bf16)));
        }
        QVERIFY(losses["bf16"].back().value < 0.6 * losses["bf16"].front().value);   // it learns
    }

    void precisionIsResolvedForTheDevice() {
        const auto fp32 = engine::resolvePrecision("fp32", torch::kCPU);
        QCOMPARE(fp32.computeType, at::kFloat);
        QVERIFY(!fp32.autocast());
        QCOMPARE(fp32.memoryFormat(), std::string("channels_last"));   // oneDNN's fast layout on a CPU
        const auto bf16 = engine::resolvePrecision("bf16", torch::kCPU);
        QCOMPARE(bf16.computeType, at::kBFloat16);
        QVERIFY(bf16.channelsLast);
        QCOMPARE(engine::resolvePrecision("auto", torch::kCPU).name,
                 std::string(engine::cpuComputesBf16() ? "bf16" : "fp32"));
        try {
            engine::resolvePrecision("fp16", torch::kCPU);
            QFAIL("fp16 on a CPU must be refused");
        } catch (const std::runtime_error& e) {
            QVERIFY2(std::string(e.what()).find("precision: fp16 is for CUDA") == 0, e.what());
        }
        // Autocast computes a convolution in bf16 inside the scope, and not after it.
        auto conv = torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 8, 3));
        const auto x = torch::randn({2, 3, 8, 8});
        {
            models::AutocastScope autocast(bf16.computeType, torch::kCPU);
            QCOMPARE(conv->forward(x).scalar_type(), at::kBFloat16);
        }
        QCOMPARE(conv->forward(x).scalar_type(), at::kFloat);
        // A feature set comes back in float32, with its gradient path kept.
        models::FeatureSet features;
        features.logits = torch::randn({2, 4}, torch::requires_grad()).to(at::kBFloat16);
        features.stages = {torch::randn({2, 8, 4, 4}).to(at::kBFloat16)};
        const auto inFloat = engine::inFloat32(features);
        QCOMPARE(inFloat.logits.scalar_type(), at::kFloat);
        QCOMPARE(inFloat.stages[0].scalar_type(), at::kFloat);
        QVERIFY(inFloat.logits.requires_grad());
    }

    void studentDistilsFromAFinishedTeacherRun() {
        store::Store db(dir_.filePath("kd.sqlite").toStdString());
        const auto teacherSpec = tinySpec("teacher", 1);
        const int64_t teacherId = spec::queueRun(db, teacherSpec);
        db.claimRun(teacherId, 1, "test", "cpu");
        QCOMPARE(train(db, teacherId, teacherSpec), engine::Outcome::Finished);

        auto kd = tinySpec("kd", 1);
        kd.method.name = "kd";
        kd.teacher.runName = "teacher";
        const int64_t id = spec::queueRun(db, kd);
        QCOMPARE(db.run(id)->teacher, std::string("tinycnn"));
        db.claimRun(id, 1, "test", "cpu");
        std::string error;
        QCOMPARE(train(db, id, kd, nullptr, false, &error), engine::Outcome::Finished);
        QVERIFY2(error.empty(), error.c_str());
        QCOMPARE(db.run(id)->teacher, std::string("tinycnn"));
        QCOMPARE(db.metrics(id, "train/loss/kd").size(), size_t(6));
        QVERIFY(db.metrics(id, "train/loss/kd").front().value > 0);
        const auto agreement = db.summary(id, "test/agreement");   // share of equal predictions, %
        QVERIFY(agreement && agreement->lastValue >= 0 && agreement->lastValue <= 100);
        QVERIFY(db.summary(id, "test/acc5").has_value());
        // The frozen teacher computes with its three batch norms folded into its convolutions.
        const auto events = db.events(id);
        QVERIFY(std::any_of(events.begin(), events.end(), [](const store::EventRow& e) {
            return e.message.find("3 batch norms folded into its convolutions") != std::string::npos;
        }));
    }

    // A method on images that never change takes the teacher's logits (kd), and pooled features (rkd, pkt,
    // crd, cc), of an image seen before from the cache, and writes every number bit for bit as the run
    // that runs its teacher at every step.
    void teacherOutputCacheChangesNoNumber() {
        store::Store db(dir_.filePath("cache.sqlite").toStdString());
        auto teacherSpec = tinySpec("cache-teacher", 1);
        teacherSpec.data.augment = false;
        const int64_t teacherId = spec::queueRun(db, teacherSpec);
        db.claimRun(teacherId, 1, "test", "cpu");
        QCOMPARE(train(db, teacherId, teacherSpec), engine::Outcome::Finished);

        const std::vector<std::pair<std::string, std::string>> configurations{
            {"kd", "fp32"}, {"kd", "bf16"}, {"rkd", "fp32"}, {"rkd", "bf16"}, {"pkt", "fp32"}, {"crd", "fp32"}, {"cc", "fp32"}};
        for (const auto& [method, precision] : configurations) {
            const std::string name = method + " " + precision;
            auto spec = tinySpec("cache-" + method + "-" + precision, 3);
            spec.data.augment = false;
            spec.method.name = method;
            spec.teacher.runName = "cache-teacher";
            spec.precision = precision;
            spec.batchSize = 36;   // 26 steps an epoch: 24 images are left out of each, so later epochs meet new ones
            const auto trained = [&](bool cache) {
                const int64_t id = spec::queueRun(db, spec);
                db.claimRun(id, 1, "test", "cpu");
                engine::TrainerOptions options;
                options.cacheTeacherOutputs = cache;
                engine::Trainer trainer(db, id, spec, options);
                if (trainer.run() != engine::Outcome::Finished) qWarning("%s", trainer.error().c_str());
                return id;
            };
            const int64_t cached = trained(true), uncached = trained(false);
            QCOMPARE(db.run(cached)->status, store::RunStatus::Finished);
            QCOMPARE(db.run(uncached)->status, store::RunStatus::Finished);
            const std::string difference = testing::metricsDifference(db, cached, uncached);
            QVERIFY2(difference.empty(), (name + ": " + difference).c_str());

            const auto eventWith = [&](int64_t id, const std::string& text) -> std::string {
                for (const auto& e : db.events(id))
                    if (e.message.find(text) != std::string::npos) return e.message;
                return {};
            };
            const std::string kept = eventWith(cached, "are kept per training image");
            QVERIFY2((kept.find("pooled features") != std::string::npos) == (method != "kd"), kept.c_str());
            // Epoch 1 runs the teacher at all 26 steps; of the 52 later steps, those whose batch holds one
            // of epoch 1's 24 left-out images run it too (and store those images).
            const std::string line = eventWith(cached, "came from the cache");
            int hits = -1, steps = -1;
            QVERIFY2(std::sscanf(line.c_str(), "the teacher's outputs came from the cache at %d of %d steps", &hits,
                                 &steps) == 2,
                     (name + ": " + line).c_str());
            QCOMPARE(steps, 78);
            QVERIFY2(hits >= 20 && hits <= 51, (name + ": " + line).c_str());
            QVERIFY(eventWith(uncached, "came from the cache").empty());
        }
    }

    // The cache's own rules: a batch's outputs come from it only when every image was stored from a
    // batch of the same size; augmented images, methods reading stages and oversized sets are refused.
    void teacherOutputCacheRules() {
        engine::TeacherOutputCache cache(6, 3, 2, torch::kCPU);
        const auto rows = [](std::vector<int64_t> r) { return torch::tensor(r, torch::kLong); };
        models::FeatureSet outputs;
        outputs.logits = torch::arange(12, torch::kFloat).reshape({4, 3});
        outputs.pooled = -torch::arange(8, torch::kFloat).reshape({4, 2});
        QVERIFY(!cache.lookup(rows({0, 1, 2, 3})));
        cache.store(rows({5, 1, 0, 3}), outputs);
        const auto back = cache.lookup(rows({3, 0, 1, 5}));
        QVERIFY(back.has_value());
        QVERIFY(torch::equal(back->logits, outputs.logits.index_select(0, rows({3, 2, 1, 0}))));
        QVERIFY(torch::equal(back->pooled, outputs.pooled.index_select(0, rows({3, 2, 1, 0}))));
        QVERIFY(back->stages.empty());
        QVERIFY(!cache.lookup(rows({0, 1})));          // stored from a batch of 4, asked in one of 2
        QVERIFY(!cache.lookup(rows({0, 1, 2, 4})));    // 2 and 4 never stored
        QCOMPARE(cache.hits(), int64_t(1));
        QCOMPARE(cache.misses(), int64_t(3));
        QCOMPARE(cache.bytes(), int64_t(6 * (3 + 2) * 4));

        using engine::TeacherOutputCache;
        QVERIFY(!TeacherOutputCache::unusable(false, false, 50000, 100));
        QVERIFY(TeacherOutputCache::unusable(true, false, 50000, 100)->find("augmented") != std::string::npos);
        QVERIFY(TeacherOutputCache::unusable(false, true, 50000, 100)->find("stages") != std::string::npos);
        const auto imagenet = TeacherOutputCache::unusable(false, false, 1281167, 1000);
        QVERIFY(imagenet && imagenet->find("4887 MB, more than the cache's 512 MB") != std::string::npos);
    }

    void missingTeacherFailsWithTheReason() {
        store::Store db(dir_.filePath("noteacher.sqlite").toStdString());
        auto kd = tinySpec("kd", 1);
        kd.method.name = "kd";
        kd.teacher.runName = "never-trained";
        const int64_t id = spec::queueRun(db, kd);
        db.claimRun(id, 1, "test", "cpu");
        std::string error;
        QCOMPARE(train(db, id, kd, nullptr, false, &error), engine::Outcome::Failed);
        const auto row = db.run(id);
        QCOMPARE(row->status, store::RunStatus::Failed);
        QVERIFY2(row->error.find("no finished run named \"never-trained\"") != std::string::npos, row->error.c_str());
        QCOMPARE(db.events(id).back().level, std::string("error"));
    }

    void divergingLossFailsAndKeepsEarlierMetrics() {
        store::Store db(dir_.filePath("nan.sqlite").toStdString());
        auto spec = tinySpec("diverge", 1);
        spec.optim.lr = 1e6;
        const int64_t id = spec::queueRun(db, spec);
        db.claimRun(id, 1, "test", "cpu");
        QCOMPARE(train(db, id, spec), engine::Outcome::Failed);
        const auto row = db.run(id);
        QVERIFY2(row->error.find("lower optim.lr") != std::string::npos, row->error.c_str());
    }

    void stopCheckpointsAndResumeFinishes() {
        store::Store db(dir_.filePath("resume.sqlite").toStdString());
        const auto spec = tinySpec("resumable", 2);
        const int64_t id = spec::queueRun(db, spec);
        db.claimRun(id, 1, "test", "cpu");
        RecordingSink sink;
        sink.stopAfterStep = 40;   // in the second epoch
        QCOMPARE(train(db, id, spec, &sink), engine::Outcome::Killed);
        QCOMPARE(db.run(id)->status, store::RunStatus::Killed);
        QVERIFY(db.run(id)->error.find("distillery-engine resume") != std::string::npos);
        QCOMPARE(db.metrics(id, "val/acc1").size(), size_t(1));   // only epoch 1 was evaluated

        engine::Trainer::clearStop();
        QVERIFY(db.reclaimRun(id, 2, "test", "cpu"));
        RecordingSink resumed;
        QCOMPARE(train(db, id, spec, &resumed, true), engine::Outcome::Finished);
        QCOMPARE(db.run(id)->status, store::RunStatus::Finished);
        QCOMPARE(db.metrics(id, "val/acc1").size(), size_t(2));
        QCOMPARE(db.metrics(id, "train/loss").back().step, int64_t(60));
        QVERIFY(resumed.reports.front().step >= 40);               // it did not start over
    }

    // Same seed ⇒ the same metrics: a run stopped mid-window and resumed logs exactly what an
    // uninterrupted run logs (wall-time rows aside), RNG, data order, optimiser and window included.
    void resumedRunEqualsUninterruptedRun() {
        auto spec = tinySpec("reproducible", 2);
        spec.data.augment = true;   // exercises the augmentation RNG kept in the checkpoint
        spec.optim.name = "sgd";
        spec.schedule.name = "cosine";
        spec.schedule.warmupEpochs = 0.5;
        store::Store db(dir_.filePath("equal.sqlite").toStdString());

        const int64_t straight = spec::queueRun(db, spec);
        db.claimRun(straight, 1, "test", "cpu");
        QCOMPARE(train(db, straight, spec), engine::Outcome::Finished);

        const int64_t interrupted = spec::queueRun(db, spec);
        db.claimRun(interrupted, 1, "test", "cpu");
        RecordingSink sink;
        sink.stopAfterStep = 37;   // epoch 2, inside a logging window (every 5 steps)
        QCOMPARE(train(db, interrupted, spec, &sink), engine::Outcome::Killed);
        engine::Trainer::clearStop();
        QVERIFY(db.reclaimRun(interrupted, 2, "test", "cpu"));
        QCOMPARE(train(db, interrupted, spec, nullptr, true), engine::Outcome::Finished);

        const std::string difference = testing::metricsDifference(db, straight, interrupted);
        QVERIFY2(difference.empty(), difference.c_str());
    }

    void adamwWithClippingAndSmoothingLearns() {
        auto spec = tinySpec("adamw", 1);
        spec.optim.name = "adamw";
        spec.optim.lr = 0.01;
        spec.optim.weightDecay = 0.01;
        spec.optim.gradClip = 1.0;
        spec.optim.labelSmoothing = 0.1;
        spec.schedule.name = "cosine";
        store::Store db(dir_.filePath("adamw.sqlite").toStdString());
        const int64_t id = spec::queueRun(db, spec);
        db.claimRun(id, 1, "test", "cpu");
        QCOMPARE(train(db, id, spec), engine::Outcome::Finished);
        const auto loss = db.metrics(id, "train/loss");
        QVERIFY(loss.back().value < loss.front().value);
        const auto lr = db.metrics(id, "lr");
        QCOMPARE(lr.front().value, 0.01 * 0.5 * (1 + std::cos(M_PI * 4 / 29.0)));   // cosine at step index 4
        QVERIFY(lr.back().value < 1e-9);                                           // annealed to min_lr = 0
        QVERIFY(db.summary(id, "val/acc5").has_value());
        QCOMPARE(db.summary(id, "val/acc5")->lastValue, 100.0);                   // 4 classes: top-4 is everything
    }

    void unreadableDataFailsNamingTheFile() {
        store::Store db(dir_.filePath("data.sqlite").toStdString());
        auto parsed = spec::parseRunSpec(nlohmann::json{{"name", "mnist"},
                                                        {"data", {{"name", "mnist"}, {"root", "/nonexistent/mnist"}}},
                                                        {"student", {{"model", "tinycnn"}}}});
        QVERIFY(parsed.ok());
        const int64_t id = spec::queueRun(db, *parsed.spec);
        db.claimRun(id, 1, "test", "cpu");
        QCOMPARE(train(db, id, *parsed.spec), engine::Outcome::Failed);
        QVERIFY2(db.run(id)->error.find("/nonexistent/mnist") != std::string::npos, db.run(id)->error.c_str());
    }
};

QTEST_GUILESS_MAIN(TestEngine)
#include "test_engine.moc"
