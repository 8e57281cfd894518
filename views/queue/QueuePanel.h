#pragma once
// The Queue panel: the runs a RunScheduler trains and waits to train, with progress bars and time
// left, a summary line ("running 2 · queued 5 · queue ETA 14 min"), the number of concurrent runs,
// Cancel / Resume / Retry for the selected run, for a failed or killed run the reason and the
// engine's last log lines, and for a student held back by its teacher run what it waits for.
#include <QPointer>
#include <QWidget>

#include "RunListEntry.h"

class QGroupBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTableView;

namespace distillery::views {

class ClusterFollower;
class QueueTableModel;
class RunScheduler;

class QueuePanel : public QWidget {
    Q_OBJECT
public:
    explicit QueuePanel(QWidget* parent = nullptr);

    // nullptr when no store is open. The spin box takes the scheduler's maxConcurrent().
    void setScheduler(RunScheduler* scheduler);
    // The store's runs on a Slurm cluster: listed with Slurm's word on them; Cancel is scancel, Resume
    // of a failed or killed one is scontrol requeue, Retry trains it here. nullptr: none.
    void setCluster(ClusterFollower* cluster);
    RunScheduler* scheduler() const { return scheduler_; }
    // Cancelling a running run asks first (default); off for scripted use.
    void setConfirmCancel(bool ask) { confirmCancel_ = ask; }

    QueueTableModel* model() const { return model_; }
    qint64 selectedRun() const;   // 0 when none
    // Selects the run's row; a run not listed yet is selected once it is.
    void selectRun(qint64 runId);
    QString summaryText() const;

public slots:
    // The poller's snapshot: names and statuses of failed, killed and ended runs.
    void setRuns(const distillery::views::RunList& runs);
    void refresh();
    void cancelSelectedRun();
    void resumeSelectedRun();
    void retrySelectedRun();

signals:
    // The user changed the number of concurrent runs (already applied to the scheduler).
    void concurrencyChanged(int runs);
    // An action was refused; message says why and what to do instead.
    void errorOccurred(const QString& title, const QString& message);
    // A row was double-clicked: show that run.
    void runActivated(qint64 runId);

private:
    void updateSummary();
    void updateSelectionDetails();

    bool isClusterRow(qint64 runId) const;
    bool isEndedClusterRun(qint64 runId) const;

    QPointer<RunScheduler> scheduler_;
    QPointer<ClusterFollower> cluster_;
    QueueTableModel* model_;
    QLabel* summary_;
    QSpinBox* concurrency_;
    QTableView* view_;
    QPushButton* cancel_;
    QPushButton* resume_;
    QPushButton* retry_;
    QGroupBox* failure_;
    QLabel* reason_;
    QPlainTextEdit* log_;
    bool confirmCancel_ = true;
    qint64 wantedSelection_ = 0;   // the run the user selected last, kept across model resets
};

}  // namespace distillery::views
