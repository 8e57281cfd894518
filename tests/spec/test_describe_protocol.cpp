// The describe protocol (spec/DescribeProtocol.h): what the engine writes, the designer reads back
// unchanged; the wire names stay those both sides have always used; an answer that is not the
// protocol's object is refused with the reason.
#include <QtTest>

#include <string>

#include "spec/DescribeProtocol.h"

using namespace distillery;
using nlohmann::json;

namespace {

spec::PairDescription fullDescription() {
    spec::PairDescription d;
    d.teacher = spec::NetDescription{"resnet20", 272186, {{16, 28, 28}, {32, 14, 14}, {64, 7, 7}}};
    d.student = spec::NetDescription{"torchscript teacher.pt", 77754, {}};
    d.spots = {{"stage 2", 1, 1, "1×1 conv + BN + ReLU, 32→128"},
               {"pooled", spec::SpotDescription::kPooled, spec::SpotDescription::kPooled, "none"},
               {"logits", spec::SpotDescription::kLogits, spec::SpotDescription::kLogits, "none"}};
    d.errors = {{"method.stage", "fitnet.stage: 5 but the student has 3 stages"},
                {"teacher.run_name", "teacher.run_name: names a run of a store, but no store was given"}};
    return d;
}

}  // namespace

class TestDescribeProtocol : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void aDescriptionSurvivesTheRoundTrip() {
        const spec::PairDescription written = fullDescription();
        std::string error;
        const auto read = spec::pairDescriptionFromText(spec::toJson(written).dump(), &error);
        QVERIFY2(read.has_value(), error.c_str());
        QVERIFY(*read == written);

        // No teacher, no student, nothing distilled: what a spec too broken to build describes.
        spec::PairDescription empty;
        empty.errors = {{"line 1, column 3", "unexpected end of input"}};
        const auto readEmpty = spec::pairDescriptionFromJson(spec::toJson(empty));
        QVERIFY(readEmpty.has_value());
        QVERIFY(*readEmpty == empty);
        QVERIFY(!readEmpty->teacher && !readEmpty->student);

        // Equality sees every member: a changed one makes them differ.
        spec::PairDescription changed = written;
        changed.errors[1].message += ".";
        QVERIFY(!(changed == written));
        changed = written;
        changed.spots[1].teacherStage = 2;
        QVERIFY(!(changed == written));
        changed = written;
        changed.teacher->stages[2].width = 8;
        QVERIFY(!(changed == written));
    }

    // The names on the wire: the engine of an older build and the designer of a newer one (and the
    // other way round) still understand each other.
    void theWireFormatKeepsItsNames() {
        spec::PairDescription d;
        d.teacher = spec::NetDescription{"resnet8", 77754, {{16, 28, 28}}};
        d.spots = {{"logits", spec::SpotDescription::kLogits, spec::SpotDescription::kLogits, "none"}};
        d.errors = {{"optim.lr", "must be > 0, got -1"}};
        QCOMPARE(QString::fromStdString(spec::toJson(d).dump()),
                 QStringLiteral(R"({"errors":[{"message":"must be > 0, got -1","path":"optim.lr"}],)"
                                R"("spots":[{"connector":"none","name":"logits","student_stage":-3,"teacher_stage":-3}],)"
                                R"("student":null,)"
                                R"("teacher":{"model":"resnet8","params":77754,"stages":[{"channels":16,"height":28,"width":28}]}})"));
    }

    void absentMembersReadAsTheirDefaults() {
        const auto read = spec::pairDescriptionFromJson(
            json::parse(R"({"spots": [{"name": "logits"}], "errors": [], "student": {"model": "resnet8"}, "extra": 1})"));
        QVERIFY(read.has_value());
        QCOMPARE(read->spots.size(), size_t(1));
        QCOMPARE(read->spots[0].teacherStage, spec::SpotDescription::kLogits);
        QCOMPARE(read->spots[0].studentStage, spec::SpotDescription::kLogits);
        QVERIFY(read->student.has_value());
        QCOMPARE(read->student->params, int64_t(0));
        QVERIFY(read->student->stages.empty());
        QVERIFY(!read->teacher.has_value());
    }

    void anAnswerThatIsNotTheProtocolsObjectIsRefused() {
        std::string error;
        QVERIFY(!spec::pairDescriptionFromText("Segmentation fault", &error));
        QVERIFY2(error.find("line 1, column 1") != std::string::npos, error.c_str());

        QVERIFY(!spec::pairDescriptionFromText(R"({"teacher": null, "errors": []})", &error));
        QCOMPARE(error, std::string("no spots or errors"));
        QVERIFY(!spec::pairDescriptionFromText("[1, 2]", &error));
        QCOMPARE(error, std::string("no spots or errors"));

        QVERIFY(!spec::pairDescriptionFromText(R"({"spots": {}, "errors": []})", &error));
        QCOMPARE(error, std::string("spots and errors are not arrays"));

        QVERIFY(!spec::pairDescriptionFromText(R"({"spots": [{"teacher_stage": "two"}], "errors": []})", &error));
        QVERIFY2(error.find("wrong type") != std::string::npos, error.c_str());
    }
};

QTEST_GUILESS_MAIN(TestDescribeProtocol)
#include "test_describe_protocol.moc"
