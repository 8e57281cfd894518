#pragma once
// The desktop window (UI.md): the runs list (dock, left) and the queue (dock, bottom left); in the
// centre the pages Design, Live, Compare and Report; the store, run counts and machine in the status bar.
//
// Threads: the GUI thread opens the store once (to create/migrate it, and for the rare writes of
// queueing and deleting runs); a StorePoller and a DiagnosticsFeed, each on its own QThread, do all
// the periodic reading; the Compare and Report pages read on workers of their own; a RunScheduler
// trains the queued runs in engine child processes.
#include <memory>

#include <QList>
#include <QMainWindow>

#include "RunListEntry.h"
#include "RunProgress.h"
#include "StorePoller.h"

class QAction;
class QCustomPlot;
class QDockWidget;
class QLabel;
class QLineEdit;
class QMenu;
class QTabWidget;
class QTableView;
class QThread;

namespace distillery::store {
class Store;
}

namespace distillery::views {

class ComparePage;
class DesignerPage;
class DiagnosticsFeed;
class LivePage;
class QueuePanel;
class ReportPage;
class RunScheduler;
class RunsFilterProxy;
class RunsTableModel;

// Outside the class: a nested struct's member initialisers cannot serve as a default argument there.
struct MainWindowOptions {
    bool trainQueuedRuns = true;     // false: show the store, start no engine (--no-queue)
    QString enginePath;              // empty: RunScheduler::defaultEnginePath()
    int pollIntervalMs = StorePoller::kDefaultIntervalMs;
};

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    using Options = MainWindowOptions;
    enum class Page { Design, Live, Compare, Report };

    explicit MainWindow(Options options = Options(), QWidget* parent = nullptr);
    ~MainWindow() override;

    // Opens (creating if needed) a results store and shows its runs. On failure returns false and
    // sets *error to a message for the user; the previous store stays open.
    bool openStore(const QString& path, QString* error);
    QString storePath() const { return storePath_; }

    // Parses and validates an experiment/spec file and queues all its runs (none when any field is
    // wrong); returns their ids, or an empty list with *error listing every error with its field path.
    QList<qint64> queueRunsFromSpecFile(const QString& path, QString* error);
    // Queues run specs (JSON) as the designer emits them; same contract as queueRunsFromSpecFile.
    QList<qint64> queueRunSpecs(const QList<QByteArray>& specJsons, QString* error);

    void selectRun(qint64 runId);   // also for a run the poller has not listed yet
    qint64 selectedRun() const;     // 0 when none: the current run, the one the Live page shows
    QList<qint64> selectedRuns() const;   // every selected run, for Compare and Report
    void selectRuns(const QList<qint64>& runIds);   // listed runs only; the first becomes current
    void setRunsFilter(const QString& text);         // as typed into the filter box
    // Asks, then removes the selected runs with their rows and checkpoint files; refuses running runs.
    void deleteSelectedRuns();
    // Loads the current run's spec into the designer as a new experiment and shows the Design page.
    void duplicateSelectedRun();

    void showPage(Page page);
    Page currentPage() const;

    RunsTableModel* runsModel() const { return model_; }
    QTableView* runsView() const { return view_; }
    DesignerPage* designer() const { return designer_; }
    LivePage* livePage() const { return live_; }
    ComparePage* comparePage() const { return compare_; }
    ReportPage* reportPage() const { return report_; }
    QueuePanel* queuePanel() const { return queuePanel_; }
    RunScheduler* scheduler() const { return scheduler_; }

signals:
    void watchedRunsChanged(const QList<qint64>& runIds);
    void diagnosticsRunChanged(qint64 runId);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void createRunsDock();
    void createPages();
    void createQueueDock();
    void createActions();
    void addPlotExportMenus();
    void closeStore();
    void openStoreDialog();
    void newRunsFromSpecDialog();
    void loadSpecIntoDesigner();
    void cancelSelectedRun();
    void resumeSelectedRun();
    void retrySelectedRun();
    void rememberRecentStore(const QString& path);
    void fillRecentStoresMenu();
    void exportPlot(QCustomPlot* plot);
    void showAbout();

    void onRunsChanged(const RunList& runs);
    void onSelectionChanged();
    void onPageChanged();
    void onProgress(const RunProgress& progress);
    void onRunEnded(qint64 runId, int exitCode, bool crashed);

    void pushSelectionToPages();
    void updateHeader();
    void updateStatusBar();
    void updateActions();
    void showError(const QString& title, const QString& text, const QString& details = {});
    void saveSettings() const;

    Options options_;
    QString storePath_;
    std::unique_ptr<store::Store> store_;
    QThread* pollerThread_ = nullptr;
    StorePoller* poller_ = nullptr;
    QThread* feedThread_ = nullptr;
    DiagnosticsFeed* feed_ = nullptr;
    RunScheduler* scheduler_ = nullptr;

    RunsTableModel* model_ = nullptr;
    RunsFilterProxy* proxy_ = nullptr;
    QLineEdit* filter_ = nullptr;
    QTableView* view_ = nullptr;
    QDockWidget* runsDock_ = nullptr;
    QDockWidget* queueDock_ = nullptr;
    QueuePanel* queuePanel_ = nullptr;
    QTabWidget* pages_ = nullptr;
    DesignerPage* designer_ = nullptr;
    LivePage* live_ = nullptr;
    ComparePage* compare_ = nullptr;
    ReportPage* report_ = nullptr;
    QLabel* storeLabel_ = nullptr;
    QLabel* countsLabel_ = nullptr;
    QLabel* machineLabel_ = nullptr;
    QAction* cancelAction_ = nullptr;
    QAction* resumeAction_ = nullptr;
    QAction* retryAction_ = nullptr;
    QAction* duplicateAction_ = nullptr;
    QAction* deleteAction_ = nullptr;
    QAction* queueAction_ = nullptr;
    QAction* compareAction_ = nullptr;
    QMenu* recentMenu_ = nullptr;

    qint64 pendingSelection_ = 0;     // a run to select as soon as the poller lists it
    bool selectFirstListedRun_ = true;
    QList<qint64> pagesShowRuns_;     // the selection Compare and Report were last given
};

}  // namespace distillery::views
