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
    // A menu icon, resources/icons/action-<name>.svg, drawn in the application palette's button-text
    // colour whenever it is painted, so it reads on light and dark palettes alike.
    static QIcon action(const QString& name);

private:
    static QIcon load(const QString& resourcePath);
};

}  // namespace distillery::views
