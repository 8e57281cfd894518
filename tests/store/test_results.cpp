// What the store's numbers mean (store/Results.h): the classification of metric keys, the result
// selected on validation, and the checkpoint kinds.
#include <QtTest>

#include "store/Results.h"

using namespace distillery::store;

namespace {
std::vector<MetricPoint> series(const std::string& key, std::initializer_list<std::pair<int64_t, double>> points) {
    std::vector<MetricPoint> out;
    for (const auto& [step, value] : points) out.push_back({1, key, step, 0, value, 0});
    return out;
}
}  // namespace

class TestResults : public QObject {
    Q_OBJECT

private slots:
    void metricKeysAreClassifiedByTheirParts() {
        for (const char* key : {"val/acc1", "test/acc5", "train/acc1", "val/agreement", "test/agreement"})
            QVERIFY2(metricKind(key) == MetricKind::Accuracy && higherIsBetter(key), key);
        for (const char* key : {"train/loss", "train/loss/kd", "train/loss/feat", "val/loss", "test/loss"})
            QVERIFY2(metricKind(key) == MetricKind::Loss && !higherIsBetter(key), key);
        for (const char* key : {"lr", "epoch_time", "train/skipped_steps", "gate/open"})
            QVERIFY2(metricKind(key) == MetricKind::Other && !higherIsBetter(key), key);
        // Only the last part decides an accuracy: a loss term whose name holds "acc" is still a loss.
        QVERIFY(metricKind("train/loss/acc_penalty") == MetricKind::Loss);
        // A word merely containing "loss" in an earlier part does not make a loss.
        QVERIFY(metricKind("lossless/lr") == MetricKind::Other);
    }

    void bestOfASummaryFollowsItsDirection() {
        MetricSummary accuracy{1, "val/acc1", 10, 80, 60, 90, 3};
        MetricSummary loss{1, "train/loss", 10, 0.5, 0.2, 2.0, 3};
        QCOMPARE(accuracy.best(), 90.0);
        QCOMPARE(loss.best(), 0.2);
    }

    void testAccuracyIsTakenAtTheBestValidationStep() {
        const auto val = series("val/acc1", {{100, 70}, {200, 85}, {300, 85}, {400, 80}});
        const auto test = series("test/acc1", {{100, 69}, {200, 84}, {300, 86}, {400, 79}});
        const ValidationSelection s = selectByValidation(val, test);
        QCOMPARE(*s.bestVal, 85.0);
        QCOMPARE(*s.bestValStep, int64_t(200));   // a tie keeps the earliest step
        QCOMPARE(*s.testAtBestVal, 84.0);
        QCOMPARE(*s.lastTest, 79.0);
    }

    void aTestAccuracyOfAnotherStepIsNotBorrowed() {
        // The model selected at step 200 was never tested: the number of step 100 is another model's.
        const auto val = series("val/acc1", {{100, 70}, {200, 85}});
        const auto test = series("test/acc1", {{100, 69}, {300, 90}});
        const ValidationSelection s = selectByValidation(val, test);
        QCOMPARE(*s.bestValStep, int64_t(200));
        QVERIFY(!s.testAtBestVal);
        QCOMPARE(*s.lastTest, 90.0);
    }

    void noValidationSelectsNothing() {
        const ValidationSelection s = selectByValidation({}, series("test/acc1", {{100, 50}}));
        QVERIFY(!s.bestVal && !s.bestValStep && !s.testAtBestVal);
        QCOMPARE(*s.lastTest, 50.0);
    }

    void checkpointKindsRoundTripThroughTheirNames() {
        for (CheckpointKind kind : {CheckpointKind::Last, CheckpointKind::Best, CheckpointKind::Periodic})
            QVERIFY(checkpointKindFromName(checkpointKindName(kind)) == kind);
        QCOMPARE(checkpointKindName(CheckpointKind::Last), std::string("last"));
        QCOMPARE(checkpointKindName(CheckpointKind::Best), std::string("best"));
        QCOMPARE(checkpointKindName(CheckpointKind::Periodic), std::string("periodic"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, checkpointKindFromName("newest"));
    }

    void findCheckpointTakesTheNewestOfAKind() {
        std::vector<CheckpointRow> rows{{1, 1, 30, 3, "/c/last.pt", "last", 0, 0},
                                        {2, 1, 20, 2, "/c/best.pt", "best", 0, 0},
                                        {3, 1, 10, 1, "/c/epoch-1.pt", "periodic", 0, 0},
                                        {4, 1, 20, 2, "/c/epoch-2.pt", "periodic", 0, 0}};
        QCOMPARE(findCheckpoint(rows, CheckpointKind::Last)->path, std::string("/c/last.pt"));
        QCOMPARE(findCheckpoint(rows, CheckpointKind::Best)->path, std::string("/c/best.pt"));
        QCOMPARE(findCheckpoint(rows, CheckpointKind::Periodic)->path, std::string("/c/epoch-2.pt"));
        rows.erase(rows.begin());
        QVERIFY(!findCheckpoint(rows, CheckpointKind::Last));
    }
};

QTEST_GUILESS_MAIN(TestResults)
#include "test_results.moc"
