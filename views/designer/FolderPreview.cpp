#include "FolderPreview.h"

#include <QFileInfo>
#include <QGridLayout>
#include <QImageReader>
#include <QLabel>
#include <QPixmap>
#include <QTimer>
#include <QToolButton>
#include <QHBoxLayout>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include "Counted.h"
#include "spec/ImageFolderListing.h"

namespace distillery::views {

namespace {

// The engine's problems start with the field they concern; under that field it goes without saying.
QString withoutFieldPrefix(const std::string& problem) {
    QString text = QString::fromStdString(problem);
    const QString prefix = QStringLiteral("data.root: ");
    if (text.startsWith(prefix)) text = text.mid(prefix.size());
    if (!text.isEmpty()) text[0] = text[0].toUpper();
    return text;
}

FolderScan::Thumbnail readThumbnail(const QString& className, const QString& path, int size) {
    FolderScan::Thumbnail thumbnail{className, path, {}, {}};
    QImageReader reader(path);
    reader.setAutoTransform(true);   // EXIF orientation, as a photo viewer shows it
    const QSize full = reader.size();
    if (full.isValid()) reader.setScaledSize(full.scaled(size, size, Qt::KeepAspectRatio));   // decodes small
    thumbnail.image = reader.read();
    if (thumbnail.image.isNull()) thumbnail.error = reader.errorString();
    return thumbnail;
}

}  // namespace

FolderScan scanImageFolder(const QString& root, int thumbnails, int thumbnailSize) {
    FolderScan scan;
    scan.root = root;
    const spec::ImageFolderListing listing = spec::listImageFolder(root.toStdString());
    scan.problem = withoutFieldPrefix(listing.problem);
    for (const auto& name : listing.classes) scan.classes << QString::fromStdString(name);
    scan.trainImages = qint64(listing.train.paths.size());
    scan.valImages = qint64(listing.val.paths.size());
    // The first image of each class, as the engine orders them: labels run class by class.
    int64_t previous = -1;
    for (size_t i = 0; i < listing.train.paths.size() && scan.thumbnails.size() < thumbnails; ++i) {
        const int64_t label = listing.train.labels[i];
        if (label == previous) continue;
        previous = label;
        scan.thumbnails << readThumbnail(scan.classes.value(int(label)),
                                         QString::fromStdString(listing.train.paths[i]), thumbnailSize);
    }
    return scan;
}

FolderPreview::FolderPreview(QWidget* parent) : QWidget(parent), pause_(new QTimer(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    summary_ = new QLabel;
    summary_->setWordWrap(true);
    summary_->setTextFormat(Qt::PlainText);
    summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* again = new QToolButton;
    again->setText(tr("Read again"));
    again->setToolTip(tr("Read the folder again, after adding or removing images"));
    connect(again, &QToolButton::clicked, this, &FolderPreview::readAgain);
    auto* top = new QHBoxLayout;
    top->addWidget(summary_, 1);
    top->addWidget(again, 0, Qt::AlignTop);
    layout->addLayout(top);
    grid_ = new QGridLayout;
    grid_->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(grid_);
    pause_->setSingleShot(true);
    pause_->setInterval(300);
    connect(pause_, &QTimer::timeout, this, &FolderPreview::startReading);
    connect(&watcher_, &QFutureWatcher<FolderScan>::finished, this, &FolderPreview::onRead);
}

void FolderPreview::setRoot(const QString& root) {
    if (rootSet_ && root == wanted_) return;
    rootSet_ = true;
    wanted_ = root;
    pause_->start();
}

void FolderPreview::readAgain() {
    if (rootSet_) pause_->start();
}

bool FolderPreview::isReading() const { return pause_->isActive() || reading_; }

QString FolderPreview::summaryText() const { return summary_->text(); }

void FolderPreview::startReading() {
    if (reading_) return;   // onRead starts the newest root when this read ends
    reading_ = true;
    const QString root = wanted_;
    watcher_.setFuture(QtConcurrent::run([root] { return scanImageFolder(root, kThumbnails, kThumbnailSize); }));
}

void FolderPreview::onRead() {
    reading_ = false;
    const FolderScan scan = watcher_.result();
    if (scan.root != wanted_) {   // typed on while it read: that is stale
        if (!pause_->isActive()) startReading();
        return;
    }
    show(scan);
}

void FolderPreview::show(const FolderScan& scan) {
    shown_ = scan;
    QStringList parts;
    if (!scan.classes.isEmpty()) {
        QStringList names = scan.classes.mid(0, 5);
        QString classes = counted(scan.classes.size(), tr("class"), tr("classes")) + " (" + names.join(", ");
        if (scan.classes.size() > names.size()) classes += tr(" and %1 more").arg(scan.classes.size() - names.size());
        parts << classes + ")";
        parts << counted(scan.trainImages, tr("training image"), tr("training images"));
        if (scan.problem.isEmpty())
            parts << counted(scan.valImages, tr("validation image"), tr("validation images")) + tr(" (the test split)");
    }
    QString text = parts.join(QStringLiteral(" · "));
    if (!scan.problem.isEmpty()) text += (text.isEmpty() ? QString() : QStringLiteral("\n")) + scan.problem;
    summary_->setText(text);

    while (QLayoutItem* item = grid_->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    const int columns = 4;
    for (int i = 0; i < scan.thumbnails.size(); ++i) {
        const FolderScan::Thumbnail& t = scan.thumbnails[i];
        auto* cell = new QLabel;
        cell->setAlignment(Qt::AlignCenter);
        cell->setFixedWidth(kThumbnailSize + 16);
        const QString name = QFileInfo(t.path).fileName();
        if (t.image.isNull()) {
            cell->setText(tr("(unreadable)"));
            cell->setToolTip(tr("%1 cannot be decoded: %2").arg(t.path, t.error));
        } else {
            cell->setPixmap(QPixmap::fromImage(t.image));
            cell->setToolTip(tr("%1 — %2 (%3×%4 shown)").arg(t.className, t.path).arg(t.image.width()).arg(t.image.height()));
        }
        auto* caption = new QLabel;
        caption->setAlignment(Qt::AlignHCenter | Qt::AlignTop);
        caption->setFixedWidth(kThumbnailSize + 16);
        caption->setText(caption->fontMetrics().elidedText(t.className, Qt::ElideRight, kThumbnailSize + 16));
        caption->setToolTip(t.className + " — " + name);
        grid_->addWidget(cell, 2 * (i / columns), i % columns);
        grid_->addWidget(caption, 2 * (i / columns) + 1, i % columns);
    }
    emit previewed(scan.root);
}

}  // namespace distillery::views
