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
#include <QSettings>
#include <QScreen>
#include <QSortFilterProxyModel>
#include <QStatusBar>
#include <QTableView>
#include <QThread>
#include <QVBoxLayout>

#include "CurvePlot.h"
#include "ProgressBarDelegate.h"
#include "RunHeader.h"
#include "RunLauncher.h"
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
const char* kLastStoreKey = "store/lastPath";
const char* kLastSpecDirKey = "dialogs/lastSpecDir";
const char* kRecentStoresKey = "store/recent";
constexpr int kRecentStoresKept = 8;
}  // namespace

MainWindow::MainWindow(Options options, QWidget* parent) : QMainWindow(parent), options_(std::move(options)) {
    StorePoller::registerMetaTypes();
    setWindowTitle(tr("Distillery"));
    setWindowIcon(StatusIcons::application());
    createCentralArea();
    createActions();

    storeLabel_ = new QLabel(this);
    countsLabel_ = new QLabel(this);
    statusBar()->addPermanentWidget(storeLabel_, 1);
    statusBar()->addPermanentWidget(countsLabel_);

    QSettings settings;
    if (!restoreGeometry(settings.value(kGeometryKey).toByteArray())) {
        // First start: room for the runs table's main columns beside a plot of useful width.
        QSize size(1440, 860);
        if (const QScreen* screen = QGuiApplication::primaryScreen())
            size = size.boundedTo(screen->availableSize() * 0.95);
        resize(size);
    }
    // The table's main columns want ~700 px; on a small screen the plot keeps at least 45 %.
    resizeDocks({runsDock_}, {qMin(700, width() * 55 / 100)}, Qt::Horizontal);
    restoreState(settings.value(kStateKey).toByteArray());
    updateStatusBar();
    updateActions();
}

MainWindow::~MainWindow() { closeStore(); }

void MainWindow::createCentralArea() {
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
    header->setSectionResizeMode(RunsTableModel::StatusColumn, QHeaderView::ResizeToContents);
    header->setSectionResizeMode(RunsTableModel::MethodColumn, QHeaderView::ResizeToContents);
    header->setSectionResizeMode(RunsTableModel::PairColumn, QHeaderView::ResizeToContents);
    header->setSectionResizeMode(RunsTableModel::DatasetColumn, QHeaderView::ResizeToContents);
    header->setSectionResizeMode(RunsTableModel::BestValAccColumn, QHeaderView::ResizeToContents);
    header->setSectionResizeMode(RunsTableModel::LastTestAccColumn, QHeaderView::ResizeToContents);
    header->resizeSection(RunsTableModel::NameColumn, 150);
    header->resizeSection(RunsTableModel::ProgressColumn, 90);
    header->setStretchLastSection(true);
    // No sort column: the store's order (newest first) until the user clicks a header.
    header->setSortIndicator(-1, Qt::AscendingOrder);
    header->setSortIndicatorClearable(true);
    view_->setSortingEnabled(true);
    connect(view_->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &MainWindow::onSelectionChanged);
    connect(view_->selectionModel(), &QItemSelectionModel::selectionChanged, this, &MainWindow::updateActions);

    auto* dock = new QDockWidget(tr("Runs"), this);
    dock->setObjectName(QStringLiteral("runsDock"));   // for saveState()
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    filter_ = new QLineEdit(this);
    filter_->setPlaceholderText(tr("Filter: method:sakd seed:1 r8x4"));
    filter_->setClearButtonEnabled(true);
    filter_->setToolTip(tr("Every word must match. key:value matches one field (%1); other words match the "
                           "name, method, teacher, student or data set.")
                            .arg(RunsFilterProxy::filterKeys().join(QStringLiteral(", "))));
    connect(filter_, &QLineEdit::textChanged, proxy_, &RunsFilterProxy::setFilterText);
    auto* runsPane = new QWidget(this);
    auto* runsLayout = new QVBoxLayout(runsPane);
    runsLayout->setContentsMargins(0, 0, 0, 0);
    runsLayout->setSpacing(2);
    runsLayout->addWidget(filter_);
    runsLayout->addWidget(view_, 1);
    dock->setWidget(runsPane);
    addDockWidget(Qt::LeftDockWidgetArea, dock);
    runsDock_ = dock;

    header_ = new RunHeader(this);
    plot_ = new CurvePlot(this);
    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(header_);
    layout->addWidget(plot_, 1);
    setCentralWidget(central);
}

void MainWindow::createActions() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(StatusIcons::action(QStringLiteral("open"), palette()), tr("&Open store…"), this,
                                    &MainWindow::openStoreDialog);
    open->setShortcut(QKeySequence::Open);
    open->setStatusTip(tr("Open or create a results store (.sqlite)"));
    recentMenu_ = file->addMenu(tr("Open &recent"));
    connect(recentMenu_, &QMenu::aboutToShow, this, &MainWindow::fillRecentStoresMenu);
    QAction* newRuns = file->addAction(tr("&New run from spec…"), this, &MainWindow::newRunsFromSpecDialog);
    newRuns->setShortcut(QKeySequence::New);
    newRuns->setStatusTip(tr("Queue the runs of an experiment or run-spec JSON file"));
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* run = menuBar()->addMenu(tr("&Run"));
    cancelAction_ = run->addAction(StatusIcons::action(QStringLiteral("cancel"), palette()), tr("&Cancel"), this,
                                   &MainWindow::cancelSelectedRun);
    cancelAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Period));
    cancelAction_->setStatusTip(tr("Stop the selected run after its current step, or drop it from the queue"));
    run->addSeparator();
    deleteAction_ = run->addAction(StatusIcons::action(QStringLiteral("delete"), palette()), tr("&Delete…"), this,
                                   &MainWindow::deleteSelectedRuns);
    deleteAction_->setShortcut(QKeySequence::Delete);
    deleteAction_->setShortcutContext(Qt::WidgetWithChildrenShortcut);   // only while the runs list has focus
    view_->addAction(deleteAction_);
    deleteAction_->setStatusTip(tr("Remove the selected runs, their metrics, diagnostics and checkpoints (asks first)"));

    view_->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(view_, &QWidget::customContextMenuRequested, this, [this, run](const QPoint& at) {
        if (view_->indexAt(at).isValid()) run->popup(view_->viewport()->mapToGlobal(at));
    });

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Distillery"), this, &MainWindow::showAbout);
}

bool MainWindow::openStore(const QString& path, QString* error) {
    const QString absolute = QFileInfo(path).absoluteFilePath();
    std::unique_ptr<store::Store> store;
    try {
        // The GUI thread opens the file first so that it is created and migrated before the
        // poller's read-only connection and the engines see it.
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
        launcher_ = new RunLauncher(storePath_, options_.enginePath.isEmpty() ? RunLauncher::defaultEnginePath()
                                                                               : options_.enginePath,
                                    this);
    } catch (const std::exception& failure) {
        if (error) *error = tr("Cannot open %1 for training runs: %2").arg(storePath_, QString::fromUtf8(failure.what()));
        store_.reset();
        storePath_.clear();
        updateStatusBar();
        return false;
    }
    connect(launcher_, &RunLauncher::progressed, this, &MainWindow::onProgress);
    connect(launcher_, &RunLauncher::runEnded, this, &MainWindow::onRunEnded);
    connect(launcher_, &RunLauncher::queueChanged, this, &MainWindow::updateActions);
    connect(launcher_, &RunLauncher::engineUnavailable, this,
            [this](const QString& message) { showError(tr("Cannot start training"), message); });

    pollerThread_ = new QThread(this);
    pollerThread_->setObjectName(QStringLiteral("StorePoller"));
    poller_ = new StorePoller(storePath_, options_.pollIntervalMs);
    poller_->moveToThread(pollerThread_);
    connect(pollerThread_, &QThread::started, poller_, &StorePoller::start);
    connect(pollerThread_, &QThread::finished, poller_, &QObject::deleteLater);
    connect(this, &MainWindow::watchedRunsChanged, poller_, &StorePoller::watchRuns);
    connect(poller_, &StorePoller::runsChanged, this, &MainWindow::onRunsChanged);
    connect(poller_, &StorePoller::historyLoaded, plot_, &CurvePlot::setHistory);
    connect(poller_, &StorePoller::pointsAppended, plot_, &CurvePlot::appendPoints);
    connect(poller_, &StorePoller::failed, this, [this](const QString& message) {
        statusBar()->showMessage(message);
    });
    pollerThread_->start();

    selectFirstListedRun_ = true;
    QSettings().setValue(kLastStoreKey, storePath_);
    rememberRecentStore(storePath_);
    setWindowTitle(tr("%1 — Distillery").arg(QFileInfo(storePath_).fileName()));
    if (options_.trainQueuedRuns) launcher_->enqueueQueuedRuns();
    updateStatusBar();
    updateActions();
    return true;
}

void MainWindow::closeStore() {
    if (pollerThread_) {
        pollerThread_->quit();
        pollerThread_->wait();   // the poller is deleted on the thread's way out (deleteLater)
        delete pollerThread_;
        pollerThread_ = nullptr;
        poller_ = nullptr;
    }
    if (launcher_) {
        launcher_->disconnect(this);
        delete launcher_;   // stops a training engine: the run is marked killed and can be resumed
        launcher_ = nullptr;
    }
    store_.reset();
    storePath_.clear();
    model_->clear();
    plot_->showRun(0);
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

    if (launcher_ && launcher_->isBusy()) {
        const auto answer = QMessageBox::question(
            this, tr("Stop the training run?"),
            tr("Run %1 is training in the current store. Opening another store stops it after its current step "
               "(it is marked killed and can be resumed later). Open %2 anyway?")
                .arg(launcher_->activeRun()).arg(QFileInfo(path).fileName()));
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
            *error = tr("%1 has %n error(s); no run was queued. Fix these fields and open the file again:\n\n%2", "",
                        static_cast<int>(parsed.errors.size()))
                         .arg(QDir::toNativeSeparators(path), QString::fromStdString(parsed.errorText()));
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
        for (qint64 id : ids) launcher_->enqueue(id);
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
    QString message = tr("Queued %n run(s) from %1", "", static_cast<int>(ids.size())).arg(QFileInfo(path).fileName());
    if (!options_.trainQueuedRuns) message += tr(" (this window trains nothing: started with --no-queue)");
    statusBar()->showMessage(message, 8000);
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
        names.append(QStringLiteral("%1 (id %2)").arg(QString::fromStdString(entry->run.name)).arg(id));
    }
    const QString question =
        tr("Delete %n run(s) from %1?\n\n%2\n\nTheir metrics, diagnostics and checkpoint files are removed for good.",
           "", static_cast<int>(names.size()))
            .arg(QFileInfo(storePath_).fileName(), names.mid(0, 12).join(QStringLiteral("\n")) +
                                                       (names.size() > 12 ? QStringLiteral("\n…") : QString()));
    if (QMessageBox::question(this, tr("Delete runs?"), question) != QMessageBox::Yes) return;
    try {
        for (qint64 id : ids) {
            if (launcher_) launcher_->cancel(id);   // a queued one must not start while it disappears
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
        QAction* action = recentMenu_->addAction(QDir::toNativeSeparators(path), this, [this, path] {
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
    if (!entry || !launcher_) return;
    const bool running = entry->run.status == store::RunStatus::Running;
    const QString name = QString::fromStdString(entry->run.name);
    const QString consequence =
        running ? tr("The engine finishes its current step, saves a checkpoint and marks the run killed; "
                     "it can be resumed later. Cancelling again stops the engine at once, without a checkpoint.")
                : tr("It will not be trained and is marked killed.");
    if (QMessageBox::question(this, tr("Cancel run?"), tr("Cancel run “%1”?\n\n%2").arg(name, consequence)) !=
        QMessageBox::Yes)
        return;
    QString why;
    if (!launcher_->cancel(runId, &why)) showError(tr("Cannot cancel “%1”").arg(name), why);
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

void MainWindow::onRunsChanged(const RunList& runs) {
    model_->setRuns(runs);
    if (pendingSelection_ && model_->rowOfRun(pendingSelection_) >= 0) {
        const qint64 runId = pendingSelection_;
        pendingSelection_ = 0;
        selectRun(runId);
    } else if (selectFirstListedRun_ && !view_->currentIndex().isValid() && !runs.isEmpty()) {
        // On opening a store, show what is happening: the run this window trains, else the newest
        // running run, else the newest run.
        qint64 first = launcher_ && launcher_->isBusy() ? launcher_->activeRun() : 0;
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

void MainWindow::onSelectionChanged() {
    const qint64 runId = selectedRun();
    if (runId != plot_->runId()) {
        plot_->showRun(runId);
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
    updateActions();
}

void MainWindow::updateHeader() {
    const qint64 runId = selectedRun();
    header_->showRun(model_->entryOfRun(runId), model_->liveProgress(runId));
}

void MainWindow::updateStatusBar() {
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
    const RunListEntry* entry = model_->entryOfRun(selectedRun());
    deleteAction_->setEnabled(store_ && !selectedRuns().isEmpty());
    cancelAction_->setEnabled(launcher_ && entry &&
                              (entry->run.status == store::RunStatus::Queued ||
                               entry->run.status == store::RunStatus::Running));
}

void MainWindow::showError(const QString& title, const QString& text, const QString& details) {
    // Non-blocking: errors arrive from the queue and the poller while the user works.
    auto* box = new QMessageBox(QMessageBox::Warning, title, text, QMessageBox::Ok, this);
    if (!details.isEmpty()) box->setDetailedText(details);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (launcher_ && launcher_->isBusy()) {
        const auto answer = QMessageBox::question(
            this, tr("Stop the training run?"),
            tr("Run %1 is training. Quitting stops it after its current step; it is marked killed and can be "
               "resumed later (distillery-engine resume). Queued runs stay queued for the next start. Quit?")
                .arg(launcher_->activeRun()));
        if (answer != QMessageBox::Yes) {
            event->ignore();
            return;
        }
    }
    QSettings settings;
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kStateKey, saveState());
    closeStore();
    event->accept();
}

}  // namespace distillery::views
