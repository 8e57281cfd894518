// A study in the store: queued once under its name, continued (not queued twice) from the same file,
// refused from another; the early-stopping rule found for its student runs only; the median rule's
// decision at its edges (grace epochs, too few finished runs, exactly the median, even counts).
#include <QTemporaryDir>
#include <QtTest>

#include "TestPrinters.h"
#include "spec/FieldError.h"
#include "spec/RunSpec.h"
#include "spec/StudyQueue.h"
#include "store/Store.h"

using namespace distillery;
using nlohmann::json;

namespace {
spec::StudyPlan plan(const json& study) {
    const auto parsed = spec::parseStudy(study);
    if (!parsed.ok()) qFatal("%s", parsed.errors.front().toString().c_str());
    return *parsed.plan;
}

json tinyStudy(const std::string& rule) {
    return {{"study", "lr"},
            {"base", {{"name", "s"}, {"data", {{"name", "synthetic"}}}, {"student", {{"model", "tinycnn"}}},
                      {"teacher", {{"run_name", "big"}}}, {"method", {{"name", "kd"}}}}},
            {"teachers", {{"big", {{"student", {{"model", "tinycnn"}}}}}}},
            {"grid", {{"optim.lr", {0.05, 0.1}}}},
            {"seeds", {1, 2}},
            {"early_stopping", {{"rule", rule}, {"grace_epochs", 2}, {"min_runs", 3}}}};
}
}  // namespace

class TestStudyQueue : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;

private Q_SLOTS:
    void queuedOnceContinuedAfterwardsRefusedFromAnotherFile() {
        store::Store store(dir_.filePath("queue.sqlite").toStdString());
        const spec::StudyPlan study = plan(tinyStudy("median"));
        const spec::QueuedStudy first = spec::queueStudy(store, study);
        QCOMPARE(first.runIds.size(), size_t(6));   // 2 teachers + 2 lr × 2 seeds
        QCOMPARE(first.reused, size_t(0));
        const auto teacher = store.run(first.runIds[0]);
        QCOMPARE(teacher->studyRole, std::string("teacher"));
        QCOMPARE(teacher->study, std::string("lr"));
        const auto student = store.run(first.runIds[2]);
        QCOMPARE(student->studyRole, std::string("student"));
        QCOMPARE(json::parse(student->studyFields), (json{{"optim.lr", 0.05}}));
        QCOMPARE(student->configuration, study.runs[2].configuration);

        const spec::QueuedStudy again = spec::queueStudy(store, study);
        QCOMPARE(again.runIds, first.runIds);
        QCOMPARE(again.reused, size_t(6));
        QCOMPARE(store.runs(false).size(), size_t(6));
        // A run deleted since is queued again; the others are kept.
        store.deleteRun(first.runIds[3]);
        const spec::QueuedStudy third = spec::queueStudy(store, study);
        QCOMPARE(third.reused, size_t(5));
        QVERIFY(third.runIds[3] != first.runIds[3]);

        json other = tinyStudy("median");
        other["seeds"] = {1, 2, 3};
        try {
            spec::queueStudy(store, plan(other));
            QFAIL("a different file under the same study name must be refused");
        } catch (const spec::FieldError& e) {
            QVERIFY2(std::string(e.what()).find("\"lr\" is already a study") != std::string::npos, e.what());
        }
        QCOMPARE(store.runs(false).size(), size_t(6));

        // The rule applies to the study's students only.
        QVERIFY(!spec::studyStopping(store, first.runIds[0]));
        const auto stopping = spec::studyStopping(store, first.runIds[2]);
        QVERIFY(stopping);
        QCOMPARE(stopping->rule.graceEpochs, int64_t(2));
        QCOMPARE(stopping->studyName, std::string("lr"));
        store::NewRun alone;
        alone.name = "alone";
        alone.specJson = "{}";
        QVERIFY(!spec::studyStopping(store, store.insertRun(alone)));

        store::Store off(dir_.filePath("off.sqlite").toStdString());
        const auto offIds = spec::queueStudy(off, plan(tinyStudy("none"))).runIds;
        QVERIFY(!spec::studyStopping(off, offIds[2]));
    }

    void theMedianRuleAtItsEdges() {
        spec::StudyStopping stopping;
        stopping.rule.rule = "median";
        stopping.rule.graceEpochs = 2;
        stopping.rule.minRuns = 3;
        stopping.studyName = "lr";
        // Within the grace epochs nothing stops, however bad.
        QVERIFY(!spec::medianStopReason(stopping, 2, 10, {80, 81, 82}));
        // Too few finished runs.
        QVERIFY(!spec::medianStopReason(stopping, 3, 10, {80, 81}));
        // Odd count: the median is the middle value; at it the run goes on, below it stops.
        QVERIFY(!spec::medianStopReason(stopping, 3, 81, {82, 80, 81}));
        const auto below = spec::medianStopReason(stopping, 3, 80.99, {82, 80, 81});
        QVERIFY(below);
        QVERIFY2(below->find("epoch 3") != std::string::npos, below->c_str());
        QVERIFY2(below->find("median 81.00%") != std::string::npos, below->c_str());
        QVERIFY2(below->find("3 finished runs of study \"lr\"") != std::string::npos, below->c_str());
        // Even count: the mean of the two middle values (81.5 here).
        QVERIFY(spec::medianStopReason(stopping, 3, 81.4, {80, 81, 82, 83}));
        QVERIFY(!spec::medianStopReason(stopping, 3, 81.5, {80, 81, 82, 83}));
        stopping.rule.rule = "none";
        QVERIFY(!spec::medianStopReason(stopping, 5, 0, {80, 81, 82}));
    }
};

QTEST_GUILESS_MAIN(TestStudyQueue)
#include "test_study_queue.moc"
