// The window's side of a study on Slurm, on a one-node cluster started by the test: the designer's
// "Run on: Slurm cluster" submits through the engine (ClusterFollower::submit); the desktop queue
// leaves the submitted runs alone; the Queue panel lists them with Slurm's word on them (the student
// waits for its teacher's job, then runs) and the store receives their metrics while they train
// (merged from their shards); Cancel is scancel, which leaves the run killed with a checkpoint, and
// Resume is scontrol requeue, after which it finishes, continued from that checkpoint.
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include "ClusterFollower.h"
#include "EngineBinary.h"
#include "LocalSlurm.h"
#include "QueuePanel.h"
#include "QueueTableModel.h"
#include "RunScheduler.h"
#include "StoreSession.h"
#include "store/ClusterJobs.h"
#include "store/Store.h"

using namespace distillery;
using namespace distillery::views;
using nlohmann::json;

namespace {

// A teacher (a few seconds) and one kd student long enough (200 steps) to be watched and cancelled.
json guiStudy() {
    const json data = {{"name", "synthetic"}, {"channels", 1}, {"height", 28}, {"width", 28}, {"num_classes", 4},
                       {"train_size", 640}, {"test_size", 96}, {"val_size", 64}, {"augment", false}};
    json base = {{"data", data},       {"student", {{"model", "resnet8"}}}, {"epochs", 10},
                 {"batch_size", 32},   {"threads", 1},                       {"log_every", 1},
                 {"diagnostics_every", 0}, {"name", "kd"},                   {"teacher", {{"run_name", "t"}}},
                 {"checkpoint_every", 1}, {"method", {{"name", "kd"}}}};
    return {{"study", "window"},
            {"base", base},
            {"teachers", {{"t", {{"student", {{"model", "tinycnn"}}}, {"epochs", 2}}}}},
            {"seeds", {5}}};
}

}  // namespace

class TestClusterGui : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    testing::LocalSlurm slurm_;

private slots:
    void initTestCase() { DISTILLERY_START_LOCAL_SLURM(slurm_, dir_.filePath("cluster")); }
    void cleanupTestCase() { slurm_.stop(); }

    void aStudySubmittedFromTheWindowIsFollowedLive() {
        StoreSession::Options options;
        options.enginePath = testing::builtEnginePath();
        options.clusterIntervalMs = 300;
        options.pollIntervalMs = 200;
        StoreSession session(options);
        QString error;
        QVERIFY2(session.open(dir_.filePath("window.sqlite"), 1, &error), qPrintable(error));
        QueuePanel panel;
        panel.setConfirmCancel(false);
        panel.setScheduler(session.scheduler());
        panel.setCluster(session.cluster());
        connect(&session, &StoreSession::runsChanged, &panel, &QueuePanel::setRuns);
        QSignalSpy failures(session.cluster(), &ClusterFollower::commandFailed);
        QSignalSpy submitted(session.cluster(), &ClusterFollower::submitted);

        ClusterSubmission submission;
        submission.specText = QByteArray::fromStdString(guiStudy().dump(2));
        submission.name = QStringLiteral("window");
        submission.sharedRoot = dir_.filePath("shared");
        submission.slurm.cpus = 1;
        session.cluster()->submit(submission);
        QTRY_VERIFY_WITH_TIMEOUT(submitted.count() + failures.count() > 0, 120000);
        QVERIFY2(failures.isEmpty(), qPrintable(failures.isEmpty() ? QString() : failures[0][1].toString()));
        QVERIFY2(submitted[0][0].toString().contains("submitted job"), qPrintable(submitted[0][0].toString()));

        // Both runs are recorded with their Slurm tasks; the desktop queue trains neither.
        store::Store& main = *session.store();
        const auto jobs = store::clusterJobs(main);
        QCOMPARE(jobs.size(), size_t(2));
        int64_t student = 0;
        for (const auto& job : jobs) {
            QVERIFY2(!job.slurmTask.empty() && job.slurmTask.find('_') != std::string::npos, job.slurmTask.c_str());
            QCOMPARE(QString::fromStdString(job.sharedRoot), dir_.filePath("shared"));
            if (main.run(job.runId)->studyRole == "student") student = job.runId;
        }
        QVERIFY(student > 0);
        session.scheduler()->enqueueQueuedRuns();
        QVERIFY(session.scheduler()->runningRuns().isEmpty());
        QVERIFY(session.scheduler()->pendingRuns().isEmpty());

        // The Queue lists the student with Slurm's word: first waiting for its teacher's job…
        QueueTableModel* model = panel.model();
        const auto statusOf = [&] {
            const int row = model->rowOfRun(student);
            return row < 0 ? QString() : model->data(model->index(row, QueueTableModel::StatusColumn)).toString();
        };
        QTRY_VERIFY_WITH_TIMEOUT(statusOf() == "on Slurm: waits for its teacher's job", 60000);
        QCOMPARE(model->groupOfRun(student).value_or(QueueTableModel::Group::Ended), QueueTableModel::Group::Cluster);
        // …then running, its metrics arriving in the store while it trains, with its progress shown.
        QTRY_VERIFY_WITH_TIMEOUT(statusOf() == "on Slurm: running" && main.metricCount(student, "train/loss") >= 5, 120000);
        QCOMPARE(main.run(student)->status, store::RunStatus::Running);
        // The Queue shows the progress once it has re-read the merged run (its own refresh follows the merge).
        QTRY_VERIFY_WITH_TIMEOUT(model->data(model->index(model->rowOfRun(student), QueueTableModel::ProgressColumn),
                                             QueueTableModel::ProgressRole)
                                     .isValid(),
                                 15000);

        // Cancel (scancel): the engine checkpoints, the run comes home killed and moves to the ended runs.
        panel.selectRun(student);
        panel.cancelSelectedRun();
        QTRY_COMPARE_WITH_TIMEOUT(main.run(student)->status, store::RunStatus::Killed, 120000);
        QTRY_COMPARE_WITH_TIMEOUT(model->groupOfRun(student).value_or(QueueTableModel::Group::Cluster),
                                  QueueTableModel::Group::Ended, 10000);
        const int64_t stoppedAfter = main.metricCount(student, "train/loss");
        QVERIFY2(stoppedAfter >= 5 && stoppedAfter < 200, qPrintable(QString::number(stoppedAfter)));

        // Resume (scontrol requeue): the task runs again and finishes, continued from its checkpoint.
        panel.selectRun(student);
        panel.resumeSelectedRun();
        QTRY_VERIFY_WITH_TIMEOUT((testing::LocalSlurm::releaseRequeued("distillery-window"),
                                  main.run(student)->status == store::RunStatus::Finished),
                                 240000);
        QVERIFY2(failures.isEmpty(), qPrintable(failures.isEmpty() ? QString() : failures[0][1].toString()));
        bool resumed = false;
        for (const auto& e : main.events(student)) resumed |= e.message.rfind("resumed from", 0) == 0;
        QVERIFY(resumed);
        QCOMPARE(main.metricCount(student, "train/loss"), int64_t(200));
        QVERIFY(session.scheduler()->endedRuns().isEmpty());   // nothing trained here
        session.close();
    }
};

QTEST_MAIN(TestClusterGui)
#include "test_cluster_gui.moc"
