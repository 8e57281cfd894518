// Studies through the real engine: `plan` prints the expansion, `run --spec STUDY` queues the runs
// under the study and trains them (teachers first, shared), the median rule prunes the runs it should,
// running the study again continues it instead of queuing it twice, and every evaluation records a
// confusion matrix consistent with the accuracies. The suite drives distillery-engine as a process.
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <map>
#include <optional>

#include "EngineBinary.h"
#include "TestPrinters.h"
#include "store/Results.h"
#include "store/Store.h"

using namespace distillery;
using nlohmann::json;

namespace {

struct EngineResult {
    int exitCode = -1;
    QString out, err;
};

EngineResult engine(const QStringList& arguments) {
    QProcess process;
    process.start(testing::builtEnginePath(), arguments);
    if (!process.waitForFinished(300000)) process.kill();
    return {process.exitCode(), QString::fromUtf8(process.readAllStandardOutput()),
            QString::fromUtf8(process.readAllStandardError())};
}

// Tiny runs of a synthetic set on which a working learning rate reaches high accuracy within an epoch
// and a learning rate of 1e-6 stays near chance.
json tinyBase() {
    return {{"data", {{"name", "synthetic"}, {"channels", 1}, {"height", 28}, {"width", 28}, {"num_classes", 4},
                      {"train_size", 320}, {"test_size", 96}, {"val_size", 64}, {"augment", false}}},
            {"student", {{"model", "tinycnn"}}},
            {"epochs", 3},
            {"batch_size", 32},
            {"threads", 1},
            {"log_every", 5},
            {"diagnostics_every", 0}};
}

double valueAt(const std::vector<store::MetricPoint>& points, int64_t step) {
    for (const auto& p : points)
        if (p.step == step) return p.value;
    return -1;
}

}  // namespace

class TestStudies : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;

    QString write(const QString& name, const json& content) {
        QFile file(dir_.filePath(name));
        if (!file.open(QIODevice::WriteOnly)) qFatal("cannot write %s", qPrintable(name));
        file.write(QByteArray::fromStdString(content.dump(2)));
        return file.fileName();
    }

private Q_SLOTS:
    void initTestCase() {
        if (const QString missing = testing::missingEngineReason(); !missing.isEmpty()) QFAIL(qPrintable(missing));
    }

    // Two good learning rates, then one too small to learn, 2 seeds each. With the median rule (grace
    // 1 epoch, 4 finished runs at least), the first four runs finish (fewer than 4 finished runs
    // before them); the last configuration's runs fall below the median of the four at epoch 2 and
    // stop there, pruned, with the reason.
    void theMedianRulePrunesTheRunsBelowTheMedian() {
        json base = tinyBase();
        base["name"] = "lr";
        const json study = {{"study", "prune"},
                            {"base", base},
                            {"grid", {{"optim.lr", {0.05, 0.1, 1e-6}}}},
                            {"seeds", {1, 2}},
                            {"early_stopping", {{"rule", "median"}, {"grace_epochs", 1}, {"min_runs", 4}}}};
        const QString file = write("prune.json", study);
        const QString db = dir_.filePath("prune.sqlite");

        const EngineResult plan = engine({"plan", file});
        QVERIFY2(plan.exitCode == 0, qPrintable(plan.err));
        QVERIFY2(plan.out.contains("6 runs"), qPrintable(plan.out));
        QVERIFY2(plan.out.contains("median"), qPrintable(plan.out));
        QVERIFY2(!QFile::exists(db), "plan must not create or queue anything");

        const EngineResult run = engine({"run", "--spec", file, "--db", db, "--progress", "none"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err.right(2000)));
        store::Store store(db.toStdString());
        const auto studyRow = store.studyNamed("prune");
        QVERIFY(studyRow);
        const auto runs = store.studyRuns(studyRow->id);
        QCOMPARE(runs.size(), size_t(6));
        std::map<std::string, int> statusCount;
        for (const auto& row : runs) {
            const json fields = json::parse(row.studyFields);
            const double lr = fields.at("optim.lr").get<double>();
            QCOMPARE(row.studyRole, std::string("student"));
            if (lr > 1e-3) {
                QCOMPARE(row.status, store::RunStatus::Finished);
                continue;
            }
            QCOMPARE(row.status, store::RunStatus::Pruned);
            QVERIFY2(row.error.find("below the median") != std::string::npos, row.error.c_str());
            QVERIFY2(row.error.find("epoch 2") != std::string::npos, row.error.c_str());
            // It trained exactly two epochs and kept their results and its checkpoint.
            const auto val = store.metrics(row.id, store::metric::kValAcc1);
            QCOMPARE(val.size(), size_t(2));
            QCOMPARE(val.back().epoch, 2.0);
            QVERIFY(!store.checkpoints(row.id).empty());
        }

        // A confusion matrix's rows are the actual classes: their sums are the split's class sizes, the
        // same for every run and evaluation, whether the run learnt (the good rates) or not (1e-6).
        std::optional<std::map<int64_t, int64_t>> classSizes;
        for (const auto& row : runs)
            for (int64_t step : store.confusionSteps(row.id, "test")) {
                std::map<int64_t, int64_t> perActual, perPredicted;
                for (const auto& cell : store.confusion(row.id, "test", "student", step)) {
                    perActual[cell.actual] += cell.count;
                    perPredicted[cell.predicted] += cell.count;
                }
                if (!classSizes) classSizes = perActual;
                QCOMPARE(perActual, *classSizes);
            }
        QCOMPARE(int64_t(classSizes->size()), int64_t(4));

        // Running the same study again queues nothing and trains nothing: it is complete.
        const EngineResult again = engine({"run", "--spec", file, "--db", db, "--progress", "none"});
        QVERIFY2(again.exitCode == 0, qPrintable(again.err.right(2000)));
        QVERIFY2(again.err.contains("continuing it"), qPrintable(again.err));
        QCOMPARE(store.runs(false).size(), size_t(6));
        for (const auto& row : store.studyRuns(studyRow->id)) QVERIFY(row.status != store::RunStatus::Queued);

        // A different file under the same study name is refused, naming the study.
        json changed = study;
        changed["seeds"] = {1, 2, 3};
        const EngineResult refused = engine({"run", "--spec", write("changed.json", changed), "--db", db,
                                             "--progress", "none"});
        QCOMPARE(refused.exitCode, 1);
        QVERIFY2(refused.err.contains("\"prune\" is already a study"), qPrintable(refused.err));
        QCOMPARE(store.runs(false).size(), size_t(6));
    }

    // A teacher shared by two student configurations is trained once per seed; each evaluation's
    // confusion matrix sums to the split, its diagonal is the logged accuracy, and the teacher's own
    // matrix (recorded once) matches the teacher run's accuracy at the checkpoint the students load.
    void sharedTeachersAndPerClassResults() {
        json base = tinyBase();
        base["name"] = "kd";
        base["epochs"] = 2;
        base["teacher"] = {{"run_name", "big"}};
        const json study = {{"study", "classes"},
                            {"base", base},
                            {"teachers", {{"big", {{"student", {{"model", "tinycnn"}}}, {"optim", {{"lr", 0.05}}}}}}},
                            {"grid", {{"method", {{{"name", "kd"}}, {{"name", "kd"}, {"T", 2}}}}}},
                            {"seeds", {4}}};
        const QString db = dir_.filePath("classes.sqlite");
        const EngineResult run = engine({"run", "--spec", write("classes.json", study), "--db", db, "--progress", "none"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err.right(2000)));
        store::Store store(db.toStdString());
        const auto runs = store.studyRuns(store.studyNamed("classes")->id);
        QCOMPARE(runs.size(), size_t(3));   // one teacher, two students
        QCOMPARE(runs[0].studyRole, std::string("teacher"));
        const int64_t teacherId = runs[0].id;
        const auto teacherSelection = store::selectByValidation(store.metrics(teacherId, store::metric::kValAcc1),
                                                                store.metrics(teacherId, store::metric::kTestAcc1));
        for (size_t i = 1; i < runs.size(); ++i) {
            const auto& student = runs[i];
            QCOMPARE(student.status, store::RunStatus::Finished);
            QCOMPARE(json::parse(student.specJson).at("teacher").at("run_name").get<std::string>(), runs[0].name);
            for (const std::string split : {"val", "test"}) {
                const int64_t size = split == "val" ? 64 : 96;
                const auto accuracy = store.metrics(student.id, split + "/acc1");
                const auto agreement = store.metrics(student.id, split + "/agreement");
                const auto steps = store.confusionSteps(student.id, split);
                QCOMPARE(steps.size(), size_t(2));   // one evaluation per epoch
                for (int64_t step : steps) {
                    int64_t total = 0, diagonal = 0;
                    for (const auto& cell : store.confusion(student.id, split, "student", step)) {
                        total += cell.count;
                        if (cell.actual == cell.predicted) diagonal += cell.count;
                    }
                    QCOMPARE(total, size);
                    QCOMPARE(100.0 * double(diagonal) / double(size), valueAt(accuracy, step));
                    int64_t agree = 0, classTotal = 0;
                    for (const auto& row : store.classAgreement(student.id, split, step)) {
                        agree += row.agree;
                        classTotal += row.total;
                    }
                    QCOMPARE(classTotal, size);
                    QCOMPARE(100.0 * double(agree) / double(size), valueAt(agreement, step));
                }
                // The teacher's matrix: once, at the first evaluation; its diagonal is the teacher
                // run's test accuracy at its best-validation checkpoint (the one students load).
                QCOMPARE(store.confusion(student.id, split, "teacher").front().step, steps.front());
                if (split == "test") {
                    int64_t diagonal = 0;
                    for (const auto& cell : store.confusion(student.id, split, "teacher"))
                        if (cell.actual == cell.predicted) diagonal += cell.count;
                    QCOMPARE(100.0 * double(diagonal) / double(size), *teacherSelection.testAtBestVal);
                }
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestStudies)
#include "test_studies.moc"
