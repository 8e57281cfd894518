#include "PairDescriber.h"

#include <QTimer>

namespace distillery::views {

PairDescriber::PairDescriber(const QString& enginePath, QObject* parent)
    : QObject(parent), enginePath_(enginePath), debounce_(new QTimer(this)) {
    qRegisterMetaType<PairDescription>();
    debounce_->setSingleShot(true);
    debounce_->setInterval(kDefaultDebounceMs);
    connect(debounce_, &QTimer::timeout, this, &PairDescriber::startEngine);
}

PairDescriber::~PairDescriber() {
    if (running_) {
        running_->disconnect(this);
        running_->kill();
        running_->waitForFinished(1000);
    }
}

void PairDescriber::setDebounceMs(int milliseconds) { debounce_->setInterval(milliseconds); }

void PairDescriber::request(const QByteArray& specJson) {
    pendingSpec_ = specJson;
    // A running engine describes a spec that is already out of date.
    if (running_) retire(running_);
    debounce_->start();
}

void PairDescriber::cancel() {
    debounce_->stop();
    if (running_) retire(running_);
}

bool PairDescriber::isBusy() const { return debounce_->isActive() || running_; }

void PairDescriber::retire(QProcess* process) {
    process->disconnect(this);
    if (process == running_) running_ = nullptr;
    if (process->state() == QProcess::NotRunning) {
        process->deleteLater();
        return;
    }
    connect(process, &QProcess::finished, process, &QObject::deleteLater);
    process->kill();
}

void PairDescriber::startEngine() {
    auto* process = new QProcess(this);
    running_ = process;
    QStringList arguments{QStringLiteral("describe"), QStringLiteral("--spec"), QStringLiteral("-")};
    if (!storePath_.isEmpty()) arguments << QStringLiteral("--db") << storePath_;
    connect(process, &QProcess::finished, this,
            [this, process](int exitCode, QProcess::ExitStatus status) { onFinished(process, exitCode, status); });
    connect(process, &QProcess::errorOccurred, this,
            [this, process](QProcess::ProcessError error) { onProcessError(process, error); });
    process->start(enginePath_, arguments);
    // The spec goes through stdin: no temporary file to clean up. Written before the process has
    // started, QProcess buffers it.
    process->write(pendingSpec_);
    process->closeWriteChannel();
}

void PairDescriber::onFinished(QProcess* process, int exitCode, QProcess::ExitStatus status) {
    if (process != running_) return;
    running_ = nullptr;
    process->deleteLater();
    const QByteArray out = process->readAllStandardOutput();
    const QString err = QString::fromUtf8(process->readAllStandardError()).trimmed();
    if (status == QProcess::CrashExit) {
        emit failed(tr("The engine crashed while describing the pair%1").arg(err.isEmpty() ? QString() : QStringLiteral(": ") + err));
        return;
    }
    if (exitCode != 0) {
        emit failed(tr("The engine could not describe the pair (exit code %1)%2")
                        .arg(exitCode)
                        .arg(err.isEmpty() ? QString() : QStringLiteral(": ") + err));
        return;
    }
    QString error;
    const auto description = PairDescription::fromJson(out, &error);
    if (description) emit described(*description);
    else emit failed(error);
}

void PairDescriber::onProcessError(QProcess* process, QProcess::ProcessError error) {
    if (error != QProcess::FailedToStart || process != running_) return;   // the rest end in finished()
    running_ = nullptr;
    process->deleteLater();
    emit failed(tr("Cannot start the engine \"%1\" to describe the pair: %2. Build the distillery-engine target "
                   "(it belongs next to the distillery executable) or set DISTILLERY_ENGINE to its path.")
                    .arg(enginePath_, process->errorString()));
}

}  // namespace distillery::views
