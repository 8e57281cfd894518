#include "MainWindow.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QScreen>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QThread>
#include <QUndoStack>

#include "ClusterFollower.h"
#include "ComparePage.h"
#include "Counted.h"
#include "CurveControls.h"
#include "DesignerPage.h"
#include "DiagnosticsTabs.h"
#include "LivePage.h"
#include "MetricPlot.h"
#include "PlainText.h"
#include "PlotExport.h"
#include "QueuePanel.h"
#include "ReportPage.h"
#include "RunHeader.h"
#include "RunActions.h"
#include "RunScheduler.h"
#include "RunsPane.h"
#include "RunsTableModel.h"
#include "StatusIcons.h"

namespace distillery::views {

namespace {
const char* kGeometryKey = "mainWindow/geometry";
const char* kStateKey = "mainWindow/state";
const char* kPageKey = "mainWindow/page";
const char* kLiveSplitterKey = "live/splitter";
const char* kCurvesKey = "live/curves";
const char* kCompareKey = "compare/state";
const char* kReportKey = "report/state";
const char* kConcurrencyKey = "queue/maxConcurrent";
const char* kLastSpecDirKey = "dialogs/lastSpecDir";
}  // namespace

MainWindow::MainWindow(Options options, QWidget* parent)
    : QMainWindow(parent), session_(new StoreSession(std::move(options), this)) {
    setWindowTitle(tr("Distillery"));
    setWindowIcon(StatusIcons::application());
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);
    createRunsDock();
    createPages();
    createQueueDock();
    createActions();
    addPlotExportMenus();
    connectSession();

    storeLabel_ = new QLabel(this);
    storeLabel_->setTextFormat(Qt::PlainText);   // the store's path as it is, never read as markup
    countsLabel_ = new QLabel(this);
    machineLabel_ = new QLabel(this);
    statusBar()->addPermanentWidget(storeLabel_, 1);
    statusBar()->addPermanentWidget(countsLabel_);
    statusBar()->addPermanentWidget(machineLabel_);

    QSettings settings;
    if (!restoreGeometry(settings.value(kGeometryKey).toByteArray())) {
        // First start: room for the runs table's main columns beside the pages at a useful width.
        QSize size(1440, 900);
        if (const QScreen* screen = QGuiApplication::primaryScreen())
            size = size.boundedTo(screen->availableSize() * 0.95);
        resize(size);
    }
    resizeDocks({runsDock_}, {qMin(470, width() * 35 / 100)}, Qt::Horizontal);
    resizeDocks({runsDock_, queueDock_}, {height() * 70 / 100, height() * 30 / 100}, Qt::Vertical);
    restoreState(settings.value(kStateKey).toByteArray());
    live_->splitter()->restoreState(settings.value(kLiveSplitterKey).toByteArray());
    live_->controls()->restoreState(settings.value(kCurvesKey).toMap());
    compare_->restoreState(settings.value(kCompareKey).toMap());
    report_->restoreState(settings.value(kReportKey).toMap());
    pages_->setCurrentIndex(qBound(0, settings.value(kPageKey, static_cast<int>(Page::Live)).toInt(), pages_->count() - 1));
    updateStatusBar();
    updateActions();
}

MainWindow::~MainWindow() { closeStore(); }

void MainWindow::createRunsDock() {
    runsPane_ = new RunsPane(this);
    connect(runsPane_, &RunsPane::currentRunChanged, this, &MainWindow::onSelectionChanged);
    connect(runsPane_, &RunsPane::selectionChanged, this, [this] {
        pushSelectionToPages();
        updateActions();
    });
    connect(runsPane_, &RunsPane::runActivated, this, [this] { showPage(Page::Live); });

    runsDock_ = new QDockWidget(tr("Runs"), this);
    runsDock_->setObjectName(QStringLiteral("runsDock"));   // for saveState()
    runsDock_->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    runsDock_->setWidget(runsPane_);
    addDockWidget(Qt::LeftDockWidgetArea, runsDock_);
}

void MainWindow::createPages() {
    designer_ = new DesignerPage(session_->enginePath(), this);
    live_ = new LivePage(this);
    compare_ = new ComparePage(this);
    report_ = new ReportPage(this);
    pages_ = new QTabWidget(this);
    pages_->setDocumentMode(true);
    pages_->addTab(designer_, tr("&Design"));
    pages_->addTab(live_, tr("&Live"));
    pages_->addTab(compare_, tr("&Compare"));
    pages_->addTab(report_, tr("&Report"));
    setCentralWidget(pages_);
    connect(pages_, &QTabWidget::currentChanged, this, &MainWindow::onPageChanged);

    connect(designer_, &DesignerPage::queueRequested, this, [this](const QList<QByteArray>& specs) {
        QString error;
        const QList<qint64> ids = queueRunSpecs(specs, &error);
        if (!error.isEmpty()) showError(tr("Cannot queue the runs"), error);
        if (ids.isEmpty()) return;
        reportQueued(ids, QString());
        showPage(Page::Live);
    });
    connect(designer_, &DesignerPage::studyQueueRequested, this, [this](const QByteArray& study) {
        QString error;
        const QList<qint64> ids = session_->queueStudy(study, &error);
        if (!error.isEmpty()) showError(tr("Cannot queue the study"), error);
        if (ids.isEmpty()) return;
        selectRun(ids.first());
        reportQueued(ids, QString());
        showPage(Page::Live);
    });
    connect(designer_, &DesignerPage::clusterSubmitRequested, this, [this](const ClusterSubmission& submission) {
        if (!session_->cluster()) {
            showError(tr("Cannot submit to Slurm"), tr("No results store is open. Open or create one with File ▸ Open "
                                                       "store… first."));
            return;
        }
        statusBar()->showMessage(tr("Submitting to Slurm…"));
        session_->cluster()->submit(submission);
    });
    connect(compare_, &ComparePage::runActivated, this, [this](qint64 runId) {
        selectRun(runId);
        showPage(Page::Live);
    });
    connect(compare_, &ComparePage::loadFailed, this, [this](const QString& message) {
        statusBar()->showMessage(message, 10000);
    });
    connect(report_, &ReportPage::exported, this, [this](const QString& path) {
        statusBar()->showMessage(tr("Report written to %1").arg(QDir::toNativeSeparators(path)), 10000);
    });
    connect(report_, &ReportPage::exportFailed, this,
            [this](const QString& message) { showError(tr("Cannot write the report"), message); });
}

void MainWindow::createQueueDock() {
    queuePanel_ = new QueuePanel(this);
    connect(queuePanel_, &QueuePanel::concurrencyChanged, this,
            [](int runs) { QSettings().setValue(kConcurrencyKey, runs); });
    connect(queuePanel_, &QueuePanel::errorOccurred, this,
            [this](const QString& title, const QString& message) { showError(title, message); });
    connect(queuePanel_, &QueuePanel::runActivated, this, [this](qint64 runId) {
        selectRun(runId);
        showPage(Page::Live);
    });
    queueDock_ = new QDockWidget(tr("Queue"), this);
    queueDock_->setObjectName(QStringLiteral("queueDock"));
    queueDock_->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable |
                            QDockWidget::DockWidgetClosable);
    queueDock_->setWidget(queuePanel_);
    addDockWidget(Qt::LeftDockWidgetArea, queueDock_);
    splitDockWidget(runsDock_, queueDock_, Qt::Vertical);
}

void MainWindow::createActions() {
    const auto icon = [](const char* name) { return StatusIcons::action(QLatin1String(name)); };

    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* newExperiment = file->addAction(icon("new"), tr("&New experiment"), this, [this] {
        designer_->newExperiment();
        showPage(Page::Design);
    });
    newExperiment->setShortcut(QKeySequence::New);
    newExperiment->setStatusTip(tr("Design a new experiment from the defaults"));
    QAction* open = file->addAction(icon("open"), tr("&Open store…"), this, &MainWindow::openStoreDialog);
    open->setShortcut(QKeySequence::Open);
    open->setStatusTip(tr("Open or create a results store (.distillery; .sqlite stores open too)"));
    recentMenu_ = file->addMenu(tr("Open &recent"));
    connect(recentMenu_, &QMenu::aboutToShow, this, &MainWindow::fillRecentStoresMenu);
    file->addSeparator();
    file->addAction(tr("&Load spec into the designer…"), this, &MainWindow::loadSpecIntoDesigner);
    file->addAction(tr("&Save the designer's spec…"), designer_, &DesignerPage::saveSpec)
        ->setShortcut(QKeySequence::Save);
    QAction* queueFile = file->addAction(tr("&Queue runs from a spec file…"), this, &MainWindow::newRunsFromSpecDialog);
    queueFile->setStatusTip(tr("Queue the runs of an experiment or run-spec JSON file as it is"));
    file->addSeparator();
    QAction* exportReport = file->addAction(icon("export"), tr("&Export report…"), this, [this] {
        showPage(Page::Report);
        report_->exportWithDialog();
    });
    exportReport->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    exportReport->setStatusTip(tr("Write a report of the selected runs as HTML, PDF, Markdown, CSV or LaTeX"));
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* undo = designer_->undoStack()->createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence::Undo);
    QAction* redo = designer_->undoStack()->createRedoAction(this, tr("&Redo"));
    redo->setShortcut(QKeySequence::Redo);
    edit->addAction(undo);
    edit->addAction(redo);
    edit->addSeparator();
    QAction* find = edit->addAction(tr("&Filter runs"), this, [this] {
        runsDock_->show();
        runsPane_->focusFilter();
    });
    find->setShortcut(QKeySequence::Find);

    QMenu* run = menuBar()->addMenu(tr("&Run"));
    queueAction_ = run->addAction(icon("queue"), tr("&Queue the designed runs"), designer_, &DesignerPage::queueRuns);
    queueAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    queueAction_->setStatusTip(tr("Queue one run per seed of the experiment in the Design page"));
    run->addSeparator();
    runActions_ = new RunActions(session_, runsPane_, this);
    connect(runActions_, &RunActions::refused, this, [this](const QString& title, const QString& message) {
        showError(title, message);
    });
    connect(runActions_, &RunActions::duplicated, this, [this](const QByteArray& specJson, const QString& name) {
        designer_->loadSpecJson(specJson);
        showPage(Page::Design);
        statusBar()->showMessage(tr("The designer holds a copy of “%1”: change it, then queue it (Ctrl+R)").arg(name), 8000);
    });
    run->addActions({runActions_->cancelAction(), runActions_->resumeAction(), runActions_->retryAction(),
                     runActions_->duplicateAction(), runActions_->notesAction()});
    compareAction_ = run->addAction(icon("compare"), tr("C&ompare selected"), this, [this] { showPage(Page::Compare); });
    run->addSeparator();
    run->addAction(runActions_->deleteAction());

    QTableView* table = runsPane_->view();
    table->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(table, &QWidget::customContextMenuRequested, this, [this, table](const QPoint& at) {
        if (!table->indexAt(at).isValid()) return;
        QMenu menu(this);
        menu.addAction(tr("&Open"), this, [this] { showPage(Page::Live); });
        menu.addActions({runActions_->duplicateAction(), runActions_->resumeAction(), runActions_->retryAction(),
                         runActions_->cancelAction(), runActions_->notesAction(), compareAction_});
        menu.addAction(StatusIcons::action(QStringLiteral("export")), tr("&Export report…"), this,
                       [this] { showPage(Page::Report); report_->exportWithDialog(); });
        menu.addSeparator();
        menu.addAction(runActions_->deleteAction());
        menu.exec(table->viewport()->mapToGlobal(at));
    });

    QMenu* view = menuBar()->addMenu(tr("&View"));
    const QList<QPair<Page, QString>> pages = {{Page::Design, tr("&Design")},
                                               {Page::Live, tr("&Live")},
                                               {Page::Compare, tr("&Compare")},
                                               {Page::Report, tr("&Report")}};
    for (int i = 0; i < pages.size(); ++i) {
        const Page page = pages[i].first;
        QAction* action = view->addAction(pages[i].second, this, [this, page] { showPage(page); });
        action->setShortcut(QKeySequence(Qt::CTRL | static_cast<Qt::Key>(Qt::Key_1 + i)));
    }
    view->addSeparator();
    view->addAction(runsDock_->toggleViewAction());
    view->addAction(queueDock_->toggleViewAction());

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Distillery"), this, &MainWindow::showAbout);
}

void MainWindow::addPlotExportMenus() {
    // Every plot of the window offers "Export plot…" on right-click (PNG, SVG or PDF).
    for (QCustomPlot* plot : findChildren<QCustomPlot*>()) {
        plot->setContextMenuPolicy(Qt::CustomContextMenu);
        connect(plot, &QWidget::customContextMenuRequested, this, [this, plot](const QPoint& at) {
            QMenu menu(this);
            menu.addAction(StatusIcons::action(QStringLiteral("export")), tr("Export plot…"), this,
                           [this, plot] { exportPlot(plot); });
            menu.exec(plot->mapToGlobal(at));
        });
    }
}

void MainWindow::exportPlot(QCustomPlot* plot) {
    // The dialog, the remembered folder and the error box are PlotExport's, shared with every plot.
    const QString path = exportPlotWithDialog(plot, this);
    if (!path.isEmpty()) statusBar()->showMessage(tr("Plot written to %1").arg(QDir::toNativeSeparators(path)), 8000);
}

void MainWindow::connectSession() {
    connect(session_, &StoreSession::opened, this, &MainWindow::onStoreOpened);
    connect(session_, &StoreSession::aboutToClose, this, [this] {
        queuePanel_->setScheduler(nullptr);
        queuePanel_->setCluster(nullptr);
    });
    connect(session_, &StoreSession::closed, this, &MainWindow::onStoreClosed);
    connect(session_, &StoreSession::runsChanged, this, &MainWindow::onRunsChanged);
    connect(session_, &StoreSession::historyLoaded, live_, &LivePage::setHistory);
    connect(session_, &StoreSession::pointsAppended, live_, &LivePage::appendPoints);
    connect(session_, &StoreSession::pollFailed, this, [this](const QString& message) { statusBar()->showMessage(message); });
    connect(session_, &StoreSession::progressed, this, &MainWindow::onProgress);
    connect(session_, &StoreSession::runEnded, this, &MainWindow::onRunEnded);
    connect(session_, &StoreSession::queueChanged, this, &MainWindow::updateActions);
    connect(session_, &StoreSession::engineUnavailable, this,
            [this](const QString& message) { showError(tr("Cannot start training"), message); });
}

bool MainWindow::openStore(const QString& path, QString* error) {
    const bool opened = session_->open(path, QSettings().value(kConcurrencyKey, 1).toInt(), error);
    updateStatusBar();
    if (opened) updateActions();
    return opened;
}

void MainWindow::onStoreOpened() {
    const QString path = session_->path();
    queuePanel_->setScheduler(session_->scheduler());
    queuePanel_->setCluster(session_->cluster());
    connect(session_->cluster(), &ClusterFollower::submitted, this, [this](const QString& output) {
        statusBar()->showMessage(output.section(QLatin1Char('\n'), 0, 0), 15000);
        queueDock_->show();
        queueDock_->raise();
    });
    connect(session_->cluster(), &ClusterFollower::changed, this, [this] { session_->pollNow(); });
    live_->diagnostics()->setFeed(session_->feed());
    designer_->setStorePath(path);
    compare_->setStorePath(path);
    report_->setStorePath(path);
    pagesShowRuns_.clear();
    runsPane_->clear();
    setWindowTitle(plainWindowTitle(tr("%1 — Distillery").arg(QFileInfo(path).fileName())));
}

void MainWindow::closeStore() { session_->close(); }

void MainWindow::onStoreClosed() {
    runsPane_->clear();
    live_->showRun(0, QString());
}

void MainWindow::openStoreDialog() {
    QFileDialog dialog(this, tr("Open or create a results store"));
    dialog.setFileMode(QFileDialog::AnyFile);   // a new name creates a new store
    dialog.setAcceptMode(QFileDialog::AcceptOpen);
    dialog.setNameFilters({tr("Results stores (*.distillery *.sqlite *.db)"), tr("All files (*)")});
    dialog.setDefaultSuffix(QStringLiteral("distillery"));
    if (!storePath().isEmpty()) dialog.setDirectory(QFileInfo(storePath()).absolutePath());
    if (dialog.exec() != QDialog::Accepted || dialog.selectedFiles().isEmpty()) return;
    const QString path = dialog.selectedFiles().first();

    if (scheduler() && scheduler()->isBusy()) {
        const auto answer = askPlain(
            this, tr("Stop the training runs?"),
            tr("Training in the current store: %1. Opening another store stops them after their current step "
               "(they are marked killed and can be resumed later). Open %2 anyway?")
                .arg(counted(scheduler()->runningRuns().size(), tr("run"), tr("runs")), QFileInfo(path).fileName()));
        if (answer != QMessageBox::Yes) return;
    }
    QString error;
    if (!openStore(path, &error)) showError(tr("Cannot open store"), error);
}

QList<qint64> MainWindow::queueRunsFromSpecFile(const QString& path, QString* error) {
    const QList<qint64> ids = session_->queueRunsFromSpecFile(path, error);
    if (!ids.isEmpty()) selectRun(ids.first());
    return ids;
}

QList<qint64> MainWindow::queueRunSpecs(const QList<QByteArray>& specJsons, QString* error) {
    const QList<qint64> ids = session_->queueRunSpecs(specJsons, error);
    if (!ids.isEmpty()) selectRun(ids.first());
    return ids;
}

void MainWindow::reportQueued(const QList<qint64>& ids, const QString& sourceFile) {
    QString message = sourceFile.isEmpty()
                          ? tr("Queued %1").arg(counted(ids.size(), tr("run"), tr("runs")))
                          : tr("Queued %1 from %2").arg(counted(ids.size(), tr("run"), tr("runs")),
                                                         QFileInfo(sourceFile).fileName());
    if (!session_->options().trainQueuedRuns) message += tr(" (this window trains nothing: started with --no-queue)");
    statusBar()->showMessage(message, 8000);
}

void MainWindow::newRunsFromSpecDialog() {
    QSettings settings;
    const QString path = QFileDialog::getOpenFileName(this, tr("New run from spec"),
                                                      settings.value(kLastSpecDirKey).toString(),
                                                      tr("Run specs (*.json);;All files (*)"));
    if (path.isEmpty()) return;
    settings.setValue(kLastSpecDirKey, QFileInfo(path).absolutePath());
    QString error;
    const QList<qint64> ids = queueRunsFromSpecFile(path, &error);
    if (!error.isEmpty()) {
        showError(tr("Cannot queue runs from %1").arg(QFileInfo(path).fileName()), error);
        if (ids.isEmpty()) return;
    }
    reportQueued(ids, path);
}

RunsTableModel* MainWindow::runsModel() const { return runsPane_->model(); }

QTableView* MainWindow::runsView() const { return runsPane_->view(); }

void MainWindow::selectRun(qint64 runId) { runsPane_->selectRun(runId); }

void MainWindow::selectRuns(const QList<qint64>& runIds) { runsPane_->selectRuns(runIds); }

void MainWindow::setRunsFilter(const QString& text) { runsPane_->setFilterText(text); }

qint64 MainWindow::selectedRun() const { return runsPane_->selectedRun(); }

QList<qint64> MainWindow::selectedRuns() const { return runsPane_->selectedRuns(); }

void MainWindow::deleteSelectedRuns() { runActions_->deleteSelectedRuns(); }

void MainWindow::duplicateSelectedRun() { runActions_->duplicateSelectedRun(); }

void MainWindow::fillRecentStoresMenu() {
    recentMenu_->clear();
    const QStringList recent = StoreSession::recentStores();
    for (const QString& path : recent) {
        QAction* action = recentMenu_->addAction(plainMnemonicText(QDir::toNativeSeparators(path)), this, [this, path] {
            QString error;
            if (!openStore(path, &error)) showError(tr("Cannot open store"), error);
        });
        action->setEnabled(QFileInfo::exists(path) && path != storePath());
    }
    if (recent.isEmpty()) recentMenu_->addAction(tr("(no stores opened yet)"))->setEnabled(false);
}

void MainWindow::showAbout() {
    QMessageBox::about(
        this, tr("About Distillery"),
        tr("<h3>Distillery %1</h3>"
           "<p>A workbench for knowledge-distillation experiments: queue runs, watch them train, compare them.</p>"
           "<p>Training runs in the <code>distillery-engine</code> process; every number lives in one SQLite "
           "results store.</p>"
           "<p>Licensed under the GNU GPL, version 3 or later. Plots by QCustomPlot (GPL-3.0). Built with Qt %2.</p>")
            .arg(QCoreApplication::applicationVersion(), QString::fromLatin1(qVersion())));
}

void MainWindow::showError(const QString& title, const QString& text, const QString& details) {
    // Non-blocking: errors arrive from the queue and the poller while the user works. Plain text: the
    // messages quote run names, paths and spec values as given.
    QMessageBox* box = plainMessageBox(QMessageBox::Warning, title, text, QMessageBox::Ok, this);
    if (!details.isEmpty()) box->setDetailedText(details);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::loadSpecIntoDesigner() {
    designer_->loadSpec();
    showPage(Page::Design);
}

void MainWindow::showPage(Page page) { pages_->setCurrentIndex(static_cast<int>(page)); }

MainWindow::Page MainWindow::currentPage() const { return static_cast<Page>(pages_->currentIndex()); }

void MainWindow::onPageChanged() {
    pushSelectionToPages();
    updateActions();
}

void MainWindow::pushSelectionToPages() {
    // Compare and Report read the store for what they show: only the page on screen follows the
    // selection, the other catches up when it is opened.
    const QList<qint64> runs = selectedRuns();
    if (currentPage() == Page::Compare && compare_->runIds() != runs) compare_->setRuns(runs);
    if (currentPage() == Page::Report && pagesShowRuns_ != runs) {
        report_->setRuns(runs);
        pagesShowRuns_ = runs;
    }
}

void MainWindow::onRunsChanged(const RunList& runs) {
    designer_->setStoreRuns(runs);
    queuePanel_->setRuns(runs);
    // On opening a store, show what is happening: a run this window trains first.
    runsPane_->setRuns(runs, scheduler() ? scheduler()->activeRun() : 0);
    updateHeader();
    updateStatusBar();
    updateActions();
}

void MainWindow::onSelectionChanged() {
    const qint64 runId = selectedRun();
    if (runId != live_->runId()) {
        const RunListEntry* entry = runsPane_->model()->entryOfRun(runId);
        live_->showRun(runId, entry ? QString::fromStdString(entry->run.name) : QString());
        if (scheduler() && runId) live_->diagnostics()->setStderrTail(runId, scheduler()->stderrTail(runId));
        session_->watchRuns(runId ? QList<qint64>{runId} : QList<qint64>{});
    }
    updateHeader();
    updateActions();
}

void MainWindow::onProgress(const RunProgress& progress) {
    runsPane_->model()->setLiveProgress(progress);
    if (progress.runId == selectedRun()) updateHeader();
}

void MainWindow::onRunEnded(qint64 runId, int exitCode, bool crashed) {
    if (crashed)
        statusBar()->showMessage(tr("The engine of run %1 stopped on a signal; see the run's error.").arg(runId), 10000);
    else if (exitCode != 0)
        statusBar()->showMessage(tr("The engine of run %1 exited with code %2; see the run's error.").arg(runId).arg(exitCode),
                                 10000);
    if (scheduler() && runId == selectedRun()) live_->diagnostics()->setStderrTail(runId, scheduler()->stderrTail(runId));
    updateActions();
}

void MainWindow::updateHeader() {
    const qint64 runId = selectedRun();
    live_->header()->showRun(runsPane_->model()->entryOfRun(runId), runsPane_->model()->liveProgress(runId));
}

void MainWindow::updateStatusBar() {
    machineLabel_->setText(counted(QThread::idealThreadCount(), tr("core"), tr("cores")));
    if (storePath().isEmpty()) {
        storeLabel_->setText(tr("no store open: File ▸ Open store…"));
        countsLabel_->clear();
        return;
    }
    storeLabel_->setText(tr("store: %1").arg(QDir::toNativeSeparators(storePath())));
    QString counts = tr("running %1 · queued %2")
                         .arg(runsPane_->model()->countWithStatus(store::RunStatus::Running))
                         .arg(runsPane_->model()->countWithStatus(store::RunStatus::Queued));
    if (!session_->options().trainQueuedRuns) counts += tr(" · training off (--no-queue)");
    countsLabel_->setText(counts);
}

void MainWindow::updateActions() {
    const bool open = session_->isOpen();
    runActions_->update();
    compareAction_->setEnabled(open && !selectedRuns().isEmpty());
    queueAction_->setEnabled(open);
}

void MainWindow::saveSettings() const {
    QSettings settings;
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kStateKey, saveState());
    settings.setValue(kPageKey, pages_->currentIndex());
    settings.setValue(kLiveSplitterKey, live_->splitter()->saveState());
    settings.setValue(kCurvesKey, live_->controls()->saveState());
    settings.setValue(kCompareKey, compare_->saveState());
    settings.setValue(kReportKey, report_->saveState());
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (scheduler() && scheduler()->isBusy()) {
        const auto answer = QMessageBox::question(
            this, tr("Stop the training runs?"),
            tr("Training now: %1. Quitting stops them after their current step; they are marked killed and "
               "can be resumed later (Run ▸ Resume). Queued runs stay queued for the next start. Quit?")
                .arg(counted(scheduler()->runningRuns().size(), tr("run"), tr("runs"))));
        if (answer != QMessageBox::Yes) {
            event->ignore();
            return;
        }
    }
    saveSettings();
    closeStore();
    event->accept();
}

}  // namespace distillery::views
