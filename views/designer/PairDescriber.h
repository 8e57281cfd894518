#pragma once
// Asks `distillery-engine describe --spec -` what a spec's pair looks like, off the GUI thread: the
// engine is a child process, its answer arrives through signals. Requests are debounced (the form
// asks on every keystroke; the engine runs once the typing pauses), and a newer request supersedes
// one still running, whose answer is never emitted.
#include <QByteArray>
#include <QObject>
#include <QPointer>
#include <QProcess>
#include <QString>

#include "PairDescription.h"

class QTimer;

namespace distillery::views {

class PairDescriber : public QObject {
    Q_OBJECT
public:
    static constexpr int kDefaultDebounceMs = 300;

    explicit PairDescriber(const QString& enginePath, QObject* parent = nullptr);
    ~PairDescriber() override;

    QString enginePath() const { return enginePath_; }
    // The store whose finished runs a teacher run_id/run_name refers to; "" = none.
    void setStorePath(const QString& storePath) { storePath_ = storePath; }
    QString storePath() const { return storePath_; }
    void setDebounceMs(int milliseconds);

    // Describes specJson once no newer request came for the debounce time.
    void request(const QByteArray& specJson);
    // Drops the pending request and stops a running engine; nothing is emitted for them.
    void cancel();
    bool isBusy() const;   // a request waits for its debounce or its engine

signals:
    void described(const distillery::views::PairDescription& description);
    // The engine could not be started, crashed or answered something unreadable; message says which.
    void failed(const QString& message);

private:
    void startEngine();
    void onFinished(QProcess* process, int exitCode, QProcess::ExitStatus status);
    void onProcessError(QProcess* process, QProcess::ProcessError error);
    void retire(QProcess* process);

    QString enginePath_;
    QString storePath_;
    QTimer* debounce_;
    QByteArray pendingSpec_;
    QPointer<QProcess> running_;
};

}  // namespace distillery::views
