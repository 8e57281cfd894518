// The one lookup of a teacher's run (spec/RunQueue.h): by id in any state for the runs table's label,
// the newest finished run of a name, the finished run a teacher trains from with its best-else-last
// checkpoint, and typed errors at the field the spec got wrong.
#include <QTemporaryDir>
#include <QtTest>

#include "TestPrinters.h"

#include "spec/FieldError.h"
#include "spec/RunQueue.h"
#include "store/Store.h"

using namespace distillery;

namespace {

int64_t addRun(store::Store& db, const std::string& name, const std::string& student, bool finish) {
    store::NewRun run;
    run.name = name;
    run.specJson = "{}";
    run.student = student;
    run.method = "ce";
    const int64_t id = db.insertRun(run);
    if (finish) {
        db.claimRun(id, 1, "test", "cpu");
        db.finishRun(id, store::RunStatus::Finished);
    }
    return id;
}

void addCheckpoint(store::Store& db, int64_t runId, const std::string& kind, const std::string& path) {
    store::CheckpointRow row;
    row.runId = runId;
    row.kind = kind;
    row.path = path;
    db.addCheckpoint(row);
}

spec::TeacherSpec byName(const std::string& name) {
    spec::TeacherSpec teacher;
    teacher.runName = name;
    return teacher;
}

spec::TeacherSpec byId(int64_t id) {
    spec::TeacherSpec teacher;
    teacher.runId = id;
    return teacher;
}

// The FieldError resolveTeacherRun throws; fails the test when it throws none.
spec::FieldError resolveError(const store::Store& db, const spec::TeacherSpec& teacher) {
    try {
        spec::resolveTeacherRun(db, teacher);
    } catch (const spec::FieldError& e) {
        return e;
    }
    qFatal("resolveTeacherRun threw nothing");
}

}  // namespace

class TestTeacherRun : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;

private Q_SLOTS:
    void theNewestFinishedRunOfANameTeachesWithItsBestCheckpoint() {
        store::Store db(dir_.filePath("name.sqlite").toStdString());
        const int64_t older = addRun(db, "teacher", "resnet20", true);
        const int64_t newer = addRun(db, "teacher", "resnet32", true);
        addRun(db, "teacher", "resnet56", false);   // newest, but still queued
        addCheckpoint(db, older, "best", "/older-best.pt");
        addCheckpoint(db, newer, "last", "/newer-last.pt");
        addCheckpoint(db, newer, "periodic", "/newer-epoch1.pt");
        addCheckpoint(db, newer, "best", "/newer-best.pt");

        const spec::TeacherRun run = spec::resolveTeacherRun(db, byName("teacher"));
        QCOMPARE(run.run.id, newer);
        QCOMPARE(run.run.student, std::string("resnet32"));
        QCOMPARE(run.checkpoints.best, std::string("/newer-best.pt"));
        QCOMPARE(run.checkpoints.last, std::string("/newer-last.pt"));
        QCOMPARE(run.checkpoints.preferred(), std::string("/newer-best.pt"));
        QCOMPARE(spec::resolveTeacherRun(db, byId(older)).checkpoints.preferred(), std::string("/older-best.pt"));
    }

    void withoutABestCheckpointTheLastOneServes() {
        store::Store db(dir_.filePath("last.sqlite").toStdString());
        const int64_t id = addRun(db, "teacher", "resnet8", true);
        QVERIFY(spec::resolveTeacherRun(db, byId(id)).checkpoints.preferred().empty());
        addCheckpoint(db, id, "last", "/last.pt");
        const spec::RunCheckpoints checkpoints = spec::runCheckpoints(db, id);
        QVERIFY(checkpoints.best.empty());
        QCOMPARE(checkpoints.preferred(), std::string("/last.pt"));
    }

    void aRunThatCannotTeachIsAnErrorAtItsField() {
        store::Store db(dir_.filePath("errors.sqlite").toStdString());
        const std::string path = db.path();
        const int64_t queued = addRun(db, "pending", "resnet8", false);

        const spec::FieldError unfinished = resolveError(db, byId(queued));
        QCOMPARE(unfinished.path(), std::string("teacher.run_id"));
        QCOMPARE(std::string(unfinished.what()),
                 "teacher.run_id: run " + std::to_string(queued) +
                     " (\"pending\") is queued, not finished; wait for it or pick a finished run");

        const spec::FieldError missingId = resolveError(db, byId(99));
        QCOMPARE(missingId.path(), std::string("teacher.run_id"));
        QCOMPARE(missingId.message(), "teacher.run_id: there is no run 99 in " + path);

        // A name whose only run has not finished names no finished run.
        const spec::FieldError missingName = resolveError(db, byName("pending"));
        QCOMPARE(missingName.path(), std::string("teacher.run_name"));
        QCOMPARE(missingName.message(), "teacher.run_name: no finished run named \"pending\" in " + path +
                                            "; train the teacher first (its run must finish) or give teacher.run_id");
    }

    // The runs table labels a queued student by its teacher's network as soon as the run exists.
    void findingARunByIdTakesItInAnyState() {
        store::Store db(dir_.filePath("find.sqlite").toStdString());
        const int64_t queued = addRun(db, "pending", "wrn_40_2", false);
        const auto found = spec::findTeacherRun(db, byId(queued));
        QVERIFY(found.has_value());
        QCOMPARE(found->status, store::RunStatus::Queued);
        QVERIFY(!spec::findTeacherRun(db, byName("pending")).has_value());
        QVERIFY(!spec::findTeacherRun(db, spec::TeacherSpec{}).has_value());

        spec::RunSpec student;
        student.name = "student";
        student.method.name = "kd";
        student.teacher = byId(queued);
        QCOMPARE(db.run(spec::queueRun(db, student))->teacher, std::string("wrn_40_2"));
        student.teacher = byName("pending");
        QCOMPARE(db.run(spec::queueRun(db, student))->teacher, std::string("run:pending"));
    }
};

QTEST_GUILESS_MAIN(TestTeacherRun)
#include "test_teacher_run.moc"
