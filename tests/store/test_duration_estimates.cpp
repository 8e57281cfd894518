// The run queue's time arithmetic (store/DurationEstimates.h): durations learned from finished runs,
// and the replay of a queue over its slots, with figures worked out by hand.
#include <QtTest>

#include "store/DurationEstimates.h"

using namespace distillery::store;

namespace {

RunRow finished(const std::string& method, const std::string& student, double seconds) {
    RunRow row;
    row.status = RunStatus::Finished;
    row.method = method;
    row.student = student;
    row.startedAt = 1000;
    row.finishedAt = 1000 + seconds;
    return row;
}

double orMinusOne(const std::optional<double>& value) { return value.value_or(-1.0); }

}  // namespace

class TestDurationEstimates : public QObject {
    Q_OBJECT

private slots:
    void learnsTheMeanPerMethodAndStudent() {
        DurationEstimates estimates;
        QVERIFY(!estimates.estimate("kd", "resnet8"));   // nothing finished yet
        estimates.add(finished("kd", "resnet8", 100));
        estimates.add(finished("kd", "resnet8", 200));
        estimates.add(finished("ce", "resnet20", 60));
        QCOMPARE(orMinusOne(estimates.estimate("kd", "resnet8")), 150.0);
        QCOMPARE(orMinusOne(estimates.estimate("ce", "resnet20")), 60.0);
        // No run of that pair: the mean of all finished runs, (100 + 200 + 60) / 3.
        QCOMPARE(orMinusOne(estimates.estimate("at", "vgg8")), 120.0);
        estimates.clear();
        QVERIFY(!estimates.estimate("kd", "resnet8"));
    }

    void countsOnlyFinishedRunsWithBothTimes() {
        DurationEstimates estimates;
        RunRow killed = finished("kd", "resnet8", 10);
        killed.status = RunStatus::Killed;
        RunRow unstarted = finished("kd", "resnet8", 10);
        unstarted.startedAt.reset();
        RunRow backwards = finished("kd", "resnet8", -5);   // a clock that jumped back
        for (const RunRow& row : {killed, unstarted, backwards}) estimates.add(row);
        QVERIFY(!estimates.estimate("kd", "resnet8"));
        estimates.add(finished("kd", "resnet8", 0));   // zero seconds is a duration
        QCOMPARE(orMinusOne(estimates.estimate("kd", "resnet8")), 0.0);
    }

    void remainingIsTheShareNotDone() {
        DurationEstimates estimates;
        QVERIFY(!estimates.remaining("kd", "resnet8", 0.5));
        estimates.add(finished("kd", "resnet8", 200));
        QCOMPARE(orMinusOne(estimates.remaining("kd", "resnet8", 0.25)), 150.0);
        QCOMPARE(orMinusOne(estimates.remaining("kd", "resnet8", 0.0)), 200.0);
        QCOMPARE(orMinusOne(estimates.remaining("kd", "resnet8", 1.7)), 0.0);     // clamped to 0..1
        QCOMPARE(orMinusOne(estimates.remaining("kd", "resnet8", -0.5)), 200.0);
    }

    void replaySpreadsWaitingRunsOverSlots() {
        // Two slots: runs 1 and 2 train (40 s and 60 s left). Run 3 (150 s) takes the slot freed at
        // 40 s, run 4 (30 s) the one freed at 60 s; the last ends at 40 + 150 = 190 s.
        QCOMPARE(orMinusOne(replayQueue({{1, 40}, {2, 60}}, {{3, 0, 150}, {4, 0, 30}}, 2)), 190.0);
        // One slot (lowered while two train): both keep training, and the waiting runs start one
        // after another once both have ended: 60 + 150 + 30.
        QCOMPARE(orMinusOne(replayQueue({{1, 40}, {2, 60}}, {{3, 0, 150}, {4, 0, 30}}, 1)), 240.0);
    }

    void replayStartsAStudentAfterItsTeacher() {
        // Teacher 1 trains for 100 s; student 2 (50 s) waits for it even with a slot free, while run 3
        // (20 s) starts at once: the student ends at 150 s.
        QCOMPARE(orMinusOne(replayQueue({{1, 100}}, {{2, 1, 50}, {3, 0, 20}}, 2)), 150.0);
        // A teacher that waits too: teacher 4 (30 s) then student 5 (10 s) on one free slot.
        QCOMPARE(orMinusOne(replayQueue({}, {{5, 4, 10}, {4, 0, 30}}, 1)), 40.0);
        // Two runs waiting for each other never end.
        QVERIFY(!replayQueue({}, {{6, 7, 10}, {7, 6, 10}}, 2));
    }
};

QTEST_GUILESS_MAIN(TestDurationEstimates)
#include "test_duration_estimates.moc"
