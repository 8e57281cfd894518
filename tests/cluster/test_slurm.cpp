// Slurm's commands as Distillery runs and reads them (cluster/Slurm.h), without a cluster: the sbatch
// line of an array, the batch script from its template, and what sbatch, squeue and scontrol print
// (taken from Slurm 22.05 on Debian 12). The real cluster is tests/integration/test_cluster.
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
