// The learning-rate schedules against their formulas, step by step.
#include <QtTest>

#include <cmath>

#include "engine/LearningRateSchedule.h"

using namespace distillery;

class TestSchedule : public QObject {
    Q_OBJECT

    static spec::OptimSpec optim(double lr) {
        spec::OptimSpec o;
        o.lr = lr;
        return o;
    }

private Q_SLOTS:
    void multistepDecaysAtMilestones() {
        spec::ScheduleSpec s;
        s.milestones = {2, 4};
        s.gamma = 0.1;
        const engine::LearningRateSchedule schedule(optim(0.1), s, 10, 6);   // 10 steps an epoch
        QCOMPARE(schedule.at(0), 0.1);
        QCOMPARE(schedule.at(19), 0.1);
        QVERIFY(std::abs(schedule.at(20) - 0.01) < 1e-15);
        QVERIFY(std::abs(schedule.at(39) - 0.01) < 1e-15);
        QVERIFY(std::abs(schedule.at(40) - 0.001) < 1e-15);
    }

    void warmupRisesLinearlyThenHandsOver() {
        spec::ScheduleSpec s;
        s.name = "constant";
        s.warmupEpochs = 0.5;
        const engine::LearningRateSchedule schedule(optim(0.2), s, 10, 4);   // 5 warm-up steps
        for (int step = 0; step < 5; ++step) QVERIFY(std::abs(schedule.at(step) - 0.2 * (step + 1) / 5.0) < 1e-15);
        QCOMPARE(schedule.at(5), 0.2);
        QCOMPARE(schedule.at(39), 0.2);
    }

    void cosineAnnealsToMinimum() {
        spec::ScheduleSpec s;
        s.name = "cosine";
        s.minLr = 0.001;
        s.warmupEpochs = 1;
        const engine::LearningRateSchedule schedule(optim(0.1), s, 10, 5);   // 10 warm-up + 40 cosine steps
        QCOMPARE(schedule.at(10), 0.1);                                    // the top, right after warm-up
        QVERIFY(std::abs(schedule.at(49) - 0.001) < 1e-12);                // min_lr at the last step
        const double expected = 0.001 + (0.1 - 0.001) * 0.5 * (1 + std::cos(M_PI * (29 - 10) / 39.0));
        QVERIFY(std::abs(schedule.at(29) - expected) < 1e-12);
        for (int step = 11; step < 50; ++step) QVERIFY(schedule.at(step) <= schedule.at(step - 1));
    }
};

QTEST_GUILESS_MAIN(TestSchedule)
#include "test_schedule.moc"
