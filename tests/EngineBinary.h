#pragma once
// The distillery-engine the build put beside the test executables, for the suites that drive it.
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QString>
#include <QStringList>

#include <nlohmann/json.hpp>

namespace distillery::testing {

inline QString builtEnginePath() {
    return QDir(QStringLiteral(DISTILLERY_BIN_DIR)).filePath(QStringLiteral("distillery-engine"));
}

// Empty when the engine is there; else what is missing and how to fix it.
inline QString missingEngineReason() {
    const QString path = builtEnginePath();
    return QFileInfo(path).isExecutable()
               ? QString()
               : QStringLiteral("the engine %1 is missing: build the distillery-engine target first").arg(path);
}

// What a program printed and how it ended; exitCode -1 when it crashed or did not end in time.
struct Ran {
    int exitCode = -1;
    QString out, err;
};
inline Ran runProgram(const QString& program, const QStringList& arguments, int timeoutMs = 120000) {
    QProcess process;
    process.start(program, arguments);
    Ran ran;
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        ran.err = program + " did not finish in time";
        return ran;
    }
    ran.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    ran.out = QString::fromUtf8(process.readAllStandardOutput());
    ran.err = QString::fromUtf8(process.readAllStandardError());
    return ran;
}

// Writes content (indented) to path and returns path; a file that cannot be written ends the test program.
inline QString writeJsonFile(const QString& path, const nlohmann::json& content) {
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly)) qFatal("cannot write %s", qPrintable(path));
    file.write(QByteArray::fromStdString(content.dump(2)));
    return path;
}

}  // namespace distillery::testing
