#pragma once
// The run-status icons and the application icon, drawn as SVG in resources/distillery.qrc.
#include <QIcon>
#include <QString>

#include "store/StoreTypes.h"

namespace distillery::views {

class StatusIcons {
public:
    static QIcon forStatus(store::RunStatus status);
    static QIcon application();
    static QString statusName(store::RunStatus status);   // "queued", "running", …

private:
    static QIcon load(const QString& resourcePath);
};

}  // namespace distillery::views
