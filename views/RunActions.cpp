#include "RunActions.h"

#include <QAction>
#include <QFileInfo>
#include <QTableView>

#include "Counted.h"
#include "PlainText.h"
#include "RunNotesDialog.h"
#include "RunScheduler.h"
#include "RunsPane.h"
#include "RunsTableModel.h"
#include "StatusIcons.h"
#include "StoreSession.h"
#include "store/Store.h"

namespace distillery::views {

RunActions::RunActions(StoreSession* session, RunsPane* runs, QWidget* window)
    : QObject(window), session_(session), runs_(runs), window_(window) {
    const auto icon = [](const char* name) { return StatusIcons::action(QLatin1String(name)); };
    cancel_ = new QAction(icon("cancel"), tr("&Cancel"), window);
    cancel_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Period));
    cancel_->setStatusTip(tr("Stop the selected run after its current step, or drop it from the queue"));
    connect(cancel_, &QAction::triggered, this, &RunActions::cancelSelectedRun);
    resume_ = new QAction(icon("resume"), tr("Re&sume"), window);
    resume_->setStatusTip(tr("Continue a killed or failed run from its last checkpoint"));
    connect(resume_, &QAction::triggered, this, &RunActions::resumeSelectedRun);
    retry_ = new QAction(icon("retry"), tr("Re&try"), window);
    retry_->setStatusTip(tr("Queue a killed or failed run again, to train from the beginning"));
    connect(retry_, &QAction::triggered, this, &RunActions::retrySelectedRun);
    duplicate_ = new QAction(icon("duplicate"), tr("D&uplicate as new…"), window);
    duplicate_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
    duplicate_->setStatusTip(tr("Open the selected run's spec in the designer, to change it and queue it again"));
    connect(duplicate_, &QAction::triggered, this, &RunActions::duplicateSelectedRun);
    delete_ = new QAction(icon("delete"), tr("&Delete…"), window);
    delete_->setShortcut(QKeySequence::Delete);
    delete_->setShortcutContext(Qt::WidgetWithChildrenShortcut);   // only while the runs list has focus
    runs_->view()->addAction(delete_);
    delete_->setStatusTip(tr("Remove the selected runs, their metrics, diagnostics and checkpoints (asks first)"));
    connect(delete_, &QAction::triggered, this, &RunActions::deleteSelectedRuns);
    notes_ = new QAction(tr("Tags and &note…"), window);
    notes_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    notes_->setShortcutContext(Qt::WidgetWithChildrenShortcut);   // only while the runs list has focus
    runs_->view()->addAction(notes_);
    notes_->setStatusTip(tr("Tag the selected runs, or write the selected run's note"));
    connect(notes_, &QAction::triggered, this, &RunActions::editSelectedRunsNotes);
}

void RunActions::update() {
    const qint64 runId = runs_->selectedRun();
    const bool selected = session_->isOpen() && runId != 0;
    const RunScheduler* scheduler = session_->scheduler();
    delete_->setEnabled(session_->isOpen() && !runs_->selectedRuns().isEmpty());
    notes_->setEnabled(session_->isOpen() && !runs_->selectedRuns().isEmpty());
    duplicate_->setEnabled(selected);
    cancel_->setEnabled(selected && scheduler && scheduler->canCancel(runId));
    resume_->setEnabled(selected && scheduler && scheduler->canResume(runId));
    retry_->setEnabled(selected && scheduler && scheduler->canRetry(runId));
}

void RunActions::cancelSelectedRun() {
    const qint64 runId = runs_->selectedRun();
    const RunListEntry* entry = runs_->model()->entryOfRun(runId);
    RunScheduler* scheduler = session_->scheduler();
    if (!entry || !scheduler) return;
    const bool running = entry->run.status == store::RunStatus::Running;
    const QString name = QString::fromStdString(entry->run.name);
    const QString consequence =
        running ? tr("The engine finishes its current step, saves a checkpoint and marks the run killed; "
                     "it can be resumed later. Cancelling again stops the engine at once, without a checkpoint.")
                : tr("It will not be trained and is marked killed.");
    if (askPlain(window_, tr("Cancel run?"), tr("Cancel run “%1”?\n\n%2").arg(name, consequence)) != QMessageBox::Yes)
        return;
    QString why;
    if (!scheduler->cancel(runId, &why)) emit refused(tr("Cannot cancel “%1”").arg(name), why);
}

void RunActions::resumeSelectedRun() {
    const qint64 runId = runs_->selectedRun();
    RunScheduler* scheduler = session_->scheduler();
    QString why;
    if (scheduler && runId && !scheduler->resume(runId, &why)) emit refused(tr("Cannot resume run %1").arg(runId), why);
}

void RunActions::retrySelectedRun() {
    const qint64 runId = runs_->selectedRun();
    RunScheduler* scheduler = session_->scheduler();
    QString why;
    if (scheduler && runId && !scheduler->retry(runId, &why)) emit refused(tr("Cannot retry run %1").arg(runId), why);
}

void RunActions::duplicateSelectedRun() {
    const qint64 runId = runs_->selectedRun();
    if (!session_->isOpen() || !runId) return;
    std::optional<store::RunRow> row;
    try {
        row = session_->store()->run(runId);
    } catch (const std::exception& failure) {
        emit refused(tr("Cannot read run %1").arg(runId), QString::fromUtf8(failure.what()));
        return;
    }
    if (row) emit duplicated(QByteArray::fromStdString(row->specJson), QString::fromStdString(row->name));
}

void RunActions::editSelectedRunsNotes() {
    if (!session_->isOpen()) return;
    QList<store::RunRow> selected;
    for (qint64 id : runs_->selectedRuns())
        if (const RunListEntry* entry = runs_->model()->entryOfRun(id)) selected.append(entry->run);
    if (selected.isEmpty()) return;
    // Written by the window's own connection, as queueing and deleting are: a few rows, at once.
    RunNotesDialog dialog(session_->store(), selected, runs_->model()->allTags(), window_);
    if (dialog.exec() == QDialog::Accepted) session_->pollNow();
}

void RunActions::deleteSelectedRuns() {
    if (!session_->isOpen()) return;
    const QList<qint64> ids = runs_->selectedRuns();
    if (ids.isEmpty()) return;
    QStringList names;
    for (qint64 id : ids) {
        const RunListEntry* entry = runs_->model()->entryOfRun(id);
        if (!entry) continue;
        if (entry->run.status == store::RunStatus::Running) {
            emit refused(tr("Cannot delete a running run"),
                         tr("Run “%1” is training. Cancel it first (Run ▸ Cancel), then delete it.")
                             .arg(QString::fromStdString(entry->run.name)));
            return;
        }
        names.append(QStringLiteral("%1 (id %2)").arg(QString::fromStdString(entry->run.name), QString::number(id)));
    }
    const QString question =
        tr("Delete %1 from %2?\n\n%3\n\nTheir metrics, diagnostics and checkpoint files are removed for good.")
            .arg(counted(names.size(), tr("run"), tr("runs")), QFileInfo(session_->path()).fileName(),
                 names.mid(0, 12).join(QStringLiteral("\n")) + (names.size() > 12 ? QStringLiteral("\n…") : QString()));
    if (askPlain(window_, tr("Delete runs?"), question) != QMessageBox::Yes) return;
    QString error;
    if (!session_->deleteRuns(ids, &error)) emit refused(tr("Cannot delete runs"), error);
}

}  // namespace distillery::views
