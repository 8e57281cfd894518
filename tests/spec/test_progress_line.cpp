// The engine's progress line (spec/ProgressLine.h), the one protocol between the engine's stdout and
// the GUI's run queue: what the engine writes reads back the same, and nothing else reads as progress.
#include <QtTest>

#include "spec/ProgressLine.h"

using namespace distillery::spec;

class TestProgressLine : public QObject {
    Q_OBJECT

private slots:
    void roundTripsEveryField() {
        ProgressLine written;
        written.runId = 7;
        written.runName = "kd-r8";
        written.phase = "eval";
        written.epoch = 2;
        written.epochs = 5;
        written.step = 120;
        written.totalSteps = 4300;
        written.loss = 0.53;
        written.trainAcc = 81.2;
        written.valAcc = 79.5;
        written.etaSeconds = 312.5;
        written.fraction = 0.028;
        written.imagesPerSecond = 410;
        const std::string line = toJson(written).dump();
        QVERIFY2(line.find('\n') == std::string::npos, line.c_str());   // one line, whatever the values
        const std::optional<ProgressLine> read = parseProgressLine(line);
        QVERIFY(read);
        QCOMPARE(read->runId, int64_t{7});
        QCOMPARE(read->runName, std::string());   // the terminal's label is not part of the line
        QCOMPARE(read->phase, std::string("eval"));
        QCOMPARE(read->epoch, int64_t{2});
        QCOMPARE(read->epochs, int64_t{5});
        QCOMPARE(read->step, int64_t{120});
        QCOMPARE(read->totalSteps, int64_t{4300});
        QCOMPARE(read->loss, 0.53);
        QCOMPARE(read->trainAcc, 81.2);
        QCOMPARE(read->valAcc, 79.5);
        QCOMPARE(read->etaSeconds, 312.5);
        QCOMPARE(read->fraction, 0.028);
        QCOMPARE(read->imagesPerSecond, 410.0);
    }

    // The field names are the protocol: an engine and a GUI built apart must agree on them.
    void writesTheDocumentedFieldNames() {
        ProgressLine progress;
        progress.runId = 3;
        progress.phase = "train";
        const nlohmann::json json = toJson(progress);
        for (const char* key : {"type", "run", "epoch", "epochs", "step", "total_steps", "loss", "acc", "val_acc",
                                "eta_s", "progress", "images_per_s", "phase"})
            QVERIFY2(json.contains(key), key);
        QCOMPARE(json.size(), size_t{13});
        QCOMPARE(json.at("type").get<std::string>(), std::string("progress"));
        QCOMPARE(json.at("run").get<int64_t>(), int64_t{3});
    }

    void readsALineOfAnotherWriter() {
        // As the GUI's stand-in engines print it: no phase, val_acc or speed; whole numbers as decimals.
        const auto read = parseProgressLine(
            R"({"type":"progress","run":9,"epoch":1.0,"epochs":4,"step":10,"total_steps":40,"loss":1.5,"acc":50,"progress":0.25})");
        QVERIFY(read);
        QCOMPARE(read->runId, int64_t{9});
        QCOMPARE(read->epoch, int64_t{1});
        QCOMPARE(read->trainAcc, 50.0);
        QCOMPARE(read->valAcc, -1.0);        // no evaluation yet
        QCOMPARE(read->etaSeconds, -1.0);    // unknown, not "done"
        QCOMPARE(read->imagesPerSecond, 0.0);
        QCOMPARE(read->fraction, 0.25);
    }

    void ignoresWhatIsNotAProgressLine() {
        for (const char* stray : {"", "not a progress line", "[1,2,3]", "42", "\"progress\"", "{\"type\":\"log\",\"run\":1}",
                                  "{\"run\":1,\"progress\":0.5}", "{\"type\":7}", "{\"type\":\"progress\",\"run\":1",
                                  "{\"type\":\"progress\"} trailing"})
            QVERIFY2(!parseProgressLine(stray), stray);
        // Nesting deep enough to overflow a recursive reader is refused before it is parsed.
        const std::string deep = "{\"type\":\"progress\",\"x\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
        QVERIFY(!parseProgressLine(deep));
    }

    void readsMistypedFieldsAsTheirDefaults() {
        const auto read = parseProgressLine(
            R"({"type":"progress","run":"seven","epoch":1.5,"step":-3,"loss":"low","progress":7,"eta_s":null,"phase":3})");
        QVERIFY(read);
        QCOMPARE(read->runId, int64_t{0});   // names no run
        QCOMPARE(read->epoch, int64_t{0});   // not a whole number
        QCOMPARE(read->step, int64_t{-3});
        QCOMPARE(read->loss, 0.0);
        QCOMPARE(read->fraction, 1.0);       // clamped
        QCOMPARE(read->etaSeconds, -1.0);
        QCOMPARE(read->phase, std::string());
        const auto huge = parseProgressLine(R"({"type":"progress","run":18446744073709551615,"step":1e300})");
        QVERIFY(huge);
        QCOMPARE(huge->runId, int64_t{0});
        QCOMPARE(huge->step, int64_t{0});
    }
};

QTEST_GUILESS_MAIN(TestProgressLine)
#include "test_progress_line.moc"
