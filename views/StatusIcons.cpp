#include "StatusIcons.h"

#include <QFile>
#include <QHash>
#include <QPainter>
#include <QSvgRenderer>
#include <QImageReader>
#include <QtGlobal>

// The resources live in a static library: the linker drops their registration unless something
// references it, hence Q_INIT_RESOURCE (which must be called outside any namespace).
static void initDistilleryResources() {
    static const bool initialised = [] {
        Q_INIT_RESOURCE(distillery);
        return true;
    }();
    Q_UNUSED(initialised);
}

namespace distillery::views {

QIcon StatusIcons::load(const QString& resourcePath) {
    initDistilleryResources();
    static QHash<QString, QIcon> cache;
    auto it = cache.find(resourcePath);
    if (it != cache.end()) return *it;
    // SVG needs Qt's svg plugins (Debian: libqt6svg6). Without them the table still shows the
    // status as text; say once what is missing instead of showing blank icons silently.
    static const bool svgSupported = QImageReader::supportedImageFormats().contains("svg");
    if (!svgSupported) {
        static bool warned = false;
        if (!warned) {
            qWarning("distillery: Qt cannot read SVG, so run-status icons are not shown. "
                     "Install the Qt 6 SVG plugins (Debian: apt install libqt6svg6).");
            warned = true;
        }
    }
    QIcon icon(resourcePath);
    cache.insert(resourcePath, icon);
    return icon;
}

QIcon StatusIcons::forStatus(store::RunStatus status) {
    return load(QStringLiteral(":/icons/status-%1.svg").arg(statusName(status)));
}

QIcon StatusIcons::action(const QString& name, const QPalette& palette) {
    initDistilleryResources();
    const QColor colour = palette.color(QPalette::Active, QPalette::ButtonText);
    const QString cacheKey = name + colour.name();
    static QHash<QString, QIcon> cache;
    auto it = cache.find(cacheKey);
    if (it != cache.end()) return *it;
    QFile file(QStringLiteral(":/icons/action-%1.svg").arg(name));
    if (!file.open(QIODevice::ReadOnly)) return {};
    QByteArray svg = file.readAll();
    svg.replace("currentColor", colour.name().toLatin1());
    QSvgRenderer renderer(svg);
    QIcon icon;
    for (int size : {16, 24, 32, 48}) {
        QPixmap pixmap(size, size);
        pixmap.fill(Qt::transparent);
        QPainter painter(&pixmap);
        renderer.render(&painter);
        painter.end();
        icon.addPixmap(pixmap);
    }
    cache.insert(cacheKey, icon);
    return icon;
}

QIcon StatusIcons::application() { return load(QStringLiteral(":/icons/distillery.svg")); }

QString StatusIcons::statusName(store::RunStatus status) {
    switch (status) {
        case store::RunStatus::Queued: return QStringLiteral("queued");
        case store::RunStatus::Running: return QStringLiteral("running");
        case store::RunStatus::Finished: return QStringLiteral("finished");
        case store::RunStatus::Failed: return QStringLiteral("failed");
        case store::RunStatus::Killed: return QStringLiteral("killed");
    }
    return QStringLiteral("unknown");
}

}  // namespace distillery::views
