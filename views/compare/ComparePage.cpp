#include "ComparePage.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QThread>
#include <QVBoxLayout>

#include "Counted.h"
#include "CompareTableModel.h"
#include "CurveControls.h"
#include "GroupedTableModel.h"
#include "MetricPlot.h"
#include "ParallelCoordinates.h"
#include "StatisticsPanel.h"

namespace distillery::views {

namespace {

QTableView* makeTable(QAbstractItemModel* model, QWidget* parent) {
    auto* view = new QTableView(parent);
    view->setModel(model);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setAlternatingRowColors(true);
    view->setWordWrap(false);
    view->verticalHeader()->hide();
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    view->horizontalHeader()->setSortIndicatorClearable(true);
    // No sort indicator: the rows stay in the order the runs were selected until a header is clicked.
    view->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
    view->setSortingEnabled(true);
    return view;
}

QSortFilterProxyModel* makeProxy(QAbstractItemModel* source, int sortRole, QObject* parent) {
    auto* proxy = new QSortFilterProxyModel(parent);
    proxy->setSourceModel(source);
    proxy->setSortRole(sortRole);
    proxy->setSortCaseSensitivity(Qt::CaseInsensitive);
    return proxy;
}

}  // namespace

ComparePage::ComparePage(QWidget* parent) : QWidget(parent) {
    CompareLoader::registerMetaTypes();

    plot_ = new MetricPlot(this);
    plot_->setColourBy(MetricPlot::ColourBy::Run);
    plot_->setEmptyText(tr("Select runs in the list to compare them"));
    controls_ = new CurveControls(plot_, this);
    controls_->setCurveModesOffered(true);   // each run, or per configuration mean ± std / 95% CI
    // Compared curves are mostly evaluations, a handful of points per run: smoothing them would
    // shift the curves and their best points. Off until the user moves the slider.
    plot_->setSmoothing(0);

    tableModel_ = new CompareTableModel(this);
    groupedModel_ = new GroupedTableModel(this);
    tableProxy_ = makeProxy(tableModel_, CompareTableModel::SortRole, this);
    groupedProxy_ = makeProxy(groupedModel_, GroupedTableModel::SortRole, this);

    status_ = new QLabel(this);
    status_->setTextFormat(Qt::PlainText);   // errors quote the store's path as given
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* plotRow = new QWidget(this);
    auto* plotLayout = new QHBoxLayout(plotRow);
    plotLayout->setContentsMargins(0, 0, 0, 0);
    controls_->setMaximumWidth(280);
    plotLayout->addWidget(controls_);
    plotLayout->addWidget(plot_, 1);

    auto* runsPane = new QWidget(this);
    auto* runsLayout = new QVBoxLayout(runsPane);
    runsLayout->setContentsMargins(0, 0, 0, 0);
    auto* runsHeader = new QHBoxLayout;
    runsHeader->addWidget(new QLabel(tr("Runs"), runsPane), 1);
    differencesOnly_ = new QCheckBox(tr("Differences only"), runsPane);
    differencesOnly_->setChecked(tableModel_->differencesOnly());
    differencesOnly_->setToolTip(tr("Show only the spec fields whose values differ between the runs"));
    runsHeader->addWidget(differencesOnly_);
    runsLayout->addLayout(runsHeader);
    tableView_ = makeTable(tableProxy_, runsPane);
    runsLayout->addWidget(tableView_, 1);

    auto* groupsPane = new QWidget(this);
    auto* groupsLayout = new QVBoxLayout(groupsPane);
    groupsLayout->setContentsMargins(0, 0, 0, 0);
    groupsLayout->addWidget(new QLabel(tr("Grouped by configuration across seeds (mean ± sample std)"), groupsPane));
    groupedView_ = makeTable(groupedProxy_, groupsPane);
    groupsLayout->addWidget(groupedView_, 1);

    tablesSplitter_ = new QSplitter(Qt::Vertical, this);
    tablesSplitter_->addWidget(runsPane);
    // The statistics between configurations sit beside the grouped table they test.
    statisticsPanel_ = new StatisticsPanel(this);
    auto* groupTabs = new QTabWidget(this);
    groupTabs->setDocumentMode(true);
    groupTabs->addTab(groupsPane, tr("Grouped"));
    groupTabs->addTab(statisticsPanel_, tr("Statistics"));
    tablesSplitter_->addWidget(groupTabs);
    tablesSplitter_->setStretchFactor(0, 3);
    tablesSplitter_->setStretchFactor(1, 2);
    splitter_ = new QSplitter(Qt::Vertical, this);
    // The curves, and the same runs in parallel coordinates (the fields they vary against a metric).
    parallel_ = new ParallelCoordinates(this);
    plotTabs_ = new QTabWidget(this);
    plotTabs_->setDocumentMode(true);
    plotTabs_->addTab(plotRow, tr("Curves"));
    plotTabs_->addTab(parallel_, tr("Parallel coordinates"));
    splitter_->addWidget(plotTabs_);
    splitter_->addWidget(tablesSplitter_);
    splitter_->setStretchFactor(0, 1);
    splitter_->setStretchFactor(1, 1);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(status_);
    layout->addWidget(splitter_, 1);

    connect(differencesOnly_, &QCheckBox::toggled, tableModel_, &CompareTableModel::setDifferencesOnly);
    connect(parallel_, &ParallelCoordinates::selectionChanged, this, &ComparePage::selectRuns);
    connect(plot_, &MetricPlot::visibleKeysChanged, this, &ComparePage::onVisibleKeysChanged);
    connect(tableView_, &QTableView::doubleClicked, this, [this](const QModelIndex& index) {
        emit runActivated(index.data(CompareTableModel::RunIdRole).toLongLong());
    });

    // The loader lives on a thread of its own for the page's whole life.
    thread_ = new QThread(this);
    thread_->setObjectName(QStringLiteral("compare-loader"));
    loader_ = new CompareLoader();
    loader_->moveToThread(thread_);
    connect(thread_, &QThread::finished, loader_, &QObject::deleteLater);
    connect(loader_, &CompareLoader::loaded, this, &ComparePage::onLoaded);
    connect(loader_, &CompareLoader::seriesLoaded, this, &ComparePage::onSeriesLoaded);
    connect(loader_, &CompareLoader::failed, this, &ComparePage::onFailed);
    thread_->start();

    setStatus(tr("Select runs in the runs list (Ctrl+click for several) to compare them."), false);
}

ComparePage::~ComparePage() {
    thread_->quit();
    thread_->wait();
}

void ComparePage::setStorePath(const QString& storePath) {
    if (storePath == storePath_) return;
    storePath_ = storePath;
    CompareLoader* loader = loader_;
    QMetaObject::invokeMethod(loader_, [loader, storePath] { loader->setStorePath(storePath); }, Qt::QueuedConnection);
    runIds_.clear();
    ++requestId_;   // answers about the old store are dropped
    loading_ = false;
    clearContents();
    setStatus(tr("Select runs in the runs list (Ctrl+click for several) to compare them."), false);
}

void ComparePage::setRuns(const QList<qint64>& runIds) {
    runIds_ = runIds;
    ++requestId_;
    if (runIds.isEmpty()) {
        loading_ = false;
        clearContents();
        setStatus(tr("Select runs in the runs list (Ctrl+click for several) to compare them."), false);
        return;
    }
    loading_ = true;
    setStatus(tr("Loading %1…").arg(counted(static_cast<int>(runIds.size()), tr("run"), tr("runs"))), false);
    // The metrics already chosen come with the first answer; without a choice, the loader picks.
    const QStringList keys = plot_->keysChosen() ? plot_->chosenKeys() : QStringList();
    CompareLoader* loader = loader_;
    const quint64 id = requestId_;
    QMetaObject::invokeMethod(
        loader_, [loader, id, runIds, keys] { loader->load(id, runIds, keys); }, Qt::QueuedConnection);
}

void ComparePage::reload() { setRuns(runIds_); }

void ComparePage::onLoaded(quint64 requestId, const CompareData& data) {
    if (requestId != requestId_) return;   // a newer selection is on its way
    loading_ = false;
    runs_ = data.runs;
    requestedKeys_ = data.keys;

    plot_->clearSeries();
    plot_->declareKeys(metricKeysOf(runs_));
    if (!plot_->keysChosen() || plot_->chosenKeys().isEmpty()) plot_->setChosenKeys(data.keys);
    QHash<qint64, QColor> colors;
    for (const ComparedRun& run : runs_) {
        plot_->setSeries(run.run.id, QString::fromStdString(run.run.name), data.series.value(run.run.id));
        colors.insert(run.run.id, plot_->runColor(run.run.id));
    }
    plot_->followData();

    tableModel_->setRuns(runs_);
    tableModel_->setMetrics(plot_->visibleKeys());
    tableModel_->setRunColors(colors);
    groupedModel_->setRuns(runs_);
    groupedModel_->setMetrics(plot_->visibleKeys());
    // The banded curve modes draw the grouped table's configurations, under the same labels.
    QList<MetricPlot::SeedGroup> seedGroups;
    for (const RunGroup& group : groupedModel_->groups()) {
        MetricPlot::SeedGroup seedGroup{group.label, {}};
        for (int member : group.members) seedGroup.runIds.append(runs_.at(member).run.id);
        seedGroups.append(seedGroup);
    }
    plot_->setSeedGroups(seedGroups);
    parallel_->setRuns(runs_);
    statisticsPanel_->setRuns(runs_);

    setStatus(loadedSummary(), false);
    emit runsLoaded();
    requestMissingSeries();   // keys picked while the runs were loading
}

void ComparePage::onVisibleKeysChanged(const QStringList& keys) {
    tableModel_->setMetrics(keys);
    groupedModel_->setMetrics(keys);
    if (!loading_) requestMissingSeries();
}

void ComparePage::requestMissingSeries() {
    if (runs_.isEmpty()) return;
    QStringList missing;
    for (const QString& key : plot_->visibleKeys())
        if (!requestedKeys_.contains(key)) missing.append(key);
    if (missing.isEmpty()) return;
    requestedKeys_ += missing;
    CompareLoader* loader = loader_;
    const quint64 id = requestId_;
    const QList<qint64> ids = runIds_;
    QMetaObject::invokeMethod(
        loader_, [loader, id, ids, missing] { loader->loadSeries(id, ids, missing); }, Qt::QueuedConnection);
}

void ComparePage::onSeriesLoaded(quint64 requestId, const QStringList& /*keys*/,
                                 const QHash<qint64, MetricSeriesList>& series) {
    if (requestId != requestId_) return;
    for (const ComparedRun& run : runs_) {
        const MetricSeriesList ofRun = series.value(run.run.id);
        if (!ofRun.isEmpty()) plot_->appendPoints(run.run.id, ofRun);
    }
    emit seriesLoaded();
}

void ComparePage::onFailed(quint64 requestId, const QString& message) {
    if (requestId != requestId_) return;
    loading_ = false;
    setStatus(message, true);
    emit loadFailed(message);
}

void ComparePage::clearContents() {
    runs_.clear();
    requestedKeys_.clear();
    plot_->clearSeries();
    tableModel_->setRuns({});
    groupedModel_->setRuns({});
    parallel_->setRuns({});
    statisticsPanel_->setRuns({});
}

void ComparePage::selectRuns(const QList<qint64>& runIds) {
    QItemSelection selection;
    for (int row = 0; row < tableProxy_->rowCount(); ++row) {
        const QModelIndex first = tableProxy_->index(row, 0);
        if (runIds.contains(first.data(CompareTableModel::RunIdRole).toLongLong()))
            selection.select(first, tableProxy_->index(row, tableProxy_->columnCount() - 1));
    }
    tableView_->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    if (!selection.isEmpty()) tableView_->scrollTo(selection.first().topLeft());
}

QString ComparePage::statusText() const { return status_->text(); }

QString ComparePage::loadedSummary() const {
    const int groups = static_cast<int>(groupedModel_->groups().size());
    const int differing = static_cast<int>(differingKeys(runs_).size());
    return counted(static_cast<int>(runs_.size()), tr("run"), tr("runs")) + QStringLiteral(" · ") +
           counted(groups, tr("configuration"), tr("configurations")) + QStringLiteral(" · ") +
           counted(differing, tr("spec field differs"), tr("spec fields differ"));
}

void ComparePage::setStatus(const QString& text, bool isError) {
    QPalette pal = palette();
    // Qt's palette has no error role: the failed icon's vermillion reads on light and dark alike.
    if (isError) pal.setColor(QPalette::WindowText, QColor(0xD5, 0x5E, 0x00));
    status_->setPalette(pal);
    status_->setText(text);
}

QVariantMap ComparePage::saveState() const {
    QVariantMap state;
    state.insert(QStringLiteral("curves"), controls_->saveState());
    state.insert(QStringLiteral("differencesOnly"), differencesOnly_->isChecked());
    state.insert(QStringLiteral("splitter"), splitter_->saveState());
    state.insert(QStringLiteral("tablesSplitter"), tablesSplitter_->saveState());
    state.insert(QStringLiteral("plotTab"), plotTabs_->currentIndex());
    state.insert(QStringLiteral("statistics"), statisticsPanel_->saveState());
    return state;
}

void ComparePage::restoreState(const QVariantMap& state) {
    if (state.contains(QStringLiteral("curves"))) controls_->restoreState(state.value(QStringLiteral("curves")).toMap());
    if (state.contains(QStringLiteral("differencesOnly")))
        differencesOnly_->setChecked(state.value(QStringLiteral("differencesOnly")).toBool());
    if (state.contains(QStringLiteral("splitter"))) splitter_->restoreState(state.value(QStringLiteral("splitter")).toByteArray());
    if (state.contains(QStringLiteral("tablesSplitter")))
        tablesSplitter_->restoreState(state.value(QStringLiteral("tablesSplitter")).toByteArray());
    if (state.contains(QStringLiteral("plotTab")))
        plotTabs_->setCurrentIndex(state.value(QStringLiteral("plotTab")).toInt());
    if (state.contains(QStringLiteral("statistics")))
        statisticsPanel_->restoreState(state.value(QStringLiteral("statistics")).toMap());
}

}  // namespace distillery::views
