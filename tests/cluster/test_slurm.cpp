// Slurm's commands as Distillery runs and reads them (cluster/Slurm.h), without a cluster: the sbatch
// line of an array, the batch script from its template, and what sbatch, squeue and scontrol print
// (taken from Slurm 22.05 on Debian 12). The real cluster is tests/integration/test_cluster.
#include <QFile>
#include <QTemporaryDir>
#include <QTemporaryFile>
#include <QtTest>

#include "cluster/Slurm.h"

using namespace distillery::cluster;

class TestSlurm : public QObject {
    Q_OBJECT
private slots:
    // Every array is requeueable and warned two minutes before its time limit; the user's options
    // and the dependency follow, the script last.
    void sbatchLineOfAnArray() {
        SlurmOptions options;
        options.partition = "gpu";
        options.gres = "gpu:1";
        options.cpus = 8;
        options.time = "4:00:00";
        options.maxParallel = 4;
        options.extra = {"--constraint=a100"};
        const auto args = sbatchArguments(options, "distillery-cifar", 12, "/shared/logs", "101_3", "/shared/a.sh");
        const std::vector<std::string> expected = {
            "sbatch", "--parsable", "--job-name=distillery-cifar", "--array=0-11%4", "--requeue", "--signal=B:TERM@120",
            "--output=/shared/logs/%A_%a.out", "--partition=gpu", "--gres=gpu:1", "--time=4:00:00",
            "--cpus-per-task=8", "--dependency=afterok:101_3", "--constraint=a100", "/shared/a.sh"};
        QCOMPARE(args, expected);
        // A run of several processes: one Slurm task each, srun starts them (the script below).
        SlurmOptions twoProcesses;
        twoProcesses.tasks = 2;
        twoProcesses.cpus = 4;
        QCOMPARE(sbatchArguments(twoProcesses, "d", 3, "/l", "", "/s.sh"),
                 (std::vector<std::string>{"sbatch", "--parsable", "--job-name=d", "--array=0-2", "--requeue",
                                           "--signal=B:TERM@120", "--output=/l/%A_%a.out", "--ntasks=2",
                                           "--cpus-per-task=4", "/s.sh"}));
        const auto plain = sbatchArguments(SlurmOptions{}, "d", 1, "/l", "", "/s.sh");
        QCOMPARE(plain, (std::vector<std::string>{"sbatch", "--parsable", "--job-name=d", "--array=0-0", "--requeue",
                                                  "--signal=B:TERM@120", "--output=/l/%A_%a.out", "/s.sh"}));
    }

    void batchScriptFromItsTemplate() {
        const std::string script = renderBatchScript(defaultBatchScript(), "/opt/d/distillery-engine", "/shared/x.list");
        QVERIFY(script.rfind("#!/bin/bash\n", 0) == 0);
        QVERIFY(script.find("\"/opt/d/distillery-engine\" job --run-dir \"$run_dir\"") != std::string::npos);
        QVERIFY(script.find("\"/shared/x.list\"") != std::string::npos);
        QVERIFY(script.find("@ENGINE@") == std::string::npos && script.find("@LIST@") == std::string::npos);
        // bash parses it.
        QTemporaryFile file;
        QVERIFY(file.open());
        file.write(script.c_str());
        file.flush();
        const auto syntax = runProgram({"bash", "-n", file.fileName().toStdString()});
        QVERIFY2(syntax.ok(), syntax.err.c_str());
        // A user's template keeps both markers or is refused with the one it lacks.
        QCOMPARE(renderBatchScript("module load cuda\n@ENGINE@ job --run-dir $(sed -n 1p @LIST@)\n", "e", "l"),
                 std::string("module load cuda\ne job --run-dir $(sed -n 1p l)\n"));
        try {
            renderBatchScript("#!/bin/bash\n@ENGINE@ job\n", "e", "l");
            QFAIL("no @LIST@ accepted");
        } catch (const std::invalid_argument& e) {
            QVERIFY2(std::string(e.what()).find("lacks the @LIST@ marker") != std::string::npos, e.what());
        }
    }

    // README shows the default batch script as it is.
    void readmeShowsTheBatchScript() {
        QFile readme(QStringLiteral(DISTILLERY_SOURCE_DIR) + "/README.md");
        QVERIFY(readme.open(QIODevice::ReadOnly));
        QVERIFY2(readme.readAll().toStdString().find("```bash\n" + defaultBatchScript() + "```") != std::string::npos,
                 "README.md's batch script differs from defaultBatchScript(): copy `distillery-engine submit "
                 "--print-template` into it");
    }

    // The rendered script starts a run's processes with srun when the job has several tasks, and the
    // engine alone otherwise (an empty launcher expands to nothing even under `set -u`): run here with
    // echo as the engine and a stand-in srun that prints its command line.
    void batchScriptLaunchesEveryTask() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const auto path = [&](const char* name) { return dir.filePath(name).toStdString(); };
        const auto write = [](const std::string& file, const std::string& text) {
            QFile out(QString::fromStdString(file));
            return out.open(QIODevice::WriteOnly) && out.write(text.c_str()) == qint64(text.size());
        };
        QVERIFY(write(path("list"), "/shared/runs/abc\n"));
        QVERIFY(write(path("srun"), "#!/bin/sh\necho srun \"$@\"\n"));
        QVERIFY(QFile::setPermissions(dir.filePath("srun"), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
        QVERIFY(write(path("job.sh"), renderBatchScript(defaultBatchScript(), "/bin/echo", path("list"))));
        const auto ran = [&](const char* tasks) {
            return runProgram({"env", "PATH=" + path("") + ":/usr/bin:/bin", std::string("SLURM_NTASKS=") + tasks,
                               "SLURM_ARRAY_TASK_ID=0", "SLURM_ARRAY_JOB_ID=7", "SLURM_CPUS_PER_TASK=3", "bash",
                               path("job.sh")});
        };
        const auto one = ran("1"), two = ran("2");
        QVERIFY2(one.ok() && two.ok(), (one.err + two.err).c_str());
        QVERIFY2(one.out.find("\njob --run-dir /shared/runs/abc --threads 3 --progress none\n") != std::string::npos,
                 one.out.c_str());
        QVERIFY2(two.out.find("\nsrun --ntasks=2 --cpus-per-task=3 /bin/echo job --run-dir /shared/runs/abc --threads 3") !=
                     std::string::npos,
                 two.out.c_str());
    }

    void submittedJobIds() {
        QCOMPARE(parseSubmittedJobId("4711\n"), std::optional<int64_t>(4711));
        QCOMPARE(parseSubmittedJobId("4711;cluster-a\n"), std::optional<int64_t>(4711));
        QCOMPARE(parseSubmittedJobId("Submitted batch job 4711\n"), std::nullopt);
        QCOMPARE(parseSubmittedJobId(""), std::nullopt);
    }

    // squeue -h -o "%i|%T|%r" lists started tasks one by one and pending ones as a range.
    void squeueLinesAndArrayRanges() {
        const auto jobs = parseSqueue("12_[4-9,11%2]|PENDING|JobArrayTaskLimit\n12_0|RUNNING|None\n"
                                      "13_[0-2]|PENDING|DependencyNeverSatisfied\n");
        QCOMPARE(jobs.size(), size_t(3));
        QCOMPARE(jobs[1].id, std::string("12_0"));
        QCOMPARE(jobs[1].state, std::string("RUNNING"));
        QCOMPARE(jobs[2].reason, std::string("DependencyNeverSatisfied"));
        QVERIFY(idHoldsTask(jobs[0].id, 12, 4));
        QVERIFY(idHoldsTask(jobs[0].id, 12, 9));
        QVERIFY(idHoldsTask(jobs[0].id, 12, 11));
        QVERIFY(!idHoldsTask(jobs[0].id, 12, 10));
        QVERIFY(!idHoldsTask(jobs[0].id, 1, 4));
        QVERIFY(idHoldsTask(jobs[1].id, 12, 0));
        QVERIFY(!idHoldsTask(jobs[1].id, 12, 1));
        QVERIFY(!idHoldsTask("120_1", 12, 1));
    }

    void scontrolRecord() {
        const auto fields = parseScontrolRecord(
            "JobId=15 ArrayJobId=14 ArrayTaskId=1 JobName=distillery-s UserId=root(0) JobState=CANCELLED "
            "Reason=None Dependency=(null) Requeue=1 Restarts=2 BatchFlag=1 ExitCode=0:9 "
            "Command=/shared/my arrays/s.sh WorkDir=/work StdOut=/shared/logs/14_1.out");
        QCOMPARE(fields.at("JobState"), std::string("CANCELLED"));
        QCOMPARE(fields.at("ExitCode"), std::string("0:9"));
        QCOMPARE(fields.at("Restarts"), std::string("2"));
        QCOMPARE(fields.at("Command"), std::string("/shared/my arrays/s.sh"));
        QCOMPARE(fields.at("StdOut"), std::string("/shared/logs/14_1.out"));
    }

    // Programs run without a shell: arguments arrive whole, both streams are read, and a missing
    // program says so.
    void programsRunWithoutAShell() {
        const auto echo = runProgram({"/bin/sh", "-c", "printf '%s' \"$1\"; echo oops >&2; exit 4", "sh", "a b; c"});
        QCOMPARE(echo.exitCode, 4);
        QCOMPARE(echo.out, std::string("a b; c"));
        QCOMPARE(echo.err, std::string("oops\n"));
        QCOMPARE(echo.message(), std::string("oops"));
        const auto missing = runProgram({"no-such-program-of-distillery"});
        QCOMPARE(missing.exitCode, -1);
        QVERIFY2(missing.message().find("cannot run no-such-program-of-distillery") != std::string::npos,
                 missing.message().c_str());
        const auto big = runProgram({"/bin/sh", "-c", "head -c 300000 /dev/zero; head -c 300000 /dev/zero >&2"});
        QCOMPARE(big.out.size(), size_t(300000));
        QCOMPARE(big.err.size(), size_t(300000));
    }
};

QTEST_GUILESS_MAIN(TestSlurm)
#include "test_slurm.moc"
