// Nothing lost: the real engine is killed with SIGKILL at named moments (DISTILLERY_CRASH_AT, see
// core/engine/CrashPoints.h) and at random times, then resumed; every row the run ends with must equal
// what an uninterrupted run of the same spec writes. Also: one owner per run, atomic and verified
// checkpoints, a full disk, and non-finite losses. The suite drives distillery-engine as a process and
// reads the store; it links no torch.
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <sqlite3.h>

#include <cmath>
#include <map>
#include <optional>

#include <signal.h>

#include "EngineBinary.h"
#include "TestPrinters.h"
#include "spec/RunQueue.h"
#include "spec/RunSpec.h"
#include "store/Statement.h"
#include "store/Store.h"

using namespace distillery;
using nlohmann::json;

namespace {

struct EngineResult {
    int exitCode = -1;
    bool crashed = false;   // ended by a signal (the crash points use SIGKILL)
    QString stderrText;
};

// The run's rows as comparable text, without what differs between two runs of one spec by design:
// run ids, row ids, clock times, and the values of epoch_time (a wall-clock measurement).
struct Snapshot {
    QStringList metrics, summaries, diagnostics, checkpoints, steppedEvents;
};

// The rows a query of one run gives, each as "a|b|c". From column wallClockFrom on, the cells of an
// epoch_time row (the first column holds the key) are "*": they measure seconds.
QStringList rowsOf(store::Store& db, const char* sql, int64_t runId, int columns, int wallClockFrom = -1) {
    QStringList out;
    store::Statement q(db.handle(), sql);
    q.bind(1, runId);
    while (q.step()) {
        QStringList cells;
        const bool wallClock = wallClockFrom >= 0 && q.text(0) == "epoch_time";
        for (int c = 0; c < columns; ++c)
            cells << (wallClock && c >= wallClockFrom ? QString("*")
                      : q.isNull(c)                   ? QString("NULL")
                                                      : QString::fromStdString(q.text(c)));
        out << cells.join('|');
    }
    return out;
}

Snapshot snapshot(store::Store& db, int64_t runId) {
    Snapshot s;
    s.metrics = rowsOf(db, "SELECT key, step, epoch, value FROM metrics WHERE run_id = ? ORDER BY key, step", runId, 4, 3);
    s.summaries = rowsOf(db, "SELECT key, last_step, count, last_value, min_value, max_value FROM run_summary "
                             "WHERE run_id = ? ORDER BY key", runId, 6, 3);
    s.diagnostics = rowsOf(db, "SELECT 'gate', step, spot, open_rate FROM gates WHERE run_id = ? ORDER BY step, spot",
                           runId, 4);
    s.diagnostics += rowsOf(db, "SELECT 'class', step, spot, class, open_rate FROM gate_classes WHERE run_id = ? "
                                "ORDER BY step, spot, class", runId, 5);
    s.diagnostics += rowsOf(db, "SELECT 'channel', step, spot, channel, teacher_mean, teacher_std, student_mean, "
                                "student_std, alignment_error FROM channel_stats WHERE run_id = ? "
                                "ORDER BY spot, step, channel", runId, 9);
    s.diagnostics += rowsOf(db, "SELECT 'path', step, path, weight, raw_loss FROM path_weights WHERE run_id = ? "
                                "ORDER BY step, path", runId, 5);
    s.diagnostics += rowsOf(db, "SELECT 'confusion', step, split, model, actual, predicted, count FROM confusion "
                                "WHERE run_id = ? ORDER BY split, model, step, actual, predicted", runId, 7);
    s.diagnostics += rowsOf(db, "SELECT 'agreement', step, split, class_index, agree, total FROM class_agreement "
                                "WHERE run_id = ? ORDER BY split, step, class_index", runId, 6);
    s.checkpoints = rowsOf(db, "SELECT kind, step, epoch, metric, replace(path, rtrim(path, replace(path, '/', '')), '') "
                               "FROM checkpoints WHERE run_id = ? ORDER BY kind, epoch", runId, 5);
    s.steppedEvents = rowsOf(db, "SELECT level, step, message FROM events WHERE run_id = ? AND step IS NOT NULL "
                                 "ORDER BY id", runId, 3);
    return s;
}

// run_summary as the metrics table implies it, for the invariant "the summary never disagrees".
QStringList impliedSummaries(store::Store& db, int64_t runId) {
    return rowsOf(db, "SELECT m.key, max(m.step), count(*), (SELECT value FROM metrics l WHERE l.run_id = m.run_id "
                      "AND l.key = m.key ORDER BY step DESC LIMIT 1), min(m.value), max(m.value) FROM metrics m "
                      "WHERE m.run_id = ? GROUP BY m.key ORDER BY m.key", runId, 6);
}

QStringList storedSummaries(store::Store& db, int64_t runId) {
    return rowsOf(db, "SELECT key, last_step, count, last_value, min_value, max_value FROM run_summary "
                      "WHERE run_id = ? ORDER BY key", runId, 6);
}

// QCOMPARE on two long lists names only the length; this names the first row that differs.
void compareRows(const QStringList& actual, const QStringList& expected, const char* what) {
    const int n = std::min(actual.size(), expected.size());
    for (int i = 0; i < n; ++i)
        if (actual[i] != expected[i])
            QFAIL(qPrintable(QString("%1 row %2 differs:\n  got      %3\n  expected %4").arg(what).arg(i).arg(actual[i], expected[i])));
    if (actual.size() != expected.size())
        QFAIL(qPrintable(QString("%1: %2 rows, expected %3; first extra: %4")
                             .arg(what)
                             .arg(actual.size())
                             .arg(expected.size())
                             .arg(actual.size() > n ? actual[n] : expected[n])));
}

}  // namespace

class TestFaults : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    QString db_;
    json student_;           // the spec most fault scenarios train
    std::map<std::string, Snapshot> references_;   // each spec (as JSON text), trained uninterrupted
    int nextName_ = 0;

    EngineResult engine(const QStringList& arguments, const QString& crashAt = {}, const QString& shellPrefix = {},
                        int timeoutMs = 240000) {
        QProcess process;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        if (!crashAt.isEmpty()) environment.insert("DISTILLERY_CRASH_AT", crashAt);
        process.setProcessEnvironment(environment);
        if (shellPrefix.isEmpty()) {
            process.start(testing::builtEnginePath(), arguments);
        } else {
            QStringList quoted;
            for (const QString& a : arguments) quoted << "'" + a + "'";
            process.start("/bin/bash", {"-c", shellPrefix + "; exec '" + testing::builtEnginePath() + "' " + quoted.join(' ')});
        }
        if (!process.waitForFinished(timeoutMs)) {
            process.kill();
            process.waitForFinished();
            qFatal("the engine did not finish within %d s: %s", timeoutMs / 1000, qPrintable(arguments.join(' ')));
        }
        EngineResult result;
        result.crashed = process.exitStatus() == QProcess::CrashExit;
        result.exitCode = process.exitCode();
        result.stderrText = QString::fromUtf8(process.readAllStandardError());
        return result;
    }

    QStringList onRun(const char* command, int64_t runId) const {
        return {command, "--db", db_, "--run", QString::number(runId), "--progress", "none"};
    }

    int64_t queue(json spec) {
        spec["name"] = "fault-" + std::to_string(++nextName_);
        const auto parsed = spec::parseRunSpec(spec);
        if (!parsed.ok()) qFatal("%s", parsed.errorText().c_str());
        store::Store db(db_.toStdString());
        return spec::queueRun(db, *parsed.spec);
    }

    // Continues the run until it finishes: `run` while it is still queued (killed before it claimed
    // it), else `resume` (each try may itself be killed by a later crash point).
    void continueToTheEnd(int64_t runId) {
        for (int attempt = 0; attempt < 6; ++attempt) {
            store::RunStatus status;
            {
                store::Store db(db_.toStdString());
                status = db.run(runId)->status;
            }
            if (status == store::RunStatus::Finished) return;
            const EngineResult r = engine(onRun(status == store::RunStatus::Queued ? "run" : "resume", runId));
            if (!r.crashed && r.exitCode == 0) return;
            QVERIFY2(r.crashed, qPrintable("resume failed: " + r.stderrText.right(1500)));
        }
        QFAIL("the run did not finish after six resumes");
    }

    // The rows of the spec trained without interruption (once per spec).
    const Snapshot& reference(const json& spec) {
        const std::string text = spec.dump();
        if (!references_.count(text)) {
            const int64_t id = queue(spec);
            const EngineResult r = engine(onRun("run", id));
            if (r.crashed || r.exitCode != 0) qFatal("the reference run failed: %s", qPrintable(r.stderrText.right(1500)));
            store::Store db(db_.toStdString());
            references_[text] = snapshot(db, id);
        }
        return references_[text];
    }

    void verifyEqualsReference(int64_t runId, const json& spec) {
        const Snapshot& reference_ = reference(spec);
        store::Store db(db_.toStdString());
        QCOMPARE(db.run(runId)->status, store::RunStatus::Finished);
        const Snapshot s = snapshot(db, runId);
        compareRows(s.metrics, reference_.metrics, "metrics");
        compareRows(s.summaries, reference_.summaries, "run_summary");
        compareRows(storedSummaries(db, runId), impliedSummaries(db, runId), "run_summary against metrics");
        compareRows(s.diagnostics, reference_.diagnostics, "diagnostics");
        compareRows(s.checkpoints, reference_.checkpoints, "checkpoints");
        compareRows(s.steppedEvents, reference_.steppedEvents, "events reporting progress");
    }

    void killAtThenResume(const QString& crashAt, const json& spec) {
        const int64_t id = queue(spec);
        const EngineResult first = engine(onRun("run", id), crashAt);
        QVERIFY2(first.crashed, qPrintable("the engine was not killed at " + crashAt + ": " + first.stderrText.right(800)));
        continueToTheEnd(id);
        verifyEqualsReference(id, spec);
    }

private Q_SLOTS:
    void initTestCase() {
        if (const QString missing = testing::missingEngineReason(); !missing.isEmpty()) QFAIL(qPrintable(missing));
        db_ = dir_.filePath("faults.sqlite");
        const json data = {{"name", "synthetic"}, {"channels", 1}, {"height", 28}, {"width", 28}, {"num_classes", 4},
                           {"train_size", 320}, {"test_size", 64}, {"val_size", 64}, {"augment", true}};
        json teacher = {{"name", "teacher"}, {"data", data}, {"student", {{"model", "tinycnn"}}},
                        {"method", {{"name", "ce"}}}, {"epochs", 1}, {"batch_size", 32}, {"seed", 3}, {"threads", 1},
                        {"log_every", 2}};
        QFile file(dir_.filePath("teacher.json"));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray::fromStdString(teacher.dump()));
        file.close();
        const EngineResult t = engine({"run", "--spec", file.fileName(), "--db", db_, "--progress", "none"});
        QVERIFY2(t.exitCode == 0, qPrintable(t.stderrText.right(1500)));

        // SAKD over the channel transformation: every kind of stepped row (metrics, gates, gate classes
        // at evaluations, channel statistics) and an agent optimiser in the checkpoint. Augmentation and
        // a warm-up exercise the RNG and the schedule position; 3 epochs of 8 steps.
        student_ = {{"data", data},
                    {"teacher", {{"run_name", "teacher"}}},
                    {"student", {{"model", "tinycnn"}}},
                    {"method", {{"name", "sakd"}, {"base", "channel"}}},
                    {"optim", {{"name", "sgd"}, {"lr", 0.05}}},
                    {"schedule", {{"name", "cosine"}, {"warmup_epochs", 0.5}}},
                    {"epochs", 3},
                    {"batch_size", 32},
                    {"seed", 5},
                    {"threads", 1},
                    {"log_every", 3},
                    {"diagnostics_every", 2}};
        const Snapshot& reference_ = reference(student_);
        QVERIFY(reference_.metrics.size() > 50);
        QVERIFY(!reference_.diagnostics.filter("gate|").isEmpty());
        QVERIFY(!reference_.diagnostics.filter("class|").isEmpty());
        QVERIFY(!reference_.diagnostics.filter("|teacher|").isEmpty());     // the teacher's confusion, once
        QVERIFY(!reference_.diagnostics.filter("agreement|").isEmpty());
        QCOMPARE(reference_.steppedEvents.size(), 3);   // one line per epoch
    }

    // ---- 1. kill -9 at any moment -------------------------------------------------------------
    void killAtNamedMoments_data() {
        QTest::addColumn<QString>("crashAt");
        // 3 epochs of 10 steps; the writer commits at start-up, about once a second, and at epoch ends.
        QTest::newRow("training step, before the first checkpoint") << "step:5";
        QTest::newRow("training step, after the first checkpoint") << "step:13";
        QTest::newRow("first evaluation, before its checkpoint") << "eval:1";
        QTest::newRow("second evaluation") << "eval:2";
        QTest::newRow("first checkpoint half written") << "checkpoint_write:1";
        QTest::newRow("a later checkpoint half written") << "checkpoint_write:3";
        QTest::newRow("checkpoint written, previous being kept") << "checkpoint_swap:2";
        QTest::newRow("just after the first epoch's checkpoint") << "epoch_end:1";
        QTest::newRow("first metrics commit") << "commit:1";
        QTest::newRow("a later metrics commit") << "commit:3";
    }
    void killAtNamedMoments() {
        QFETCH(QString, crashAt);
        killAtThenResume(crashAt, student_);
    }

    // The other diagnostic tables: channel statistics with alignment errors (channel), and path
    // weights with learnt uncertainty weights (multipath, whose log-variances are in the checkpoint).
    void killOtherMethodsMidRun_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("crashAt");
        QTest::newRow("channel, a training step") << R"({"name": "channel"})" << "step:14";
        QTest::newRow("channel, a metrics commit") << R"({"name": "channel"})" << "commit:2";
        QTest::newRow("multipath, a training step")
            << R"({"name": "multipath", "paths": ["kd@logits", "at@stages"], "weighting": "uncertainty"})" << "step:14";
    }
    void killOtherMethodsMidRun() {
        QFETCH(QString, method);
        QFETCH(QString, crashAt);
        json spec = student_;
        spec["method"] = json::parse(method.toStdString());
        const Snapshot& expected = reference(spec);
        QVERIFY(!expected.diagnostics.filter(method.contains("multipath") ? "path|" : "channel|").isEmpty());
        killAtThenResume(crashAt, spec);
    }

    // Kills at random times (seeded, printed), three times in one run, each followed by a resume.
    void killAtRandomTimes() {
        const quint32 seed = QRandomGenerator::global()->generate();
        qInfo("random kill times from seed %u", seed);
        QRandomGenerator random(seed);
        const int64_t id = queue(student_);
        bool started = false;
        for (int kill = 0; kill < 3; ++kill) {
            QProcess process;
            process.start(testing::builtEnginePath(), onRun(started ? "resume" : "run", id));
            QVERIFY(process.waitForStarted());
            started = true;
            QThread::msleep(600 + random.bounded(2400));   // past start-up (~0.5 s) into training
            ::kill(static_cast<pid_t>(process.processId()), SIGKILL);
            process.waitForFinished();
        }
        continueToTheEnd(id);
        verifyEqualsReference(id, student_);
    }

    // checkpoint_minutes checkpoints inside an epoch, and a resume continues from there.
    void timeBasedCheckpointBoundsTheLoss() {
        json spec = student_;
        spec["checkpoint_minutes"] = 1e-6;   // 60 µs: after every step
        spec["log_every"] = 1;               // rows at every step, buffered when the checkpoint comes
        const int64_t id = queue(spec);
        const EngineResult first = engine(onRun("run", id), "step:12");   // epoch 2, its second step
        QVERIFY(first.crashed);
        {
            store::Store db(db_.toStdString());
            const auto checkpoints = db.checkpoints(id);
            QCOMPARE(checkpoints.size(), size_t(2));         // last (mid-epoch) and best (epoch 1)
            int64_t lastStep = 0;
            for (const auto& c : checkpoints)
                if (c.kind == "last") lastStep = c.step;
            QCOMPARE(lastStep, int64_t(11));                 // the step before the kill, not the epoch's end (10)
        }
        continueToTheEnd(id);
        verifyEqualsReference(id, spec);
        store::Store db(db_.toStdString());
        bool resumedMidEpoch = false;
        for (const auto& e : db.events(id))
            resumedMidEpoch |= e.message.find("resumed from") != std::string::npos &&
                               e.message.find("step 11") != std::string::npos;
        QVERIFY(resumedMidEpoch);
    }

    // A last checkpoint cut short is detected, reported, and the previous one used.
    void truncatedCheckpointFallsBackToThePreviousOne() {
        const int64_t id = queue(student_);
        const EngineResult first = engine(onRun("run", id), "step:25");   // epoch 3: checkpoints of epochs 1 and 2
        QVERIFY(first.crashed);
        const QString last = db_ + ".checkpoints/run-" + QString::number(id) + "/last.pt";
        QVERIFY(QFile::exists(last + ".prev"));
        QFile file(last);
        QVERIFY(file.open(QIODevice::ReadWrite));
        QVERIFY(file.resize(file.size() / 2));
        file.close();
        const EngineResult resumed = engine(onRun("resume", id));
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.stderrText.right(1500)));
        QVERIFY2(resumed.stderrText.contains("is damaged") || resumed.stderrText.contains("cut short"),
                 qPrintable(resumed.stderrText.right(1500)));
        QVERIFY2(resumed.stderrText.contains("last.pt.prev"), qPrintable(resumed.stderrText.right(1500)));
        verifyEqualsReference(id, student_);
    }

    void retryStartsAgainFromTheBeginning() {
        const int64_t id = queue(student_);
        QVERIFY(engine(onRun("run", id), "step:13").crashed);
        const EngineResult retried = engine(onRun("retry", id));
        QVERIFY2(retried.exitCode == 0, qPrintable(retried.stderrText.right(1500)));
        verifyEqualsReference(id, student_);
        store::Store db(db_.toStdString());
        bool fromTheStart = false;
        for (const auto& e : db.events(id)) fromTheStart |= e.message.find("starting from the beginning") != std::string::npos;
        QVERIFY(fromTheStart);
    }

    // ---- 2. one owner per run -------------------------------------------------------------------
    void twoEnginesRacingForAQueuedRunTrainItOnce() {
        const int64_t id = queue(student_);
        QProcess a, b;
        a.start(testing::builtEnginePath(), onRun("run", id));
        b.start(testing::builtEnginePath(), onRun("run", id));
        QVERIFY(a.waitForFinished(240000) && b.waitForFinished(240000));
        const int successes = (a.exitCode() == 0) + (b.exitCode() == 0);
        QCOMPARE(successes, 1);
        const QString loser = QString::fromUtf8((a.exitCode() == 0 ? b : a).readAllStandardError());
        QVERIFY2(loser.contains("not queued") && loser.contains("claimed by the engine pid"), qPrintable(loser));
        verifyEqualsReference(id, student_);
    }

    void resumeOfALiveEngineIsRefusedAndOfADeadOneTakesOver() {
        json longer = student_;
        longer["epochs"] = 30;
        const int64_t id = queue(longer);
        QProcess live;
        live.start(testing::builtEnginePath(), onRun("run", id));
        QVERIFY(live.waitForStarted());
        {
            QElapsedTimer waited;
            waited.start();
            for (;;) {
                store::Store db(db_.toStdString());
                if (db.run(id)->status == store::RunStatus::Running) break;
                QVERIFY(waited.elapsed() < 60000);
                QThread::msleep(100);
            }
        }
        const EngineResult refused = engine(onRun("resume", id));
        QCOMPARE(refused.exitCode, 1);
        QVERIFY2(refused.stderrText.contains("is being trained by the engine pid " + QString::number(live.processId())),
                 qPrintable(refused.stderrText));
        const EngineResult refusedRetry = engine(onRun("retry", id));
        QCOMPARE(refusedRetry.exitCode, 1);

        ::kill(static_cast<pid_t>(live.processId()), SIGKILL);
        QVERIFY(live.waitForFinished());
        // Take-over is a claim like any other: of two engines resuming the dead engine's run at once,
        // exactly one trains it.
        QProcess a, b;
        a.start(testing::builtEnginePath(), onRun("retry", id));
        b.start(testing::builtEnginePath(), onRun("retry", id));
        QVERIFY(a.waitForStarted() && b.waitForStarted());
        QVERIFY(a.waitForFinished(-1) && b.waitForFinished(-1));
        QCOMPARE((a.exitCode() == 0) + (b.exitCode() == 0), 1);
        const QString loser = QString::fromUtf8((a.exitCode() == 0 ? b : a).readAllStandardError());
        QVERIFY2(loser.contains("is being trained by the engine") || loser.contains("is finished"), qPrintable(loser));
        store::Store db(db_.toStdString());
        QCOMPARE(db.run(id)->status, store::RunStatus::Finished);
        QCOMPARE(storedSummaries(db, id), impliedSummaries(db, id));
        QCOMPARE(db.metricCount(id, "val/acc1"), int64_t(30));
    }

    // ---- 5. non-finite losses -----------------------------------------------------------------------
    void nonFiniteLossFailsNamingTermAndStep() {
        const int64_t id = queue(student_);
        qputenv("DISTILLERY_POISON_LOSS", "kd:10");
        const EngineResult r = engine(onRun("run", id));
        qunsetenv("DISTILLERY_POISON_LOSS");
        QCOMPARE(r.exitCode, 1);
        store::Store db(db_.toStdString());
        const auto row = db.run(id);
        QCOMPARE(row->status, store::RunStatus::Failed);
        QVERIFY2(row->error.find("the loss term kd became nan at step 10") != std::string::npos, row->error.c_str());
        QVERIFY2(row->error.find("on_nonfinite") != std::string::npos, row->error.c_str());
        // What was logged before stays: the rows of the first window (steps 3, 6, 9 of epoch 2 are not reached).
        QVERIFY(db.metricCount(id, "train/loss") >= 3);
        QCOMPARE(storedSummaries(db, id), impliedSummaries(db, id));
    }

    void nonFiniteLossSkipsTheStepWhenAsked() {
        json spec = student_;
        spec["on_nonfinite"] = "skip_step";
        const int64_t id = queue(spec);
        qputenv("DISTILLERY_POISON_LOSS", "kd:10");
        const EngineResult r = engine(onRun("run", id));
        qunsetenv("DISTILLERY_POISON_LOSS");
        QVERIFY2(r.exitCode == 0, qPrintable(r.stderrText.right(1500)));
        store::Store db(db_.toStdString());
        const auto skipped = db.summary(id, "train/skipped_steps");
        QVERIFY(skipped.has_value());
        QCOMPARE(skipped->lastValue, 1.0);
        QCOMPARE(skipped->minValue, 0.0);
        bool told = false;
        for (const auto& e : db.events(id))
            told |= e.message.find("step 10 skipped: the loss term kd not finite") != std::string::npos;
        QVERIFY(told);
        for (const auto& key : db.metricKeys(id)) {
            const auto s = db.summary(id, key);
            QVERIFY2(std::isfinite(s->minValue) && std::isfinite(s->maxValue), key.c_str());
        }
    }

    // ---- 8. a full disk ---------------------------------------------------------------------------
    // The checkpoint's temporary file is a link to /dev/full, whose writes fail with ENOSPC as on a
    // full disk: the run fails with a message naming the file and the cause, the store stays
    // consistent and readable, and once there is room again resume finishes the run unchanged.
    void fullDiskAtACheckpointFailsTheRunCleanly() {
        const int64_t id = queue(student_);
        const QString folder = db_ + ".checkpoints/run-" + QString::number(id);
        QVERIFY(QDir().mkpath(folder));
        QVERIFY(QFile::link("/dev/full", folder + "/last.pt.tmp"));
        const EngineResult r = engine(onRun("run", id));
        QCOMPARE(r.exitCode, 1);
        QVERIFY(!r.crashed);
        store::Store db(db_.toStdString());
        const auto row = db.run(id);
        QCOMPARE(row->status, store::RunStatus::Failed);
        QVERIFY2(row->error.find("cannot write checkpoint") != std::string::npos &&
                     row->error.find("the disk is full") != std::string::npos,
                 row->error.c_str());
        QCOMPARE(db.metricCount(id, "val/acc1"), int64_t(1));   // epoch 1 was evaluated and kept
        QCOMPARE(storedSummaries(db, id), impliedSummaries(db, id));
        store::Statement check(db.handle(), "PRAGMA integrity_check");
        QVERIFY(check.step());
        QCOMPARE(check.text(0), std::string("ok"));
        QVERIFY(!QFileInfo::exists(folder + "/last.pt.tmp"));
        continueToTheEnd(id);
        verifyEqualsReference(id, student_);
    }

    // The store's own files cannot grow: a file size limit 40 KiB above a small store's size, which its
    // write-ahead log reaches within a few commits, while the checkpoints of a tinycnn trained alone
    // stay below it. The engine stops with the store's error, the file stays consistent and readable,
    // and a later resume takes the dead engine's run over and finishes it unchanged.
    void storeWriteFailureLeavesAConsistentStore() {
        const QString shared = db_;
        db_ = dir_.filePath("small.sqlite");
        json alone = student_;
        alone.erase("teacher");
        alone["method"] = {{"name", "ce"}};
        alone["log_every"] = 1;
        const Snapshot& expected = reference(alone);
        QVERIFY(expected.metrics.size() > 100);
        const int64_t id = queue(alone);
        QFile(db_ + "-wal").remove();   // no connection is open: start from an empty log
        const qint64 kib = QFileInfo(db_).size() / 1024;
        const EngineResult r = engine(onRun("run", id), {}, QString("ulimit -f %1").arg(kib + 40));
        QCOMPARE(r.exitCode, 1);
        QVERIFY(!r.crashed);
        QVERIFY2(r.stderrText.contains("results store"), qPrintable(r.stderrText.right(1500)));
        {
            store::Store db(db_.toStdString());
            store::Statement check(db.handle(), "PRAGMA integrity_check");
            QVERIFY(check.step());
            QCOMPARE(check.text(0), std::string("ok"));
            QCOMPARE(storedSummaries(db, id), impliedSummaries(db, id));
            QVERIFY(db.metricCount(id, "train/loss") > 0);   // it failed mid-run, not at the start
            QVERIFY(db.metricCount(id, "train/loss") < int64_t(expected.metrics.filter("train/loss|").size()));
        }
        continueToTheEnd(id);
        verifyEqualsReference(id, alone);
        db_ = shared;
    }
};

QTEST_GUILESS_MAIN(TestFaults)
#include "test_faults.moc"
