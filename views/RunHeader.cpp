#include "RunHeader.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QVBoxLayout>

#include "Counted.h"
#include "PlainText.h"
#include "StatusIcons.h"

namespace distillery::views {

RunHeader::RunHeader(QWidget* parent) : QWidget(parent) {
    icon_ = new QLabel(this);
    name_ = new QLabel(this);
    QFont bold = name_->font();
    bold.setBold(true);
    bold.setPointSizeF(bold.pointSizeF() * 1.15);
    name_->setFont(bold);
    name_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    status_ = new QLabel(this);
    // Names, devices and errors are the user's text: shown as written, never as markup.
    for (QLabel* label : {name_, status_}) label->setTextFormat(Qt::PlainText);
    progress_ = new QProgressBar(this);
    progress_->setRange(0, 1000);
    progress_->setFormat(QStringLiteral("%p%"));
    progress_->setMaximumWidth(260);
    progress_->setMinimumWidth(140);
    eta_ = new QLabel(this);
    error_ = new QLabel(this);
    error_->setTextFormat(Qt::PlainText);
    error_->setWordWrap(true);
    error_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QPalette errorPalette = error_->palette();
    // Qt's palette has no error role: use the failed icon's vermillion, legible on light and dark.
    errorPalette.setColor(QPalette::WindowText, QColor(0xD5, 0x5E, 0x00));
    error_->setPalette(errorPalette);

    auto* line = new QHBoxLayout;
    line->addWidget(icon_);
    line->addWidget(name_);
    line->addSpacing(12);
    line->addWidget(status_);
    line->addStretch(1);
    line->addWidget(progress_);
    line->addWidget(eta_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 4, 6, 2);
    layout->addLayout(line);
    layout->addWidget(error_);

    showRun(nullptr, std::nullopt);
}

void RunHeader::showRun(const RunListEntry* entry, const std::optional<RunProgress>& live) {
    if (!entry) {
        icon_->clear();
        name_->setText(tr("No run selected"));
        status_->clear();
        progress_->setVisible(false);
        eta_->clear();
        error_->setVisible(false);
        return;
    }
    const store::RunRow& run = entry->run;
    icon_->setPixmap(StatusIcons::forStatus(run.status).pixmap(16, 16));
    name_->setText(QString::fromStdString(run.name));

    QString status = StatusIcons::statusName(run.status);
    if (live && run.status == store::RunStatus::Running && live->epochs > 0)
        status += tr(" · epoch %1 of %2").arg(live->epoch).arg(live->epochs);
    if (!run.device.empty()) status += QStringLiteral(" · ") + QString::fromStdString(run.device);
    if (!run.precision.empty()) status += QStringLiteral(" · ") + QString::fromStdString(run.precision);
    if (run.threads > 0) status += QStringLiteral(" · ") + counted(run.threads, tr("thread"), tr("threads"));
    if (const auto software = store::softwareDescription(run); !software.empty())
        status += QStringLiteral(" · ") + QString::fromStdString(software);
    status_->setText(status);

    const bool running = run.status == store::RunStatus::Running;
    double progress = run.progress;
    if (run.status == store::RunStatus::Finished) progress = 1.0;
    if (live && running) progress = live->fraction;
    progress_->setVisible(running || run.status == store::RunStatus::Finished);
    progress_->setValue(qBound(0, qRound(progress * 1000), 1000));

    // Time left: the engine's own estimate when the GUI runs it; otherwise extrapolated from the
    // time since start, for a run trained by another process.
    QString eta;
    if (running) {
        if (live && live->etaSeconds >= 0) {
            eta = tr("%1 left").arg(formatDuration(live->etaSeconds));
        } else if (run.startedAt && progress > 0.001) {
            const double elapsed = QDateTime::currentMSecsSinceEpoch() / 1000.0 - *run.startedAt;
            eta = tr("about %1 left").arg(formatDuration(elapsed * (1 - progress) / progress));
        } else {
            eta = tr("estimating time left…");
        }
    } else if (run.startedAt && run.finishedAt) {
        eta = tr("took %1").arg(formatDuration(*run.finishedAt - *run.startedAt));
    }
    eta_->setText(eta);

    error_->setText(QString::fromStdString(run.error).section(QLatin1Char('\n'), 0, 2));
    error_->setToolTip(plainToolTip(QString::fromStdString(run.error)));
    error_->setVisible(!run.error.empty());
}

QString RunHeader::nameText() const { return name_->text(); }
QString RunHeader::statusText() const { return status_->text(); }
QString RunHeader::etaText() const { return eta_->text(); }
int RunHeader::progressPermille() const { return progress_->value(); }

QString RunHeader::formatDuration(double seconds) {
    const qint64 total = qMax<qint64>(0, qRound64(seconds));
    const qint64 hours = total / 3600, minutes = (total % 3600) / 60, secs = total % 60;
    if (hours > 0) return tr("%1 h %2 min").arg(hours).arg(minutes, 2, 10, QLatin1Char('0'));
    if (minutes > 0) return tr("%1 min %2 s").arg(minutes).arg(secs);
    return tr("%1 s").arg(secs);
}

}  // namespace distillery::views
