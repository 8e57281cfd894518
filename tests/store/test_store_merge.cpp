// Shard stores (store/Shards.h): a queued run moves to a shard of its own, a job trains it there, and
// the shard is merged back into the main store by run uuid, as often as one likes, without losing or
// doubling a row. Rows are compared whole, table by table, as their values' SQL text.
#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "TestPrinters.h"
#include "store/ClusterJobs.h"
#include "store/Schema.h"
#include "store/Shards.h"
#include "store/Statement.h"
#include "store/Store.h"

using namespace distillery::store;

namespace {

QString text(const std::string& s) { return QString::fromStdString(s); }

std::vector<std::string> columnsOf(const Store& store, const std::string& table) {
    std::vector<std::string> columns;
    Statement s(store.handle(), "SELECT name FROM pragma_table_info(?) ORDER BY cid");
    s.bind(1, table);
    while (s.step()) columns.push_back(s.text(0));
    return columns;
}

// Every table with a run_id column.
std::vector<std::string> runTables(const Store& store) {
    Statement s(store.handle(), "SELECT name FROM sqlite_master m WHERE type = 'table' AND EXISTS "
                                "(SELECT 1 FROM pragma_table_info(m.name) p WHERE p.name = 'run_id') ORDER BY name");
    std::vector<std::string> tables;
    while (s.step()) tables.push_back(s.text(0));
    return tables;
}

// Rows as the SQL text of their values, without the columns named in `without`; in id order for a
// table with ids of its own (the order a log is read in), sorted otherwise.
QStringList rowsOf(const Store& store, const std::string& table, const std::string& where, int64_t runId,
                   const std::vector<std::string>& without) {
    std::string values;
    bool ownId = false;
    for (const auto& column : columnsOf(store, table)) {
        if (column == "id") ownId = true;
        if (std::find(without.begin(), without.end(), column) != without.end()) continue;
        values += (values.empty() ? "quote(" : " || ', ' || quote(") + column + ")";
    }
    Statement s(store.handle(), ("SELECT " + values + " FROM " + table + " WHERE " + where +
                                 (ownId ? " ORDER BY id" : ""))
                                    .c_str());
    if (where.find('?') != std::string::npos) s.bind(1, runId);
    QStringList rows;
    while (s.step()) rows << text(s.text(0));
    if (!ownId) rows.sort();
    return rows;
}

// A run's rows in every per-run table, by table.
std::map<std::string, QStringList> runRows(const Store& store, int64_t runId) {
    std::map<std::string, QStringList> rows;
    for (const auto& table : runTables(store))
        if (table != "run_tags" && table != "cluster_jobs") rows[table] = rowsOf(store, table, "run_id = ?", runId, {"id", "run_id"});
    return rows;
}

// The run's own row, without what differs between stores (ids) or stays the store's (note).
QStringList runRow(const Store& store, int64_t runId) {
    return rowsOf(store, "runs", "id = ?", runId, {"id", "study_id", "note"});
}

// Every row of every table: what "untouched" means.
QStringList everything(const Store& store) {
    QStringList all;
    Statement s(store.handle(), "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    while (s.step())
        for (const auto& row : rowsOf(store, s.text(0), "1", 0, {})) all << text(s.text(0)) + ": " + row;
    return all;
}

#define COMPARE_RUN_ROWS(main, mainId, shard, shardId)                                                     \
    do {                                                                                                   \
        const auto expectedRows = runRows(shard, shardId);                                                 \
        const auto actualRows = runRows(main, mainId);                                                     \
        QCOMPARE(actualRows.size(), expectedRows.size());                                                  \
        for (const auto& [table, rows] : expectedRows) {                                                   \
            QVERIFY2(actualRows.count(table), table.c_str());                                              \
            if (actualRows.at(table) != rows) qWarning("table %s differs", table.c_str());                 \
            QCOMPARE(actualRows.at(table), rows);                                                          \
        }                                                                                                  \
        QCOMPARE(runRow(main, mainId), runRow(shard, shardId));                                            \
    } while (0)

std::string pragma(const Store& store, const char* name) {
    Statement s(store.handle(), (std::string("PRAGMA ") + name).c_str());
    s.step();
    return s.text(0);
}

void setHeartbeat(Store& store, int64_t runId, double heartbeat) {
    Statement s(store.handle(), "UPDATE runs SET heartbeat = ? WHERE id = ?");
    s.bind(1, heartbeat).bind(2, runId);
    s.run();
}

// Steps [first, last] of a run as an engine writes them: a batch of every kind of row per step, the
// "last" checkpoint and an epoch's periodic one every 5 steps, then a heartbeat at `heartbeat`. salt
// changes the values (a resumed attempt computes its own).
void train(Store& shard, int64_t id, int64_t first, int64_t last, double heartbeat, double salt = 0) {
    for (int64_t step = first; step <= last; ++step) {
        const double v = double(id) * 1000 + double(step) + salt + 0.125;
        RowBatch b;
        b.metrics = {{id, "train/loss", step, step / 5.0, v, step * 0.5}, {id, "val/acc1", step, step / 5.0, v / 7, step * 0.5}};
        b.gates = {{id, step, "layer1", v / 1e4}, {id, step, "layer2", v / 2e4}};
        b.gateClasses = {{id, step, "layer1", 0, 0.25}, {id, step, "layer1", 1, v / 3e4}};
        b.channelStats = {{id, step, "layer2", 0, v, 1, 2, 3, v / 9}, {id, step, "layer2", 1, 4, 5, 6, 7, std::nullopt}};
        b.pathWeights = {{id, step, "a->b", v / 11, v / 13}};
        b.events = {{0, id, 1.7e9 + step + salt, "info", "step " + std::to_string(step) + ", loss, 'quoted'", step}};
        b.confusion = {{id, step, "val", "student", 0, 1, step}, {id, step, "val", "teacher", 1, 1, 3}};
        b.classAgreement = {{id, step, "val", 0, step, step + 2}};
        shard.writeBatch(b);
        if (step % 5 == 0) {
            const std::string folder = "/scratch/jobs/run-" + std::to_string(id) + "/";
            shard.addCheckpoint({0, id, step, step / 5, folder + "last.pt", "last", v, 1.7e9 + step});
            shard.addCheckpoint({0, id, step, step / 5, folder + "epoch-" + std::to_string(step / 5) + ".pt", "periodic", v, 1.7e9});
        }
    }
    shard.heartbeat(id, double(last) / 20);
    setHeartbeat(shard, id, heartbeat);
}

void finish(Store& shard, int64_t id, double heartbeat) {
    shard.finishRun(id, RunStatus::Finished);
    setHeartbeat(shard, id, heartbeat);
}

// What a job does first: its shard is created from main, opened, and the run claimed there.
Store startJob(const Store& main, int64_t runId, const std::string& path, const std::string& host = "node-1") {
    createShard(main, runId, path);
    Store shard(path, /*readOnly=*/false, Journal::Rollback);
    if (!shard.claimRun(runId, 7, host, "cuda:0")) throw std::runtime_error("the shard's run could not be claimed");
    return shard;
}

// A main store with a study of `count` runs (a teacher and students), each with a tag and a note.
struct MainStore {
    Store store;
    int64_t study = 0;
    std::vector<int64_t> runs;
    MainStore(const std::string& path, int count, const std::string& studyName = "sweep") : store(path) {
        study = store.insertStudy(studyName, R"({"study":")" + studyName + R"("})", "a sweep of " + studyName);
        store.addStudyTags(study, {"slurm"});
        for (int i = 0; i < count; ++i) {
            NewRun run;
            run.name = studyName + "-run-" + std::to_string(i);
            run.specJson = R"({"name":")" + run.name + R"("})";
            run.student = "resnet8";
            run.method = i ? "kd" : "";
            run.seed = i;
            run.studyId = study;
            run.studyRole = i ? "student" : "teacher";
            run.configuration = "T=" + std::to_string(i);
            run.studyFields = R"({"method.T":)" + std::to_string(i) + "}";
            runs.push_back(store.insertRun(run));
            store.addRunTags(runs.back(), {"queued-by-test"});
            store.setRunNote(runs.back(), "note " + std::to_string(i));
        }
    }
};

}  // namespace

class TestStoreMerge : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    int files_ = 0;
    // A new path in a new folder: shard.sqlite, as the jobs name theirs.
    std::string newShardPath() {
        const QString folder = dir_.filePath("job-" + QString::number(++files_));
        QDir().mkpath(folder);
        return (folder + "/shard.sqlite").toStdString();
    }
    std::string newStorePath() { return dir_.filePath("main-" + QString::number(++files_) + ".sqlite").toStdString(); }

    // A main store with one run, whose job has trained steps 1 to `steps` (heartbeat 2e9) in the shard at path.
    struct Job {
        MainStore main;
        int64_t id;
        Store shard;
    };
    Job trainedJob(const std::string& path, int64_t steps) {
        MainStore main(newStorePath(), 1);
        const int64_t id = main.runs[0];
        Store shard = startJob(main.store, id, path);
        train(shard, id, 1, steps, 2e9);
        return {std::move(main), id, std::move(shard)};
    }

private slots:
    // The merge copies every per-run table it finds; this list is schema 8's. A new table with a run_id
    // must be written by train() above before it is added here, so that the merge tests cover it
    // (cluster_jobs is each store's own: aSubmittedRunKeepsItsRecordInMain).
    void theTestsCoverEveryPerRunTable() {
        Store store(newStorePath());
        QCOMPARE(store.schemaVersion(), 8);
        const std::vector<std::string> expected = {"channel_stats", "checkpoints", "class_agreement", "cluster_jobs",
                                                   "confusion", "events", "gate_classes", "gates", "metrics",
                                                   "path_weights", "run_summary", "run_tags"};
        QCOMPARE(runTables(store), expected);
    }

    // A shard lives on a shared file system: rollback journal, every commit synced. The main store stays WAL.
    void aShardHasARollbackJournal() {
        const std::string rollback = newStorePath();
        {
            Store store(rollback, false, Journal::Rollback);
            QCOMPARE(pragma(store, "journal_mode"), std::string("delete"));
            QCOMPARE(pragma(store, "synchronous"), std::string("2"));   // FULL
        }
        {
            Store reader(rollback, /*readOnly=*/true);   // reading leaves the mode alone
            QCOMPARE(pragma(reader, "journal_mode"), std::string("delete"));
        }
        MainStore main(newStorePath(), 1);
        QCOMPARE(pragma(main.store, "journal_mode"), std::string("wal"));
        QCOMPARE(pragma(main.store, "synchronous"), std::string("1"));   // NORMAL
        const std::string shardPath = newShardPath();
        createShard(main.store, main.runs[0], shardPath);
        QCOMPARE(pragma(main.store, "journal_mode"), std::string("wal"));
        Store shard(shardPath, false, Journal::Rollback);
        QCOMPARE(pragma(shard, "journal_mode"), std::string("delete"));
        QVERIFY(!QFile::exists(QString::fromStdString(shardPath + "-wal")));
        // A WAL file opened for a rollback journal is converted, unless another connection has it open.
        const std::string converted = newStorePath();
        {
            Store wal(converted);
            QVERIFY(wal.runs().empty());
            QVERIFY_THROWS_EXCEPTION(StoreError, Store(converted, false, Journal::Rollback));
        }
        Store nowRollback(converted, false, Journal::Rollback);
        QCOMPARE(pragma(nowRollback, "journal_mode"), std::string("delete"));
    }

    // Any other writer of a shard (the engine's heartbeat thread, the desktop app, `tag`) opens it with
    // the default and must not turn it into WAL on the shared file system; a new file still gets WAL.
    void aShardStaysRollbackWhoeverOpensIt() {
        MainStore main(newStorePath(), 1);
        const std::string shardPath = newShardPath();
        createShard(main.store, main.runs[0], shardPath);
        Store job(shardPath, false, Journal::Rollback);
        {
            Store heartbeat(shardPath);   // a second connection, as the heartbeat thread's
            QCOMPARE(pragma(heartbeat, "journal_mode"), std::string("delete"));
            QCOMPARE(pragma(heartbeat, "synchronous"), std::string("2"));
            heartbeat.heartbeat(main.runs[0], 0.5);
        }
        Store later(shardPath);
        QCOMPARE(pragma(later, "journal_mode"), std::string("delete"));
        QVERIFY(!QFile::exists(QString::fromStdString(shardPath + "-wal")));
        Store fresh(newStorePath());
        QCOMPARE(pragma(fresh, "journal_mode"), std::string("wal"));
    }

    // The shard holds the queued run as main has it, under the same id and uuid, with its study.
    // The main store's record of where it sent a run (store/ClusterJobs.h) never goes into the shard,
    // and a merge neither copies nor replaces it; a retry here (requeueRun) drops it.
    void aSubmittedRunKeepsItsRecordInMain() {
        MainStore main(newStorePath(), 2);
        const int64_t id = main.runs[1];
        recordClusterJob(main.store, id, "/shared/sweep");
        const std::string path = newShardPath();
        Store shard = startJob(main.store, id, path);
        setClusterJobTask(main.store, id, "41_1");
        QCOMPARE(clusterJobs(shard).size(), size_t(0));
        train(shard, id, 1, 12, 2e9);
        finish(shard, id, 2.1e9);
        mergeShard(main.store, path);
        mergeShard(main.store, path);
        const auto jobs = clusterJobs(main.store);
        QCOMPARE(jobs.size(), size_t(1));
        QCOMPARE(jobs[0].runId, id);
        QCOMPARE(jobs[0].uuid, main.store.run(id)->uuid);
        QCOMPARE(jobs[0].sharedRoot, std::string("/shared/sweep"));
        QCOMPARE(jobs[0].slurmTask, std::string("41_1"));
        QCOMPARE(jobs[0].shardPath(), "/shared/sweep/runs/" + jobs[0].uuid + "/shard.sqlite");
        QCOMPARE(main.store.run(id)->status, RunStatus::Finished);
        QVERIFY(!clusterJob(main.store, main.runs[0]));

        // Failed on the cluster, retried here: the record goes, so the desktop queue trains it.
        main.store.finishRun(id, RunStatus::Failed, "Slurm job 41_1 ended FAILED");
        QVERIFY(main.store.requeueRun(id));
        QVERIFY(!clusterJob(main.store, id));
        // Deleting a run deletes its record.
        recordClusterJob(main.store, main.runs[0], "/shared/sweep");
        main.store.deleteRun(main.runs[0]);
        QCOMPARE(clusterJobs(main.store).size(), size_t(0));
    }

    void createShardCopiesTheQueuedRun() {
        MainStore main(newStorePath(), 2);
        const int64_t id = main.runs[1];
        RowBatch lifecycle;   // what an earlier, retried attempt leaves: an event without a step
        lifecycle.events = {{0, id, 1.6e9, "warn", "attempt 1 failed", std::nullopt}};
        main.store.writeBatch(lifecycle);
        const std::string shardPath = newShardPath();
        createShard(main.store, id, shardPath);

        Store shard(shardPath, /*readOnly=*/true);
        QCOMPARE(shard.runs().size(), size_t(1));
        const RunRow copy = *shard.run(id);
        const RunRow original = *main.store.run(id);
        QCOMPARE(copy.uuid, original.uuid);
        QCOMPARE(copy.name, original.name);
        QCOMPARE(copy.specJson, original.specJson);
        QCOMPARE(copy.status, RunStatus::Queued);
        QCOMPARE(copy.study, std::string("sweep"));
        QCOMPARE(copy.studyRole, std::string("student"));
        QCOMPARE(copy.configuration, std::string("T=1"));
        QCOMPARE(copy.studyFields, original.studyFields);
        QCOMPARE(copy.tags, original.tags);
        QCOMPARE(copy.note, std::string("note 1"));
        QCOMPARE(runRow(shard, id), runRow(main.store, id));
        const auto study = shard.studyNamed("sweep");
        QVERIFY(study);
        QCOMPARE(study->description, std::string("a sweep of sweep"));
        QCOMPARE(study->tags, std::vector<std::string>{"slurm"});
        QCOMPARE(shard.metricKeys(id).size(), size_t(0));
        QCOMPARE(shard.events(id).size(), size_t(1));
        QCOMPARE(shard.events(id)[0].message, std::string("attempt 1 failed"));
    }

    void createShardRefusesAnExistingFileAndARunNotQueued() {
        MainStore main(newStorePath(), 3);
        const std::string existing = newShardPath();
        std::ofstream(existing) << "a job's file";
        try {
            createShard(main.store, main.runs[0], existing);
            QFAIL("an existing file was overwritten");
        } catch (const StoreError& e) {
            QVERIFY2(text(e.what()).contains(text(existing)) && text(e.what()).contains("exists"), e.what());
        }
        std::ifstream kept(existing);
        QCOMPARE(std::string(std::istreambuf_iterator<char>(kept), {}), std::string("a job's file"));

        QVERIFY(main.store.claimRun(main.runs[1], 1, "login", "cpu"));
        main.store.finishRun(main.runs[2], RunStatus::Finished);
        for (const auto& [id, status] : {std::pair{main.runs[1], "running"}, std::pair{main.runs[2], "finished"}}) {
            const std::string path = newShardPath();
            try {
                createShard(main.store, id, path);
                QFAIL("a run that is not queued was given a shard");
            } catch (const StoreError& e) {
                QVERIFY2(text(e.what()).contains(text(path)) && text(e.what()).contains(status) &&
                             text(e.what()).contains("queued"),
                         e.what());
            }
            QVERIFY2(!std::filesystem::exists(path), "a refused shard leaves no file");
        }
        QVERIFY_THROWS_EXCEPTION(StoreError, createShard(main.store, 999, newShardPath()));

        // A store of an older schema, opened read-only (not migrated), has other columns: refused.
        const std::string old = newStorePath();
        sqlite3* raw = nullptr;
        QCOMPARE(sqlite3_open(old.c_str(), &raw), SQLITE_OK);
        for (int v = 0; v < 6; ++v) QCOMPARE(sqlite3_exec(raw, migrations()[size_t(v)], nullptr, nullptr, nullptr), SQLITE_OK);
        QCOMPARE(sqlite3_exec(raw, "PRAGMA user_version = 6; INSERT INTO runs (id, uuid, name, status, created_at, spec) "
                                   "VALUES (1, 'u', 'old', 'queued', 0, '{}')", nullptr, nullptr, nullptr),
                 SQLITE_OK);
        sqlite3_close(raw);
        const std::string path = newShardPath();
        try {
            createShard(Store(old, /*readOnly=*/true), 1, path);
            QFAIL("a run of a schema-6 store was given a shard");
        } catch (const StoreError& e) {
            QVERIFY2(text(e.what()).contains(text(old)) && text(e.what()).contains("schema version 6"), e.what());
        }
        QVERIFY(!std::filesystem::exists(path));
    }

    // Each shard trained to the end and merged twice, in a random order: main then holds exactly the
    // shards' rows, once each; the second merge of a shard changes nothing.
    void everyShardMergedTwiceInARandomOrder() {
        const quint32 seed = qEnvironmentVariableIsSet("DISTILLERY_MERGE_SEED")
                                 ? quint32(qEnvironmentVariableIntValue("DISTILLERY_MERGE_SEED"))
                                 : QRandomGenerator::global()->generate();
        qInfo("merge order from seed %u (DISTILLERY_MERGE_SEED=%u repeats it)", seed, seed);
        MainStore main(newStorePath(), 4);
        std::vector<std::string> shards;
        for (int64_t id : main.runs) {
            shards.push_back(newShardPath());
            Store shard = startJob(main.store, id, shards.back(), "node-" + std::to_string(id));
            train(shard, id, 1, 12, 2e9 + id);
            finish(shard, id, 2e9 + 100 + id);
        }
        std::vector<size_t> order;
        for (size_t i = 0; i < shards.size(); ++i) order.insert(order.end(), {i, i});
        std::shuffle(order.begin(), order.end(), std::mt19937(seed));
        std::vector<QStringList> afterFirst(shards.size());
        for (size_t i : order) {
            const MergeResult result = mergeShard(main.store, shards[i]);
            QCOMPARE(result.inserted, int64_t(0));
            QCOMPARE(result.updated, int64_t(1));
            QVERIFY(result.skipped.empty());
            QCOMPARE(result.rows.at("metrics"), int64_t(24));
            QCOMPARE(result.rows.at("checkpoints"), int64_t(1 + 2));   // one "last", a periodic per epoch
            QCOMPARE(result.totalRows(), int64_t(24 + 2 + 24 + 24 + 24 + 12 + 3 + 12 + 24 + 12));
            if (afterFirst[i].isEmpty()) afterFirst[i] = everything(main.store).filter(text("run_id"));
        }
        QCOMPARE(main.store.runs().size(), shards.size());
        for (size_t i = 0; i < shards.size(); ++i) {
            const int64_t id = main.runs[i];
            Store shard(shards[i], /*readOnly=*/true);
            COMPARE_RUN_ROWS(main.store, id, shard, id);
            const RunRow row = *main.store.run(id);
            QCOMPARE(row.status, RunStatus::Finished);
            QCOMPARE(row.host, "node-" + std::to_string(id));
            QCOMPARE(row.heartbeat, std::optional<double>(2e9 + 100 + id));
            QCOMPARE(row.study, std::string("sweep"));
            QCOMPARE(row.note, "note " + std::to_string(i));
            QCOMPARE(main.store.summary(id, "train/loss")->count, int64_t(12));
            QCOMPARE(main.store.checkpoints(id).size(), size_t(3));
        }
        QCOMPARE(main.store.studies().size(), size_t(1));
    }

    // A job that was pre-empted and requeued: merged while it ran, it resumed from its checkpoint at step 10
    // (dropping steps 11 and 12), wrote on to step 20 and finished. Merged again, main has every new row,
    // none of the dropped ones, and the events it had keep their ids.
    void aShardThatGrowsAfterAMergeIsMergedAgain() {
        const std::string path = newShardPath();
        auto [main, id, shard] = trainedJob(path, 12);
        QCOMPARE(mergeShard(main.store, path).updated, int64_t(1));
        COMPARE_RUN_ROWS(main.store, id, shard, id);
        QCOMPARE(main.store.run(id)->status, RunStatus::Running);
        const auto eventsBefore = main.store.events(id);
        QCOMPARE(eventsBefore.size(), size_t(12));

        shard.discardAfter(id, 10);
        train(shard, id, 11, 20, 2e9 + 50, /*salt=*/0.5);
        finish(shard, id, 2e9 + 60);
        const MergeResult result = mergeShard(main.store, path);
        QCOMPARE(result.updated, int64_t(1));
        QCOMPARE(result.rows.at("metrics"), int64_t(40));
        COMPARE_RUN_ROWS(main.store, id, shard, id);
        QCOMPARE(main.store.run(id)->status, RunStatus::Finished);
        QCOMPARE(main.store.metricCount(id, "train/loss"), int64_t(20));
        QCOMPARE(main.store.metrics(id, "train/loss", 10).front().value, id * 1000 + 11 + 0.5 + 0.125);
        const auto eventsAfter = main.store.events(id);
        QCOMPARE(eventsAfter.size(), size_t(20));
        for (size_t i = 0; i < 10; ++i) QCOMPARE(eventsAfter[i].id, eventsBefore[i].id);   // shared: kept
        QVERIFY(eventsAfter[10].id > eventsBefore.back().id);                              // rewritten: new
        // The Live page follows events by id: after the last one it had, only the new attempt's.
        QCOMPARE(main.store.events(id, eventsBefore.back().id).size(), size_t(10));
    }

    // Merges while the job writes (another connection, as the job's process would be): neither side
    // fails on the other's locks, every merge takes one consistent moment of the shard (both metrics a
    // step writes, or neither), and the last merge takes everything.
    void mergesWhileTheJobWrites() {
        MainStore main(newStorePath(), 1);
        const int64_t id = main.runs[0];
        const std::string path = newShardPath();
        createShard(main.store, id, path);
        std::string writerError;
        std::atomic<int> merged{0};
        std::thread job([&] {
            try {
                Store shard(path, false, Journal::Rollback);
                shard.claimRun(id, 7, "node-1", "cuda:0");
                for (int64_t step = 1; step <= 150; ++step) {
                    train(shard, id, step, step, 2e9 + double(step));
                    // Halfway, a few merges must have come in between, however fast this machine writes.
                    for (int wait = 0; step == 75 && merged < 3 && wait < 10000; ++wait) QThread::msleep(1);
                }
                finish(shard, id, 2e9 + 200);
            } catch (const std::exception& e) {
                writerError = e.what();
            }
        });
        int merges = 0;
        int64_t seen = 0;
        for (; merges < 1000 && main.store.run(id)->status != RunStatus::Finished; ++merges) {
            mergeShard(main.store, path);
            const int64_t losses = main.store.metricCount(id, "train/loss");
            QCOMPARE(main.store.metricCount(id, "val/acc1"), losses);
            QCOMPARE(int64_t(main.store.gates(id).size()), 2 * losses);   // copied before metrics
            if (losses) QCOMPARE(main.store.summary(id, "train/loss")->count, losses);   // after them
            QVERIFY(losses >= seen);
            seen = losses;
            ++merged;
        }
        job.join();
        QVERIFY2(writerError.empty(), writerError.c_str());
        qInfo("%d merges while the job wrote", merges);
        QVERIFY(merges >= 3);
        mergeShard(main.store, path);
        Store shard(path, /*readOnly=*/true);
        COMPARE_RUN_ROWS(main.store, id, shard, id);
        QCOMPARE(main.store.metricCount(id, "train/loss"), int64_t(150));
    }

    // An old copy of a shard file (a backup, a stale NFS cache) merged after the newer one loses nothing;
    // the other way round the newer one wins.
    void aStaleCopyIsSkipped() {
        MainStore main(newStorePath(), 1);
        const int64_t id = main.runs[0];
        const std::string path = newShardPath(), stale = newShardPath(), ended = newShardPath();
        {
            Store shard = startJob(main.store, id, path);
            train(shard, id, 1, 6, 2e9);
        }
        QVERIFY(QFile::copy(QString::fromStdString(path), QString::fromStdString(stale)));
        Store shard(path, false, Journal::Rollback);
        train(shard, id, 7, 15, 2e9 + 10);
        finish(shard, id, 2e9 + 20);

        QCOMPARE(mergeShard(main.store, stale).updated, int64_t(1));   // older than nothing: taken
        QCOMPARE(mergeShard(main.store, path).updated, int64_t(1));
        const QStringList merged = everything(main.store);
        const MergeResult result = mergeShard(main.store, stale);
        QCOMPARE(result.updated, int64_t(0));
        QCOMPARE(result.skipped, std::vector<std::string>{main.store.run(id)->uuid});
        QCOMPARE(result.totalRows(), int64_t(0));
        QCOMPARE(everything(main.store), merged);
        COMPARE_RUN_ROWS(main.store, id, shard, id);

        // Main's copy ended; a copy of the same heartbeat that has not is behind it too.
        QVERIFY(QFile::copy(QString::fromStdString(path), QString::fromStdString(ended)));
        {
            Store copy(ended, false, Journal::Rollback);
            Statement s(copy.handle(), "UPDATE runs SET status = 'running'");
            s.run();
        }
        QCOMPARE(mergeShard(main.store, ended).skipped.size(), size_t(1));
        QCOMPARE(everything(main.store), merged);
    }

    // The researcher's note and tags live in main; a merge adds the job's tags and keeps main's study link.
    void mainKeepsItsNoteTagsAndStudy() {
        MainStore main(newStorePath(), 1);
        const int64_t id = main.runs[0];
        const std::string path = newShardPath();
        createShard(main.store, id, path);
        main.store.setRunNote(id, "looks diverged at epoch 3");
        main.store.addRunTags(id, {"interesting"});
        main.store.removeRunTags(id, {"queued-by-test"});
        {
            Store shard(path, false, Journal::Rollback);
            QVERIFY(shard.claimRun(id, 7, "node-1", "cuda:0"));
            shard.setRunNote(id, "written on the node");
            shard.addRunTags(id, {"preempted"});
            Statement s(shard.handle(), "UPDATE runs SET configuration = 'changed', study_id = NULL WHERE id = ?");
            s.bind(1, id);
            s.run();
            train(shard, id, 1, 5, 2e9);
        }
        mergeShard(main.store, path);
        const RunRow row = *main.store.run(id);
        QCOMPARE(row.note, std::string("looks diverged at epoch 3"));
        // A union: the tag main removed is back, since the shard still has it (no merge can tell a tag
        // removed in main from one added in the job).
        QCOMPARE(row.tags, (std::vector<std::string>{"interesting", "preempted", "queued-by-test"}));
        QCOMPARE(row.studyId, std::optional<int64_t>(main.study));
        QCOMPARE(row.configuration, std::string("T=0"));
        QCOMPARE(row.host, std::string("node-1"));
        QCOMPARE(main.store.metricCount(id, "val/acc1"), int64_t(5));
    }

    // Runs main does not have (queued in another store) are inserted under new ids, with their study
    // created once by name; the ids of their events and checkpoints are main's own.
    void aRunMissingFromMainIsInsertedWithItsStudy() {
        MainStore main(newStorePath(), 2);
        MainStore other(newStorePath(), 3, "elsewhere");
        std::vector<std::string> shards;
        for (int64_t id : other.runs) {
            shards.push_back(newShardPath());
            Store shard = startJob(other.store, id, shards.back());
            train(shard, id, 1, 5, 2e9);
        }
        for (size_t i = 0; i < shards.size(); ++i) {
            const MergeResult result = mergeShard(main.store, shards[i]);
            QCOMPARE(result.inserted, int64_t(1));
            QCOMPARE(result.updated, int64_t(0));
        }
        QCOMPARE(main.store.runs().size(), size_t(5));
        const auto study = main.store.studyNamed("elsewhere");
        QVERIFY(study);
        QCOMPARE(study->description, std::string("a sweep of elsewhere"));
        QCOMPARE(study->tags, std::vector<std::string>{"slurm"});
        const auto runs = main.store.studyRuns(study->id);
        QCOMPARE(runs.size(), size_t(3));
        for (size_t i = 0; i < runs.size(); ++i) {
            Store shard(shards[i], /*readOnly=*/true);
            const RunRow copy = shard.runs().front();
            QCOMPARE(runs[i].uuid, copy.uuid);
            QVERIFY(runs[i].id != copy.id);
            QCOMPARE(runs[i].studyRole, copy.studyRole);
            QCOMPARE(runs[i].note, copy.note);   // new to main: the shard's note and tags
            QCOMPARE(runs[i].tags, copy.tags);
            COMPARE_RUN_ROWS(main.store, runs[i].id, shard, copy.id);
        }
        QCOMPARE(main.store.studies().size(), size_t(2));
    }

    // A student's job copies its finished teacher into its own shard with the same call, so that the
    // spec's teacher run_name resolves there, checkpoint paths as recorded; merged into main afterwards, the
    // teacher's copy changes nothing there.
    void aTeacherIsMergedIntoItsStudentsShard() {
        MainStore main(newStorePath(), 2);
        const int64_t teacher = main.runs[0], student = main.runs[1];
        const std::string teacherPath = newShardPath(), studentPath = newShardPath();
        createShard(main.store, teacher, teacherPath);
        createShard(main.store, student, studentPath);
        {
            Store shard(teacherPath, false, Journal::Rollback);
            QVERIFY(shard.claimRun(teacher, 7, "node-1", "cuda:0"));
            train(shard, teacher, 1, 10, 2e9);
            finish(shard, teacher, 2e9 + 1);
        }
        QCOMPARE(mergeShard(main.store, teacherPath).updated, int64_t(1));
        const auto teacherEvents = main.store.events(teacher);

        Store studentShard(studentPath, false, Journal::Rollback);
        QCOMPARE(mergeShard(studentShard, teacherPath).inserted, int64_t(1));
        QCOMPARE(pragma(studentShard, "journal_mode"), std::string("delete"));
        QCOMPARE(studentShard.studies().size(), size_t(1));
        const auto resolved = studentShard.latestFinishedRunNamed("sweep-run-0");
        QVERIFY(resolved);
        QCOMPARE(resolved->study, std::string("sweep"));
        {
            Store teacherShard(teacherPath, /*readOnly=*/true);
            COMPARE_RUN_ROWS(studentShard, resolved->id, teacherShard, teacher);
            const auto checkpoints = studentShard.checkpoints(resolved->id);
            QCOMPARE(checkpoints.size(), size_t(3));
            QCOMPARE(checkpoints.front().path, "/scratch/jobs/run-" + std::to_string(teacher) + "/epoch-1.pt");
        }
        QVERIFY(studentShard.claimRun(student, 8, "node-2", "cuda:0"));
        train(studentShard, student, 1, 10, 2e9 + 5);
        finish(studentShard, student, 2e9 + 6);

        const MergeResult result = mergeShard(main.store, studentPath);
        QCOMPARE(result.updated, int64_t(2));
        QVERIFY(result.skipped.empty());
        QCOMPARE(main.store.runs().size(), size_t(2));
        Store teacherShard(teacherPath, /*readOnly=*/true);
        COMPARE_RUN_ROWS(main.store, teacher, teacherShard, teacher);
        COMPARE_RUN_ROWS(main.store, student, studentShard, student);
        const auto events = main.store.events(teacher);
        QCOMPARE(events.size(), teacherEvents.size());
        for (size_t i = 0; i < events.size(); ++i) QCOMPARE(events[i].id, teacherEvents[i].id);
    }

    // A shard that is not a store, or is damaged, or is of another schema, is refused with its path and
    // what is wrong; main is left as it was.
    void aBadShardLeavesMainUntouched() {
        const std::string good = newShardPath();
        auto [main, id, shard] = trainedJob(good, 150);
        mergeShard(main.store, good);
        train(shard, id, 151, 160, 2e9 + 10);   // newer than main's copy: would be merged if it could be read
        const QStringList before = everything(main.store);

        const std::string noise = newShardPath(), truncated = newShardPath(), empty = newShardPath();
        {
            const quint32 seed = QRandomGenerator::global()->generate();
            qInfo("random shard bytes from seed %u", seed);
            QRandomGenerator random(seed);
            std::ofstream out(noise, std::ios::binary);
            for (int i = 0; i < 65536; ++i) out.put(char(random.bounded(256)));
        }
        QVERIFY(QFile::copy(QString::fromStdString(good), QString::fromStdString(truncated)));
        std::filesystem::resize_file(truncated, std::filesystem::file_size(truncated) / 2);
        std::ofstream(empty).flush();
        const std::vector<std::pair<std::string, QString>> bad = {
            {noise, "not an SQLite file"},
            {truncated, "damaged"},
            {empty, "not a results store"},
            {newShardPath(), "unable to open"},   // missing
        };
        for (const auto& [path, why] : bad) {
            try {
                mergeShard(main.store, path);
                QFAIL(("merged " + path).c_str());
            } catch (const StoreError& e) {
                QVERIFY2(text(e.what()).contains("shard '" + text(path) + "' was not merged") && text(e.what()).contains(why),
                         e.what());
            }
            QCOMPARE(everything(main.store), before);
        }
        for (int version : {Store::kSchemaVersion - 1, Store::kSchemaVersion + 1}) {
            const std::string other = newShardPath();
            QVERIFY(QFile::copy(QString::fromStdString(good), QString::fromStdString(other)));
            sqlite3* raw = nullptr;
            QCOMPARE(sqlite3_open(other.c_str(), &raw), SQLITE_OK);
            QCOMPARE(sqlite3_exec(raw, ("PRAGMA user_version = " + std::to_string(version)).c_str(), nullptr, nullptr,
                                  nullptr),
                     SQLITE_OK);
            sqlite3_close(raw);
            try {
                mergeShard(main.store, other);
                QFAIL("a shard of another schema was merged");
            } catch (const StoreError& e) {
                QVERIFY2(text(e.what()).contains(text(other)) &&
                             text(e.what()).contains("schema version " + QString::number(version)),
                         e.what());
            }
            QCOMPARE(everything(main.store), before);
        }
        QVERIFY_THROWS_EXCEPTION(StoreError, mergeShard(main.store, main.store.path()));
        QCOMPARE(mergeShard(main.store, good).updated, int64_t(1));   // the good one still merges
    }

    // A merge is one transaction: a failure in its second run (injected by a trigger on main's
    // connection) leaves main without any of the first run's rows either.
    void aMergeThatFailsHalfwayWritesNothing() {
        MainStore main(newStorePath(), 2);
        const std::string first = newShardPath(), second = newShardPath();
        for (const auto& [id, path] : {std::pair{main.runs[0], first}, std::pair{main.runs[1], second}}) {
            Store shard = startJob(main.store, id, path);
            train(shard, id, 1, 5, 2e9);
        }
        {
            Store shard(second, false, Journal::Rollback);
            RowBatch boom;
            boom.metrics = {{main.runs[1], "boom", 1, 0, 1, 0}};
            shard.writeBatch(boom);
        }
        Store both(first, false, Journal::Rollback);
        QCOMPARE(mergeShard(both, second).inserted, int64_t(1));   // the second run after the first
        execute(main.store.handle(), "CREATE TEMP TRIGGER boom BEFORE INSERT ON main.metrics WHEN NEW.key = 'boom' "
                                     "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
        const QStringList before = everything(main.store);
        try {
            mergeShard(main.store, first);
            QFAIL("the injected failure did not fail the merge");
        } catch (const StoreError& e) {
            QVERIFY2(text(e.what()).contains(text(first)) && text(e.what()).contains("injected failure"), e.what());
        }
        QCOMPARE(everything(main.store), before);
        execute(main.store.handle(), "DROP TRIGGER temp.boom");
        QCOMPARE(mergeShard(main.store, first).updated, int64_t(2));
        COMPARE_RUN_ROWS(main.store, main.runs[0], both, main.runs[0]);
    }

    // A job killed while committing leaves a hot journal that a read-only reader cannot undo: the error
    // says so and how to recover; once the shard was opened for writing, it merges.
    void aShardWithAnUnfinishedWriteIsNamed() {
        const std::string path = newShardPath(), killed = newShardPath();
        auto [main, id, shard] = trainedJob(path, 150);
        // A write larger than the page cache spills: the journal is synced and the file half written,
        // which is what a job killed at that moment leaves. Copies of both are that job's shard.
        sqlite3* raw = nullptr;
        QCOMPARE(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
        QCOMPARE(sqlite3_exec(raw, "PRAGMA cache_size = 2; BEGIN IMMEDIATE; DELETE FROM metrics; DELETE FROM gates; "
                                   "DELETE FROM channel_stats;", nullptr, nullptr, nullptr),
                 SQLITE_OK);
        QVERIFY(std::filesystem::exists(path + "-journal"));
        std::filesystem::copy_file(path, killed);
        std::filesystem::copy_file(path + "-journal", killed + "-journal");
        sqlite3_exec(raw, "ROLLBACK", nullptr, nullptr, nullptr);
        sqlite3_close(raw);
        try {
            mergeShard(main.store, killed);
            QFAIL("a shard with a hot journal was merged");
        } catch (const StoreError& e) {
            QVERIFY2(text(e.what()).contains(text(killed + "-journal")) && text(e.what()).contains("did not finish"),
                     e.what());
        }
        { Store recovered(killed, false, Journal::Rollback); }   // what the requeued job does first
        QVERIFY(!std::filesystem::exists(killed + "-journal"));
        QCOMPARE(mergeShard(main.store, killed).updated, int64_t(1));
        COMPARE_RUN_ROWS(main.store, id, shard, id);
    }
};

QTEST_GUILESS_MAIN(TestStoreMerge)
#include "test_store_merge.moc"
