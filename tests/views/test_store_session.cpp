// The StoreSession: what the window's store does without any widget. Opening, switching and failing
// to open a store; queueing all of an experiment or nothing; deleting runs with their checkpoint
// files; the stores remembered for File ▸ Open recent.
#include <QFile>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "RunScheduler.h"
#include "StoreSession.h"
#include "TestPrinters.h"
#include "store/Store.h"

using namespace distillery;
using distillery::views::StoreSession;

namespace {

QByteArray specNamed(const char* name, const char* extra = "") {
    return QByteArray(R"({"name": ")") + name + R"(",
        "data": {"name": "synthetic", "channels": 1, "height": 28, "width": 28, "num_classes": 4,
                 "train_size": 256, "test_size": 64, "val_size": 64},
        "student": {"model": "tinycnn"}, "method": {"name": "ce"}, "epochs": 1, "batch_size": 32)" +
           extra + "}";
}

StoreSession::Options watchOnly() {
    StoreSession::Options options;
    options.trainQueuedRuns = false;   // nothing here starts an engine
    options.pollIntervalMs = 50;
    return options;
}

}  // namespace

class TestStoreSession : public QObject {
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> dir_;
    QString path(const char* name) const { return dir_->filePath(QLatin1String(name)); }

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void init() {
        dir_ = std::make_unique<QTemporaryDir>();
        QVERIFY(dir_->isValid());
    }

    void opensSwitchesAndKeepsTheStoreWhenAnotherFails() {
        StoreSession session(watchOnly());
        QSignalSpy opened(&session, &StoreSession::opened);
        QSignalSpy closed(&session, &StoreSession::closed);
        QString error;
        QVERIFY2(session.open(path("a.sqlite"), 1, &error), qPrintable(error));
        QVERIFY(session.isOpen() && session.store() && session.scheduler() && session.feed());
        QCOMPARE(session.path(), QFileInfo(path("a.sqlite")).absoluteFilePath());
        QCOMPARE(opened.count(), 1);
        QCOMPARE(closed.count(), 0);   // nothing was open before

        // A file that cannot be a store: refused with where and why, and the open one stays.
        QVERIFY(!session.open(path("missing-folder/b.sqlite"), 1, &error));
        QVERIFY2(error.contains(QLatin1String("Cannot open the results store")) && error.contains(QLatin1String("b.sqlite")),
                 qPrintable(error));
        QCOMPARE(session.path(), QFileInfo(path("a.sqlite")).absoluteFilePath());
        QCOMPARE(closed.count(), 0);

        QVERIFY(session.open(path("c.sqlite"), 3, &error));   // switching closes the first
        QCOMPARE(closed.count(), 1);
        QCOMPARE(opened.count(), 2);
        QCOMPARE(session.scheduler()->maxConcurrent(), 3);
        QCOMPARE(StoreSession::lastStorePath(), session.path());
        QCOMPARE(StoreSession::recentStores().mid(0, 2),
                 (QStringList{QFileInfo(path("c.sqlite")).absoluteFilePath(), QFileInfo(path("a.sqlite")).absoluteFilePath()}));

        session.close();
        QVERIFY(!session.isOpen() && !session.scheduler() && session.path().isEmpty());
        QCOMPARE(closed.count(), 2);
        QVERIFY(session.queueRunSpecs({specNamed("x")}, &error).isEmpty());
        QCOMPARE(error, QStringLiteral("No results store is open. Open or create one with File ▸ Open store… first."));
    }

    void remembersEightRecentStoresNewestFirst() {
        StoreSession session(watchOnly());
        QString error;
        for (int i = 0; i < 10; ++i)
            QVERIFY(session.open(path(QStringLiteral("s%1.sqlite").arg(i).toUtf8().constData()), 1, &error));
        QVERIFY(session.open(path("s4.sqlite"), 1, &error));   // opened again: first, once
        const QStringList recent = StoreSession::recentStores();
        QCOMPARE(recent.size(), 8);
        QCOMPARE(recent.first(), QFileInfo(path("s4.sqlite")).absoluteFilePath());
        QCOMPARE(recent.count(QFileInfo(path("s4.sqlite")).absoluteFilePath()), 1);
        QCOMPARE(recent.at(1), QFileInfo(path("s9.sqlite")).absoluteFilePath());
    }

    // Every spec is checked before any is queued: one wrong field queues nothing.
    void queuesAllSpecsOrNone() {
        StoreSession session(watchOnly());
        QString error;
        QVERIFY(session.open(path("q.sqlite"), 1, &error));
        QVERIFY(session.queueRunSpecs({specNamed("good"), specNamed("bad", R"(, "seed": "one")")}, &error).isEmpty());
        QVERIFY2(error.startsWith(QLatin1String("No run was queued; fix these fields first:")) &&
                     error.contains(QLatin1String("run 2:")) && error.contains(QLatin1String("seed")),
                 qPrintable(error));
        QVERIFY(session.store()->runs(false).empty());

        error.clear();
        const QList<qint64> ids = session.queueRunSpecs({specNamed("first"), specNamed("second")}, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(ids.size(), 2);
        QCOMPARE(session.store()->run(ids[0])->name, std::string("first"));
        QCOMPARE(session.store()->run(ids[1])->status, store::RunStatus::Queued);
        QVERIFY(session.scheduler()->pendingRuns().isEmpty());   // --no-queue: queued in the store only

        // A file queues the same way, and names itself when it is wrong.
        const QString file = path("experiment.json");
        QFile out(file);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(specNamed("bad-file", R"(, "seed": "one")"));
        out.close();
        QVERIFY(session.queueRunsFromSpecFile(file, &error).isEmpty());
        QVERIFY2(error.contains(QLatin1String("experiment.json has 1 error; no run was queued")), qPrintable(error));
    }

    void queuedRunsWaitForASlotWhenTheSessionTrains() {
        StoreSession::Options options = watchOnly();
        options.trainQueuedRuns = true;
        options.enginePath = path("no-such-engine");   // a start that fails keeps the runs queued
        StoreSession session(options);
        QString error;
        QVERIFY(session.open(path("t.sqlite"), 1, &error));
        QSignalSpy unavailable(&session, &StoreSession::engineUnavailable);
        const QList<qint64> ids = session.queueRunSpecs({specNamed("one"), specNamed("two")}, &error);
        QCOMPARE(ids.size(), 2);
        QTRY_VERIFY(unavailable.count() >= 1);
        QTRY_COMPARE(session.scheduler()->pendingRuns(), ids);
        QCOMPARE(session.store()->run(ids[0])->status, store::RunStatus::Queued);
    }

    // A study file queues its runs under the study; opened again it continues the same runs; another
    // file under the same study name is refused, naming the study, and queues nothing.
    void studyFilesQueueOnceAndContinue() {
        StoreSession session(watchOnly());
        QString error;
        QVERIFY(session.open(path("study.sqlite"), 1, &error));
        auto writeStudy = [&](const char* name, const char* seeds) {
            const QString file = path(name);
            QFile out(file);
            if (!out.open(QIODevice::WriteOnly)) qFatal("cannot write %s", name);
            out.write(QByteArray(R"({"study": "sweep", "base": )") + specNamed("s") +
                      R"(, "grid": {"optim.lr": [0.01, 0.1]}, "seeds": )" + seeds + "}");
            return file;
        };
        const QList<qint64> ids = session.queueRunsFromSpecFile(writeStudy("sweep.json", "[1, 2]"), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(ids.size(), 4);
        QCOMPARE(session.store()->run(ids[0])->study, std::string("sweep"));
        QCOMPARE(session.store()->studyRuns(session.store()->studyNamed("sweep")->id).size(), size_t(4));
        QCOMPARE(session.queueRunsFromSpecFile(path("sweep.json"), &error), ids);
        QCOMPARE(session.store()->runs(false).size(), size_t(4));
        QVERIFY(session.queueRunsFromSpecFile(writeStudy("other.json", "[1, 2, 3]"), &error).isEmpty());
        QVERIFY2(error.contains(QStringLiteral("The study “sweep” of")) &&
                     error.contains(QLatin1String("\"sweep\" is already a study")),
                 qPrintable(error));
        QCOMPARE(session.store()->runs(false).size(), size_t(4));
    }

    void deletesRunsWithTheirCheckpointFiles() {
        StoreSession session(watchOnly());
        QString error;
        QVERIFY(session.open(path("d.sqlite"), 1, &error));
        const QList<qint64> ids = session.queueRunSpecs({specNamed("keep"), specNamed("drop")}, &error);
        QCOMPARE(ids.size(), 2);
        const QString weights = path("drop-last.pt");
        QFile file(weights);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("weights");
        file.close();
        store::CheckpointRow checkpoint;
        checkpoint.runId = ids[1];
        checkpoint.kind = "last";
        checkpoint.path = weights.toStdString();
        session.store()->addCheckpoint(checkpoint);

        QVERIFY2(session.deleteRuns({ids[1]}, &error), qPrintable(error));
        QVERIFY(!session.store()->run(ids[1]).has_value());
        QVERIFY(!QFile::exists(weights));
        QVERIFY(session.store()->run(ids[0]).has_value());
    }
};

QTEST_GUILESS_MAIN(TestStoreSession)
#include "test_store_session.moc"
