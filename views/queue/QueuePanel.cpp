#include "QueuePanel.h"

#include <algorithm>

#include <QFontDatabase>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QTableView>
#include <QVBoxLayout>

#include "ClusterFollower.h"
#include "Counted.h"
#include "PlainText.h"
#include "ProgressBarDelegate.h"
#include "QueueTableModel.h"
#include "RunHeader.h"
#include "RunScheduler.h"

namespace distillery::views {

QueuePanel::QueuePanel(QWidget* parent) : QWidget(parent), model_(new QueueTableModel(this)) {
    summary_ = new QLabel(this);
    summary_->setObjectName(QStringLiteral("queueSummary"));
    summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    concurrency_ = new QSpinBox(this);
    concurrency_->setObjectName(QStringLiteral("concurrency"));
    concurrency_->setRange(1, RunScheduler::kMaxConcurrentLimit);
    concurrency_->setValue(1);
    concurrency_->setToolTip(
        tr("How many runs train at the same time. The cores are shared out: with N, every run started afterwards "
           "gets 1/N of the cores (unless its spec sets \"threads\"), so N runs together take about as long as "
           "one after another, and a lone run uses only 1/N of them too. Raise this with several GPUs or to "
           "watch several runs progress together. A student never starts before its teacher run has finished. "
           "Lowering it never stops a training run."));
    auto* concurrencyLabel = new QLabel(tr("&Concurrent runs:"), this);
    concurrencyLabel->setBuddy(concurrency_);

    view_ = new QTableView(this);
    view_->setObjectName(QStringLiteral("queueTable"));
    view_->setModel(model_);
    view_->setSelectionBehavior(QAbstractItemView::SelectRows);
    view_->setSelectionMode(QAbstractItemView::SingleSelection);
    view_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view_->setItemDelegateForColumn(QueueTableModel::ProgressColumn, new ProgressBarDelegate(view_));
    view_->verticalHeader()->hide();
    view_->horizontalHeader()->setStretchLastSection(true);
    view_->horizontalHeader()->setSectionResizeMode(QueueTableModel::NameColumn, QHeaderView::Interactive);
    view_->setColumnWidth(QueueTableModel::NameColumn, 180);
    view_->setColumnWidth(QueueTableModel::StatusColumn, 200);
    view_->setColumnWidth(QueueTableModel::ProgressColumn, 120);
    view_->setColumnWidth(QueueTableModel::TimeColumn, 120);
    view_->setWordWrap(false);

    cancel_ = new QPushButton(tr("Cancel"), this);
    cancel_->setObjectName(QStringLiteral("cancelRun"));
    resume_ = new QPushButton(tr("Resume"), this);
    resume_->setObjectName(QStringLiteral("resumeRun"));
    retry_ = new QPushButton(tr("Retry"), this);
    retry_->setObjectName(QStringLiteral("retryRun"));

    failure_ = new QGroupBox(this);
    failure_->setObjectName(QStringLiteral("failureBox"));
    reason_ = new QLabel(failure_);
    reason_->setObjectName(QStringLiteral("failureReason"));
    reason_->setTextFormat(Qt::PlainText);   // reasons quote run names and paths as given
    reason_->setWordWrap(true);
    reason_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QPalette errorPalette = reason_->palette();
    // Qt's palette has no error role: the failed icon's vermillion reads on light and dark (RunHeader).
    errorPalette.setColor(QPalette::WindowText, QColor(0xD5, 0x5E, 0x00));
    reason_->setPalette(errorPalette);
    log_ = new QPlainTextEdit(failure_);
    log_->setObjectName(QStringLiteral("failureLog"));
    log_->setReadOnly(true);
    log_->setLineWrapMode(QPlainTextEdit::NoWrap);
    log_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    auto* failureLayout = new QVBoxLayout(failure_);
    failureLayout->addWidget(reason_);
    failureLayout->addWidget(log_, 1);
    failure_->setVisible(false);

    auto* top = new QHBoxLayout;
    top->addWidget(summary_, 1);
    top->addWidget(concurrencyLabel);
    top->addWidget(concurrency_);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(cancel_);
    buttons->addWidget(resume_);
    buttons->addWidget(retry_);
    buttons->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(view_, 2);
    layout->addLayout(buttons);
    layout->addWidget(failure_, 1);

    connect(concurrency_, &QSpinBox::valueChanged, this, [this](int runs) {
        if (scheduler_) scheduler_->setMaxConcurrent(runs);
        emit concurrencyChanged(runs);
    });
    connect(cancel_, &QPushButton::clicked, this, &QueuePanel::cancelSelectedRun);
    connect(resume_, &QPushButton::clicked, this, &QueuePanel::resumeSelectedRun);
    connect(retry_, &QPushButton::clicked, this, &QueuePanel::retrySelectedRun);
    connect(view_, &QTableView::doubleClicked, this, [this](const QModelIndex& index) {
        if (const qint64 runId = model_->runIdAt(index.row())) emit runActivated(runId);
    });
    // A reset (rows moved between groups) loses the selection: keep it by run id, also while the
    // run is briefly absent (cancelled, until the poller lists it as killed).
    connect(model_, &QAbstractItemModel::modelReset, this, [this] { selectRun(wantedSelection_); });
    connect(view_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) {
                if (current.isValid()) wantedSelection_ = model_->runIdAt(current.row());
                updateSelectionDetails();
            });

    refresh();
}

void QueuePanel::setScheduler(RunScheduler* scheduler) {
    if (scheduler_) scheduler_->disconnect(this);
    scheduler_ = scheduler;
    model_->setScheduler(scheduler);
    if (scheduler_) {
        const QSignalBlocker quiet(concurrency_);   // taking the scheduler's value is no user change
        concurrency_->setValue(scheduler_->maxConcurrent());
        connect(scheduler_, &RunScheduler::queueChanged, this, &QueuePanel::refresh);
        connect(scheduler_, &RunScheduler::progressed, this, &QueuePanel::refresh);
        connect(scheduler_, &RunScheduler::runStarted, this, &QueuePanel::refresh);
        connect(scheduler_, &RunScheduler::runEnded, this, &QueuePanel::refresh);
    }
    refresh();
}

void QueuePanel::setCluster(ClusterFollower* cluster) {
    if (cluster_) cluster_->disconnect(this);
    cluster_ = cluster;
    model_->setCluster(cluster);
    if (cluster_) {
        connect(cluster_, &ClusterFollower::changed, this, &QueuePanel::refresh);
        connect(cluster_, &ClusterFollower::commandFailed, this, &QueuePanel::errorOccurred);
    }
    refresh();
}

bool QueuePanel::isClusterRow(qint64 runId) const {
    return model_->groupOfRun(runId) == QueueTableModel::Group::Cluster;
}

bool QueuePanel::isEndedClusterRun(qint64 runId) const {
    return cluster_ && cluster_->isClusterRun(runId) && model_->groupOfRun(runId) == QueueTableModel::Group::Ended;
}

void QueuePanel::setRuns(const RunList& runs) {
    model_->setRuns(runs);
    updateSummary();
    updateSelectionDetails();
}

void QueuePanel::refresh() {
    model_->refresh();
    updateSummary();
    updateSelectionDetails();
}

qint64 QueuePanel::selectedRun() const {
    const QModelIndex current = view_->selectionModel()->currentIndex();
    if (!current.isValid() || !view_->selectionModel()->isRowSelected(current.row(), {})) return 0;
    return model_->runIdAt(current.row());
}

void QueuePanel::selectRun(qint64 runId) {
    wantedSelection_ = runId;
    const int row = model_->rowOfRun(runId);
    if (row < 0) {
        view_->selectionModel()->clearCurrentIndex();
        view_->clearSelection();
        updateSelectionDetails();
        return;
    }
    view_->selectionModel()->setCurrentIndex(model_->index(row, 0),
                                             QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    view_->scrollTo(model_->index(row, 0));
    updateSelectionDetails();
}

QString QueuePanel::summaryText() const { return summary_->text(); }

void QueuePanel::updateSummary() {
    if (!scheduler_) {
        summary_->setText(tr("no store open: nothing to train"));
        return;
    }
    const int running = static_cast<int>(scheduler_->runningRuns().size());
    const QList<qint64> pending = scheduler_->pendingRuns();
    const int queued = static_cast<int>(pending.size());
    const auto waitingForTeacher = std::count_if(pending.begin(), pending.end(), [this](qint64 runId) {
        return !scheduler_->waitReason(runId).isEmpty();
    });
    QString text = tr("running %1 · queued %2").arg(running).arg(queued);
    if (waitingForTeacher > 0) text += tr(" (%1 waiting for a teacher)").arg(waitingForTeacher);
    if (running + queued > 0) {
        const std::optional<double> eta = scheduler_->queueEta();
        text += eta ? tr(" · queue ETA %1").arg(RunHeader::formatDuration(*eta)) : tr(" · queue ETA unknown");
    }
    if (const qsizetype onSlurm = cluster_ ? cluster_->followedRuns().size() : 0) text += tr(" · on Slurm %1").arg(onSlurm);
    if (cluster_ && !cluster_->problem().isEmpty()) text += tr(" · Slurm: see the tool tip");
    summary_->setText(text);
    summary_->setToolTip(tr("Queue ETA: when the last queued run should end, from the engines' estimates for "
                            "the running runs and the mean time of finished runs of the same method and student "
                            "for the waiting ones, spread over %1.")
                             .arg(counted(scheduler_->maxConcurrent(), tr("slot"), tr("slots"))) +
                         (cluster_ && !cluster_->problem().isEmpty() ? QStringLiteral("\n\n") + cluster_->problem() : QString()));
}

void QueuePanel::updateSelectionDetails() {
    const qint64 runId = selectedRun();
    auto enable = [this, runId](QPushButton* button, bool (RunScheduler::*allowed)(qint64, QString*) const) {
        QString why;
        const bool ok = scheduler_ && runId && (scheduler_.data()->*allowed)(runId, &why);
        button->setEnabled(ok);
        button->setToolTip(ok ? QString() : plainToolTip(why));
    };
    enable(cancel_, &RunScheduler::canCancel);
    enable(resume_, &RunScheduler::canResume);
    enable(retry_, &RunScheduler::canRetry);
    if (runId && isClusterRow(runId)) {
        const auto job = cluster_->job(runId);
        const bool hasTask = job && !job->slurmTask.empty();
        cancel_->setEnabled(hasTask);
        cancel_->setToolTip(hasTask ? tr("scancel %1: a running task checkpoints and its run is marked killed")
                                          .arg(QString::fromStdString(job->slurmTask))
                                    : tr("Its Slurm job is not submitted yet"));
        resume_->setEnabled(false);
        resume_->setToolTip(tr("The run is on the cluster"));
        retry_->setEnabled(false);
        retry_->setToolTip(tr("The run is on the cluster: cancel it first to train it here"));
    } else if (runId && isEndedClusterRun(runId) && resume_->isEnabled()) {
        resume_->setToolTip(tr("scontrol requeue: its Slurm task runs again and continues from its checkpoint. "
                               "Retry trains it here from the beginning instead."));
    }

    // Queued stands for "no row": GCC cannot see that a std::optional compared here is initialised.
    const store::RunStatus status =
        (runId ? model_->statusOfRun(runId) : std::nullopt).value_or(store::RunStatus::Queued);
    const bool failed = status == store::RunStatus::Failed || status == store::RunStatus::Killed;
    const QString waitReason = scheduler_ && runId ? scheduler_->waitReason(runId) : QString();
    const QString name = model_->data(model_->index(model_->rowOfRun(runId), QueueTableModel::NameColumn)).toString();
    if (!waitReason.isEmpty()) {
        // A student held back by its teacher: what it waits for, and (in the reason) how to release it.
        failure_->setTitle(tr("Why “%1” waits").arg(plainMnemonicText(name)));
        reason_->setText(waitReason);
        log_->setVisible(false);
        failure_->setVisible(true);
        return;
    }
    log_->setVisible(true);
    if (!scheduler_ || !failed) {
        failure_->setVisible(false);
        return;
    }
    const FailureDetails details = scheduler_->failureDetails(runId);
    failure_->setTitle(status == store::RunStatus::Failed ? tr("Why “%1” failed").arg(plainMnemonicText(name))
                                                          : tr("Why “%1” was stopped").arg(plainMnemonicText(name)));
    reason_->setText(details.reason.isEmpty() ? tr("No reason was recorded.") : details.reason);
    QString log;
    switch (details.logSource) {
        case FailureDetails::LogSource::EngineOutput: log = tr("Last lines of the engine's log:\n"); break;
        case FailureDetails::LogSource::StoreEvents: log = tr("Last events of the run in the store:\n"); break;
        case FailureDetails::LogSource::None: log = tr("No log lines: the engine wrote none for this run."); break;
    }
    log += details.logLines.join(QLatin1Char('\n'));
    // Refreshes come every second while runs train: keep the user's scroll position in the log.
    if (log_->toPlainText() != log) log_->setPlainText(log);
    failure_->setVisible(true);
}

void QueuePanel::cancelSelectedRun() {
    const qint64 runId = selectedRun();
    if (!scheduler_ || !runId) return;
    if (isClusterRow(runId)) {
        if (confirmCancel_) {
            const auto answer = QMessageBox::question(
                this, tr("Cancel run?"),
                tr("Cancel run %1 on the cluster (scancel)?\n\nA running task saves a checkpoint and its run is marked "
                   "killed; Resume then requeues it.")
                    .arg(runId));
            if (answer != QMessageBox::Yes) return;
        }
        cluster_->cancel(runId);
        return;
    }
    if (confirmCancel_ && scheduler_->isRunning(runId)) {
        const auto answer = QMessageBox::question(
            this, tr("Cancel run?"),
            tr("Cancel run %1?\n\nThe engine finishes its current step, saves a checkpoint and marks the run killed; "
               "it can be resumed later. Cancelling again stops the engine at once, without a checkpoint.")
                .arg(runId));
        if (answer != QMessageBox::Yes) return;
    }
    QString why;
    if (!scheduler_->cancel(runId, &why)) emit errorOccurred(tr("Cannot cancel run %1").arg(runId), why);
    refresh();
}

void QueuePanel::resumeSelectedRun() {
    const qint64 runId = selectedRun();
    if (!scheduler_ || !runId) return;
    if (isEndedClusterRun(runId)) {
        cluster_->requeue(runId);
        return;
    }
    QString why;
    if (!scheduler_->resume(runId, &why)) emit errorOccurred(tr("Cannot resume run %1").arg(runId), why);
    refresh();
}

void QueuePanel::retrySelectedRun() {
    const qint64 runId = selectedRun();
    if (!scheduler_ || !runId) return;
    QString why;
    if (!scheduler_->retry(runId, &why)) emit errorOccurred(tr("Cannot retry run %1").arg(runId), why);
    refresh();
}

}  // namespace distillery::views
