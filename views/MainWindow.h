#pragma once
// The desktop window (UI.md): the runs list (dock, left) and the queue (dock, bottom left); in the
// centre the pages Design, Live, Compare and Report; the store, run counts and machine in the status bar.
//
// The open store, its readers and the run queue belong to a StoreSession; the window wires the
// session's signals to its widgets and asks the user before what cannot be undone. The Compare and
// Report pages read on workers of their own.

#include <QList>
#include <QMainWindow>

#include "RunListEntry.h"
#include "RunProgress.h"
#include "StoreSession.h"

class QAction;
class QCustomPlot;
class QDockWidget;
class QLabel;
class QMenu;
class QTabWidget;
class QTableView;

namespace distillery::views {

class ComparePage;
class DesignerPage;
class LivePage;
class QueuePanel;
class ReportPage;
class RunActions;
class RunScheduler;
class RunsPane;
class RunsTableModel;

// Outside the class: a nested struct's member initialisers cannot serve as a default argument there.
using MainWindowOptions = StoreSessionOptions;

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
    QString storePath() const { return session_->path(); }

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

    RunsTableModel* runsModel() const;
    QTableView* runsView() const;
    DesignerPage* designer() const { return designer_; }
    LivePage* livePage() const { return live_; }
    ComparePage* comparePage() const { return compare_; }
    ReportPage* reportPage() const { return report_; }
    QueuePanel* queuePanel() const { return queuePanel_; }
    RunScheduler* scheduler() const { return session_->scheduler(); }
    StoreSession* session() const { return session_; }

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void createRunsDock();
    void createPages();
    void createQueueDock();
    void createActions();
    void addPlotExportMenus();
    void connectSession();
    void onStoreOpened();
    void onStoreClosed();
    void closeStore();
    void openStoreDialog();
    void newRunsFromSpecDialog();
    void loadSpecIntoDesigner();
    void fillRecentStoresMenu();
    void exportPlot(QCustomPlot* plot);
    void showAbout();
    void reportQueued(const QList<qint64>& ids, const QString& sourceFile);

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

    StoreSession* session_ = nullptr;

    RunsPane* runsPane_ = nullptr;
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
    RunActions* runActions_ = nullptr;
    QAction* queueAction_ = nullptr;
    QAction* compareAction_ = nullptr;
    QMenu* recentMenu_ = nullptr;

    QList<qint64> pagesShowRuns_;     // the selection Compare and Report were last given
};

}  // namespace distillery::views
