// Distillery's file type: every store carries Distillery's application_id in its SQLite header, the
// shared-mime-info package of resources/distillery-mime.xml recognises stores by it (whatever their
// name) and by the .distillery suffix, other SQLite files stay plain SQLite, and the desktop file
// claims only stores. Another program's SQLite file is refused, not filled with Distillery's tables.
#include <QFile>
#include <QMimeDatabase>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <sqlite3.h>

#include "store/Store.h"

namespace {

const QString kStoreType = QStringLiteral("application/x-distillery-store");

// Runs SQL on a file with SQLite itself, bypassing Store; returns the first column of the last row.
qint64 rawSql(const QString& path, const char* sql) {
    sqlite3* db = nullptr;
    sqlite3_open(path.toUtf8().constData(), &db);
    sqlite3_stmt* statement = nullptr;
    qint64 value = -1;
    for (const char* rest = sql; rest && *rest;) {
        if (sqlite3_prepare_v2(db, rest, -1, &statement, &rest) != SQLITE_OK || !statement) break;
        while (sqlite3_step(statement) == SQLITE_ROW) value = sqlite3_column_int64(statement, 0);
        sqlite3_finalize(statement);
    }
    sqlite3_close(db);
    return value;
}

QByteArray headerBytes(const QString& path, qint64 offset, qint64 size) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return {};
    file.seek(offset);
    return file.read(size);
}

}  // namespace

class TestFileType : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QTemporaryDir xdgData_;

    QString path(const QString& name) const { return dir_.filePath(name); }
    QString newStore(const QString& name) const {
        distillery::store::Store store(path(name).toStdString());
        return path(name);
    }

private Q_SLOTS:
    void initTestCase() {
        // The system's MIME database as it is once the Debian package is installed: shared-mime-info's
        // own types and ours, compiled into one database (update-mime-database, as the package's
        // trigger runs it), in a data folder of this test's own. Qt reads the folders on its first
        // use of QMimeDatabase. (Two separate databases would not do: Qt lets the last folder's
        // magic win, whatever the priorities.)
        const QString packages = xdgData_.filePath(QStringLiteral("mime/packages"));
        QVERIFY(QDir().mkpath(packages));
        QVERIFY(QFile::copy(QStringLiteral(DISTILLERY_SOURCE_DIR "/resources/distillery-mime.xml"),
                            packages + QStringLiteral("/distillery.xml")));
        QVERIFY2(QFile::copy(QStringLiteral("/usr/share/mime/packages/freedesktop.org.xml"),
                             packages + QStringLiteral("/freedesktop.org.xml")),
                 "/usr/share/mime/packages/freedesktop.org.xml is missing: install shared-mime-info");
        QProcess update;
        update.start(QStringLiteral("update-mime-database"), {xdgData_.filePath(QStringLiteral("mime"))});
        QVERIFY2(update.waitForFinished(60000) && update.exitCode() == 0,
                 "update-mime-database (Debian package shared-mime-info) failed or is missing");
        qputenv("XDG_DATA_HOME", xdgData_.path().toUtf8());
        qputenv("XDG_DATA_DIRS", xdgData_.path().toUtf8());
    }

    void aNewStoreCarriesDistillerysApplicationId() {
        const QString file = path(QStringLiteral("new.distillery"));
        distillery::store::Store store(file.toStdString());
        // In the file's header itself (big-endian at byte 68), while the store is still open (an engine
        // training its first run), not only in the write-ahead log.
        QCOMPARE(headerBytes(file, 68, 4), QByteArray("DSTL"));
        QCOMPARE(rawSql(file, "PRAGMA application_id"), qint64(0x4453544C));
    }

    void anOlderStoreIsStampedWhenOpenedForWriting() {
        const QString store = newStore(QStringLiteral("older.sqlite"));
        rawSql(store, "PRAGMA application_id = 0");
        { distillery::store::Store readOnly(store.toStdString(), true); }
        QCOMPARE(rawSql(store, "PRAGMA application_id"), qint64(0));   // read-only writes nothing
        { distillery::store::Store writable(store.toStdString()); }
        QCOMPARE(rawSql(store, "PRAGMA application_id"), qint64(0x4453544C));
    }

    void anotherProgramsSqliteFileIsRefused() {
        const QString other = path(QStringLiteral("other.db"));
        rawSql(other, "PRAGMA application_id = 305419896; CREATE TABLE notes(text TEXT)");   // 0x12345678
        for (const bool readOnly : {false, true}) {
            try {
                distillery::store::Store store(other.toStdString(), readOnly);
                QFAIL("a file with another program's application_id opened as a store");
            } catch (const distillery::store::StoreError& error) {
                const QString message = QString::fromUtf8(error.what());
                QVERIFY2(message.contains(QStringLiteral("another program")) &&
                             message.contains(QStringLiteral("0x12345678")) && message.contains(other),
                         qPrintable(message));
            }
        }
        QCOMPARE(rawSql(other, "SELECT count(*) FROM sqlite_master"), qint64(1));   // untouched
    }

    void storesAreRecognisedByContentAndSuffix() {
        QMimeDatabase mimes;
        QVERIFY2(mimes.mimeTypeForName(kStoreType).isValid(), "the MIME package was not loaded");
        QVERIFY(mimes.mimeTypeForName(kStoreType).inherits(QStringLiteral("application/vnd.sqlite3")));
        // By name alone: a store that does not exist yet.
        QCOMPARE(mimes.mimeTypeForFile(path(QStringLiteral("future.distillery")), QMimeDatabase::MatchExtension).name(),
                 kStoreType);
        // By content, whatever the name: .sqlite (the earlier default), .db, none.
        for (const QString& name : {QStringLiteral("runs.sqlite"), QStringLiteral("runs.db"), QStringLiteral("runs")}) {
            const QString store = newStore(name);
            QCOMPARE(mimes.mimeTypeForFile(store).name(), kStoreType);
            QCOMPARE(mimes.mimeTypeForFile(store, QMimeDatabase::MatchContent).name(), kStoreType);
        }
    }

    void otherSqliteFilesStayPlainSqlite() {
        QMimeDatabase mimes;
        const QString plain = path(QStringLiteral("plain.sqlite"));
        rawSql(plain, "CREATE TABLE notes(text TEXT)");
        QCOMPARE(mimes.mimeTypeForFile(plain).name(), QStringLiteral("application/vnd.sqlite3"));
        const QString unnamed = path(QStringLiteral("plain"));
        rawSql(unnamed, "CREATE TABLE notes(text TEXT)");
        QCOMPARE(mimes.mimeTypeForFile(unnamed, QMimeDatabase::MatchContent).name(),
                 QStringLiteral("application/vnd.sqlite3"));
    }

    void theDesktopFileClaimsOnlyStores() {
        QFile desktop(QStringLiteral(DISTILLERY_SOURCE_DIR "/resources/distillery.desktop"));
        QVERIFY(desktop.open(QIODevice::ReadOnly | QIODevice::Text));
        QStringList mimeLines;
        for (const QByteArray& line : desktop.readAll().split('\n'))
            if (line.startsWith("MimeType=")) mimeLines << QString::fromUtf8(line);
        QCOMPARE(mimeLines, QStringList{QStringLiteral("MimeType=application/x-distillery-store;")});
    }

    // The desktop file and the AppStream metadata pass their validators (as lintian and software
    // centres read them).
    void theDesktopMetadataValidates() {
        const QList<QStringList> checks = {
            {QStringLiteral("desktop-file-validate"), QStringLiteral(DISTILLERY_SOURCE_DIR "/resources/distillery.desktop")},
            {QStringLiteral("appstreamcli"), QStringLiteral("validate"), QStringLiteral("--no-net"),
             QStringLiteral(DISTILLERY_SOURCE_DIR "/resources/io.github.distillery.Distillery.metainfo.xml")}};
        for (QStringList check : checks) {
            QProcess validator;
            const QString program = check.takeFirst();
            validator.setProcessChannelMode(QProcess::MergedChannels);
            validator.start(program, check);
            QVERIFY2(validator.waitForFinished(60000), qPrintable(program + QStringLiteral(" did not run")));
            QVERIFY2(validator.exitCode() == 0, qPrintable(program + QStringLiteral(": ") + validator.readAll()));
        }
    }
};

QTEST_GUILESS_MAIN(TestFileType)
#include "test_file_type.moc"
