#pragma once
// The desktop window: runs table (dock, left), the selected run's header and curves (centre),
// store path and run counts in the status bar.
//
// Threads: the GUI thread opens the store once (to create/migrate it, and for the rare writes of
// queueing runs); a StorePoller on its own QThread does all the periodic reading; a RunLauncher
// trains the queued runs in engine child processes.
#include <memory>

#include <QList>
#include <QMainWindow>

#include "RunListEntry.h"
#include "RunProgress.h"
#include "StorePoller.h"

class QAction;
class QDockWidget;
class QLabel;
class QLineEdit;
class QMenu;
class QTableView;
class QThread;

namespace distillery::store {
class Store;
}

namespace distillery::views {

class CurvePlot;
class RunHeader;
class RunLauncher;
class RunsFilterProxy;
class RunsTableModel;

// Outside the class: a nested struct's member initialisers cannot serve as a default argument there.
struct MainWindowOptions {
    bool trainQueuedRuns = true;     // false: show the store, start no engine (--no-queue)
    QString enginePath;              // empty: RunLauncher::defaultEnginePath()
    int pollIntervalMs = StorePoller::kDefaultIntervalMs;
};

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    using Options = MainWindowOptions;

    explicit MainWindow(Options options = Options(), QWidget* parent = nullptr);
    ~MainWindow() override;

    // Opens (creating if needed) a results store and shows its runs. On failure returns false and
    // sets *error to a message for the user; the previous store stays open.
    bool openStore(const QString& path, QString* error);
    QString storePath() const { return storePath_; }

    // Parses and validates an experiment/spec file and queues all its runs (none when any field is
    // wrong); returns their ids, or an empty list with *error listing every error with its field path.
    QList<qint64> queueRunsFromSpecFile(const QString& path, QString* error);

    void selectRun(qint64 runId);   // also for a run the poller has not listed yet
    qint64 selectedRun() const;     // 0 when none: the current run, the one the Live page shows
    QList<qint64> selectedRuns() const;   // every selected run, for Compare and Report
    void selectRuns(const QList<qint64>& runIds);   // listed runs only; the first becomes current
    // Asks, then removes the selected runs with their rows and checkpoint files; refuses running runs.
    void deleteSelectedRuns();
    void setRunsFilter(const QString& text);   // as typed into the filter box

    RunsTableModel* runsModel() const { return model_; }
    QTableView* runsView() const { return view_; }
    CurvePlot* curvePlot() const { return plot_; }
    RunHeader* runHeader() const { return header_; }
    RunLauncher* launcher() const { return launcher_; }

signals:
    void watchedRunsChanged(const QList<qint64>& runIds);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void createActions();
    void createCentralArea();
    void closeStore();
    void openStoreDialog();
    void newRunsFromSpecDialog();
    void cancelSelectedRun();
    void rememberRecentStore(const QString& path);
    void fillRecentStoresMenu();
    void showAbout();

    void onRunsChanged(const RunList& runs);
    void onSelectionChanged();
    void onProgress(const RunProgress& progress);
    void onRunEnded(qint64 runId, int exitCode, bool crashed);

    void updateHeader();
    void updateStatusBar();
    void updateActions();
    void showError(const QString& title, const QString& text, const QString& details = {});

    Options options_;
    QString storePath_;
    std::unique_ptr<store::Store> store_;
    QThread* pollerThread_ = nullptr;
    StorePoller* poller_ = nullptr;
    RunLauncher* launcher_ = nullptr;

    RunsTableModel* model_ = nullptr;
    RunsFilterProxy* proxy_ = nullptr;
    QLineEdit* filter_ = nullptr;
    QTableView* view_ = nullptr;
    QDockWidget* runsDock_ = nullptr;
    CurvePlot* plot_ = nullptr;
    RunHeader* header_ = nullptr;
    QLabel* storeLabel_ = nullptr;
    QLabel* countsLabel_ = nullptr;
    QAction* cancelAction_ = nullptr;
    QAction* deleteAction_ = nullptr;
    QMenu* recentMenu_ = nullptr;

    qint64 pendingSelection_ = 0;     // a run to select as soon as the poller lists it
    bool selectFirstListedRun_ = true;
};

}  // namespace distillery::views
