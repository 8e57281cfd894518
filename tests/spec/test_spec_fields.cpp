// The spec-field table (SpecFields.h) against the reader and the writer: every field it declares
// survives toJson and parseRunSpec at its default and at another value, and every "applies to …
// only" rule fires exactly when its condition does not hold, in the words the reader has always used.
#include <QtTest>

#include "TestPrinters.h"

#include <set>

#include "spec/RunSpec.h"
#include "spec/SpecFields.h"

using namespace distillery;
using nlohmann::json;

namespace {

// The default spec with a name (the parser derives one when it is empty) and room for milestones.
spec::RunSpec baseSpec() {
    spec::RunSpec base;
    base.name = "round-trip";
    base.epochs = 4;
    return base;
}

// A value of the field's kind, valid in baseSpec(), that is not its default.
json otherValue(const spec::SpecField& f) {
    const json fallback = f.defaultValue();
    switch (f.kind) {
    case spec::FieldKind::Int:
        return fallback.get<int64_t>() == int64_t(f.min) ? int64_t(f.min) + 1 : int64_t(f.min);
    case spec::FieldKind::Double: return 0.025;   // inside every range, below optim.lr and epochs
    case spec::FieldKind::String: return "another name";
    case spec::FieldKind::Folder: return "/srv/data";
    case spec::FieldKind::Choice: return f.choices.back() == fallback.get<std::string>() ? f.choices.front() : f.choices.back();
    case spec::FieldKind::Bool: return !fallback.get<bool>();
    case spec::FieldKind::IntList: return json::array({1, 3});
    }
    return fallback;
}

// A value of the controlling field under which the condition holds.
std::string holdingValue(const spec::FieldCondition& condition) {
    if (!condition.negated) return condition.values.front();
    for (const std::string& choice : spec::specField(condition.path).choices)
        if (condition.holds(choice)) return choice;
    return {};
}

void setAt(json& spec, const std::string& path, const json& value) {
    const auto dot = path.find('.');
    if (dot == std::string::npos) spec[path] = value;
    else spec[path.substr(0, dot)][path.substr(dot + 1)] = value;
}

const spec::SpecError* errorAt(const spec::ParseResult& r, const std::string& path) {
    for (const auto& e : r.errors)
        if (e.path == path) return &e;
    return nullptr;
}

}  // namespace

class TestSpecFields : public QObject {
    Q_OBJECT

private slots:
    void everyFieldRoundTripsAtItsDefaultAndAtAnotherValue() {
        for (const spec::SpecField& f : spec::specFields()) {
            for (const bool atDefault : {true, false}) {
                spec::RunSpec written = baseSpec();
                if (!f.appliesWhen.always())
                    spec::specField(f.appliesWhen.path).set(written, holdingValue(f.appliesWhen));
                const json value = atDefault ? f.defaultValue() : otherValue(f);
                if (f.path != "name" || !atDefault) f.set(written, value);
                if (written.data.name == "folder") written.data.root = "/images";   // the folder data set needs one
                const auto read = spec::parseRunSpec(spec::toJson(written));
                QVERIFY2(read.ok(), (f.path + ": " + read.errorText()).c_str());
                QCOMPARE(f.get(*read.spec), f.get(written));
                QVERIFY2(atDefault || f.get(*read.spec) != f.defaultValue(), f.path.c_str());
            }
            // The same value written by hand at the field's path: the reader, which maps keys to
            // members on its own, puts it where the table's accessor finds it.
            spec::RunSpec conditioned = baseSpec();
            if (!f.appliesWhen.always())
                spec::specField(f.appliesWhen.path).set(conditioned, holdingValue(f.appliesWhen));
            json document = spec::toJson(conditioned);
            // A new optimiser, schedule or data set: the fields that no longer apply go.
            for (const spec::SpecField& other : spec::specFields())
                if (other.appliesWhen.path == f.path && !other.appliesWhen.holds(otherValue(f).get<std::string>()))
                    document[other.object()].erase(other.key());
            setAt(document, f.path, otherValue(f));
            if (document["data"].value("name", "") == "folder") document["data"]["root"] = "/images";
            const auto read = spec::parseRunSpec(document);
            QVERIFY2(read.ok(), (f.path + ": " + read.errorText()).c_str());
            QCOMPARE(f.get(*read.spec), otherValue(f));
            QCOMPARE(spec::toJson(*read.spec)[json::json_pointer("/" + (f.object().empty() ? f.key() : f.object() + "/" + f.key()))],
                     otherValue(f));
        }
        // The table's defaults are RunSpec's, and the name's default is derived.
        QCOMPARE(spec::specField("epochs").defaultValue(), json(1));
        QCOMPARE(spec::specField("optim.lr").defaultValue(), json(0.05));
        QCOMPARE(spec::parseRunSpec(json::object()).spec->name, std::string("ce-resnet8"));
    }

    // toJson writes nothing beside the table but the teacher, the student and the method.
    void toJsonWritesOnlyTableFields() {
        spec::RunSpec spec = baseSpec();
        spec.checkpointMinutes = 5;
        spec.onNonFinite = "skip_step";
        spec.data.root = "/srv/data";
        const json out = spec::toJson(spec);
        std::set<std::string> written;
        for (auto it = out.begin(); it != out.end(); ++it) {
            if (it->is_object() && it.key() != "student" && it.key() != "method" && it.key() != "teacher") {
                for (auto inner = it->begin(); inner != it->end(); ++inner) written.insert(it.key() + "." + inner.key());
            } else {
                written.insert(it.key());
            }
        }
        for (const std::string& path : written)
            if (path != "student" && path != "method") QVERIFY2(spec::isSpecField(path), path.c_str());
        for (const spec::SpecField& f : spec::specFields())
            if (spec::applies(f, spec) && (f.writtenAtDefault || f.get(spec) != f.defaultValue()))
                QVERIFY2(written.count(f.path), f.path.c_str());
        // Fields added after specs were stored are left out at their defaults.
        const json plain = spec::toJson(baseSpec());
        QVERIFY(!plain.contains("checkpoint_minutes"));
        QVERIFY(!plain.contains("on_nonfinite"));
        QVERIFY(!plain["data"].contains("root"));
        QVERIFY(out.contains("checkpoint_minutes") && out.contains("on_nonfinite") && out["data"].contains("root"));
    }

    void eachApplicabilityRuleFiresExactlyWhenItsConditionFails() {
        int rules = 0;
        for (const spec::SpecField& f : spec::specFields()) {
            if (f.appliesWhen.always()) continue;
            ++rules;
            const spec::SpecField& controlling = spec::specField(f.appliesWhen.path);
            for (const std::string& value : controlling.choices) {
                json document = spec::toJson(baseSpec());
                setAt(document, controlling.path, value);
                setAt(document, f.path, f.kind == spec::FieldKind::IntList ? json::array({1, 2}) : f.defaultValue());
                const auto read = spec::parseRunSpec(document);
                const spec::SpecError* error = errorAt(read, f.path);
                const std::string context = f.path + " with " + controlling.path + " = " + value;
                if (f.appliesWhen.holds(value)) {
                    QVERIFY2(!error, (context + ": " + read.errorText()).c_str());
                } else {
                    QVERIFY2(error, context.c_str());
                    QCOMPARE(error->message, spec::notApplicableMessage(f, value));
                }
            }
        }
        // synthetic shape and sizes; pad and the folder's four; SGD's and AdamW's; milestones and min_lr
        QCOMPARE(rules, 6 + 5 + 5 + 2);

        // The messages, word for word as the reader wrote them before the table.
        const auto messageAt = [](const char* text, const std::string& path) {
            const auto read = spec::parseRunSpec(json::parse(text));
            const spec::SpecError* error = errorAt(read, path);
            return error ? error->message : std::string("(none)");
        };
        QCOMPARE(messageAt(R"({"data": {"name": "mnist", "root": "/d", "height": 32}})", "data.height"),
                 std::string("applies to the synthetic data set only; mnist has a fixed shape, remove this field"));
        QCOMPARE(messageAt(R"({"optim": {"name": "adamw", "nesterov": true}})", "optim.nesterov"),
                 std::string("does not apply to adamw; remove it"));
        QCOMPARE(messageAt(R"({"optim": {"eps": 0.1}})", "optim.eps"), std::string("does not apply to sgd; remove it"));
        QCOMPARE(messageAt(R"({"epochs": 4, "schedule": {"name": "constant", "milestones": [2]}})", "schedule.milestones"),
                 std::string("apply to the multistep schedule only; remove them"));
        QCOMPARE(messageAt(R"({"schedule": {"min_lr": 0}})", "schedule.min_lr"),
                 std::string("applies to the cosine schedule only; remove it"));
        // An empty list says nothing: no error.
        QCOMPARE(messageAt(R"({"schedule": {"name": "cosine", "milestones": []}})", "schedule.milestones"),
                 std::string("(none)"));
    }

    // Bounds come from the table, in the reader's words.
    void boundsAreTheTables() {
        const auto messageAt = [](const json& document, const std::string& path) {
            const auto read = spec::parseRunSpec(document);
            const spec::SpecError* error = errorAt(read, path);
            return error ? error->message : std::string("(none)");
        };
        QCOMPARE(messageAt({{"threads", 1025}}, "threads"), std::string("must be a whole number in [0, 1024], got 1025; 0 = all cores"));
        QCOMPARE(messageAt({{"threads", 1024}}, "threads"), std::string("(none)"));
        QCOMPARE(messageAt({{"checkpoint_minutes", 10081}}, "checkpoint_minutes"),
                 std::string("must be in [0, 10080] (0 = only at epoch ends; 10080 = a week), got 10081"));
        QCOMPARE(messageAt({{"optim", {{"momentum", 1}}}}, "optim.momentum"), std::string("must be in [0, 1), got 1"));
        QCOMPARE(messageAt({{"optim", {{"name", "adamw"}, {"eps", 0}}}}, "optim.eps"), std::string("must be in (0, 1], got 0"));
        QCOMPARE(messageAt({{"schedule", {{"gamma", 0}}}}, "schedule.gamma"), std::string("must be in (0, 1], got 0"));
        QCOMPARE(messageAt({{"data", {{"name", "synthetic"}, {"height", 27}}}}, "data.height"),
                 std::string("must be a whole number in [28, 4096], got 27"));
        QCOMPARE(spec::rangeText(spec::specField("optim.lr")), std::string("(0, 100]"));
        QVERIFY(!spec::inRange(spec::specField("optim.label_smoothing"), std::nan("")));
    }
};

QTEST_GUILESS_MAIN(TestSpecFields)
#include "test_spec_fields.moc"
