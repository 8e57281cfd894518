#include "MainWindow.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
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
#include <QVBoxLayout>

#include "ComparePage.h"
#include "Counted.h"
#include "CurveControls.h"
#include "DesignerPage.h"
#include "DiagnosticsFeed.h"
#include "DiagnosticsTabs.h"
#include "LivePage.h"
#include "MetricPlot.h"
#include "PlainText.h"
#include "PlotExport.h"
#include "ProgressBarDelegate.h"
#include "QueuePanel.h"
#include "ReportPage.h"
#include "RunHeader.h"
#include "RunScheduler.h"
#include "RunsFilterProxy.h"
#include "RunsTableModel.h"
#include "StatusIcons.h"
#include "spec/RunQueue.h"
#include "spec/RunSpec.h"
#include "store/Store.h"

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
const char* kLastStoreKey = "store/lastPath";
const char* kLastSpecDirKey = "dialogs/lastSpecDir";
const char* kLastPlotDirKey = "dialogs/lastPlotDir";
const char* kRecentStoresKey = "store/recent";
constexpr int kRecentStoresKept = 8;
}  // namespace

MainWindow::MainWindow(Options options, QWidget* parent) : QMainWindow(parent), options_(std::move(options)) {
    StorePoller::registerMetaTypes();
    DiagnosticsFeed::registerMetaTypes();
    setWindowTitle(tr("Distillery"));
    setWindowIcon(StatusIcons::application());
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);
    createRunsDock();
    createPages();
    createQueueDock();
    createActions();
    addPlotExportMenus();

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
    model_ = new RunsTableModel(this);
    proxy_ = new RunsFilterProxy(this);
    proxy_->setSourceModel(model_);
    proxy_->setSortRole(RunsTableModel::SortRole);

    view_ = new QTableView(this);
    view_->setModel(proxy_);
    view_->setSelectionBehavior(QAbstractItemView::SelectRows);
    // Several runs feed Compare and Report; the current one is the one the Live page shows.
    view_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    view_->setAlternatingRowColors(true);
    view_->setWordWrap(false);
    view_->setShowGrid(false);
    view_->verticalHeader()->setVisible(false);
    view_->verticalHeader()->setDefaultSectionSize(view_->fontMetrics().height() + 8);
    view_->setItemDelegateForColumn(RunsTableModel::ProgressColumn, new ProgressBarDelegate(view_));
    QHeaderView* header = view_->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::Interactive);
    for (int column : {RunsTableModel::StatusColumn, RunsTableModel::MethodColumn, RunsTableModel::PairColumn,
                       RunsTableModel::DatasetColumn, RunsTableModel::BestValAccColumn, RunsTableModel::LastTestAccColumn})
        header->setSectionResizeMode(column, QHeaderView::ResizeToContents);
    header->resizeSection(RunsTableModel::NameColumn, 150);
    header->resizeSection(RunsTableModel::ProgressColumn, 90);
    header->setStretchLastSection(true);
    // No sort column: the store's order (newest first) until the user clicks a header.
    header->setSortIndicator(-1, Qt::AscendingOrder);
    header->setSortIndicatorClearable(true);
    view_->setSortingEnabled(true);
    connect(view_->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &MainWindow::onSelectionChanged);
    connect(view_->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        pushSelectionToPages();
        updateActions();
    });
    connect(view_, &QAbstractItemView::doubleClicked, this, [this] { showPage(Page::Live); });

    filter_ = new QLineEdit(this);
    filter_->setPlaceholderText(tr("Filter: method:sakd seed:1 r8x4"));
    filter_->setClearButtonEnabled(true);
    filter_->setToolTip(tr("Every word must match. key:value matches one field (%1); other words match the "
                           "name, method, teacher, student or data set.")
                            .arg(RunsFilterProxy::filterKeys().join(QStringLiteral(", "))));
    connect(filter_, &QLineEdit::textChanged, proxy_, &RunsFilterProxy::setFilterText);

    auto* pane = new QWidget(this);
    auto* layout = new QVBoxLayout(pane);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(filter_);
    layout->addWidget(view_, 1);

    runsDock_ = new QDockWidget(tr("Runs"), this);
    runsDock_->setObjectName(QStringLiteral("runsDock"));   // for saveState()
    runsDock_->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    runsDock_->setWidget(pane);
    addDockWidget(Qt::LeftDockWidgetArea, runsDock_);
}

void MainWindow::createPages() {
    const QString engine = options_.enginePath.isEmpty() ? RunScheduler::defaultEnginePath() : options_.enginePath;
    designer_ = new DesignerPage(engine, this);
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
        QString message = tr("Queued %1").arg(counted(ids.size(), tr("run"), tr("runs")));
        if (!options_.trainQueuedRuns) message += tr(" (this window trains nothing: started with --no-queue)");
        statusBar()->showMessage(message, 8000);
        showPage(Page::Live);
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
    open->setStatusTip(tr("Open or create a results store (.sqlite)"));
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
        filter_->setFocus(Qt::ShortcutFocusReason);
        filter_->selectAll();
    });
    find->setShortcut(QKeySequence::Find);

    QMenu* run = menuBar()->addMenu(tr("&Run"));
    queueAction_ = run->addAction(icon("queue"), tr("&Queue the designed runs"), designer_, &DesignerPage::queueRuns);
    queueAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    queueAction_->setStatusTip(tr("Queue one run per seed of the experiment in the Design page"));
    run->addSeparator();
    cancelAction_ = run->addAction(icon("cancel"), tr("&Cancel"), this, &MainWindow::cancelSelectedRun);
    cancelAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Period));
    cancelAction_->setStatusTip(tr("Stop the selected run after its current step, or drop it from the queue"));
    resumeAction_ = run->addAction(icon("resume"), tr("Re&sume"), this, &MainWindow::resumeSelectedRun);
    resumeAction_->setStatusTip(tr("Continue a killed or failed run from its last checkpoint"));
    retryAction_ = run->addAction(icon("retry"), tr("Re&try"), this, &MainWindow::retrySelectedRun);
    retryAction_->setStatusTip(tr("Queue a killed or failed run again, to train from the beginning"));
    duplicateAction_ = run->addAction(icon("duplicate"), tr("D&uplicate as new…"), this, &MainWindow::duplicateSelectedRun);
    duplicateAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
    duplicateAction_->setStatusTip(tr("Open the selected run's spec in the designer, to change it and queue it again"));
    compareAction_ = run->addAction(icon("compare"), tr("C&ompare selected"), this, [this] { showPage(Page::Compare); });
    run->addSeparator();
    deleteAction_ = run->addAction(icon("delete"), tr("&Delete…"), this, &MainWindow::deleteSelectedRuns);
    deleteAction_->setShortcut(QKeySequence::Delete);
    deleteAction_->setShortcutContext(Qt::WidgetWithChildrenShortcut);   // only while the runs list has focus
    view_->addAction(deleteAction_);
    deleteAction_->setStatusTip(tr("Remove the selected runs, their metrics, diagnostics and checkpoints (asks first)"));

    view_->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(view_, &QWidget::customContextMenuRequested, this, [this](const QPoint& at) {
        if (!view_->indexAt(at).isValid()) return;
        QMenu menu(this);
        menu.addAction(tr("&Open"), this, [this] { showPage(Page::Live); });
        for (QAction* action : {duplicateAction_, resumeAction_, retryAction_, cancelAction_, compareAction_})
            menu.addAction(action);
        menu.addAction(StatusIcons::action(QStringLiteral("export")), tr("&Export report…"), this,
                       [this] { showPage(Page::Report); report_->exportWithDialog(); });
        menu.addSeparator();
        menu.addAction(deleteAction_);
        menu.exec(view_->viewport()->mapToGlobal(at));
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
    QSettings settings;
    const QString path = QFileDialog::getSaveFileName(this, tr("Export plot"), settings.value(kLastPlotDirKey).toString(),
                                                      plotExportFilter());
    if (path.isEmpty()) return;
    settings.setValue(kLastPlotDirKey, QFileInfo(path).absolutePath());
    const QString error = views::exportPlot(plot, path);
    if (!error.isEmpty()) showError(tr("Cannot export the plot"), error);
    else statusBar()->showMessage(tr("Plot written to %1").arg(QDir::toNativeSeparators(path)), 8000);
}

bool MainWindow::openStore(const QString& path, QString* error) {
    const QString absolute = QFileInfo(path).absoluteFilePath();
    std::unique_ptr<store::Store> store;
    try {
        // The GUI thread opens the file first so that it is created and migrated before the
        // readers' read-only connections and the engines see it.
        store = std::make_unique<store::Store>(absolute.toStdString());
    } catch (const std::exception& failure) {
        if (error)
            *error = tr("Cannot open the results store %1:\n%2\n\nChoose another file with File ▸ Open store…, "
                        "or check that the folder exists and is writable.")
                         .arg(absolute, QString::fromUtf8(failure.what()));
        return false;
    }

    closeStore();
    store_ = std::move(store);
    storePath_ = absolute;
    try {
        scheduler_ = new RunScheduler(storePath_, options_.enginePath.isEmpty() ? RunScheduler::defaultEnginePath()
                                                                                 : options_.enginePath,
                                      this);
    } catch (const std::exception& failure) {
        if (error) *error = tr("Cannot open %1 for training runs: %2").arg(storePath_, QString::fromUtf8(failure.what()));
        store_.reset();
        storePath_.clear();
        updateStatusBar();
        return false;
    }
    scheduler_->setMaxConcurrent(QSettings().value(kConcurrencyKey, 1).toInt());
    connect(scheduler_, &RunScheduler::progressed, this, &MainWindow::onProgress);
    connect(scheduler_, &RunScheduler::runEnded, this, &MainWindow::onRunEnded);
    connect(scheduler_, &RunScheduler::queueChanged, this, &MainWindow::updateActions);
    connect(scheduler_, &RunScheduler::engineUnavailable, this,
            [this](const QString& message) { showError(tr("Cannot start training"), message); });
    queuePanel_->setScheduler(scheduler_);

    pollerThread_ = new QThread(this);
    pollerThread_->setObjectName(QStringLiteral("StorePoller"));
    poller_ = new StorePoller(storePath_, options_.pollIntervalMs);
    poller_->moveToThread(pollerThread_);
    connect(pollerThread_, &QThread::started, poller_, &StorePoller::start);
    connect(pollerThread_, &QThread::finished, poller_, &QObject::deleteLater);
    connect(this, &MainWindow::watchedRunsChanged, poller_, &StorePoller::watchRuns);
    connect(poller_, &StorePoller::runsChanged, this, &MainWindow::onRunsChanged);
    connect(poller_, &StorePoller::historyLoaded, live_, &LivePage::setHistory);
    connect(poller_, &StorePoller::pointsAppended, live_, &LivePage::appendPoints);
    connect(poller_, &StorePoller::failed, this, [this](const QString& message) { statusBar()->showMessage(message); });
    pollerThread_->start();

    feedThread_ = new QThread(this);
    feedThread_->setObjectName(QStringLiteral("DiagnosticsFeed"));
    feed_ = new DiagnosticsFeed(storePath_, options_.pollIntervalMs);
    feed_->moveToThread(feedThread_);
    connect(feedThread_, &QThread::started, feed_, &DiagnosticsFeed::start);
    connect(feedThread_, &QThread::finished, feed_, &QObject::deleteLater);
    live_->diagnostics()->setFeed(feed_);
    feedThread_->start();

    designer_->setStorePath(storePath_);
    compare_->setStorePath(storePath_);
    report_->setStorePath(storePath_);
    pagesShowRuns_.clear();

    selectFirstListedRun_ = true;
    QSettings().setValue(kLastStoreKey, storePath_);
    rememberRecentStore(storePath_);
    setWindowTitle(plainWindowTitle(tr("%1 — Distillery").arg(QFileInfo(storePath_).fileName())));
    if (options_.trainQueuedRuns) scheduler_->enqueueQueuedRuns();
    updateStatusBar();
    updateActions();
    return true;
}

void MainWindow::closeStore() {
    for (QThread** thread : {&pollerThread_, &feedThread_}) {
        if (!*thread) continue;
        (*thread)->quit();
        (*thread)->wait();   // the reader is deleted on the thread's way out (deleteLater)
        delete *thread;
        *thread = nullptr;
    }
    poller_ = nullptr;
    feed_ = nullptr;
    if (scheduler_) {
        queuePanel_->setScheduler(nullptr);
        scheduler_->disconnect(this);
        delete scheduler_;   // stops the training engines: their runs are marked killed and can be resumed
        scheduler_ = nullptr;
    }
    store_.reset();
    storePath_.clear();
    model_->clear();
    live_->showRun(0, QString());
    pendingSelection_ = 0;
}

void MainWindow::openStoreDialog() {
    QFileDialog dialog(this, tr("Open or create a results store"));
    dialog.setFileMode(QFileDialog::AnyFile);   // a new name creates a new store
    dialog.setAcceptMode(QFileDialog::AcceptOpen);
    dialog.setNameFilters({tr("Results stores (*.sqlite *.db)"), tr("All files (*)")});
    dialog.setDefaultSuffix(QStringLiteral("sqlite"));
    if (!storePath_.isEmpty()) dialog.setDirectory(QFileInfo(storePath_).absolutePath());
    if (dialog.exec() != QDialog::Accepted || dialog.selectedFiles().isEmpty()) return;
    const QString path = dialog.selectedFiles().first();

    if (scheduler_ && scheduler_->isBusy()) {
        const auto answer = askPlain(
            this, tr("Stop the training runs?"),
            tr("Training in the current store: %1. Opening another store stops them after their current step "
               "(they are marked killed and can be resumed later). Open %2 anyway?")
                .arg(counted(scheduler_->runningRuns().size(), tr("run"), tr("runs")), QFileInfo(path).fileName()));
        if (answer != QMessageBox::Yes) return;
    }
    QString error;
    if (!openStore(path, &error)) showError(tr("Cannot open store"), error);
}

QList<qint64> MainWindow::queueRunsFromSpecFile(const QString& path, QString* error) {
    if (!store_) {
        if (error) *error = tr("No results store is open. Open or create one with File ▸ Open store… first.");
        return {};
    }
    const spec::ExperimentParse parsed = spec::parseExperimentFile(path.toStdString());
    if (!parsed.ok()) {
        if (error)
            *error = tr("%1 has %2; no run was queued. Fix these fields and open the file again:\n\n%3")
                         .arg(QDir::toNativeSeparators(path), counted(parsed.errors.size(), tr("error"), tr("errors")),
                              QString::fromStdString(parsed.errorText()));
        return {};
    }
    if (parsed.runs.empty()) {
        if (error) *error = tr("%1 holds no runs. Add a run spec, or a \"runs\" list of them.").arg(path);
        return {};
    }
    QList<qint64> ids;
    try {
        for (const spec::RunSpec& run : parsed.runs) ids.append(spec::queueRun(*store_, run));
    } catch (const std::exception& failure) {
        if (error)
            *error = tr("Queued %1 of the %2 runs of %3, then writing to %4 failed: %5")
                         .arg(ids.size()).arg(parsed.runs.size()).arg(path, storePath_, QString::fromUtf8(failure.what()));
    }
    if (options_.trainQueuedRuns)
        for (qint64 id : ids) scheduler_->enqueue(id);
    if (!ids.isEmpty()) selectRun(ids.first());
    return ids;
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
    QString message = tr("Queued %1 from %2").arg(counted(ids.size(), tr("run"), tr("runs")), QFileInfo(path).fileName());
    if (!options_.trainQueuedRuns) message += tr(" (this window trains nothing: started with --no-queue)");
    statusBar()->showMessage(message, 8000);
}

void MainWindow::selectRun(qint64 runId) {
    const int row = model_->rowOfRun(runId);
    if (row < 0) {
        pendingSelection_ = runId;   // selected once the poller lists it
        return;
    }
    const QModelIndex index = proxy_->mapFromSource(model_->index(row, 0));
    view_->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    view_->scrollTo(index);
}

void MainWindow::selectRuns(const QList<qint64>& runIds) {
    QItemSelection selection;
    QModelIndex first;
    for (qint64 id : runIds) {
        const int row = model_->rowOfRun(id);
        if (row < 0) continue;
        const QModelIndex index = proxy_->mapFromSource(model_->index(row, 0));
        if (!index.isValid()) continue;
        if (!first.isValid()) first = index;
        selection.select(index, index);
    }
    if (!first.isValid()) return;
    view_->selectionModel()->setCurrentIndex(first, QItemSelectionModel::NoUpdate);
    view_->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    onSelectionChanged();
}

void MainWindow::setRunsFilter(const QString& text) { filter_->setText(text); }

qint64 MainWindow::selectedRun() const {
    const QModelIndex current = view_->currentIndex();
    return current.isValid() ? current.data(RunsTableModel::RunIdRole).toLongLong() : 0;
}

QList<qint64> MainWindow::selectedRuns() const {
    QList<qint64> ids;
    for (const QModelIndex& index : view_->selectionModel()->selectedRows())
        ids.append(index.data(RunsTableModel::RunIdRole).toLongLong());
    return ids;
}

void MainWindow::deleteSelectedRuns() {
    if (!store_) return;
    QList<qint64> ids = selectedRuns();
    if (ids.isEmpty()) return;
    QStringList names;
    for (qint64 id : ids) {
        const RunListEntry* entry = model_->entryOfRun(id);
        if (!entry) continue;
        if (entry->run.status == store::RunStatus::Running) {
            showError(tr("Cannot delete a running run"),
                      tr("Run “%1” is training. Cancel it first (Run ▸ Cancel), then delete it.")
                          .arg(QString::fromStdString(entry->run.name)));
            return;
        }
        names.append(QStringLiteral("%1 (id %2)").arg(QString::fromStdString(entry->run.name), QString::number(id)));
    }
    const QString question =
        tr("Delete %1 from %2?\n\n%3\n\nTheir metrics, diagnostics and checkpoint files are removed for good.")
            .arg(counted(names.size(), tr("run"), tr("runs")), QFileInfo(storePath_).fileName(),
                 names.mid(0, 12).join(QStringLiteral("\n")) + (names.size() > 12 ? QStringLiteral("\n…") : QString()));
    if (askPlain(this, tr("Delete runs?"), question) != QMessageBox::Yes) return;
    try {
        for (qint64 id : ids) {
            if (scheduler_) scheduler_->cancel(id);   // a queued one must not start while it disappears
            for (const store::CheckpointRow& checkpoint : store_->checkpoints(id))
                QFile::remove(QString::fromStdString(checkpoint.path));
            store_->deleteRun(id);
        }
    } catch (const std::exception& failure) {
        showError(tr("Cannot delete runs"), tr("Deleting from %1 failed: %2").arg(storePath_, QString::fromUtf8(failure.what())));
    }
    if (poller_) QMetaObject::invokeMethod(poller_, &StorePoller::pollNow, Qt::QueuedConnection);
}

void MainWindow::rememberRecentStore(const QString& path) {
    QSettings settings;
    QStringList recent = settings.value(kRecentStoresKey).toStringList();
    recent.removeAll(path);
    recent.prepend(path);
    settings.setValue(kRecentStoresKey, QStringList(recent.mid(0, kRecentStoresKept)));
}

void MainWindow::fillRecentStoresMenu() {
    recentMenu_->clear();
    const QStringList recent = QSettings().value(kRecentStoresKey).toStringList();
    for (const QString& path : recent) {
        QAction* action = recentMenu_->addAction(plainMnemonicText(QDir::toNativeSeparators(path)), this, [this, path] {
            QString error;
            if (!openStore(path, &error)) showError(tr("Cannot open store"), error);
        });
        action->setEnabled(QFileInfo::exists(path) && path != storePath_);
    }
    if (recent.isEmpty()) recentMenu_->addAction(tr("(no stores opened yet)"))->setEnabled(false);
}

void MainWindow::cancelSelectedRun() {
    const qint64 runId = selectedRun();
    const RunListEntry* entry = model_->entryOfRun(runId);
    if (!entry || !scheduler_) return;
    const bool running = entry->run.status == store::RunStatus::Running;
    const QString name = QString::fromStdString(entry->run.name);
    const QString consequence =
        running ? tr("The engine finishes its current step, saves a checkpoint and marks the run killed; "
                     "it can be resumed later. Cancelling again stops the engine at once, without a checkpoint.")
                : tr("It will not be trained and is marked killed.");
    if (askPlain(this, tr("Cancel run?"), tr("Cancel run “%1”?\n\n%2").arg(name, consequence)) != QMessageBox::Yes)
        return;
    QString why;
    if (!scheduler_->cancel(runId, &why)) showError(tr("Cannot cancel “%1”").arg(name), why);
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

QList<qint64> MainWindow::queueRunSpecs(const QList<QByteArray>& specJsons, QString* error) {
    if (!store_) {
        if (error) *error = tr("No results store is open. Open or create one with File ▸ Open store… first.");
        return {};
    }
    // Every spec is checked before any is queued: a half-queued experiment is worse than none.
    std::vector<spec::RunSpec> specs;
    QStringList problems;
    for (int i = 0; i < specJsons.size(); ++i) {
        const spec::ParseResult parsed = spec::parseRunSpec(specJsons[i].toStdString());
        if (parsed.ok()) specs.push_back(*parsed.spec);
        else problems.append(tr("run %1:\n%2").arg(i + 1).arg(QString::fromStdString(parsed.errorText())));
    }
    if (!problems.isEmpty()) {
        if (error) *error = tr("No run was queued; fix these fields first:\n\n%1").arg(problems.join(QStringLiteral("\n")));
        return {};
    }
    QList<qint64> ids;
    try {
        for (const spec::RunSpec& run : specs) ids.append(spec::queueRun(*store_, run));
    } catch (const std::exception& failure) {
        if (error)
            *error = tr("Queued %1 of the %2 runs, then writing to %3 failed: %4")
                         .arg(ids.size()).arg(specs.size()).arg(storePath_, QString::fromUtf8(failure.what()));
    }
    if (options_.trainQueuedRuns)
        for (qint64 id : ids) scheduler_->enqueue(id);
    if (!ids.isEmpty()) selectRun(ids.first());
    if (poller_) QMetaObject::invokeMethod(poller_, &StorePoller::pollNow, Qt::QueuedConnection);
    return ids;
}

void MainWindow::loadSpecIntoDesigner() {
    designer_->loadSpec();
    showPage(Page::Design);
}

void MainWindow::duplicateSelectedRun() {
    const qint64 runId = selectedRun();
    if (!store_ || !runId) return;
    std::optional<store::RunRow> row;
    try {
        row = store_->run(runId);
    } catch (const std::exception& failure) {
        showError(tr("Cannot read run %1").arg(runId), QString::fromUtf8(failure.what()));
        return;
    }
    if (!row) return;
    designer_->loadSpecJson(QByteArray::fromStdString(row->specJson));
    showPage(Page::Design);
    statusBar()->showMessage(tr("The designer holds a copy of “%1”: change it, then queue it (Ctrl+R)")
                                 .arg(QString::fromStdString(row->name)), 8000);
}

void MainWindow::resumeSelectedRun() {
    const qint64 runId = selectedRun();
    QString why;
    if (scheduler_ && runId && !scheduler_->resume(runId, &why)) showError(tr("Cannot resume run %1").arg(runId), why);
}

void MainWindow::retrySelectedRun() {
    const qint64 runId = selectedRun();
    QString why;
    if (scheduler_ && runId && !scheduler_->retry(runId, &why)) showError(tr("Cannot retry run %1").arg(runId), why);
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
    model_->setRuns(runs);
    designer_->setStoreRuns(runs);
    queuePanel_->setRuns(runs);
    if (pendingSelection_ && model_->rowOfRun(pendingSelection_) >= 0) {
        const qint64 runId = pendingSelection_;
        pendingSelection_ = 0;
        selectRun(runId);
    } else if (selectFirstListedRun_ && !view_->currentIndex().isValid() && !runs.isEmpty()) {
        // On opening a store, show what is happening: a run this window trains, else the newest
        // running run, else the newest run.
        qint64 first = scheduler_ ? scheduler_->activeRun() : 0;
        for (const RunListEntry& entry : runs) {
            if (first) break;
            if (entry.run.status == store::RunStatus::Running) first = entry.run.id;
        }
        selectRun(first ? first : runs.first().run.id);
    }
    if (proxy_->rowCount() > 0) selectFirstListedRun_ = false;
    updateHeader();
    updateStatusBar();
    updateActions();
}

void MainWindow::onSelectionChanged() {
    const qint64 runId = selectedRun();
    if (runId != live_->runId()) {
        const RunListEntry* entry = model_->entryOfRun(runId);
        live_->showRun(runId, entry ? QString::fromStdString(entry->run.name) : QString());
        if (scheduler_ && runId) live_->diagnostics()->setStderrTail(runId, scheduler_->stderrTail(runId));
        emit watchedRunsChanged(runId ? QList<qint64>{runId} : QList<qint64>{});
    }
    updateHeader();
    updateActions();
}

void MainWindow::onProgress(const RunProgress& progress) {
    model_->setLiveProgress(progress);
    if (progress.runId == selectedRun()) updateHeader();
}

void MainWindow::onRunEnded(qint64 runId, int exitCode, bool crashed) {
    if (crashed)
        statusBar()->showMessage(tr("The engine of run %1 stopped on a signal; see the run's error.").arg(runId), 10000);
    else if (exitCode != 0)
        statusBar()->showMessage(tr("The engine of run %1 exited with code %2; see the run's error.").arg(runId).arg(exitCode),
                                 10000);
    if (scheduler_ && runId == selectedRun()) live_->diagnostics()->setStderrTail(runId, scheduler_->stderrTail(runId));
    updateActions();
}

void MainWindow::updateHeader() {
    const qint64 runId = selectedRun();
    live_->header()->showRun(model_->entryOfRun(runId), model_->liveProgress(runId));
}

void MainWindow::updateStatusBar() {
    machineLabel_->setText(counted(QThread::idealThreadCount(), tr("core"), tr("cores")));
    if (storePath_.isEmpty()) {
        storeLabel_->setText(tr("no store open: File ▸ Open store…"));
        countsLabel_->clear();
        return;
    }
    storeLabel_->setText(tr("store: %1").arg(QDir::toNativeSeparators(storePath_)));
    QString counts = tr("running %1 · queued %2")
                         .arg(model_->countWithStatus(store::RunStatus::Running))
                         .arg(model_->countWithStatus(store::RunStatus::Queued));
    if (!options_.trainQueuedRuns) counts += tr(" · training off (--no-queue)");
    countsLabel_->setText(counts);
}

void MainWindow::updateActions() {
    const qint64 runId = selectedRun();
    const bool selected = store_ && runId != 0;
    deleteAction_->setEnabled(store_ && !selectedRuns().isEmpty());
    duplicateAction_->setEnabled(selected);
    compareAction_->setEnabled(store_ && !selectedRuns().isEmpty());
    cancelAction_->setEnabled(selected && scheduler_ && scheduler_->canCancel(runId));
    resumeAction_->setEnabled(selected && scheduler_ && scheduler_->canResume(runId));
    retryAction_->setEnabled(selected && scheduler_ && scheduler_->canRetry(runId));
    queueAction_->setEnabled(store_ != nullptr);
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
    if (scheduler_ && scheduler_->isBusy()) {
        const auto answer = QMessageBox::question(
            this, tr("Stop the training runs?"),
            tr("Training now: %1. Quitting stops them after their current step; they are marked killed and "
               "can be resumed later (Run ▸ Resume). Queued runs stay queued for the next start. Quit?")
                .arg(counted(scheduler_->runningRuns().size(), tr("run"), tr("runs"))));
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
