#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include "TestPrinters.h"

#include <fstream>

#include <sqlite3.h>

#include "store/ClusterJobs.h"
#include "store/Schema.h"
#include "store/Statement.h"
#include "store/Store.h"

#include <limits>
#include <map>

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

    // A file as an older Distillery wrote it: the migrations up to `version`, then `sql` (its rows).
    void writeOldStore(const std::string& file, int version, const std::string& sql) {
        sqlite3* raw = nullptr;
        QCOMPARE(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
        for (int v = 0; v < version; ++v) QCOMPARE(sqlite3_exec(raw, migrations()[size_t(v)], nullptr, nullptr, nullptr), SQLITE_OK);
        const std::string all = "PRAGMA user_version = " + std::to_string(version) + ";" + sql;
        QCOMPARE(sqlite3_exec(raw, all.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(raw);
    }

    // Schema 3 records what a run computed with. A schema-2 file opened read-only (the GUI's readers,
    // distillery report) still lists its runs; opened for writing, it is migrated in place.
    void runEnvironmentAndASchema2FileReadOnly() {
        {
            Store store(path("v3.sqlite"));
            distillery::store::NewRun run;
            run.name = "new";
            run.specJson = "{}";
            const int64_t id = store.insertRun(run);
            store.setRunEnvironment(id, 2, "bf16", "channels_last");
            const auto row = store.run(id);
            QCOMPARE(row->threads, int64_t(2));
            QCOMPARE(row->precision, std::string("bf16"));
            QCOMPARE(row->memoryFormat, std::string("channels_last"));
        }
        // A file written before issue 7, with a checkpoint row per epoch as engines before schema 4 wrote them.
        const std::string file = path("v2.sqlite");
        const int64_t id = 1;
        writeOldStore(file, 2,
                      "INSERT INTO runs (id, uuid, name, status, created_at, spec) VALUES (1, 'u', 'old', 'finished', 0, '{}');"
                      "INSERT INTO checkpoints (run_id, step, epoch, path, kind, metric, created_at) VALUES "
                      "(1, 10, 1, '/c/last.pt', 'last', 1, 0), (1, 20, 2, '/c/last.pt', 'last', 1, 0), "
                      "(1, 30, 3, '/c/last.pt', 'last', 1, 0);");
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
        // Schema 4 keeps the newest row of each kind: the file it names holds the newest checkpoint.
        QCOMPARE(writer.checkpoints(id).size(), size_t(1));
        QCOMPARE(writer.checkpoints(id).front().step, int64_t(30));
        StoreWriter events(writer);
        events.addEvent(id, "info", "epoch 1", 10);
        events.flush();
        QCOMPARE(writer.events(id).back().step, std::optional<int64_t>(10));
    }

    // Schema 5 records the build that trained a run. A schema-4 file opened read-only lists its runs
    // without it; opened for writing, it is migrated and takes it.
    void runSoftwareAndASchema4FileReadOnly() {
        const distillery::BuildInfo build{"9.8.7", "0123456789ab-dirty", "1.13.0", "6.4.2"};
        {
            Store store(path("v5.sqlite"));
            distillery::store::NewRun run;
            run.name = "traced";
            run.specJson = "{}";
            const int64_t id = store.insertRun(run);
            QCOMPARE(distillery::store::softwareDescription(*store.run(id)), std::string());   // not started
            store.setRunSoftware(id, build);
            const auto row = store.run(id);
            QCOMPARE(row->distilleryVersion, build.version);
            QCOMPARE(row->gitCommit, build.commit);
            QCOMPARE(row->torchVersion, build.torchVersion);
            QCOMPARE(row->qtVersion, build.qtVersion);
            QCOMPARE(distillery::store::softwareDescription(*row),
                     std::string("Distillery 9.8.7 (git 0123456789ab-dirty) · LibTorch 1.13.0 · Qt 6.4.2"));
        }
        const std::string file = path("v4.sqlite");
        const int64_t id = 1;
        writeOldStore(file, 4, "INSERT INTO runs (id, uuid, name, status, created_at, spec) VALUES (1, 'u', 'traced', "
                               "'finished', 0, '{}');");
        {
            Store reader(file, /*readOnly=*/true);
            QCOMPARE(reader.schemaVersion(), 4);
            const auto runs = reader.runs(false);
            QCOMPARE(runs.size(), size_t(1));
            QCOMPARE(runs[0].name, std::string("traced"));
            QCOMPARE(runs[0].distilleryVersion, std::string());
        }
        Store writer(file);
        QCOMPARE(writer.schemaVersion(), Store::kSchemaVersion);
        writer.setRunSoftware(id, distillery::BuildInfo{"1.0.0", "", "2.1.0", ""});
        QCOMPARE(distillery::store::softwareDescription(*writer.run(id)), std::string("Distillery 1.0.0 · LibTorch 2.1.0"));
    }

    // Schema 7 stores a run's class names (an image folder's). A schema-6 file opened read-only lists its runs
    // without them; opened for writing, it is migrated and takes them, and the JSON round-trips any name.
    // A schema 7 file read-only has no record of cluster runs (store/ClusterJobs.h): none are listed;
    // opened for writing it is migrated and records them.
    void clusterJobsOfASchema7FileReadOnly() {
        const std::string file = path("v7.sqlite");
        writeOldStore(file, 7, "INSERT INTO runs (id, uuid, name, status, created_at, spec) VALUES (1, 'u7', 'on-slurm', "
                               "'queued', 0, '{}');");
        {
            Store reader(file, /*readOnly=*/true);
            QCOMPARE(reader.schemaVersion(), 7);
            QVERIFY(clusterJobs(reader).empty());
            QVERIFY(!clusterJob(reader, 1));
        }
        Store writer(file);
        QCOMPARE(writer.schemaVersion(), 8);
        recordClusterJob(writer, 1, "/nfs/study");
        setClusterJobTask(writer, 1, "7_0");
        const auto job = clusterJob(writer, 1);
        QVERIFY(job);
        QCOMPARE(job->runDir(), std::string("/nfs/study/runs/u7"));
        QCOMPARE(job->slurmTask, std::string("7_0"));
        QVERIFY(job->submittedAt > 1.7e9);
        QCOMPARE(runIdWithUuid(writer, "u7").value_or(0), int64_t(1));
        QVERIFY(!runIdWithUuid(writer, "nope"));
        forgetClusterJob(writer, 1);
        QVERIFY(clusterJobs(writer).empty());
    }

    void classNamesAndASchema6FileReadOnly() {
        const std::string file = path("v6.sqlite");
        writeOldStore(file, 6, "INSERT INTO runs (id, uuid, name, status, created_at, spec) VALUES (1, 'u', 'folder', "
                               "'finished', 0, '{}');");
        {
            Store reader(file, /*readOnly=*/true);
            QCOMPARE(reader.schemaVersion(), 6);
            const auto runs = reader.runs(false);
            QCOMPARE(runs.size(), size_t(1));
            QCOMPARE(runs[0].name, std::string("folder"));
            QVERIFY(runs[0].classNames.empty());
        }
        Store writer(file);
        QCOMPARE(writer.schemaVersion(), 8);
        QVERIFY(writer.run(1)->classNames.empty());
        const std::vector<std::string> names = {"n01440764 tench", "quote\"d", "ünïcode"};
        writer.setRunClassNames(1, names);
        QCOMPARE(writer.run(1)->classNames, names);
        writer.setRunClassNames(1, {});
        QVERIFY(writer.run(1)->classNames.empty());
    }

    // Schema 6 rebuilds the runs table (a run may be pruned, belong to a study, carry a note). A
    // schema-5 file keeps every run and every row that refers to one, and the references still
    // cascade; read-only, it lists its runs without studies.
    void aSchema5FileMigratesToStudiesKeepingItsRows() {
        const std::string file = path("v5-old.sqlite");
        writeOldStore(file, 5,
                      "INSERT INTO runs (id, uuid, name, status, created_at, spec, seed, git_commit) VALUES "
                      "(1, 'u1', 'a', 'finished', 0, '{}', 3, 'abc'), (2, 'u2', 'b', 'failed', 0, '{}', 4, '');"
                      "INSERT INTO metrics VALUES (1, 'val/acc1', 10, 1, 80, 1), (1, 'val/acc1', 20, 2, 85, 2), "
                      "(2, 'val/acc1', 10, 1, 70, 1);"
                      "INSERT INTO run_summary VALUES (1, 'val/acc1', 20, 85, 80, 85, 2), (2, 'val/acc1', 10, 70, 70, 70, 1);"
                      "INSERT INTO events (run_id, time, level, message, step) VALUES (2, 0, 'info', 'x', NULL);");
        {
            Store reader(file, /*readOnly=*/true);
            const auto runs = reader.runs(false);
            QCOMPARE(runs.size(), size_t(2));
            QCOMPARE(runs[1].study, std::string());
            QVERIFY(!runs[1].studyId);
            QVERIFY(runs[1].tags.empty());
            QVERIFY(reader.studies().empty());
            QVERIFY(reader.confusion(1, "test", "student").empty());
        }
        Store store(file);
        QCOMPARE(store.schemaVersion(), Store::kSchemaVersion);
        const auto a = store.run(1);
        QCOMPARE(a->name, std::string("a"));
        QCOMPARE(a->seed, int64_t(3));
        QCOMPARE(a->gitCommit, std::string("abc"));
        QCOMPARE(store.metrics(1, "val/acc1").size(), size_t(2));
        QCOMPARE(store.summary(1, "val/acc1")->maxValue, 85.0);
        // Foreign keys are on again and still point at the rebuilt table: deleting run 2 takes its rows.
        sqlite3_stmt* check = nullptr;
        sqlite3_prepare_v2(store.handle(), "PRAGMA foreign_key_check", -1, &check, nullptr);
        QCOMPARE(sqlite3_step(check), SQLITE_DONE);
        sqlite3_finalize(check);
        store.deleteRun(2);
        QCOMPARE(store.metrics(2, "val/acc1").size(), size_t(0));
        QVERIFY(store.events(2).empty());
        QCOMPARE(store.metrics(1, "val/acc1").size(), size_t(2));
        store.finishRun(1, RunStatus::Pruned, "below the median");
        QCOMPARE(store.run(1)->status, RunStatus::Pruned);
        QCOMPARE(store.run(1)->error, std::string("below the median"));
    }

    // Studies group runs; tags and notes are the researcher's; the early-stopping rule reads the
    // values of the study's finished student runs at one epoch.
    void studiesTagsAndNotes() {
        Store store(path("studies.sqlite"));
        const int64_t study = store.insertStudy("sweep", R"({"study":"sweep"})", "lr sweep");
        try {
            store.insertStudy("sweep", "{}", "");
            QFAIL("a second study of the same name must be refused");
        } catch (const StoreError& e) {
            QVERIFY2(std::string(e.what()).find("already has a study named \"sweep\"") != std::string::npos, e.what());
        }
        auto add = [&](const char* name, const char* role, std::optional<int64_t> studyId) {
            NewRun run;
            run.name = name;
            run.specJson = "{}";
            run.studyId = studyId;
            run.studyRole = role;
            run.configuration = role == std::string("teacher") ? "teacher-r20" : "lr0.1";
            run.studyFields = R"({"optim.lr":0.1})";
            return store.insertRun(run);
        };
        const int64_t teacher = add("t", "teacher", study);
        const int64_t s1 = add("s1", "student", study), s2 = add("s2", "student", study), s3 = add("s3", "student", study);
        const int64_t running = add("s4", "student", study), alone = add("x", "", std::nullopt);
        const auto row = store.run(s1);
        QCOMPARE(row->study, std::string("sweep"));
        QCOMPARE(row->studyId, std::optional<int64_t>(study));
        QCOMPARE(row->studyRole, std::string("student"));
        QCOMPARE(row->configuration, std::string("lr0.1"));
        QCOMPARE(row->studyFields, std::string(R"({"optim.lr":0.1})"));
        QCOMPARE(store.run(alone)->study, std::string());
        QCOMPARE(store.studyRuns(study).size(), size_t(5));
        QCOMPARE(store.studyNamed("sweep")->description, std::string("lr sweep"));

        store.addRunTags(s1, {" ablation ", "kd", "kd"});
        store.addRunTags(s1, {"baseline"});
        QCOMPARE(store.run(s1)->tags, (std::vector<std::string>{"ablation", "baseline", "kd"}));
        store.removeRunTags(s1, {"kd", "absent"});
        QCOMPARE(store.run(s1)->tags, (std::vector<std::string>{"ablation", "baseline"}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, store.addRunTags(s1, {"  "}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, store.addRunTags(s1, {"a\tb"}));
        store.setRunNote(s1, "lr too high?\nsee s2");
        QCOMPARE(store.run(s1)->note, std::string("lr too high?\nsee s2"));
        store.addStudyTags(study, {"paper", "fig3"});
        store.setStudyNote(study, "for the rebuttal");
        QCOMPARE(store.study(study)->tags, (std::vector<std::string>{"fig3", "paper"}));
        QCOMPARE(store.study(study)->note, std::string("for the rebuttal"));

        // val/acc1 at the end of epoch 2 (step 20) of the finished students only, never the teacher's,
        // a running run's or the asking run's own.
        RowBatch batch;
        const std::vector<std::pair<int64_t, double>> values = {{teacher, 95}, {s1, 80}, {s2, 82}, {s3, 84}, {running, 60}};
        for (const auto& [id, value] : values) {
            batch.metrics.push_back({id, "val/acc1", 10, 1.0, value - 5, 1});
            batch.metrics.push_back({id, "val/acc1", 20, 2.0, value, 2});
        }
        store.writeBatch(batch);
        for (int64_t id : {teacher, s1, s2, s3}) store.finishRun(id, RunStatus::Finished);
        auto sorted = [](std::vector<double> v) { std::sort(v.begin(), v.end()); return v; };
        QCOMPARE(sorted(store.studyValuesAtEpoch(study, "val/acc1", 2, running)), (std::vector<double>{80, 82, 84}));
        QCOMPARE(sorted(store.studyValuesAtEpoch(study, "val/acc1", 2, s2)), (std::vector<double>{80, 84}));
        QCOMPARE(sorted(store.studyValuesAtEpoch(study, "val/acc1", 1, running)), (std::vector<double>{75, 77, 79}));
        QVERIFY(store.studyValuesAtEpoch(study, "val/acc1", 3, running).empty());

        // Deleting the study deletes its runs, not the others.
        store.deleteStudy(study);
        QVERIFY(!store.study(study));
        QVERIFY(!store.run(s1));
        QVERIFY(store.run(alone));
        QCOMPARE(store.metrics(s1, "val/acc1").size(), size_t(0));
    }

    // Confusion matrices and per-class agreement: the newest evaluation by default, a given one on
    // request; a resume that discards later steps takes them too.
    void confusionCellsAndClassAgreement() {
        Store store(path("confusion.sqlite"));
        NewRun run;
        run.name = "c";
        run.specJson = "{}";
        const int64_t id = store.insertRun(run);
        RowBatch batch;
        for (int64_t step : {10, 20}) {
            batch.confusion.push_back({id, step, "test", "student", 0, 0, step == 10 ? 5 : 7});
            batch.confusion.push_back({id, step, "test", "student", 0, 1, step == 10 ? 3 : 1});
            batch.confusion.push_back({id, step, "test", "student", 1, 1, 8});
            batch.classAgreement.push_back({id, step, "test", 0, step == 10 ? 4 : 6, 8});
            batch.classAgreement.push_back({id, step, "test", 1, 7, 8});
        }
        batch.confusion.push_back({id, 10, "test", "teacher", 0, 0, 8});
        batch.confusion.push_back({id, 10, "val", "student", 1, 0, 2});
        store.writeBatch(batch);
        const auto newest = store.confusion(id, "test", "student");
        QCOMPARE(newest.size(), size_t(3));
        QCOMPARE(newest[0].step, int64_t(20));
        QCOMPARE(newest[0].count, int64_t(7));
        QCOMPARE(newest[1].predicted, int64_t(1));
        QCOMPARE(store.confusion(id, "test", "student", 10)[0].count, int64_t(5));
        QCOMPARE(store.confusion(id, "test", "teacher").size(), size_t(1));
        QCOMPARE(store.confusion(id, "val", "student").front().actual, int64_t(1));
        QCOMPARE(store.confusionSteps(id, "test"), (std::vector<int64_t>{10, 20}));
        QCOMPARE(store.classAgreement(id, "test").front().agree, int64_t(6));
        QCOMPARE(store.classAgreement(id, "test", 10).front().agree, int64_t(4));
        const auto discarded = store.discardAfter(id, 10);
        QCOMPARE(discarded.diagnostics, int64_t(5));   // three cells and two agreement rows of step 20
        QCOMPARE(store.confusionSteps(id, "test"), (std::vector<int64_t>{10}));
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
        const QString stopFile = dir_.filePath("shared.stop");
        { Store create(file.toStdString()); }
        const QString writerPath = QString(DISTILLERY_BIN_DIR) + "/store_stress_writer";
        QProcess a, b;
        // The writers write until told to stop, so the reads below overlap them on any machine.
        a.start(writerPath, {file, "writer-a", "200", "10", stopFile});
        b.start(writerPath, {file, "writer-b", "200", "10", stopFile});
        QVERIFY(a.waitForStarted());
        QVERIFY(b.waitForStarted());
        Store reader(file.toStdString());
        constexpr int wantedReads = 20;
        int reads = 0;
        QElapsedTimer clock;
        clock.start();
        while (a.state() != QProcess::NotRunning && b.state() != QProcess::NotRunning && reads < wantedReads) {
            const auto runs = reader.runs();
            for (const auto& run : runs) {
                reader.metrics(run.id, "train/loss", -1, 500);
                reader.summary(run.id, "train/loss");
            }
            if (runs.size() == 2) ++reads;  // only reads with both writers at work count
            QVERIFY2(clock.elapsed() < 120000, "the writers never both started writing");
            a.waitForFinished(1);  // lets QProcess notice a writer that failed
            b.waitForFinished(1);
        }
        QVERIFY(QFile(stopFile).open(QIODevice::WriteOnly));
        for (QProcess* writer : {&a, &b})
            QVERIFY(writer->state() == QProcess::NotRunning || writer->waitForFinished(60000));
        QVERIFY2(a.exitStatus() == QProcess::NormalExit && a.exitCode() == 0, a.readAllStandardError().constData());
        QVERIFY2(b.exitStatus() == QProcess::NormalExit && b.exitCode() == 0, b.readAllStandardError().constData());
        QCOMPARE(reads, wantedReads);
        std::map<int64_t, int64_t> rowsWritten;
        for (QProcess* writer : {&a, &b}) {
            const QStringList printed = QString::fromUtf8(writer->readAllStandardOutput()).split(' ');
            QCOMPARE(printed.size(), 2);
            rowsWritten[printed[0].toLongLong()] = printed[1].trimmed().toLongLong();
        }
        const auto runs = reader.runs();
        QCOMPARE(runs.size(), size_t(2));
        for (const auto& run : runs) {
            QCOMPARE(run.status, RunStatus::Finished);
            QVERIFY(rowsWritten.at(run.id) >= 2000);
            QCOMPARE(reader.metricCount(run.id, "train/loss"), rowsWritten.at(run.id));
            QCOMPARE(reader.summary(run.id, "train/loss")->count, rowsWritten.at(run.id));
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
        batch.events = {{0, b, 1.0, "info", "started", std::nullopt}};
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

    // ---- issue 13: the summary never disagrees with the metrics, whatever is written again --------
    static QStringList summaryRows(Store& store, int64_t run) {
        QStringList rows;
        for (const auto& m : store.summaries(run))
            rows << QString("%1|%2|%3|%4|%5|%6").arg(m.key.c_str()).arg(m.lastStep).arg(m.lastValue).arg(m.minValue)
                        .arg(m.maxValue).arg(m.count);
        return rows;
    }
    static QStringList impliedRows(Store& store, int64_t run) {
        QStringList rows;
        for (const auto& key : store.metricKeys(run)) {
            const auto points = store.metrics(run, key);
            double lo = points.front().value, hi = lo;
            for (const auto& p : points) lo = std::min(lo, p.value), hi = std::max(hi, p.value);
            rows << QString("%1|%2|%3|%4|%5|%6").arg(key.c_str()).arg(points.back().step).arg(points.back().value)
                        .arg(lo).arg(hi).arg(points.size());
        }
        return rows;
    }

    void summaryFollowsStepsWrittenAgain() {
        Store store(path("rewrite.sqlite"));
        const int64_t run = store.insertRun({"r", "{}", "", "tinycnn", "ce", "synthetic", 0});
        RowBatch batch;
        for (int step = 1; step <= 5; ++step) batch.metrics.push_back({run, "val/acc1", step, 0, double(10 * step), 0});
        store.writeBatch(batch);
        // An interrupted attempt had written steps 4..6 with other values (6 = a step the final run never has).
        RowBatch again;
        again.metrics.push_back({run, "val/acc1", 4, 0, 99.0, 0});
        again.metrics.push_back({run, "val/acc1", 5, 0, 1.0, 0});
        store.writeBatch(again);
        QCOMPARE(summaryRows(store, run), impliedRows(store, run));
        QCOMPARE(store.summary(run, "val/acc1")->count, int64_t(5));   // not 7
        QCOMPARE(store.summary(run, "val/acc1")->maxValue, 99.0);
        QCOMPARE(store.summary(run, "val/acc1")->lastValue, 1.0);
        // Written back: the old maximum must go.
        RowBatch back;
        back.metrics.push_back({run, "val/acc1", 4, 0, 40.0, 0});
        store.writeBatch(back);
        QCOMPARE(store.summary(run, "val/acc1")->maxValue, 40.0);
        QCOMPARE(summaryRows(store, run), impliedRows(store, run));
    }

    void discardAfterRemovesTheLaterRowsOfOneRun() {
        Store store(path("discard.sqlite"));
        const int64_t run = store.insertRun({"r", "{}", "", "tinycnn", "ce", "synthetic", 0});
        const int64_t other = store.insertRun({"o", "{}", "", "tinycnn", "ce", "synthetic", 0});
        RowBatch batch;
        for (int64_t id : {run, other})
            for (int step = 1; step <= 10; ++step) {
                batch.metrics.push_back({id, "train/loss", step, 0, 1.0 / step, 0});
                batch.gates.push_back({id, step, "stage1", 0.5});
                batch.gateClasses.push_back({id, step, "stage1", 0, 0.5});
                batch.channelStats.push_back({id, step, "stage1", 0, 0, 1, 0, 1, std::nullopt});
                batch.pathWeights.push_back({id, step, "kd", 0.5, 1.0});
                batch.events.push_back({0, id, 0, "info", "epoch", step});
            }
        batch.events.push_back({0, run, 0, "info", "resumed from …", std::nullopt});   // lifecycle: stays
        store.writeBatch(batch);
        store.addCheckpoint({0, run, 6, 1, "/x/last.pt", "last", 1, 0});
        store.addCheckpoint({0, run, 9, 2, "/x/epoch-2.pt", "periodic", 1, 0});
        const DiscardedRows discarded = store.discardAfter(run, 6);
        QCOMPARE(discarded.metrics, int64_t(4));
        QCOMPARE(discarded.diagnostics, int64_t(16));
        QCOMPARE(discarded.events, int64_t(4));
        QCOMPARE(discarded.checkpoints, int64_t(1));
        QCOMPARE(store.metricCount(run, "train/loss"), int64_t(6));
        QCOMPARE(store.summary(run, "train/loss")->lastStep, int64_t(6));
        QCOMPARE(summaryRows(store, run), impliedRows(store, run));
        QCOMPARE(store.gates(run).size(), size_t(6));
        QCOMPARE(store.pathWeights(run).size(), size_t(6));
        QCOMPARE(store.events(run).size(), size_t(7));
        QCOMPARE(store.checkpoints(run).size(), size_t(1));
        QCOMPARE(store.metricCount(other, "train/loss"), int64_t(10));   // another run keeps everything
        QCOMPARE(store.gates(other).size(), size_t(10));

        // Retry: everything with a step goes, from the beginning.
        store.finishRun(run, RunStatus::Failed, "boom");
        QVERIFY(store.requeueRun(run));
        QCOMPARE(store.metricKeys(run).size(), size_t(0));
        QCOMPARE(store.gates(run).size(), size_t(0));
        QCOMPARE(store.checkpoints(run).size(), size_t(0));
        QCOMPARE(store.events(run).size(), size_t(1));
        QVERIFY(!store.requeueRun(run));   // already queued
    }

    void nonFiniteDiagnosticsNeverDropOtherRows() {
        Store store(path("nan-diagnostics.sqlite"));
        const int64_t run = store.insertRun({"r", "{}", "", "tinycnn", "ce", "synthetic", 0});
        RowBatch batch;
        const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
        batch.metrics.push_back({run, "train/loss", 1, 0, 0.5, 0});
        batch.metrics.push_back({run, "train/loss", 2, 0, nan, 0});
        batch.gates.push_back({run, 1, "a", 0.5});
        batch.gates.push_back({run, 1, "b", nan});
        batch.gateClasses.push_back({run, 1, "a", 3, inf});
        batch.channelStats.push_back({run, 1, "a", 0, 0, 1, 0, 1, nan});
        batch.channelStats.push_back({run, 1, "a", 1, 0, 1, 0, 1, 0.25});
        batch.pathWeights.push_back({run, 1, "kd", nan, 1.0});
        batch.pathWeights.push_back({run, 1, "at", 0.5, 1.0});
        const BatchResult result = store.writeBatch(batch);
        QCOMPARE(result.skippedMetrics, size_t(1));
        QCOMPARE(result.skippedDiagnostics, size_t(4));
        QCOMPARE(store.metricCount(run, "train/loss"), int64_t(1));
        QCOMPARE(store.gates(run).size(), size_t(1));
        QCOMPARE(store.channelStats(run, "a", 1).size(), size_t(1));
        QCOMPARE(store.pathWeights(run).size(), size_t(1));
        StoreWriter writer(store);
        writer.add(GateRow{run, 2, "a", nan});
        writer.add(GateRow{run, 2, "b", 0.75});
        writer.flush();
        QCOMPARE(writer.skipped().skippedDiagnostics, size_t(1));
        QCOMPARE(store.gates(run).size(), size_t(2));
    }

    void checkpointRowsOnePerKind() {
        Store store(path("checkpoint-rows.sqlite"));
        const int64_t run = store.insertRun({"r", "{}", "", "tinycnn", "ce", "synthetic", 0});
        for (int epoch = 1; epoch <= 3; ++epoch) {
            store.addCheckpoint({0, run, 10 * epoch, epoch, "/c/last.pt", "last", 50.0 + epoch, 0});
            store.addCheckpoint({0, run, 10 * epoch, epoch, "/c/epoch-" + std::to_string(epoch) + ".pt", "periodic", 1, 0});
        }
        store.addCheckpoint({0, run, 20, 2, "/c/best.pt", "best", 70, 0});
        store.addCheckpoint({0, run, 20, 2, "/c/epoch-2.pt", "periodic", 2, 0});   // the same epoch again
        std::map<std::string, int> kinds;
        for (const auto& c : store.checkpoints(run)) ++kinds[c.kind];
        QCOMPARE(kinds["last"], 1);
        QCOMPARE(kinds["best"], 1);
        QCOMPARE(kinds["periodic"], 3);
        for (const auto& c : store.checkpoints(run))
            if (c.kind == "last") QCOMPARE(c.step, int64_t(30));
    }

    // ---- issue 13: one owner per run ---------------------------------------------------------------
    void reclaimRefusesALiveEngineAndTakesOverADeadOne() {
        Store store(path("owners.sqlite"));
        const int64_t mine = store.insertRun({"mine", "{}", "", "tinycnn", "ce", "synthetic", 0});
        QVERIFY(store.claimRun(mine, QCoreApplication::applicationPid(), hostName(), "cpu"));
        Claim refused = store.reclaimRun(mine, 4242, hostName(), "cpu");
        QVERIFY(!refused);
        QVERIFY2(refused.refusal.find("is being trained by the engine pid " +
                                      std::to_string(QCoreApplication::applicationPid())) != std::string::npos,
                 refused.refusal.c_str());

        // No such process (above any pid_max): its run is taken over, and the old engine learns it lost it.
        const int64_t dead = store.insertRun({"dead", "{}", "", "tinycnn", "ce", "synthetic", 0});
        QVERIFY(store.claimRun(dead, 999999999, hostName(), "cpu"));
        const Claim taken = store.reclaimRun(dead, 7, hostName(), "cpu");
        QVERIFY(taken);
        QVERIFY(taken.previousEngine.find("pid 999999999") != std::string::npos);
        QVERIFY(!store.heartbeat(dead, 0.5, 999999999, hostName()));   // the old owner is told
        QVERIFY(store.heartbeat(dead, 0.5, 7, hostName()));

        // A pid reused by a process that started after the engine's last heartbeat is not the engine.
        const int64_t reused = store.insertRun({"reused", "{}", "", "tinycnn", "ce", "synthetic", 0});
        QVERIFY(store.claimRun(reused, QCoreApplication::applicationPid(), hostName(), "cpu"));
        {
            Statement old(store.handle(), "UPDATE runs SET heartbeat = 1000 WHERE id = ?");   // 1970
            old.bind(1, reused);
            old.run();
        }
        QVERIFY(store.reclaimRun(reused, 8, hostName(), "cpu"));

        // Another host: only the heartbeat tells.
        const int64_t remote = store.insertRun({"remote", "{}", "", "tinycnn", "ce", "synthetic", 0});
        QVERIFY(store.claimRun(remote, 1, "another-host", "cuda:0"));
        QVERIFY(!store.reclaimRun(remote, 9, hostName(), "cpu"));
        QVERIFY(store.reclaimRun(remote, 9, hostName(), "cpu", /*staleSeconds=*/-1.0));
    }
};

QTEST_GUILESS_MAIN(TestStore)
#include "test_store.moc"
