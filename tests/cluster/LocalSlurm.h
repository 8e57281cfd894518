#pragma once
// A one-node Slurm cluster for a test (packaging/slurm-local.sh): started in a folder of the test's,
// with SLURM_CONF set for the commands the test runs and, through this process's environment, for
// the programs it starts (the engine, squeue, scancel). Skipped where Slurm is not installed.
#include <QElapsedTimer>
#include <QString>
#include <QStringList>
#include <QThread>

#include "EngineBinary.h"

namespace distillery::testing {

class LocalSlurm {
public:
    // Starts the cluster in folder; "" when it runs, else why not (skipReason set when Slurm is missing).
    QString start(const QString& folder, QString* skipReason) {
        folder_ = folder;
        qputenv("SLURM_CONF", (folder + "/slurm.conf").toUtf8());
        const Ran started = run(QStringLiteral(DISTILLERY_SOURCE_DIR) + "/packaging/slurm-local.sh", {"start", folder});
        if (started.exitCode == 77) {
            *skipReason = QStringLiteral("Slurm is not installed (apt-get install slurm-wlm munge)");
            folder_.clear();
            return {};
        }
        if (started.exitCode != 0) return started.err + started.out;
        const Ran info = run("sinfo", {"-h", "-o", "%T"});
        if (!info.out.contains("idle")) return "the node is not idle: " + info.out + info.err;
        return {};
    }
    void stop() {
        if (!folder_.isEmpty()) run(QStringLiteral(DISTILLERY_SOURCE_DIR) + "/packaging/slurm-local.sh", {"stop", folder_});
        folder_.clear();
    }

    static Ran run(const QString& program, const QStringList& arguments, int timeoutMs = 120000) {
        return runProgram(program, arguments, timeoutMs);
    }

    // The tasks squeue lists for a job name: "id|state|reason" lines.
    static QStringList queued(const QString& jobName) {
        return run("squeue", {"-h", "-n", jobName, "-o", "%i|%T|%r"}).out.split('\n', Qt::SkipEmptyParts);
    }
    // Slurm holds a requeued batch job back two minutes: released at once.
    static void releaseRequeued(const QString& jobName) {
        for (const QString& line : queued(jobName))
            if (line.endsWith("|BeginTime")) run("scontrol", {"update", "JobId=" + line.section('|', 0, 0), "StartTime=now"});
    }
    // Waits until squeue lists nothing of the job, releasing requeued tasks.
    static bool waitUntilDone(const QString& jobName, int timeoutS) {
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < timeoutS * 1000) {
            if (queued(jobName).isEmpty()) return true;
            releaseRequeued(jobName);
            QThread::msleep(300);
        }
        return false;
    }

private:
    QString folder_;
};

}  // namespace distillery::testing

// In a test's initTestCase: the built engine is required, and the cluster starts in `folder` (the
// test is skipped where Slurm is not installed).
#define DISTILLERY_START_LOCAL_SLURM(slurm, folder)                                                      \
    do {                                                                                                  \
        if (!distillery::testing::missingEngineReason().isEmpty())                                        \
            QFAIL(qPrintable(distillery::testing::missingEngineReason()));                                \
        QString skip_;                                                                                    \
        const QString error_ = (slurm).start(folder, &skip_);                                             \
        if (!skip_.isEmpty()) QSKIP(qPrintable(skip_));                                                   \
        QVERIFY2(error_.isEmpty(), qPrintable(error_));                                                   \
    } while (false)
