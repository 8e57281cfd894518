// The core describer (engine/PairDescriber.h) and the teacher loader's typed errors, in process:
// shapes and spots of a zoo pair, each error at the field a spec::FieldError names, a store opened
// only when the teacher names a run, and what loadTeacher refuses before reading any weights.
#include <QTemporaryDir>
#include <QtTest>

#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "engine/PairDescriber.h"
#include "engine/TeacherLoader.h"
#include "models/ModelRegistry.h"
#include "spec/FieldError.h"
#include "store/Store.h"

using namespace distillery;

namespace {

const std::string kAtSpec = R"({"data": {"name": "fashion-mnist"},
    "teacher": {"model": "resnet20", "checkpoint": "/not/read/by/describe.pt"},
    "student": {"model": "resnet8"}, "method": {"name": "at"}})";

std::vector<std::string> paths(const spec::PairDescription& d) {
    std::vector<std::string> out;
    for (const auto& e : d.errors) out.push_back(e.path);
    return out;
}

// The FieldError loading the teacher throws; fails the test when it throws none.
spec::FieldError loadError(const store::Store& db, const spec::TeacherSpec& teacher) {
    try {
        engine::loadTeacher(db, teacher, spec::DataShape{}, torch::kCPU);
    } catch (const spec::FieldError& e) {
        return e;
    }
    qFatal("loadTeacher threw no FieldError");
}

}  // namespace

class TestDescribe : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::string db_;
    int64_t finished_ = 0, queued_ = 0;

private Q_SLOTS:
    void initTestCase() {
        db_ = dir_.filePath("runs.sqlite").toStdString();
        store::Store db(db_);
        store::NewRun run;
        run.name = "teacher-r14";
        run.specJson = "{}";
        run.student = "resnet14";
        finished_ = db.insertRun(run);
        db.claimRun(finished_, 1, "test", "cpu");
        db.finishRun(finished_, store::RunStatus::Finished);
        run.name = "pending";
        queued_ = db.insertRun(run);
    }

    void describesTheStagesAndSpotsOfAZooPair() {
        const spec::PairDescription d = engine::describePair(kAtSpec, "");
        QVERIFY(d.errors.empty());
        QVERIFY(d.teacher && d.student);
        QCOMPARE(d.teacher->model, std::string("resnet20"));
        QCOMPARE(d.student->model, std::string("resnet8"));
        const std::vector<spec::StageShape> shapes{{16, 28, 28}, {32, 14, 14}, {64, 7, 7}};
        QVERIFY(d.teacher->stages == shapes);
        QVERIFY(d.student->stages == shapes);
        QVERIFY(d.teacher->params > d.student->params);
        QCOMPARE(d.student->params, engine::parameterCount(*models::createModel("resnet8", 1, 10)));
        QCOMPARE(d.spots.size(), size_t(3));
        QCOMPARE(d.spots[2].teacherStage, int64_t(2));
        QCOMPARE(d.spots[2].studentStage, int64_t(2));
    }

    void aSpecThatIsNotJsonIsOneError() {
        const spec::PairDescription d = engine::describePair(R"({"student": )", "");
        QCOMPARE(d.errors.size(), size_t(1));
        QVERIFY2(d.errors[0].path.rfind("line 1, column", 0) == 0, d.errors[0].path.c_str());
        QVERIFY(!d.teacher && !d.student && d.spots.empty());
    }

    // The teacher's errors are spec::FieldErrors: each lands at its path, with its message.
    void teacherErrorsLandAtTheirField() {
        const std::string byName = R"({"teacher": {"run_name": "teacher-r14"}, "student": {"model": "resnet8"},
                                       "method": {"name": "kd"}})";
        const spec::PairDescription noStore = engine::describePair(byName, "");
        QCOMPARE(paths(noStore), std::vector<std::string>{"teacher.run_name"});
        QCOMPARE(noStore.errors[0].message,
                 std::string("teacher.run_name: names a run of a store, but no store was given (describe --db FILE)"));
        QVERIFY(noStore.student && !noStore.teacher);

        const spec::PairDescription found = engine::describePair(byName, db_);
        QVERIFY(found.errors.empty());
        QCOMPARE(found.teacher->model, std::string("resnet14"));

        const spec::PairDescription queued = engine::describePair(
            R"({"teacher": {"run_id": )" + std::to_string(queued_) +
                R"(}, "student": {"model": "resnet8"}, "method": {"name": "kd"}})",
            db_);
        QCOMPARE(paths(queued), std::vector<std::string>{"teacher.run_id"});
        QVERIFY(queued.errors[0].message.find("is queued, not finished") != std::string::npos);

        // TorchScriptNet's errors are typed too: a file that does not load, under its field.
        const spec::PairDescription script = engine::describePair(
            R"({"teacher": {"torchscript": "/nonexistent/teacher.pt"}, "student": {"model": "resnet8"},
                "method": {"name": "kd"}})",
            "");
        QCOMPARE(paths(script), std::vector<std::string>{"teacher.torchscript"});
        QVERIFY2(script.errors[0].message.rfind("teacher.torchscript: cannot load \"/nonexistent/teacher.pt\"", 0) == 0,
                 script.errors[0].message.c_str());
    }

    // A method's FieldError lands at its path; the pair is still drawn.
    void methodErrorsLandAtTheirField() {
        const spec::PairDescription d = engine::describePair(R"({"teacher": {"model": "resnet20", "checkpoint": "x.pt"},
            "student": {"model": "resnet8"}, "method": {"name": "fitnet", "stage": 5}})", "");
        QCOMPARE(paths(d), std::vector<std::string>{"method.stage"});
        QCOMPARE(d.errors[0].message, std::string("fitnet.stage: 5 but the student has 3 stages"));
        QVERIFY(d.teacher && d.student && d.spots.empty());
    }

    // An image folder's val_size and train_subset are checked against its files (which the parser does not
    // list), at their fields; CRD's memory bank is sized from them. Describe reads no image: empty files do.
    void folderSplitsAreCheckedAgainstItsFiles() {
        QTemporaryDir dir;
        const std::string root = dir.path().toStdString();
        for (const char* c : {"a", "b", "c"}) {
            std::filesystem::create_directories(root + "/train/" + c);
            std::filesystem::create_directories(root + "/val/" + c);
            for (int i = 0; i < 4; ++i) std::ofstream(root + "/train/" + c + "/" + std::to_string(i) + ".png");
            std::ofstream(root + "/val/" + c + "/v.jpg");
        }
        const auto describe = [&](const nlohmann::json& split) {
            nlohmann::json data{{"name", "folder"}, {"image_size", 32}, {"root", root}};
            data.update(split);
            const nlohmann::json spec{{"data", data},
                                      {"teacher", {{"model", "resnet8"}, {"checkpoint", "x.pt"}}},
                                      {"student", {{"model", "resnet8"}}},
                                      {"method", {{"name", "crd"}}}};
            return engine::describePair(spec.dump(), "");
        };
        spec::PairDescription d = describe({{"val_size", 12}});
        QCOMPARE(paths(d), std::vector<std::string>{"data.val_size"});
        QCOMPARE(d.errors[0].message, "must be 0..11: the validation split is taken from the 12 images of " + root +
                                          "/train and at least one must remain for training");
        d = describe({{"val_size", 4}, {"train_subset", 9}});
        QCOMPARE(paths(d), std::vector<std::string>{"data.train_subset"});
        QVERIFY2(d.errors[0].message.rfind("must be 0..8: the 12 images of " + root + "/train less the 4 of val_size",
                                           0) == 0, d.errors[0].message.c_str());
        d = describe({{"val_size", 4}});
        QVERIFY(d.errors.empty());
        QCOMPARE(d.spots.size(), size_t(1));
        QCOMPARE(d.student->stages.front().height, int64_t(32));
    }

    // The store is opened only for a teacher that names a run: a broken one does not hide a zoo pair,
    // and is the caller's error (not the spec's) when it is needed.
    void theStoreIsReadOnlyWhenTheTeacherNamesARun() {
        const std::string corrupt = dir_.filePath("corrupt.sqlite").toStdString();
        std::ofstream(corrupt) << "not a database";
        QVERIFY(engine::describePair(kAtSpec, corrupt).errors.empty());
        QVERIFY_THROWS_EXCEPTION(store::StoreError,
                                 engine::describePair(R"({"teacher": {"run_name": "teacher-r14"},
                                     "student": {"model": "resnet8"}, "method": {"name": "kd"}})", corrupt));
    }

    // What training refuses before reading weights, each at its field.
    void loadingATeacherRefusesWhatCannotTeach() {
        store::Store db(db_);
        spec::TeacherSpec missingFile;
        missingFile.model = "resnet8";
        missingFile.checkpoint = "/nonexistent/teacher.pt";
        QCOMPARE(loadError(db, missingFile).path(), std::string("teacher.checkpoint"));

        spec::TeacherSpec noCheckpoint;
        noCheckpoint.runId = finished_;
        const spec::FieldError none = loadError(db, noCheckpoint);
        QCOMPARE(none.path(), std::string("teacher"));
        QVERIFY2(std::string(none.what()).find("has no checkpoint to load the teacher from") != std::string::npos,
                 none.what());

        store::CheckpointRow checkpoint;
        checkpoint.runId = finished_;
        checkpoint.kind = "best";
        checkpoint.path = "/nonexistent/best.pt";
        db.addCheckpoint(checkpoint);
        spec::TeacherSpec otherModel = noCheckpoint;
        otherModel.model = "resnet8";
        const spec::FieldError mismatch = loadError(db, otherModel);
        QCOMPARE(mismatch.path(), std::string("teacher.model"));
        QVERIFY(std::string(mismatch.what()).find("differs from the network run") != std::string::npos);

        // The describer draws the run's network and leaves the mismatch to training, as it always has.
        const spec::PairDescription drawn = engine::describePair(
            R"({"teacher": {"run_id": )" + std::to_string(finished_) +
                R"(, "model": "resnet8"}, "student": {"model": "resnet8"}, "method": {"name": "kd"}})",
            db_);
        QVERIFY(drawn.errors.empty());
        QCOMPARE(drawn.teacher->model, std::string("resnet14"));
    }
};

QTEST_GUILESS_MAIN(TestDescribe)
#include "test_describe.moc"
