#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include "TestPrinters.h"

#include <fstream>

#include <sqlite3.h>

#include "store/Schema.h"
#include "store/Store.h"

using namespace distillery::store;

class TestStore : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::string path(const char* name) const { return dir_.filePath(name).toStdString(); }

private slots:
    void schemaHasEveryTable() {
        Store store(path("schema.sqlite"));
        QCOMPARE(store.schemaVersion(), Store::kSchemaVersion);
        for (const char* table : {"runs", "metrics", "run_summary", "gates", "gate_classes", "channel_stats",
                                  "path_weights", "checkpoints", "events"}) {
            sqlite3_stmt* stmt = nullptr;
            sqlite3_prepare_v2(store.handle(), "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?",
                               -1, &stmt, nullptr);
            sqlite3_bind_text(stmt, 1, table, -1, SQLITE_STATIC);
            QCOMPARE(sqlite3_step(stmt), SQLITE_ROW);
            QVERIFY2(sqlite3_column_int(stmt, 0) == 1, table);
            sqlite3_finalize(stmt);
        }
        sqlite3_stmt* stmt = nullptr;
        sqlite3_prepare_v2(store.handle(), "PRAGMA journal_mode", -1, &stmt, nullptr);
        QCOMPARE(sqlite3_step(stmt), SQLITE_ROW);
        QCOMPARE(QString(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))), QString("wal"));
        sqlite3_finalize(stmt);
    }

    // A store copied elsewhere with its <store>.checkpoints/ folder, whose rows recorded paths
    // relative to the working directory of the engine that wrote them, still finds its checkpoints.
    void checkpointsAreFoundBesideAMovedStore() {
        QTemporaryDir dir;
        const std::string folder = dir.path().toStdString();
        const std::string moved = folder + "/copy.sqlite";
        const std::string file = folder + "/laptop.sqlite.checkpoints/run-1/best.pt";
        QVERIFY(QDir().mkpath(QString::fromStdString(folder + "/laptop.sqlite.checkpoints/run-1")));
        std::ofstream(file) << "weights";
        distillery::store::Store store(moved);
        distillery::store::NewRun run;
        run.name = "teacher";
        run.specJson = "{}";
        const int64_t id = store.insertRun(run);
        store.addCheckpoint({0, id, 10, 1, "results/laptop.sqlite.checkpoints/run-1/best.pt", "best", 90.0, 0});
        store.addCheckpoint({0, id, 10, 1, "/elsewhere/gone.pt", "last", 90.0, 0});
        const auto rows = store.checkpoints(id);
        QCOMPARE(rows.size(), size_t(2));
        QCOMPARE(QFileInfo(QString::fromStdString(rows[0].path)).canonicalFilePath(),
                 QFileInfo(QString::fromStdString(file)).canonicalFilePath());
        QCOMPARE(rows[1].path, std::string("/elsewhere/gone.pt"));   // nothing beside the store: as recorded
    }

    // Schema 3 records what a run computed with. A schema-2 file opened read-only (the GUI's readers,
    // distillery report) still lists its runs; opened for writing, it is migrated in place.
    void runEnvironmentAndASchema2FileReadOnly() {
        const std::string file = path("v2.sqlite");
        int64_t id = 0;
        {
            Store store(file);
            distillery::store::NewRun run;
            run.name = "old";
            run.specJson = "{}";
            id = store.insertRun(run);
            store.setRunEnvironment(id, 2, "bf16", "channels_last");
            const auto row = store.run(id);
            QCOMPARE(row->threads, int64_t(2));
            QCOMPARE(row->precision, std::string("bf16"));
            QCOMPARE(row->memoryFormat, std::string("channels_last"));
            // Back to schema 2, as a file written before issue 7.
            QCOMPARE(sqlite3_exec(store.handle(),
                                  "ALTER TABLE runs DROP COLUMN threads; ALTER TABLE runs DROP COLUMN precision; "
                                  "ALTER TABLE runs DROP COLUMN memory_format; PRAGMA user_version = 2;",
                                  nullptr, nullptr, nullptr),
                     SQLITE_OK);
        }
        {
            Store reader(file, /*readOnly=*/true);
            QCOMPARE(reader.schemaVersion(), 2);
            const auto runs = reader.runs(false);
            QCOMPARE(runs.size(), size_t(1));
            QCOMPARE(runs[0].name, std::string("old"));
            QCOMPARE(runs[0].threads, int64_t(0));
            QCOMPARE(runs[0].precision, std::string());
        }
        Store writer(file);
        QCOMPARE(writer.schemaVersion(), Store::kSchemaVersion);
        writer.setRunEnvironment(id, 4, "fp32", "contiguous");
        QCOMPARE(writer.run(id)->threads, int64_t(4));
    }

    void roundTripSurvivesReopen() {
        const std::string file = path("roundtrip.sqlite");
        int64_t id = 0;
        {
            Store store(file);
            id = store.insertRun({"kd-r8", R"({"epochs":2})", "resnet32x4", "resnet8x4", "kd", "fashion-mnist", 3});
            QVERIFY(store.claimRun(id, 1234, "host-a", "cpu"));
            QVERIFY(!store.claimRun(id, 99, "host-b", "cpu"));   // already running: a second engine loses
            StoreWriter writer(store);
            for (int step = 0; step < 10; ++step) writer.add(MetricPoint{id, "train/loss", step, 0.1 * step, 10.0 - step, 0.5 * step});
            writer.add(MetricPoint{id, "val/acc1", 9, 1, 71.5, 5});
            writer.add(MetricPoint{id, "val/acc1", 19, 2, 69.0, 9});
            writer.add(GateRow{id, 5, "stage1", 0.75});
            writer.add(GateClassRow{id, 5, "stage1", 2, 0.5});
            writer.add(ChannelStatRow{id, 5, "stage2", 3, 0.1, 0.2, 0.3, 0.4, std::nullopt});
            writer.add(PathWeightRow{id, 5, "kd@logits", 0.9, 1.5});
            writer.addEvent(id, "info", "epoch 1 done");
            QCOMPARE(writer.buffered(), size_t(17));
            writer.flush();
            QCOMPARE(writer.buffered(), size_t(0));
            store.addCheckpoint({0, id, 19, 2, "/tmp/last.pt", "last", 69.0, 0});
            store.finishRun(id, RunStatus::Finished);
        }
        Store store(file);
        const auto run = store.run(id);
        QVERIFY(run.has_value());
        QCOMPARE(run->name, std::string("kd-r8"));
        QCOMPARE(run->status, RunStatus::Finished);
        QCOMPARE(run->pid.value_or(0), int64_t(1234));
        QCOMPARE(run->teacher, std::string("resnet32x4"));
        QCOMPARE(run->seed, int64_t(3));
        QCOMPARE(run->progress, 1.0);
        QVERIFY(run->finishedAt.has_value());
        QCOMPARE(run->uuid.size(), size_t(32));

        const auto loss = store.metrics(id, "train/loss");
        QCOMPARE(loss.size(), size_t(10));
        QCOMPARE(loss[3].value, 7.0);
        QCOMPARE(loss[3].epoch, 0.3);
        QCOMPARE(store.metrics(id, "train/loss", 7).size(), size_t(2));   // only steps > 7

        const auto acc = store.summary(id, "val/acc1");
        QVERIFY(acc.has_value());
        QCOMPARE(acc->lastValue, 69.0);
        QCOMPARE(acc->lastStep, int64_t(19));
        QCOMPARE(acc->best(), 71.5);                                        // accuracy: higher is better
        QCOMPARE(store.summary(id, "train/loss")->best(), 1.0);             // loss: lower is better
        QCOMPARE(store.metricKeys(id), (std::vector<std::string>{"train/loss", "val/acc1"}));

        QCOMPARE(store.gates(id).size(), size_t(1));
        QCOMPARE(store.gates(id)[0].openRate, 0.75);
        QCOMPARE(store.gateClasses(id, 5)[0].classIndex, int64_t(2));
        QCOMPARE(store.channelStats(id, "stage2", 5)[0].studentStd, 0.4);
        QCOMPARE(store.pathWeights(id)[0].path, std::string("kd@logits"));
        QCOMPARE(store.events(id)[0].message, std::string("epoch 1 done"));
        QCOMPARE(store.checkpoints(id)[0].path, std::string("/tmp/last.pt"));
        QVERIFY(store.latestFinishedRunNamed("kd-r8").has_value());
        QVERIFY(!store.latestFinishedRunNamed("other").has_value());

        store.deleteRun(id);
        QVERIFY(!store.run(id));
        QCOMPARE(store.metricCount(id, "train/loss"), int64_t(0));
        QCOMPARE(store.pathWeights(id).size(), size_t(0));
    }

    void rewrittenStepKeepsNewestValue() {
        Store store(path("rewrite.sqlite"));
        const int64_t id = store.insertRun({"r", "{}", "", "tinycnn", "ce", "synthetic", 0});
        store.writeBatch({{{id, "train/loss", 5, 0, 2.0, 0}}, {}, {}, {}, {}, {}});
        store.writeBatch({{{id, "train/loss", 5, 0, 1.5, 0}}, {}, {}, {}, {}, {}});   // resumed run, same step
        QCOMPARE(store.metrics(id, "train/loss").size(), size_t(1));
        QCOMPARE(store.metrics(id, "train/loss")[0].value, 1.5);
        QCOMPARE(store.summary(id, "train/loss")->lastValue, 1.5);
    }

    void downSamplingKeepsSpikes() {
        Store store(path("downsample.sqlite"));
        const int64_t id = store.insertRun({"long", "{}", "", "tinycnn", "ce", "synthetic", 0});
        RowBatch batch;
        for (int step = 0; step < 10000; ++step)
            batch.metrics.push_back({id, "train/loss", step, 0, step == 4321 ? 100.0 : (step == 777 ? -5.0 : 1.0), 0});
        store.writeBatch(batch);
        const auto points = store.metrics(id, "train/loss", -1, 200);
        QVERIFY2(points.size() <= 200 && points.size() >= 100, std::to_string(points.size()).c_str());
        bool sawHigh = false, sawLow = false;
        for (size_t i = 0; i < points.size(); ++i) {
            sawHigh |= points[i].step == 4321 && points[i].value == 100.0;
            sawLow |= points[i].step == 777 && points[i].value == -5.0;
            if (i > 0) QVERIFY(points[i].step > points[i - 1].step);
        }
        QVERIFY(sawHigh);
        QVERIFY(sawLow);
    }

    void runLifecycle() {
        Store store(path("lifecycle.sqlite"));
        const int64_t id = store.insertRun({"r", "{}", "", "tinycnn", "ce", "synthetic", 0});
        QVERIFY(!store.reclaimRun(id, 1, "h", "cpu"));   // queued runs are claimed, not reclaimed
        QVERIFY(store.claimRun(id, 1, "h", "cpu"));
        store.finishRun(id, RunStatus::Killed, "cancelled by the user");
        QCOMPARE(store.run(id)->error, std::string("cancelled by the user"));
        QVERIFY(store.reclaimRun(id, 2, "h", "cpu"));
        QCOMPARE(store.run(id)->status, RunStatus::Running);
        store.finishRun(id, RunStatus::Failed, "loss became NaN");
        store.requeueRun(id);
        QCOMPARE(store.run(id)->status, RunStatus::Queued);
        QCOMPARE(store.run(id)->error, std::string());
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, runStatusFromString("paused"));

        const int64_t queued = store.insertRun({"q", "{\"epochs\": 1}", "", "tinycnn", "ce", "synthetic", 0});
        QVERIFY(store.runs(false).front().specJson.empty());           // the light listing for polling
        QCOMPARE(store.runs().front().specJson, std::string("{\"epochs\": 1}"));
        QVERIFY(store.cancelQueuedRun(queued, "cancelled before it started"));
        QCOMPARE(store.run(queued)->status, RunStatus::Killed);
        QVERIFY(!store.cancelQueuedRun(queued, "again"));               // only queued runs
        QVERIFY(store.claimRun(id, 3, "h", "cpu"));
        QVERIFY(!store.cancelQueuedRun(id, "running"));                  // an engine has it
    }

    void orphanedRunsAreMarkedFailed() {
        Store store(path("orphans.sqlite"));
        const int64_t orphan = store.insertRun({"orphan", "{}", "", "tinycnn", "ce", "synthetic", 0});
        const int64_t alive = store.insertRun({"alive", "{}", "", "tinycnn", "ce", "synthetic", 0});
        const int64_t elsewhere = store.insertRun({"elsewhere", "{}", "", "tinycnn", "ce", "synthetic", 0});
        QVERIFY(store.claimRun(orphan, 999999999, hostName(), "cpu"));   // above any pid_max: no such process
        QVERIFY(store.claimRun(alive, QCoreApplication::applicationPid(), hostName(), "cpu"));
        QVERIFY(store.claimRun(elsewhere, 999999999, "another-host", "cpu"));
        QVERIFY(store.failOrphanedRuns(hostName(), 5.0).empty());        // heartbeats are fresh
        QCOMPARE(store.failOrphanedRuns(hostName(), -1.0), std::vector<int64_t>{orphan});
        QCOMPARE(store.run(orphan)->status, RunStatus::Failed);
        QVERIFY(store.run(orphan)->error.find("distillery-engine resume") != std::string::npos);
        QCOMPARE(store.run(alive)->status, RunStatus::Running);
        QCOMPARE(store.run(elsewhere)->status, RunStatus::Running);      // another host's pid means nothing here
    }

    void badFilesGiveClearErrors() {
        const std::string notDb = path("not-a-db.sqlite");
        std::ofstream(notDb) << "this is a text file, not a results store, padded to be long enough to be read "
                                "as a header by SQLite.................................................";
        try {
            Store store(notDb);
            QFAIL("opening a text file as a store must fail");
        } catch (const StoreError& e) {
            QVERIFY2(std::string(e.what()).find(notDb) != std::string::npos, e.what());
            QVERIFY2(std::string(e.what()).find("not a database") != std::string::npos, e.what());
        }
        // A version-1 file (before the alignment error column) is upgraded in place and keeps its rows.
        const std::string v1 = path("v1.sqlite");
        {
            sqlite3* raw = nullptr;
            QCOMPARE(sqlite3_open(v1.c_str(), &raw), SQLITE_OK);
            QCOMPARE(sqlite3_exec(raw, migrations()[0], nullptr, nullptr, nullptr), SQLITE_OK);
            QCOMPARE(sqlite3_exec(raw,
                                  "PRAGMA user_version = 1;"
                                  "INSERT INTO runs (id, uuid, name, status, created_at, spec) VALUES (1, 'u', 'old', "
                                  "'finished', 0, '{}');"
                                  "INSERT INTO channel_stats VALUES (1, 10, 'stage 1', 0, 0.1, 0.2, 0.3, 0.4);",
                                  nullptr, nullptr, nullptr),
                     SQLITE_OK);
            sqlite3_close(raw);
        }
        {
            Store store(v1);
            const auto old = store.channelStats(1, "stage 1", 10);
            QCOMPARE(old.size(), size_t(1));
            QCOMPARE(old[0].studentStd, 0.4);
            QVERIFY(!old[0].alignmentError.has_value());
            StoreWriter writer(store);
            writer.add(ChannelStatRow{1, 20, "stage 1", 0, 0.1, 0.2, 0.3, 0.4, 0.05});
            writer.flush();
            QCOMPARE(store.channelStats(1, "stage 1", 20)[0].alignmentError, std::optional<double>(0.05));
        }
        const std::string newer = path("newer.sqlite");
        {
            Store store(newer);
            sqlite3_exec(store.handle(), "PRAGMA user_version = 99", nullptr, nullptr, nullptr);
        }
        try {
            Store store(newer);
            QFAIL("a newer schema must be refused");
        } catch (const StoreError& e) {
            QVERIFY2(std::string(e.what()).find("newer Distillery") != std::string::npos, e.what());
        }
        try {
            Store store(path("missing/dir/x.sqlite"));
            QFAIL("a missing folder must fail");
        } catch (const StoreError& e) {
            QVERIFY2(std::string(e.what()).find("missing/dir/x.sqlite") != std::string::npos, e.what());
        }
    }

    // Two engine-like writer processes and a reader in this process share one file.
    void twoWritersAndAReaderNeverSeeLocked() {
        const QString file = dir_.filePath("shared.sqlite");
        { Store create(file.toStdString()); }
        const QString writerPath = QString(DISTILLERY_BIN_DIR) + "/store_stress_writer";
        QProcess a, b;
        a.start(writerPath, {file, "writer-a", "2000", "10"});
        b.start(writerPath, {file, "writer-b", "2000", "10"});
        QVERIFY(a.waitForStarted());
        QVERIFY(b.waitForStarted());
        Store reader(file.toStdString());
        int reads = 0;
        while (a.state() != QProcess::NotRunning || b.state() != QProcess::NotRunning) {
            for (const auto& run : reader.runs()) {
                reader.metrics(run.id, "train/loss", -1, 500);
                reader.summary(run.id, "train/loss");
            }
            ++reads;
            a.waitForFinished(5);
            b.waitForFinished(5);
        }
        QVERIFY2(a.exitStatus() == QProcess::NormalExit && a.exitCode() == 0, a.readAllStandardError().constData());
        QVERIFY2(b.exitStatus() == QProcess::NormalExit && b.exitCode() == 0, b.readAllStandardError().constData());
        QVERIFY2(reads > 1, qPrintable(QString("only %1 reads happened while the writers ran").arg(reads)));
        const auto runs = reader.runs();
        QCOMPARE(runs.size(), size_t(2));
        for (const auto& run : runs) {
            QCOMPARE(run.status, RunStatus::Finished);
            QCOMPARE(reader.metricCount(run.id, "train/loss"), int64_t(20000));
            QCOMPARE(reader.summary(run.id, "train/loss")->count, int64_t(20000));
        }
    }

    // The Live page's diagnostic summaries, against values computed by hand.
    void diagnosticSummaries() {
        Store store(path("diagnostics.sqlite"));
        const int64_t a = store.insertRun({"channel", "{}", "resnet20", "resnet8", "channel", "synthetic", 0});
        const int64_t b = store.insertRun({"multipath", "{}", "resnet20", "resnet8", "multipath", "synthetic", 0});
        const int64_t none = store.insertRun({"ce", "{}", "", "resnet8", "ce", "synthetic", 0});
        RowBatch batch;
        batch.channelStats = {
            // stage 2, step 10: |Δμ| = 0.5, 1.0; |Δσ| = 1.0, 1.0; alignment error only on channel 0.
            {a, 10, "stage 2", 0, 1.0, 2.0, 1.5, 1.0, 0.25},
            {a, 10, "stage 2", 1, -1.0, 0.5, 0.0, 1.5, std::nullopt},
            // stage 2, step 20: |Δμ| = 0.25, 0.25; |Δσ| = 0.5, 0.5; no alignment error.
            {a, 20, "stage 2", 0, 1.0, 1.0, 1.25, 1.5, std::nullopt},
            {a, 20, "stage 2", 1, 0.0, 1.0, -0.25, 0.5, std::nullopt},
            {a, 10, "stage 1", 0, 0.0, 1.0, 0.0, 1.0, std::nullopt},
            // Another run's rows at the same spot must not leak into run a's answers.
            {b, 30, "stage 2", 0, 0.0, 1.0, 9.0, 9.0, 4.0},
        };
        batch.gateClasses = {{a, 117, "stage 1", 0, 0.5}, {a, 117, "logits", 0, 0.75}, {a, 234, "stage 1", 0, 1.0},
                             {b, 50, "stage 1", 0, 0.25}};
        batch.pathWeights = {{b, 20, "kd@logits", 0.5, 1.0}};
        batch.events = {{0, b, 1.0, "info", "started"}};
        store.writeBatch(batch);

        QCOMPARE(store.channelSpots(a), (std::vector<std::string>{"stage 1", "stage 2"}));
        QCOMPARE(store.channelSpots(none), std::vector<std::string>{});
        QCOMPARE(store.channelStatSteps(a, "stage 2"), (std::vector<int64_t>{10, 20}));
        QCOMPARE(store.channelStatSteps(a, "stage 2", 10), (std::vector<int64_t>{20}));
        QCOMPARE(store.channelStatSteps(a, "stage 3"), std::vector<int64_t>{});
        QCOMPARE(store.gateClassSteps(a), (std::vector<int64_t>{117, 234}));
        QCOMPARE(store.gateClassSteps(a, 117), (std::vector<int64_t>{234}));
        QCOMPARE(store.gateClassSteps(b), (std::vector<int64_t>{50}));

        const auto distances = store.channelDistances(a, "stage 2");
        QCOMPARE(distances.size(), size_t(2));
        QCOMPARE(distances[0].step, int64_t(10));
        QCOMPARE(distances[0].meanAbsMeanDiff, 0.75);
        QCOMPARE(distances[0].meanAbsStdDiff, 1.0);
        QCOMPARE(distances[0].meanAlignmentError.value_or(-1), 0.25);
        QCOMPARE(distances[0].channels, int64_t(2));
        QCOMPARE(distances[1].step, int64_t(20));
        QCOMPARE(distances[1].meanAbsMeanDiff, 0.25);
        QCOMPARE(distances[1].meanAbsStdDiff, 0.5);
        QVERIFY(!distances[1].meanAlignmentError.has_value());
        const auto later = store.channelDistances(a, "stage 2", 10);
        QCOMPARE(later.size(), size_t(1));
        QCOMPARE(later[0].step, int64_t(20));

        const DiagnosticPresence pa = store.diagnosticPresence(a);
        QVERIFY(!pa.gates && pa.gateClasses && pa.channelStats && !pa.pathWeights && !pa.events);
        const DiagnosticPresence pb = store.diagnosticPresence(b);
        QVERIFY(!pb.gates && pb.gateClasses && pb.channelStats && pb.pathWeights && pb.events);
        QVERIFY(store.diagnosticPresence(none) == DiagnosticPresence{});
    }

    // The summaries are polled four times a second on runs with millions of diagnostic rows: each must
    // seek through a primary key or index, never scan a table.
    void diagnosticSummariesUseTheKeys() {
        Store store(path("plans.sqlite"));
        const std::vector<std::string> queries = {
            "SELECT EXISTS (SELECT 1 FROM gates WHERE run_id = 1), EXISTS (SELECT 1 FROM gate_classes WHERE run_id = 1), "
            "EXISTS (SELECT 1 FROM channel_stats WHERE run_id = 1), EXISTS (SELECT 1 FROM path_weights WHERE run_id = 1), "
            "EXISTS (SELECT 1 FROM events WHERE run_id = 1)",
            "SELECT min(step) FROM gate_classes WHERE run_id = 1 AND step > 5",
            "SELECT min(spot) FROM channel_stats WHERE run_id = 1 AND spot > 'a'",
            "SELECT min(step) FROM channel_stats WHERE run_id = 1 AND spot = 'a' AND step > 5",
            "SELECT step, avg(abs(student_mean - teacher_mean)), avg(alignment_error), count(*) FROM channel_stats "
            "WHERE run_id = 1 AND spot = 'a' AND step > 5 GROUP BY step ORDER BY step",
        };
        for (const std::string& query : queries) {
            sqlite3_stmt* stmt = nullptr;
            QCOMPARE(sqlite3_prepare_v2(store.handle(), ("EXPLAIN QUERY PLAN " + query).c_str(), -1, &stmt, nullptr),
                     SQLITE_OK);
            std::string plan;
            while (sqlite3_step(stmt) == SQLITE_ROW) plan += std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3))) + "\n";
            sqlite3_finalize(stmt);
            QVERIFY2(plan.find("SCAN gate") == std::string::npos && plan.find("SCAN channel") == std::string::npos &&
                         plan.find("SCAN path") == std::string::npos && plan.find("SCAN events") == std::string::npos &&
                         plan.find("TEMP B-TREE") == std::string::npos,
                     (query + " → " + plan).c_str());
        }
    }
};

QTEST_GUILESS_MAIN(TestStore)
#include "test_store.moc"
