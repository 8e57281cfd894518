#pragma once
// The distillery-engine the build put beside the test executables, for the suites that drive it.
#include <QDir>
#include <QFileInfo>
#include <QString>

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

}  // namespace distillery::testing
