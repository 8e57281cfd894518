#include "RunsPane.h"

#include <QHeaderView>
#include <QLineEdit>
#include <QTableView>
#include <QVBoxLayout>

#include "PlainText.h"
#include "ProgressBarDelegate.h"
#include "RunsFilterProxy.h"
#include "RunsTableModel.h"

namespace distillery::views {

RunsPane::RunsPane(QWidget* parent)
    : QWidget(parent), model_(new RunsTableModel(this)), proxy_(new RunsFilterProxy(this)),
      filter_(new QLineEdit(this)), view_(new QTableView(this)) {
    proxy_->setSourceModel(model_);
    proxy_->setSortRole(RunsTableModel::SortRole);

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
                       RunsTableModel::DatasetColumn, RunsTableModel::TestAtBestValColumn,
                       RunsTableModel::BestValAccColumn, RunsTableModel::StudyColumn, RunsTableModel::TagsColumn})
        header->setSectionResizeMode(column, QHeaderView::ResizeToContents);
    header->resizeSection(RunsTableModel::NameColumn, 150);
    header->resizeSection(RunsTableModel::NoteColumn, 160);   // a long note would push the data set out of sight
    header->resizeSection(RunsTableModel::ProgressColumn, 90);
    header->setStretchLastSection(true);
    // No sort column: the store's order (newest first) until the user clicks a header.
    header->setSortIndicator(-1, Qt::AscendingOrder);
    header->setSortIndicatorClearable(true);
    view_->setSortingEnabled(true);
    connect(view_->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &RunsPane::currentRunChanged);
    connect(view_->selectionModel(), &QItemSelectionModel::selectionChanged, this, &RunsPane::selectionChanged);
    connect(view_, &QAbstractItemView::doubleClicked, this, &RunsPane::runActivated);

    filter_->setPlaceholderText(tr("Filter: method:sakd tag:ablation optim.lr<0.05 r8x4"));
    filter_->setClearButtonEnabled(true);
    filter_->setToolTip(plainToolTip(RunsFilterProxy::syntaxHelp()));   // "<0.05" is not markup
    connect(filter_, &QLineEdit::textChanged, proxy_, &RunsFilterProxy::setFilterText);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(filter_);
    layout->addWidget(view_, 1);
}

void RunsPane::setRuns(const RunList& runs, qint64 preferred) {
    model_->setRuns(runs);
    if (pendingSelection_ && model_->rowOfRun(pendingSelection_) >= 0) {
        const qint64 runId = pendingSelection_;
        pendingSelection_ = 0;
        selectRun(runId);
    } else if (selectFirstListedRun_ && !view_->currentIndex().isValid() && !runs.isEmpty()) {
        // On opening a store, show what is happening.
        qint64 first = preferred;
        for (const RunListEntry& entry : runs) {
            if (first) break;
            if (entry.run.status == store::RunStatus::Running) first = entry.run.id;
        }
        selectRun(first ? first : runs.first().run.id);
    }
    if (proxy_->rowCount() > 0) selectFirstListedRun_ = false;
}

void RunsPane::clear() {
    model_->clear();
    pendingSelection_ = 0;
    selectFirstListedRun_ = true;
}

void RunsPane::selectRun(qint64 runId) {
    const int row = model_->rowOfRun(runId);
    if (row < 0) {
        pendingSelection_ = runId;   // selected once a snapshot lists it
        return;
    }
    const QModelIndex index = proxy_->mapFromSource(model_->index(row, 0));
    view_->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    view_->scrollTo(index);
}

void RunsPane::selectRuns(const QList<qint64>& runIds) {
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
    emit currentRunChanged();
}

qint64 RunsPane::selectedRun() const {
    const QModelIndex current = view_->currentIndex();
    return current.isValid() ? current.data(RunsTableModel::RunIdRole).toLongLong() : 0;
}

QList<qint64> RunsPane::selectedRuns() const {
    QList<qint64> ids;
    for (const QModelIndex& index : view_->selectionModel()->selectedRows())
        ids.append(index.data(RunsTableModel::RunIdRole).toLongLong());
    return ids;
}

void RunsPane::setFilterText(const QString& text) { filter_->setText(text); }

void RunsPane::focusFilter() {
    filter_->setFocus(Qt::ShortcutFocusReason);
    filter_->selectAll();
}

}  // namespace distillery::views
