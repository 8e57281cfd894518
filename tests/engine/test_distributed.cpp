// A run trained by two processes (spec "distributed", torch's c10d with Gloo) through the real engine:
//   - 2 processes × 32 images of each 64-image batch (batch norm synchronised) write the same losses
//     and reach the same weights as 1 process × 64, for kd and at, within float tolerance;
//   - stopped mid-run, the two processes stop at the same step, and resumed with two they finish with
//     exactly the metrics of an uninterrupted two-process run;
//   - a worker process killed mid-run makes the run fail within seconds, saying which process ended;
//   - the same for crd, sakd (over at and over crd), ft and multipath's gradnorm and dwa weightings,
//     whose own state (memory banks, agent, paraphraser, path weights) the processes keep equal;
//   - the spec (and run --nproc) refuses a batch that does not split evenly, and sakd over ft.
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <signal.h>

#include <functional>
#include <map>
#include <tuple>

#include "EngineBinary.h"
#include "SameMetrics.h"
#include "engine/Checkpoint.h"
#include "models/ModelRegistry.h"
#include "spec/RunSpec.h"
#include "store/Store.h"

using namespace distillery;
using nlohmann::json;

namespace {

json baseSpec(const std::string& name, int64_t world, int64_t epochs = 1, int64_t stepsPerEpoch = 4) {
    json spec = {{"name", name},
                 {"data", {{"name", "synthetic"}, {"channels", 1}, {"height", 28}, {"width", 28}, {"num_classes", 4},
                           {"train_size", 512}, {"test_size", 64}, {"val_size", 64}, {"augment", false}}},
                 {"student", {{"model", "resnet8"}}},
                 {"epochs", epochs},
                 {"batch_size", 64},
                 {"max_steps_per_epoch", stepsPerEpoch},
                 {"threads", 1},
                 {"log_every", 1},
                 {"diagnostics_every", 0},
                 {"seed", 3},
                 {"optim", {{"lr", 0.05}}}};
    if (world > 1) spec["distributed"] = {{"world_size", world}, {"sync_batch_norm", true}, {"timeout_s", 60}};
    return spec;
}

}  // namespace

class TestDistributed : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    QString db_;

    using Ran = testing::Ran;
    Ran engine(const QStringList& arguments) { return testing::runProgram(testing::builtEnginePath(), arguments, 600000); }
    QString write(const QString& name, const json& content) { return testing::writeJsonFile(dir_.filePath(name), content); }
    int64_t runNamed(const std::string& name) {
        store::Store store(db_.toStdString(), true);
        for (const auto& r : store.runs(false))
            if (r.name == name) return r.id;
        return 0;
    }
    // The id of the run named `name` once it has logged `rows` training losses; 0 after two minutes.
    int64_t waitUntilLogged(const std::string& name, int64_t rows) {
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 120000) {
            if (const int64_t id = runNamed(name)) {
                store::Store store(db_.toStdString(), true);
                if (store.metricCount(id, "train/loss") >= rows) return id;
            }
            QThread::msleep(20);
        }
        return 0;
    }
    // Every tensor of an entry of a run's last checkpoint ("distiller": the method's modules and
    // buffers, the agent's and memory banks included), by path.
    std::map<std::string, at::Tensor> lastCheckpointTensors(int64_t runId, const std::string& entry) {
        store::Store store(db_.toStdString(), true);
        std::string last;
        for (const auto& c : store.checkpoints(runId))
            if (c.kind == "last") last = c.path;
        torch::serialize::InputArchive archive, part;
        archive.load_from(last);
        std::map<std::string, at::Tensor> tensors;
        if (!archive.try_read(entry, part)) return tensors;
        std::function<void(torch::serialize::InputArchive&, const std::string&)> collect =
            [&](torch::serialize::InputArchive& from, const std::string& prefix) {
                for (const auto& key : from.keys()) {
                    at::Tensor tensor;
                    torch::serialize::InputArchive nested;
                    if (from.try_read(key, tensor)) tensors[prefix + key] = tensor;
                    else if (from.try_read(key, nested)) collect(nested, prefix + key + ".");
                }
            };
        collect(part, "");
        return tensors;
    }
    // The student of a run's last checkpoint.
    std::shared_ptr<torch::nn::Module> lastStudent(int64_t runId) {
        store::Store store(db_.toStdString(), true);
        std::string last;
        for (const auto& c : store.checkpoints(runId))
            if (c.kind == "last") last = c.path;
        auto net = models::createModel("resnet8", 1, 4);
        engine::loadModuleWeights(*net, last, "run " + std::to_string(runId));
        return net;
    }

private Q_SLOTS:
    void initTestCase() {
        if (!testing::missingEngineReason().isEmpty()) QFAIL(qPrintable(testing::missingEngineReason()));
        db_ = dir_.filePath("runs.sqlite");
        // The teacher the kd students distil from.
        json teacher = baseSpec("teacher", 1, 1, 8);
        teacher["student"]["model"] = "tinycnn";
        const Ran trained = engine({"run", "--spec", write("teacher.json", teacher), "--db", db_, "--progress", "none"});
        QVERIFY2(trained.exitCode == 0, qPrintable(trained.err.right(2000)));
    }

    void twoProcessesEqualOne_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("parameters");   // the method's, as JSON
        QTest::addColumn<int>("epochs");
        QTest::addColumn<int>("stepsPerEpoch");
        QTest::newRow("kd") << "kd" << "{}" << 1 << 4;
        QTest::newRow("at") << "at" << "{}" << 1 << 4;
        // The memory banks, Z and the negatives' sampler kept equal through all-gathers.
        QTest::newRow("crd") << "crd" << R"({"nce_k": 256})" << 1 << 4;
        // The agent's own optimiser on averaged gradients, its loss on the whole batch's gates.
        QTest::newRow("sakd") << "sakd" << "{}" << 1 << 4;
        QTest::newRow("sakd-crd") << "sakd" << R"({"base": "crd"})" << 1 << 4;
        // The paraphraser's own optimiser (its phase is the first half here), then the factor loss.
        QTest::newRow("ft") << "ft" << R"({"paraphraser_share": 0.5})" << 1 << 4;
        QTest::newRow("multipath-gradnorm") << "multipath" << R"({"weighting": "gradnorm"})" << 1 << 4;
        // DWA's weights move from the third epoch on.
        QTest::newRow("multipath-dwa") << "multipath" << R"({"weighting": "dwa"})" << 3 << 2;
    }
    // "Within float tolerance" is measured, not assumed: the same single-process run with 2 threads
    // instead of 1 (other summation orders) sets the noise floor, and along the run each loss term of
    // the two-process run may differ from the one-process run's by at most 3× the most that term of
    // the noise run does (and always by 1e-5 relative). AT's loss (β = 1000) amplifies rounding a
    // thousandfold within two steps; kd's barely.
    void twoProcessesEqualOne() {
        QFETCH(QString, method);
        QFETCH(QString, parameters);
        QFETCH(int, epochs);
        QFETCH(int, stepsPerEpoch);
        const std::string m = QTest::currentDataTag();
        for (const auto& [name, world, threads] : {std::tuple{m + "-w1", 1, 1}, std::tuple{m + "-w1-t2", 1, 2},
                                                   std::tuple{m + "-w2", 2, 1}}) {
            json spec = baseSpec(name, world, epochs, stepsPerEpoch);
            spec["threads"] = threads;
            spec["method"] = json::parse(parameters.toStdString());
            spec["method"]["name"] = method.toStdString();
            spec["teacher"] = {{"run_name", "teacher"}};
            const Ran ran = engine({"run", "--spec", write(QString::fromStdString(m) + ".json", spec), "--db", db_, "--progress", "none"});
            QVERIFY2(ran.exitCode == 0, qPrintable(ran.err.right(3000)));
        }
        const int64_t one = runNamed(m + "-w1"), noise = runNamed(m + "-w1-t2"), two = runNamed(m + "-w2");
        store::Store store(db_.toStdString(), true);
        for (const auto& key : store.metricKeys(one)) {
            if (key.rfind("train/loss", 0) != 0) continue;
            const auto a = store.metrics(one, key), n = store.metrics(noise, key), b = store.metrics(two, key);
            QCOMPARE(a.size(), size_t(epochs * stepsPerEpoch));
            QCOMPARE(b.size(), a.size());
            // The largest difference along the run, against the noise run's largest: single steps of
            // either wander (rounding differences grow and shrink from step to step).
            double worst = 0, floor = 0, scale = 0;
            int64_t worstStep = 0;
            for (size_t i = 0; i < a.size(); ++i) {
                QCOMPARE(b[i].step, a[i].step);
                if (std::abs(a[i].value - b[i].value) > worst) worstStep = a[i].step;
                worst = std::max(worst, std::abs(a[i].value - b[i].value));
                floor = std::max(floor, std::abs(a[i].value - n[i].value));
                scale = std::max(scale, std::abs(a[i].value));
            }
            const double allowed = std::max(1e-5 * scale, 3 * floor);
            QVERIFY2(worst <= allowed, qPrintable(QString("%1 differs by %2 at step %3 (allowed %4: 3x the noise run's %5)")
                                                      .arg(QString::fromStdString(key))
                                                      .arg(worst)
                                                      .arg(worstStep)
                                                      .arg(allowed)
                                                      .arg(floor)));
        }
        // The step's accuracy counts both processes' images (exactly where rounding flips no prediction:
        // ft's β = 200 flips two of the noise run's).
        const double accuracy = store.metrics(one, "train/acc1").back().value;
        const double accuracyNoise = std::abs(store.metrics(noise, "train/acc1").back().value - accuracy);
        QVERIFY2(std::abs(store.metrics(two, "train/acc1").back().value - accuracy) <= 3 * accuracyNoise,
                 qPrintable(QString("train/acc1 %1 against %2").arg(store.metrics(two, "train/acc1").back().value).arg(accuracy)));
        const auto x = lastStudent(one)->named_parameters(), y = lastStudent(two)->named_parameters(),
                   z = lastStudent(noise)->named_parameters();
        double worst = 0, floor = 0;
        for (const auto& p : x) {
            worst = std::max(worst, (p.value() - y[p.key()]).abs().max().item<double>());
            floor = std::max(floor, (p.value() - z[p.key()]).abs().max().item<double>());
        }
        QVERIFY2(worst <= std::max(1e-5, 3 * floor), qPrintable(QString("weights differ by %1 (noise floor %2)").arg(worst).arg(floor)));
        // The method's own state (SAKD's agent, CRD's banks and sampler, FT's paraphraser, path weights),
        // which the losses may reflect only later: as equal as the student's.
        const auto mine = lastCheckpointTensors(two, "distiller"), single = lastCheckpointTensors(one, "distiller"),
                   rounded = lastCheckpointTensors(noise, "distiller");
        QCOMPARE(mine.size(), single.size());
        for (const auto& [key, tensor] : single) {
            QVERIFY2(mine.count(key), key.c_str());
            if (!tensor.is_floating_point()) {
                QVERIFY2(torch::equal(tensor, mine.at(key)), key.c_str());
                continue;
            }
            const double d = (tensor - mine.at(key)).abs().max().item<double>();
            const double floor = (tensor - rounded.at(key)).abs().max().item<double>();
            // 1e-5 relative to the tensor's largest entry at least (CRD's Z is in the thousands).
            const double scale = std::max(1.0, tensor.abs().max().item<double>());
            QVERIFY2(d <= std::max(1e-5 * scale, 3 * floor), qPrintable(QString("the method's %1 differs by %2 (noise floor %3)")
                                                                    .arg(QString::fromStdString(key))
                                                                    .arg(d)
                                                                    .arg(floor)));
        }
        bool said = false;
        for (const auto& e : store.events(two)) said |= e.message.rfind("data parallel: 2 processes (gloo), 32 images", 0) == 0;
        QVERIFY(said);
    }

    // Stopped (SIGTERM to the engine that claimed the run), both processes stop at one step; resumed
    // with two, the run writes what an uninterrupted two-process run writes.
    void stoppedAndResumedLikeAnUninterruptedRun() {
        json spec = baseSpec("resumed", 2, 12, 8);
        spec["method"] = {{"name", "kd"}};
        spec["teacher"] = {{"run_name", "teacher"}};
        const Ran whole = engine({"run", "--spec", write("whole.json", spec), "--db", db_, "--progress", "none"});
        QVERIFY2(whole.exitCode == 0, qPrintable(whole.err.right(3000)));
        const int64_t reference = runNamed("resumed");
        spec["name"] = "resumed-2";
        QProcess first;
        first.start(testing::builtEnginePath(), {"run", "--spec", write("stopped.json", spec), "--db", db_, "--progress", "none"});
        QVERIFY(first.waitForStarted());
        const int64_t id = waitUntilLogged("resumed-2", 10);
        QVERIFY2(id > 0, "the run never logged 10 steps");
        ::kill(pid_t(first.processId()), SIGTERM);
        QVERIFY(first.waitForFinished(60000));
        {
            store::Store store(db_.toStdString(), true);
            QCOMPARE(store.run(id)->status, store::RunStatus::Killed);
        }
        const Ran resumed = engine({"resume", "--db", db_, "--run", QString::number(id), "--progress", "none"});
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err.right(3000)));
        store::Store store(db_.toStdString(), true);
        QCOMPARE(store.run(id)->status, store::RunStatus::Finished);
        const std::string difference = testing::metricsDifference(store, reference, id);
        QVERIFY2(difference.empty(), difference.c_str());
    }

    // A worker killed outright: the engine that claimed the run notices at its next collective and fails
    // the run, naming the process that ended; nothing hangs.
    void aKilledWorkerFailsTheRunAtOnce() {
        json spec = baseSpec("dies", 2, 20, 8);
        spec["method"] = {{"name", "ce"}};
        QProcess engineProcess;
        engineProcess.start(testing::builtEnginePath(), {"run", "--spec", write("dies.json", spec), "--db", db_, "--progress", "none"});
        QVERIFY(engineProcess.waitForStarted());
        const int64_t id = waitUntilLogged("dies", 3);
        QVERIFY2(id > 0, "the run never logged 3 steps");
        qint64 worker = 0;   // the worker process of this run: its command line names the store and the run
        for (const QString& pid : QDir("/proc").entryList(QDir::Dirs))
            if (QFile cmd("/proc/" + pid + "/cmdline"); cmd.open(QIODevice::ReadOnly)) {
                const QByteArray line = cmd.readAll();
                if (line.contains("worker") && line.contains(db_.toUtf8()) &&
                    line.contains(QByteArray("--run") + '\0' + QByteArray::number(qlonglong(id)) + '\0'))
                    worker = pid.toLongLong();
            }
        QVERIFY2(worker > 0, "no worker process found");
        QCOMPARE(::kill(pid_t(worker), SIGKILL), 0);
        QElapsedTimer clock;
        clock.start();
        QVERIFY(engineProcess.waitForFinished(60000));
        QVERIFY2(clock.elapsed() < 30000, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(engineProcess.exitCode(), 1);
        store::Store store(db_.toStdString(), true);
        const auto row = store.run(id);
        QCOMPARE(row->status, store::RunStatus::Failed);
        QVERIFY2(row->error.find("Another process of the run ended") != std::string::npos, row->error.c_str());
        QVERIFY2(row->error.find("process 1 (pid " + std::to_string(worker) + ") was killed by signal 9") != std::string::npos,
                 row->error.c_str());
    }

    // run --nproc N: the file's runs train with N processes, checked as if their specs said so.
    void nprocSetsTheProcesses() {
        json spec = baseSpec("by-nproc", 1);
        const QString path = write("nproc.json", spec);
        const Ran odd = engine({"run", "--spec", path, "--db", db_, "--progress", "none", "--nproc", "3"});
        QCOMPARE(odd.exitCode, 1);
        QVERIFY2(odd.err.contains("run \"by-nproc\" with --nproc 3:") && odd.err.contains("must divide batch_size"),
                 qPrintable(odd.err));
        QCOMPARE(runNamed("by-nproc"), int64_t(0));   // nothing queued
        const Ran two = engine({"run", "--spec", path, "--db", db_, "--progress", "none", "--nproc", "2"});
        QVERIFY2(two.exitCode == 0, qPrintable(two.err.right(2000)));
        store::Store store(db_.toStdString(), true);
        const auto row = store.run(runNamed("by-nproc"));
        QCOMPARE(spec::parseRunSpec(row->specJson).spec->distributed.worldSize, int64_t(2));
        bool said = false;
        for (const auto& e : store.events(row->id)) said |= e.message.rfind("data parallel: 2 processes", 0) == 0;
        QVERIFY(said);
    }

    void specRefusesWhatCannotBeSplit() {
        json spec = baseSpec("odd", 3);
        auto parsed = spec::parseRunSpec(spec);
        QVERIFY(!parsed.ok());
        QVERIFY2(parsed.errorText().find("distributed.world_size: must divide batch_size (64") != std::string::npos,
                 parsed.errorText().c_str());
        spec = baseSpec("sakd-ft", 2);
        spec["method"] = {{"name", "sakd"}, {"base", "ft"}};
        spec["teacher"] = {{"run_name", "teacher"}};
        parsed = spec::parseRunSpec(spec);
        QVERIFY2(parsed.errorText().find("distributed.world_size: sakd over ft trains in one process only") != std::string::npos,
                 parsed.errorText().c_str());
        spec["method"]["base"] = "crd";
        QVERIFY2(spec::parseRunSpec(spec).ok(), spec::parseRunSpec(spec).errorText().c_str());
        spec = baseSpec("fine", 2);
        parsed = spec::parseRunSpec(spec);
        QVERIFY2(parsed.ok(), parsed.errorText().c_str());
        QCOMPARE(spec::toJson(*parsed.spec)["distributed"]["world_size"].get<int64_t>(), int64_t(2));
        QVERIFY(!spec::toJson(*spec::parseRunSpec(baseSpec("alone", 1)).spec).contains("distributed"));
    }
};

QTEST_GUILESS_MAIN(TestDistributed)
#include "test_distributed.moc"
