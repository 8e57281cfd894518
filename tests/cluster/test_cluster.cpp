// A study on a real Slurm cluster: packaging/slurm-local.sh starts a one-node cluster on this machine
// (munged, slurmctld, slurmd), `distillery-engine submit --slurm` sends a teacher and three students
// as job arrays, one student is pre-empted mid-run with `scontrol requeue`, and after `merge` every
// run is finished in the main store with exactly the metrics of the same study trained locally. A
// job killed outright (`scancel --signal=KILL`) leaves its run failed with Slurm's word on it, and a
// requeue resumes it from its checkpoint. A run of two processes trains as two srun tasks of one job.
// Skipped where Slurm is not installed (label cluster).
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <map>

#include <signal.h>
#include <sqlite3.h>

#include "EngineBinary.h"
#include "LocalSlurm.h"
#include "SameMetrics.h"
#include "store/Store.h"

using namespace distillery;
using nlohmann::json;
using testing::Ran;

namespace {

// A study whose students run long enough (a few seconds each) to be caught mid-run.
json clusterStudy(const std::string& name, const json& methods = json::array({{{"name", "kd"}}, {{"name", "kd"}, {"T", 2}},
                                                                                 {{"name", "at"}}})) {
    const json data = {{"name", "synthetic"}, {"channels", 1}, {"height", 28}, {"width", 28}, {"num_classes", 4},
                       {"train_size", 640}, {"test_size", 96}, {"val_size", 64}, {"augment", false}};
    json base = {{"data", data},       {"student", {{"model", "resnet8"}}}, {"epochs", 3},
                 {"batch_size", 32},   {"threads", 1},                       {"log_every", 1},
                 {"diagnostics_every", 0}, {"name", "kd"},                   {"teacher", {{"run_name", "t"}}},
                 {"checkpoint_every", 1}};
    return {{"study", name},
            {"base", base},
            {"teachers", {{"t", {{"student", {{"model", "tinycnn"}}}, {"epochs", 2}}}}},
            {"grid", {{"method", methods}}},
            {"seeds", {5}}};
}

}  // namespace

class TestCluster : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    testing::LocalSlurm slurm_;
    QString localDb_;                  // the study trained locally (the first test), the reference

    static Ran run(const QString& program, const QStringList& arguments, int timeoutMs = 120000) {
        return testing::LocalSlurm::run(program, arguments, timeoutMs);
    }
    Ran engine(const QStringList& arguments) { return run(testing::builtEnginePath(), arguments, 600000); }

    QString write(const QString& name, const json& content) { return testing::writeJsonFile(dir_.filePath(name), content); }

    static QStringList queued(const QString& jobName) { return testing::LocalSlurm::queued(jobName); }
    static bool waitUntilDone(const QString& jobName, int timeoutS) { return testing::LocalSlurm::waitUntilDone(jobName, timeoutS); }

    // The run folder of a run name under the submission's shared folder, and its Slurm task.
    QString runDirNamed(const QString& shared, const QString& name) {
        for (const QString& uuid : QDir(shared + "/runs").entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
            QFile job(shared + "/runs/" + uuid + "/job.json");
            if (job.open(QIODevice::ReadOnly) && json::parse(job.readAll().toStdString())["name"] == name.toStdString())
                return shared + "/runs/" + uuid;
        }
        return {};
    }
    static QString taskOf(const QString& runDir) {
        QFile file(runDir + "/slurm-job");
        return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()).trimmed() : QString();
    }

    // Waits until the run in runDir's shard is running and has logged at least `steps` steps.
    bool waitUntilTraining(const QString& runDir, int64_t steps, int timeoutS) {
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < timeoutS * 1000) {
            try {
                store::Store shard((runDir + "/shard.sqlite").toStdString(), /*readOnly=*/true);
                for (const auto& r : shard.runs(false)) {
                    if (r.status != store::RunStatus::Running || r.studyRole != "student") continue;
                    const auto loss = shard.metrics(r.id, "train/loss");
                    if (!loss.empty() && loss.back().step >= steps) return true;
                }
            } catch (const store::StoreError&) {   // being written: ask again
            }
            QThread::msleep(50);
        }
        return false;
    }

private slots:
    void initTestCase() { DISTILLERY_START_LOCAL_SLURM(slurm_, dir_.filePath("cluster")); }

    void cleanupTestCase() { slurm_.stop(); }

    // The study: a teacher and three students; one student pre-empted mid-run; merged, every
    // run equals the same study trained locally, metric by metric.
    // Submits a teacher and one kd student as study `name` and waits until the student has logged
    // `steps` steps. Returns the student's run folder.
    QString submitAndWaitForTheStudent(const QString& name, int64_t steps) {
        const QString spec = write(name + ".json", clusterStudy(name.toStdString(), json::array({{{"name", "kd"}}})));
        const QString db = dir_.filePath(name + ".sqlite"), shared = dir_.filePath(name + "-shared");
        const Ran submitted = engine({"submit", "--slurm", spec, "--db", db, "--shared-dir", shared, "--cpus", "1"});
        if (submitted.exitCode != 0) qWarning("%s", qPrintable(submitted.out + submitted.err));
        const QString student = runDirNamed(shared, name + "-kd-s5");
        if (student.isEmpty() || !waitUntilTraining(student, steps, 240)) return {};
        return student;
    }

    // Merges the submission and returns the student's row of the main store.
    store::RunRow mergedStudent(const QString& name, Ran* merged) {
        *merged = engine({"merge", "--db", dir_.filePath(name + ".sqlite"), dir_.filePath(name + "-shared")});
        store::Store main(dir_.filePath(name + ".sqlite").toStdString(), true);
        for (const auto& r : main.runs(false))
            if (r.name == (name + "-kd-s5").toStdString()) return r;
        return {};
    }

    // After `scontrol requeue`, the student finishes with the metrics of the local run of the same spec.
    void resumesToTheLocalMetrics(const QString& name, const QString& task) {
        const Ran requeued = run("scontrol", {"requeue", task});
        QVERIFY2(requeued.exitCode == 0, qPrintable(requeued.err));
        QVERIFY2(waitUntilDone("distillery-" + name, 300), qPrintable(queued("distillery-" + name).join("; ")));
        Ran merged;
        const store::RunRow student = mergedStudent(name, &merged);
        QVERIFY2(student.status == store::RunStatus::Finished, (student.error + merged.err.toStdString()).c_str());
        store::Store main(dir_.filePath(name + ".sqlite").toStdString(), true);
        bool resumed = false;   // from the checkpoint, not trained again from the start
        for (const auto& e : main.events(student.id)) resumed |= e.message.rfind("resumed from", 0) == 0;
        QVERIFY(resumed);
        if (localDb_.isEmpty()) QSKIP("no local reference: run the whole suite");
        store::Store reference(localDb_.toStdString(), true);
        for (const auto& r : reference.runs(false))
            if (r.name == "slurm-kd-s5") {
                const std::string difference = testing::metricsDifference(main, student.id, reference, r.id);
                QVERIFY2(difference.empty(), difference.c_str());
                return;
            }
        QFAIL("the local reference has no slurm-kd-s5");
    }

    // What submit would do, without submitting: the teacher alone in one array, its three students in
    // a second that waits for the teacher's task (afterok) two at a time; the scripts are written, the
    // run folders are not left behind (a real submit must still take the runs).
    void dryRunShowsTheArraysAndTheirDependency() {
        const QString spec = write("dry.json", clusterStudy("dry"));
        const QString db = dir_.filePath("dry.sqlite"), shared = dir_.filePath("dry-shared");
        const Ran dry = engine({"submit", "--slurm", spec, "--db", db, "--shared-dir", shared, "--max-parallel", "2",
                                "--partition", "debug", "--dry-run"});
        QVERIFY2(dry.exitCode == 0, qPrintable(dry.out + dry.err));
        const QStringList lines = dry.out.split('\n', Qt::SkipEmptyParts);
        QVERIFY2(lines.size() >= 2 && lines[0].startsWith("sbatch ") && lines[1].startsWith("sbatch "), qPrintable(dry.out));
        QVERIFY2(lines[0].contains("--array=0-0%2") && !lines[0].contains("--dependency") &&
                     lines[0].contains("--partition=debug") && lines[0].endsWith("/arrays/distillery-dry-runs.sh"),
                 qPrintable(lines[0]));
        QVERIFY2(lines[1].contains("--array=0-2%2") && lines[1].contains("--dependency=afterok:JOB_0") &&
                     lines[1].endsWith("/arrays/distillery-dry-students-of-dry-teacher-t-s5.sh"),
                 qPrintable(lines[1]));
        for (const QString& line : lines.mid(0, 2))
            QVERIFY2(line.contains("--requeue") && line.contains("--signal=B:TERM@120"), qPrintable(line));
        QFile students(shared + "/arrays/distillery-dry-students-of-dry-teacher-t-s5.list");
        QVERIFY(students.open(QIODevice::ReadOnly));
        QCOMPARE(QString::fromUtf8(students.readAll()).split('\n', Qt::SkipEmptyParts).size(), 3);
        QVERIFY(QDir(shared + "/runs").entryList(QDir::Dirs | QDir::NoDotAndDotDot).isEmpty());
        // The runs stay queued in the main store, and a real submit takes them.
        store::Store main(db.toStdString(), true);
        for (const auto& r : main.runs(false)) QCOMPARE(r.status, store::RunStatus::Queued);
    }

    void preemptedStudyMergesToTheLocalResults() {
        const QString spec = write("study.json", clusterStudy("slurm"));
        const QString db = dir_.filePath("main.sqlite"), shared = dir_.filePath("shared");
        const Ran submitted = engine({"submit", "--slurm", spec, "--db", db, "--shared-dir", shared, "--cpus", "1",
                                      "--max-parallel", "2"});
        QVERIFY2(submitted.exitCode == 0, qPrintable(submitted.out + submitted.err));
        QVERIFY2(submitted.out.contains("submitted job"), qPrintable(submitted.out));

        // Pre-empt the first student once it has trained a few steps.
        const QString student = runDirNamed(shared, "slurm-kd-s5");
        QVERIFY(!student.isEmpty());
        QVERIFY2(waitUntilTraining(student, 8, 240), "the student never started training");
        const QString task = taskOf(student);
        const Ran requeued = run("scontrol", {"requeue", task});
        QVERIFY2(requeued.exitCode == 0, qPrintable(requeued.err));
        QVERIFY2(waitUntilDone("distillery-slurm", 600), qPrintable(queued("distillery-slurm").join("; ")));
        const Ran job = run("scontrol", {"show", "job", "-o", task});
        QVERIFY2(job.out.contains("Restarts=1"), qPrintable(job.out));

        const Ran merged = engine({"merge", "--db", db, shared});
        QVERIFY2(merged.exitCode == 0, qPrintable(merged.out + merged.err));
        // Every shard kept its rollback journal through the job's connections (WAL is unsafe on NFS).
        const QStringList runDirs = QDir(shared + "/runs").entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        QCOMPARE(runDirs.size(), 4);
        for (const QString& uuid : runDirs) {
            store::Store shard((shared + "/runs/" + uuid + "/shard.sqlite").toStdString(), true);
            sqlite3_stmt* statement = nullptr;
            sqlite3_prepare_v2(shard.handle(), "PRAGMA journal_mode", -1, &statement, nullptr);
            QCOMPARE(sqlite3_step(statement), SQLITE_ROW);
            const std::string mode = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
            sqlite3_finalize(statement);
            QCOMPARE(mode, std::string("delete"));
            QVERIFY(!QFile::exists(shared + "/runs/" + uuid + "/shard.sqlite-wal"));
        }

        const QString localDb = localDb_ = dir_.filePath("local.sqlite");
        const Ran local = engine({"run", "--spec", spec, "--db", localDb, "--progress", "none"});
        QVERIFY2(local.exitCode == 0, qPrintable(local.err.right(2000)));

        store::Store main(db.toStdString(), true), reference(localDb.toStdString(), true);
        std::map<std::string, int64_t> localIds;
        for (const auto& r : reference.runs(false)) localIds[r.name] = r.id;
        const auto runs = main.runs(false);
        QCOMPARE(runs.size(), size_t(4));
        for (const auto& r : runs) {
            QVERIFY2(r.status == store::RunStatus::Finished, (r.name + ": " + r.error).c_str());
            QCOMPARE(r.study, std::string("slurm"));
            QVERIFY2(localIds.count(r.name), r.name.c_str());
            const std::string difference = testing::metricsDifference(main, r.id, reference, localIds[r.name]);
            QVERIFY2(difference.empty(), (r.name + ": " + difference).c_str());
        }
        // The pre-empted run says it continued.
        bool continued = false;
        for (const auto& r : runs)
            if (r.name == "slurm-kd-s5")
                for (const auto& e : main.events(r.id)) continued |= e.message.rfind("resumed from", 0) == 0;
        QVERIFY(continued);
    }

    // A job killed outright (the kernel's OOM killer, a node that dies; here SIGKILL to its engine)
    // cannot record an end: merge asks Slurm and marks the run failed with the job's state, exit code
    // and the end of its log; `scontrol requeue` resumes it from its checkpoint.
    void killedJobFailsWithSlurmsWordAndResumes() {
        const QString student = submitAndWaitForTheStudent("hard", 24);   // past epoch 1's checkpoint (20 steps)
        QVERIFY2(!student.isEmpty(), "the student never started training");
        const QString task = taskOf(student);
        int64_t pid = 0;
        {
            store::Store shard((student + "/shard.sqlite").toStdString(), true);
            for (const auto& r : shard.runs(false))
                if (r.studyRole == "student") pid = r.pid.value_or(0);
        }
        QVERIFY(pid > 0);
        QCOMPARE(::kill(pid_t(pid), SIGKILL), 0);
        QVERIFY2(waitUntilDone("distillery-hard", 120), qPrintable(queued("distillery-hard").join("; ")));
        Ran merged;
        const store::RunRow failed = mergedStudent("hard", &merged);
        QVERIFY2(merged.exitCode == 0, qPrintable(merged.out + merged.err));
        QVERIFY2(merged.out.contains("hard-kd-s5: failed (Slurm job " + task + " ended FAILED)"), qPrintable(merged.out));
        QCOMPARE(failed.status, store::RunStatus::Failed);
        for (const std::string part : {"Slurm job " + task.toStdString() + " ended FAILED (exit code 137",
                                       std::string("while the engine trained the run"), "scontrol requeue " + task.toStdString(),
                                       "distillery: job " + task.toStdString()})
            QVERIFY2(failed.error.find(part) != std::string::npos, (part + " not in: " + failed.error).c_str());
        resumesToTheLocalMetrics("hard", task);
    }

    // The main store's record keeps a submitted run to the cluster: `run --run ID` refuses it, naming
    // its job. Cancelled there and retried here, the record goes, and a merge of the submission leaves
    // the cluster's copy out instead of undoing the local run.
    void aSubmittedRunTrainsOnlyOnTheCluster() {
        const QString spec = write("only.json", clusterStudy("only", json::array({{{"name", "kd"}}})));
        const QString db = dir_.filePath("only.sqlite"), shared = dir_.filePath("only-shared");
        const Ran submitted = engine({"submit", "--slurm", spec, "--db", db, "--shared-dir", shared, "--cpus", "1"});
        QVERIFY2(submitted.exitCode == 0, qPrintable(submitted.out + submitted.err));
        const QString teacherDir = runDirNamed(shared, "only-teacher-t-s5");
        const QString task = taskOf(teacherDir);
        QVERIFY(!task.isEmpty());
        QVERIFY(run("scancel", {"-n", "distillery-only"}).exitCode == 0);
        QVERIFY(waitUntilDone("distillery-only", 120));
        int64_t teacher = 0;
        {
            store::Store main(db.toStdString(), true);
            for (const auto& r : main.runs(false)) if (r.studyRole == "teacher") teacher = r.id;
        }
        const Ran refused = engine({"run", "--db", db, "--run", QString::number(teacher)});
        QCOMPARE(refused.exitCode, 1);
        QVERIFY2(refused.err.contains("was submitted to Slurm (job " + task + ", folder " + teacherDir + "): it trains there"),
                 qPrintable(refused.err));

        // Killed by its engine, or (cancelled before it started) failed on Slurm's word: either can be retried.
        const Ran merged = engine({"merge", "--db", db, shared});
        QVERIFY2(merged.exitCode == 0, qPrintable(merged.out + merged.err));
        const Ran retried = engine({"retry", "--db", db, "--run", QString::number(teacher), "--progress", "none"});
        QVERIFY2(retried.exitCode == 0, qPrintable(retried.err.right(2000)));
        QVERIFY2(retried.err.contains("trains here now"), qPrintable(retried.err.right(2000)));
        const Ran again = engine({"merge", "--db", db, shared});
        QVERIFY2(again.out.contains(teacherDir + "/shard.sqlite: left out: run " + QString::number(teacher)),
                 qPrintable(again.out));
        store::Store main(db.toStdString(), true);
        QCOMPARE(main.run(teacher)->status, store::RunStatus::Finished);
    }

    // scancel (Slurm 22.05 delivers --signal=KILL as a cancel: SIGTERM, then SIGKILL after KillWait):
    // the engine checkpoints and records the run killed, saying how to continue; requeued, it resumes.
    void cancelledJobIsKilledAndResumes() {
        const QString student = submitAndWaitForTheStudent("cancel", 8);   // SIGTERM checkpoints where it stops
        QVERIFY2(!student.isEmpty(), "the student never started training");
        const QString task = taskOf(student);
        const Ran cancelled = run("scancel", {"--signal=KILL", task});
        QVERIFY2(cancelled.exitCode == 0, qPrintable(cancelled.err));
        QVERIFY2(waitUntilDone("distillery-cancel", 120), qPrintable(queued("distillery-cancel").join("; ")));
        Ran merged;
        const store::RunRow killed = mergedStudent("cancel", &merged);
        QVERIFY2(killed.status == store::RunStatus::Killed, (store::statusName(killed.status) + ": " + killed.error).c_str());
        QVERIFY2(killed.error.find("scontrol requeue " + task.toStdString()) != std::string::npos, killed.error.c_str());
        resumesToTheLocalMetrics("cancel", task);
    }

    // A student of two processes (distributed.world_size 2) goes to an array of --ntasks=2; the batch
    // script starts both with srun, which find their rank in SLURM_PROCID and meet in the run's folder.
    // Pre-empted mid-run, both stop at one step and both resume; merged, the run equals the same study
    // trained by `run` on this machine (a worker process started by the engine) metric by metric.
    void aRunOfTwoProcessesTrainsAsTwoSrunTasks() {
        json study = clusterStudy("srun", json::array({{{"name", "kd"}}}));
        study["base"]["distributed"] = {{"world_size", 2}, {"timeout_s", 120}};
        study["teachers"]["t"]["distributed"] = {{"world_size", 1}};
        const QString spec = write("srun.json", study);
        const QString db = dir_.filePath("srun.sqlite"), shared = dir_.filePath("srun-shared");
        const Ran dry = engine({"submit", "--slurm", spec, "--db", db, "--shared-dir", shared, "--cpus", "1", "--dry-run"});
        QVERIFY2(dry.exitCode == 0, qPrintable(dry.out + dry.err));
        QVERIFY2(dry.out.contains("-students-of-srun-teacher-t-s5-2procs") && dry.out.contains("--ntasks=2"), qPrintable(dry.out));
        const Ran submitted = engine({"submit", "--slurm", spec, "--db", db, "--shared-dir", shared, "--cpus", "1"});
        QVERIFY2(submitted.exitCode == 0, qPrintable(submitted.out + submitted.err));
        const QString student = runDirNamed(shared, "srun-kd-s5");
        QVERIFY(!student.isEmpty());
        QVERIFY2(waitUntilTraining(student, 8, 240), "the student never started training");
        const QString task = taskOf(student);
        QVERIFY(run("scontrol", {"requeue", task}).exitCode == 0);
        QVERIFY2(waitUntilDone("distillery-srun", 600), qPrintable(queued("distillery-srun").join("; ")));
        QVERIFY(run("scontrol", {"show", "job", "-o", task}).out.contains("Restarts=1"));

        const Ran merged = engine({"merge", "--db", db, shared});
        QVERIFY2(merged.exitCode == 0, qPrintable(merged.out + merged.err));
        const QString localDb = dir_.filePath("srun-local.sqlite");
        const Ran local = engine({"run", "--spec", spec, "--db", localDb, "--progress", "none"});
        QVERIFY2(local.exitCode == 0, qPrintable(local.err.right(2000)));
        store::Store main(db.toStdString(), true), reference(localDb.toStdString(), true);
        int64_t mine = 0, theirs = 0;
        for (const auto& r : main.runs(false)) if (r.name == "srun-kd-s5") mine = r.id;
        for (const auto& r : reference.runs(false)) if (r.name == "srun-kd-s5") theirs = r.id;
        QVERIFY(mine > 0 && theirs > 0);
        const auto row = main.run(mine);
        QVERIFY2(row->status == store::RunStatus::Finished, row->error.c_str());
        bool twoProcesses = false, resumed = false;
        for (const auto& e : main.events(mine)) {
            twoProcesses |= e.message.rfind("data parallel: 2 processes (gloo), 16 images", 0) == 0;
            resumed |= e.message.rfind("resumed from", 0) == 0;
        }
        QVERIFY(twoProcesses);
        QVERIFY(resumed);
        // Process 1 kept its own checkpoints beside process 0's.
        bool workerCheckpoints = false;
        for (QDirIterator files(student + "/checkpoints", {"*.pt"}, QDir::Files, QDirIterator::Subdirectories); files.hasNext();)
            workerCheckpoints |= files.next().contains("/rank-1/");
        QVERIFY(workerCheckpoints);
        const std::string difference = testing::metricsDifference(main, mine, reference, theirs);
        QVERIFY2(difference.empty(), difference.c_str());
    }
};

QTEST_GUILESS_MAIN(TestCluster)
#include "test_cluster.moc"
