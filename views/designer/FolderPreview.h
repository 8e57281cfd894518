#pragma once
// The Data section's look into an image folder (data.name "folder"): how many classes and images
// ROOT/train and ROOT/val hold, and the first image of each of the first classes under its class
// name, so that a researcher sees before queuing that the folder is the one they meant (and that its
// images are what they think). The folder is read on a worker thread, since listing ImageNet's 1.3
// million files takes seconds; a root typed while one is read is read next, after a short pause.
#include <QFutureWatcher>
#include <QImage>
#include <QList>
#include <QString>
#include <QStringList>
#include <QWidget>

class QGridLayout;
class QLabel;
class QTimer;

namespace distillery::views {

// What scanImageFolder found under a root.
struct FolderScan {
    QString root;
    QString problem;           // why the folder cannot be trained on as it is; empty when it can
    QStringList classes;       // ROOT/train's class folders, in the engine's (sorted) order
    qint64 trainImages = 0;    // *.jpg|*.jpeg|*.png files under ROOT/train/CLASS
    qint64 valImages = 0;      // the same under ROOT/val/CLASS
    struct Thumbnail {
        QString className;
        QString path;          // the class's first image, as the engine orders its files
        QImage image;          // scaled to fit thumbnailSize × thumbnailSize; null when unreadable
        QString error;         // the decoder's message when it is
    };
    QList<Thumbnail> thumbnails;
};

// Lists ROOT/train and ROOT/val as the engine's ImageFolder does (spec::imageFolderClasses and
// imageFolderFiles) and decodes the first image of each of the first `thumbnails` classes. No widgets:
// it runs on a worker thread.
FolderScan scanImageFolder(const QString& root, int thumbnails, int thumbnailSize);

class FolderPreview : public QWidget {
    Q_OBJECT
public:
    static constexpr int kThumbnails = 8;
    static constexpr int kThumbnailSize = 64;

    explicit FolderPreview(QWidget* parent = nullptr);

    // Reads root after a short pause (typing goes through here on every key); the same root again
    // does nothing.
    void setRoot(const QString& root);
    // Reads the same root again (files were added or removed).
    void readAgain();
    // Whether a read is waiting or under way: what is shown may be an older root's.
    bool isReading() const;

    // What is shown: the summary line ("10 classes (…) · 340 training images · 60 validation
    // images", or the problem), and the thumbnails with their captions.
    QString summaryText() const;
    const FolderScan& shown() const { return shown_; }

signals:
    // A root's scan is on screen.
    void previewed(const QString& root);

private:
    void startReading();
    void onRead();
    void show(const FolderScan& scan);

    QString wanted_;           // the root last set
    bool rootSet_ = false;     // setRoot was called: wanted_ is a root, maybe ""
    bool reading_ = false;     // a scan runs or its result is yet to be shown
    FolderScan shown_;
    QTimer* pause_;
    QFutureWatcher<FolderScan> watcher_;
    QLabel* summary_;
    QGridLayout* grid_;
};

}  // namespace distillery::views
