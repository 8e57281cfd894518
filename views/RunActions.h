#pragma once
// What the user can do with the selected runs of the runs list: Cancel, Resume, Retry, Duplicate as
// new, Tags and note, and Delete, as actions for the window's menus, enabled by the queue's rules for the current run
// (RunScheduler::canCancel …) and asking before what cannot be undone.
#include <QObject>

class QAction;
class QWidget;

namespace distillery::views {

class RunsPane;
class StoreSession;

class RunActions : public QObject {
    Q_OBJECT
public:
    // window: the parent of the actions and of the questions asked.
    RunActions(StoreSession* session, RunsPane* runs, QWidget* window);

    QAction* cancelAction() const { return cancel_; }
    QAction* resumeAction() const { return resume_; }
    QAction* retryAction() const { return retry_; }
    QAction* duplicateAction() const { return duplicate_; }
    QAction* deleteAction() const { return delete_; }
    QAction* notesAction() const { return notes_; }

    void update();   // after the selection, the store or the queue changed

    void cancelSelectedRun();
    void resumeSelectedRun();
    void retrySelectedRun();
    // Reads the current run's spec for the designer (duplicated).
    void duplicateSelectedRun();
    // The Tags and note dialog for the selected runs (RunNotesDialog); the list shows what it saved.
    void editSelectedRunsNotes();
    // Asks, then removes the selected runs with their rows and checkpoint files; refuses running runs.
    void deleteSelectedRuns();

signals:
    void duplicated(const QByteArray& specJson, const QString& runName);
    void refused(const QString& title, const QString& message);

private:
    StoreSession* session_;
    RunsPane* runs_;
    QWidget* window_;
    QAction* cancel_;
    QAction* resume_;
    QAction* retry_;
    QAction* duplicate_;
    QAction* delete_;
    QAction* notes_;
};

}  // namespace distillery::views
