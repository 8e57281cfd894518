// The run-lifecycle rules (store/RunLifecycle.h) for every status: cancel, resume and retry as the
// GUI's run queue asks them for a run it neither trains nor holds, and the engine's resume/retry
// refusal. The words are the ones the user reads, so they are compared whole.
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

#include "TestPrinters.h"
#include "store/RunLifecycle.h"

using namespace distillery::store;

namespace {

const std::string kStore = "/data/runs.sqlite";

RunRow rowWith(RunStatus status) {
    RunRow row;
    row.id = 7;
    row.name = "kd-r8";
    row.status = status;
    return row;
}

CheckpointRow checkpoint(const std::string& kind, const std::string& path) {
    CheckpointRow row;
    row.runId = 7;
    row.kind = kind;
    row.path = path;
    return row;
}

// QString: a failed comparison prints both sentences.
QString text(const std::optional<std::string>& refusal) { return QString::fromStdString(refusal.value_or("(allowed)")); }
QString text(const std::string& sentence) { return QString::fromStdString(sentence); }

}  // namespace

class TestRunLifecycle : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::string lastFile_;   // a "last" checkpoint file that exists

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        lastFile_ = dir_.filePath("last.pt").toStdString();
        std::ofstream(lastFile_) << "checkpoint";
    }

    void endedEarlyIsKilledOrFailed() {
        QVERIFY(endedEarly(RunStatus::Killed));
        QVERIFY(endedEarly(RunStatus::Failed));
        for (RunStatus status : {RunStatus::Queued, RunStatus::Running, RunStatus::Finished})
            QVERIFY2(!endedEarly(status), statusName(status).c_str());
    }

    void resumeContinuesFromTheNewestLastCheckpoint() {
        QCOMPARE(text(resumeCheckpointPath({})), QString());
        QCOMPARE(text(resumeCheckpointPath({checkpoint("best", "/a/best.pt"), checkpoint("periodic", "/a/e1.pt")})),
                 QString());
        QCOMPARE(text(resumeCheckpointPath({checkpoint("last", "/a/old.pt"), checkpoint("best", "/a/best.pt"),
                                            checkpoint("last", "/a/new.pt")})),
                 QString("/a/new.pt"));
    }

    void aRunGoneFromTheStoreIsRefusedEverywhere() {
        const std::string gone = "Run 7 is not in /data/runs.sqlite (deleted?).";
        QCOMPARE(text(cancelRefusal(7, std::nullopt, kStore)), text(gone));
        QCOMPARE(text(resumeRefusal(7, std::nullopt, {checkpoint("last", lastFile_)}, kStore)), text(gone));
        QCOMPARE(text(retryRefusal(7, std::nullopt, kStore)), text(gone));
        QCOMPARE(text(notQueuedHereReason(7, std::nullopt, kStore)), text(gone));
    }

    void cancelTakesQueuedRunsOnly() {
        QVERIFY(!cancelRefusal(7, rowWith(RunStatus::Queued), kStore));
        QCOMPARE(text(cancelRefusal(7, rowWith(RunStatus::Finished), kStore)), QString("Run 7 is already finished."));
        QCOMPARE(text(cancelRefusal(7, rowWith(RunStatus::Killed), kStore)), QString("Run 7 is already killed."));
        QCOMPARE(text(cancelRefusal(7, rowWith(RunStatus::Failed), kStore)), QString("Run 7 is already failed."));
    }

    // A running run this process does not train: named with its engine, and how to stop it there.
    void aRunTrainedElsewhereNamesItsEngine() {
        RunRow running = rowWith(RunStatus::Running);
        running.pid = 4242;
        running.host = "gpu-3";
        const std::string elsewhere = "Run 7 is trained by another process (pid 4242 on gpu-3), not by this window. "
                                      "Stop it where it runs, e.g. kill -TERM 4242 on gpu-3.";
        QCOMPARE(text(cancelRefusal(7, running, kStore)), text(elsewhere));
        QCOMPARE(text(resumeRefusal(7, running, {checkpoint("last", lastFile_)}, kStore)), text(elsewhere));
        QCOMPARE(text(retryRefusal(7, running, kStore)), text(elsewhere));

        RunRow unknown = rowWith(RunStatus::Running);
        QCOMPARE(text(cancelRefusal(7, unknown, kStore)),
                 QString("Run 7 is trained by another process (pid unknown on an unknown host), not by this "
                             "window. Stop it where it runs, e.g. kill -TERM unknown on an unknown host."));
    }

    void resumeByStatusAndCheckpoint() {
        const std::vector<CheckpointRow> none;
        const std::vector<CheckpointRow> withFile{checkpoint("best", "/elsewhere/best.pt"), checkpoint("last", lastFile_)};
        const std::string missingPath = dir_.filePath("gone/last.pt").toStdString();
        const std::vector<CheckpointRow> fileMissing{checkpoint("last", missingPath)};
        const std::vector<CheckpointRow> bestOnly{checkpoint("best", lastFile_)};

        for (const std::vector<CheckpointRow>* checkpoints : {&none, &withFile, &fileMissing}) {
            QCOMPARE(text(resumeRefusal(7, rowWith(RunStatus::Finished), *checkpoints, kStore)),
                     QString("Run 7 has finished: there is nothing left to resume. To train it again, duplicate "
                                 "it as a new run."));
            QCOMPARE(text(resumeRefusal(7, rowWith(RunStatus::Queued), *checkpoints, kStore)),
                     QString("Run 7 is queued and has not started: there is nothing to resume yet; it trains "
                                 "from the beginning when it starts."));
        }
        const std::string noCheckpoint =
            "Run 7 has no checkpoint to resume from: it stopped before the engine saved one (at the end of every "
            "epoch, and when a run is cancelled). Retry it to train it from the beginning.";
        const std::string missing = "The checkpoint of run 7, " + missingPath +
                                    ", is missing (moved or deleted?). Put it back to resume the run, or retry the "
                                    "run to train it from the beginning.";
        for (RunStatus status : {RunStatus::Killed, RunStatus::Failed}) {
            QVERIFY2(!resumeRefusal(7, rowWith(status), withFile, kStore), statusName(status).c_str());
            QCOMPARE(text(resumeRefusal(7, rowWith(status), none, kStore)), text(noCheckpoint));
            QCOMPARE(text(resumeRefusal(7, rowWith(status), bestOnly, kStore)), text(noCheckpoint));   // best is no resume point
            QCOMPARE(text(resumeRefusal(7, rowWith(status), fileMissing, kStore)), text(missing));
        }
    }

    void retryTakesKilledOrFailedRuns() {
        QVERIFY(!retryRefusal(7, rowWith(RunStatus::Killed), kStore));
        QVERIFY(!retryRefusal(7, rowWith(RunStatus::Failed), kStore));
        QCOMPARE(text(retryRefusal(7, rowWith(RunStatus::Finished), kStore)),
                 QString("Run 7 has finished; retry is for failed or killed runs. To train it again, duplicate "
                             "it as a new run."));
        QCOMPARE(text(retryRefusal(7, rowWith(RunStatus::Queued), kStore)),
                 QString("Run 7 is queued already: it trains when a slot frees."));
    }

    // The engine's resume/retry refuse what only `run` starts or nothing continues; the rest is for
    // Store::reclaimRun to decide under its lock (a running run's engine may be gone).
    void engineReclaimRefusesFinishedAndQueuedRuns() {
        QCOMPARE(text(reclaimRefusal(rowWith(RunStatus::Finished), kStore)),
                 QString("run 7 is finished: only killed or failed runs (or a running run whose engine died) "
                             "can be resumed or retried"));
        QCOMPARE(text(reclaimRefusal(rowWith(RunStatus::Queued), kStore)),
                 QString("run 7 is queued: only killed or failed runs (or a running run whose engine died) can "
                             "be resumed or retried; start it with: distillery-engine run --db /data/runs.sqlite "
                             "--run 7"));
        for (RunStatus status : {RunStatus::Running, RunStatus::Killed, RunStatus::Failed})
            QVERIFY2(!reclaimRefusal(rowWith(status), kStore), statusName(status).c_str());
    }
};

QTEST_GUILESS_MAIN(TestRunLifecycle)
#include "test_run_lifecycle.moc"
