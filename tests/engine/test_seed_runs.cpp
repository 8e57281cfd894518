// The seed methods through the real Trainer: 100 synthetic steps each write their diagnostic rows
// to the store at the spec's cadence, and a stopped SAKD run resumes to exactly the uninterrupted one.
#include <QTemporaryDir>
#include <QtTest>

#include "TestPrinters.h"
#include "TrainRun.h"

#include <torch/torch.h>

#include <set>

#include "engine/Trainer.h"
#include "spec/RunQueue.h"
#include "spec/RunSpec.h"
#include "store/Results.h"
#include "store/Store.h"

using namespace distillery;
using nlohmann::json;

namespace {
// 2 epochs × 50 steps of 32 synthetic 1×28×28 images, diagnostics every 10 steps.
spec::RunSpec seedSpec(const std::string& name, const json& method) {
    json node{{"name", name},
              {"data",
               {{"name", "synthetic"}, {"channels", 1}, {"height", 28}, {"width", 28}, {"num_classes", 4},
                {"train_size", 1600}, {"test_size", 64}, {"val_size", 64}}},
              {"student", {{"model", "tinycnn"}}},
              {"optim", {{"lr", 0.05}}},
              {"epochs", 2},
              {"batch_size", 32},
              {"log_every", 10},
              {"diagnostics_every", 10},
              {"threads", 2},
              {"seed", 3}};
    if (!method.empty()) {
        node["method"] = method;
        node["teacher"] = {{"run_name", "teacher"}};
    }
    auto parsed = spec::parseRunSpec(node);
    if (!parsed.ok()) qFatal("%s", parsed.errorText().c_str());
    return *parsed.spec;
}

using testing::train;

int64_t queueAndTrain(store::Store& db, const spec::RunSpec& spec) {
    const int64_t id = spec::queueRun(db, spec);
    db.claimRun(id, 1, "test", "cpu");
    if (train(db, id, spec) != engine::Outcome::Finished) return -1;
    return id;
}

template <typename Rows>
std::set<int64_t> stepsOf(const Rows& rows) {
    std::set<int64_t> steps;
    for (const auto& r : rows) steps.insert(r.step);
    return steps;
}

const std::set<int64_t> kDiagnosticSteps = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};

class StopAtStep : public engine::ProgressSink {
public:
    explicit StopAtStep(int64_t step) : step_(step) {}
    void report(const engine::Progress& p) override {
        if (p.step >= step_) engine::Trainer::requestStop();
    }

private:
    int64_t step_;
};
}  // namespace

class TestSeedRuns : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::unique_ptr<store::Store> db_;

private Q_SLOTS:
    void initTestCase() {
        db_ = std::make_unique<store::Store>(dir_.filePath("seed.sqlite").toStdString());
        auto teacher = seedSpec("teacher", json());
        teacher.studentModel = "resnet8";
        teacher.epochs = 1;
        QVERIFY(queueAndTrain(*db_, teacher) > 0);
    }
    void init() { engine::Trainer::clearStop(); }

    void statisticsMethodsWriteChannelStatistics_data() {
        QTest::addColumn<QString>("method");
        QTest::newRow("adain") << "adain";
        QTest::newRow("stat_l2") << "stat_l2";
        QTest::newRow("channel") << "channel";
    }
    void statisticsMethodsWriteChannelStatistics() {
        QFETCH(QString, method);
        const int64_t id = queueAndTrain(*db_, seedSpec(method.toStdString(), {{"name", method.toStdString()}}));
        QVERIFY(id > 0);
        QCOMPARE(db_->metricCount(id, "train/loss/feat"), int64_t(10));
        // tinycnn's last stage has 16 channels, projected to the resnet8 teacher's 64 at the last spot.
        for (int64_t step : kDiagnosticSteps) {
            const auto rows = db_->channelStats(id, "stage 2", step);
            QVERIFY2(rows.size() == 64, qPrintable(QString("%1 rows at step %2").arg(rows.size()).arg(step)));
            for (const auto& r : rows) QVERIFY(r.teacherStd >= 0 && r.studentStd >= 0);
        }
        QVERIFY(db_->channelStats(id, "stage 2", 15).empty());   // only at the cadence
    }

    void multipathWritesEveryPathsWeight() {
        const int64_t id = queueAndTrain(*db_, seedSpec("multipath", {{"name", "multipath"}}));
        QVERIFY(id > 0);
        const auto rows = db_->pathWeights(id);
        QCOMPARE(stepsOf(rows), kDiagnosticSteps);
        std::set<std::string> paths;
        for (const auto& r : rows) {
            paths.insert(r.path);
            QVERIFY(r.weight > 0 && r.rawLoss >= 0);
        }
        QCOMPARE(paths, (std::set<std::string>{"kd@logits", "at@stages"}));
        QCOMPARE(rows.size(), size_t(20));
    }

    // amap writes its diagnostics as metrics (diag/amap/…), no path-weight rows; its hint weight follows
    // the run's length: 100 steps, a 5-step warm-up (0.05) and a 10-step ramp (0.1).
    void amapWritesHybridDiagnostics() {
        const int64_t id = queueAndTrain(*db_, seedSpec("amap", {{"name", "amap"}}));
        QVERIFY(id > 0);
        QVERIFY(db_->pathWeights(id).empty());
        QCOMPARE(db_->metricCount(id, "train/loss/hybrid"), int64_t(10));
        const std::pair<std::string, double> percentOrCosine[] = {
            {"amap/hybrid_acc", 100}, {"amap/hybrid_agreement", 100}, {"amap/map_cosine/stage 2/adapted-student", 1}};
        for (const auto& [key, top] : percentOrCosine) {
            const auto points = db_->metrics(id, store::metric::diagnostic(key));
            QCOMPARE(stepsOf(points), kDiagnosticSteps);
            for (const auto& p : points) QVERIFY2(p.value >= 0 && p.value <= top, key.c_str());
        }
        // Diagnostics at step 10 describe the step numbered 9: beta·(9 − 5 + 1)/10.
        const auto beta = db_->metrics(id, store::metric::diagnostic("amap/beta"));
        QCOMPARE(beta.size(), size_t(10));
        QCOMPARE(beta[0].value, 500.0);
        QCOMPARE(beta[1].value, 1000.0);
    }

    // sakd writes its gates, per-class rates, the diagnostics that explain them (diag/sakd/…) and, as
    // an event, which start-up prior the pair got. The prior (forced on, fading over 20% of 100 steps)
    // opens nearly every gate at first and has faded by the end.
    void sakdWritesGatesAndPerClassRates() {
        const int64_t id = queueAndTrain(
            *db_, seedSpec("sakd", {{"name", "sakd"}, {"base", "at"}, {"prior", "always"}, {"prior_decay", 0.2}}));
        QVERIFY(id > 0);
        const auto gates = db_->gates(id);
        QCOMPARE(stepsOf(gates), kDiagnosticSteps);
        QCOMPARE(gates.size(), size_t(10 * 3));   // 2 stage spots + the logits
        for (const auto& g : gates) QVERIFY(g.openRate >= 0 && g.openRate <= 1);
        QVERIFY2(gates.front().openRate > 0.99, "the +10 prior opens nearly every gate at first");
        for (int64_t step : {int64_t(50), int64_t(100)}) {   // after each epoch's evaluation
            const auto classes = db_->gateClasses(id, step);
            QCOMPARE(classes.size(), size_t(4 * 3));
        }
        const auto prior = db_->metrics(id, store::metric::diagnostic("sakd/prior"));
        QCOMPARE(prior.size(), size_t(10));
        QVERIFY(prior.front().value > 6 && prior.back().value < 0.2);
        QCOMPARE(db_->metrics(id, store::metric::diagnostic("sakd/logit_margin/logits")).size(), size_t(10));
        QCOMPARE(db_->metrics(id, store::metric::diagnostic("sakd/mixed_ce")).size(), size_t(10));
        bool noted = false;
        for (const auto& event : db_->events(id))
            noted = noted || (event.message.rfind("sakd: ", 0) == 0 && event.message.find("starts at +10") != std::string::npos);
        QVERIFY2(noted, "the run's log says which prior the pair got");
    }

    void stoppedSakdRunResumesToTheUninterruptedRun() {
        const auto spec = seedSpec("sakd-resume", {{"name", "sakd"}, {"base", "fitnet"}, {"init_bias", 0.0}});
        const int64_t whole = spec::queueRun(*db_, spec);
        db_->claimRun(whole, 1, "test", "cpu");
        QCOMPARE(train(*db_, whole, spec), engine::Outcome::Finished);

        const int64_t parted = spec::queueRun(*db_, spec);
        db_->claimRun(parted, 1, "test", "cpu");
        StopAtStep stop(37);
        QCOMPARE(train(*db_, parted, spec, &stop), engine::Outcome::Killed);
        engine::Trainer::clearStop();
        db_->reclaimRun(parted, 1, "test", "cpu");
        QCOMPARE(train(*db_, parted, spec, nullptr, true), engine::Outcome::Finished);

        for (const std::string key : {"train/loss", "train/loss/feat", "val/acc1"}) {
            const auto a = db_->metrics(whole, key), b = db_->metrics(parted, key);
            QCOMPARE(a.size(), b.size());
            for (size_t i = 0; i < a.size(); ++i) QCOMPARE(b[i].value, a[i].value);
        }
        const auto a = db_->gates(whole), b = db_->gates(parted);
        QCOMPARE(a.size(), b.size());
        for (size_t i = 0; i < a.size(); ++i) QCOMPARE(b[i].openRate, a[i].openRate);
    }
};

QTEST_GUILESS_MAIN(TestSeedRuns)
#include "test_seed_runs.moc"
