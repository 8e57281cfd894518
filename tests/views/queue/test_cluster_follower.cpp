// ClusterFollower against stand-ins for squeue, scancel and the engine (scripts that print what
// Slurm would, and log how they were called): Slurm's states become the Queue's words, the first
// merge takes whole submission folders and later ones only the shards that changed, a run that ended
// and left squeue is no longer followed, and Cancel names the run's task to scancel.
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include "ClusterFollower.h"
#include "store/ClusterJobs.h"
#include "store/Store.h"

using namespace distillery;
using namespace distillery::views;

namespace {

QString writeScript(const QString& path, const QString& body) {
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly)) qFatal("cannot write %s", qPrintable(path));
    file.write(("#!/bin/sh\n" + body + "\n").toUtf8());
    file.close();
    file.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    return path;
}

QStringList linesOf(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return {};
    return QString::fromUtf8(file.readAll()).split('\n', Qt::SkipEmptyParts);
}

}  // namespace

class TestClusterFollower : public QObject {
    Q_OBJECT
private slots:
    void followsSlurmsStatesAndMergesWhatChanged() {
        QTemporaryDir dir;
        const QString db = dir.filePath("main.sqlite"), root = dir.filePath("shared");
        store::Store main(db.toStdString());
        std::vector<int64_t> ids;
        for (const char* name : {"teacher", "student", "done"}) {
            store::NewRun run;
            run.name = name;
            run.specJson = "{}";
            ids.push_back(main.insertRun(run));
            store::recordClusterJob(main, ids.back(), root.toStdString());
        }
        store::setClusterJobTask(main, ids[0], "5_0");
        store::setClusterJobTask(main, ids[1], "6_0");
        store::setClusterJobTask(main, ids[2], "7_0");
        QVERIFY(main.claimRun(ids[2], 1, "node", ""));
        main.finishRun(ids[2], store::RunStatus::Finished);
        const QString teacherShard = QString::fromStdString(store::clusterJob(main, ids[0])->shardPath());
        QDir().mkpath(QFileInfo(teacherShard).path());
        writeScript(teacherShard, "");   // any file: the stand-in engine does not read it

        const QString squeue = writeScript(dir.filePath("squeue"), "echo '5_0|RUNNING|None'\necho '6_[0-3%2]|PENDING|Dependency'");
        const QString scancel = writeScript(dir.filePath("scancel"), "echo \"$@\" >> " + dir.filePath("scancel.log"));
        const QString engine = writeScript(dir.filePath("engine"), "echo \"$@\" >> " + dir.filePath("engine.log"));
        ClusterFollower follower(&main, db, engine);
        follower.setSlurmPrograms(squeue, scancel, QString());
        follower.setIntervalMs(50);

        QTRY_COMPARE(follower.statusText(ids[0]), QStringLiteral("on Slurm: running"));
        QCOMPARE(follower.statusText(ids[1]), QStringLiteral("on Slurm: waits for its teacher's job"));
        QCOMPARE(follower.followedRuns(), (QList<qint64>{ids[0], ids[1]}));   // "done" ended and left squeue
        QVERIFY(follower.isClusterRun(ids[2]));
        QVERIFY(follower.problem().isEmpty());
        // The first merge takes the submission folder whole.
        QTRY_VERIFY(!linesOf(dir.filePath("engine.log")).isEmpty());
        QCOMPARE(linesOf(dir.filePath("engine.log")).first(), "merge --db " + db + " " + root);

        // Later, only a shard that changed.
        QTRY_VERIFY(!follower.busy());
        QFile::remove(dir.filePath("engine.log"));
        QTest::qWait(300);
        QVERIFY(linesOf(dir.filePath("engine.log")).isEmpty());   // nothing changed: no merge
        writeScript(teacherShard, "# grown");
        QTRY_VERIFY(!linesOf(dir.filePath("engine.log")).isEmpty());
        QCOMPARE(linesOf(dir.filePath("engine.log")).first(), "merge --db " + db + " " + teacherShard);

        // Cancel names the task; a teacher's job that failed leaves its students never to start.
        follower.cancel(ids[1]);
        QTRY_COMPARE(linesOf(dir.filePath("scancel.log")), QStringList{"6_0"});
        writeScript(squeue, "echo '6_0|PENDING|DependencyNeverSatisfied'");
        QTRY_COMPARE(follower.statusText(ids[1]),
                     QStringLiteral("on Slurm: its teacher's job failed, so it never starts (cancel it, then submit again)"));
        // No squeue on this machine: said once, in words.
        follower.setSlurmPrograms(dir.filePath("no-such-squeue"), QString(), QString());
        QTRY_VERIFY(follower.problem().startsWith("squeue cannot be run here"));
    }
};

QTEST_MAIN(TestClusterFollower)
#include "test_cluster_follower.moc"
