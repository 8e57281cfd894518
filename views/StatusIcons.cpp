#include "StatusIcons.h"

#include <QFile>
#include <QGuiApplication>
#include <QIconEngine>
#include <QHash>
#include <QPainter>
#include <QPalette>
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

namespace {

// Draws an action's SVG in the application palette's button-text colour each time it is painted,
// so the icons follow a switch between light and dark palettes while the app runs.
class PaletteIconEngine : public QIconEngine {
public:
    explicit PaletteIconEngine(QByteArray svg) : svg_(std::move(svg)) {}
    QIconEngine* clone() const override { return new PaletteIconEngine(svg_); }
    void paint(QPainter* painter, const QRect& rect, QIcon::Mode mode, QIcon::State) override {
        const QPalette palette = QGuiApplication::palette();
        const QColor colour = palette.color(mode == QIcon::Disabled ? QPalette::Disabled : QPalette::Active,
                                            QPalette::ButtonText);
        QByteArray svg = svg_;
        svg.replace("currentColor", colour.name().toLatin1());
        QSvgRenderer(svg).render(painter, rect);
    }
    QPixmap pixmap(const QSize& size, QIcon::Mode mode, QIcon::State state) override {
        QPixmap pixmap(size);
        pixmap.fill(Qt::transparent);
        QPainter painter(&pixmap);
        paint(&painter, QRect(QPoint(0, 0), size), mode, state);
        return pixmap;
    }

private:
    QByteArray svg_;
};

}  // namespace

QIcon StatusIcons::action(const QString& name) {
    initDistilleryResources();
    QFile file(QStringLiteral(":/icons/action-%1.svg").arg(name));
    if (!file.open(QIODevice::ReadOnly)) return {};
    return QIcon(new PaletteIconEngine(file.readAll()));
}

QIcon StatusIcons::application() { return load(QStringLiteral(":/icons/distillery.svg")); }

QString StatusIcons::statusName(store::RunStatus status) {
    switch (status) {
        case store::RunStatus::Queued: return QStringLiteral("queued");
        case store::RunStatus::Running: return QStringLiteral("running");
        case store::RunStatus::Finished: return QStringLiteral("finished");
        case store::RunStatus::Failed: return QStringLiteral("failed");
        case store::RunStatus::Killed: return QStringLiteral("killed");
        case store::RunStatus::Pruned: return QStringLiteral("pruned");
    }
    return QStringLiteral("unknown");
}

}  // namespace distillery::views
