#pragma once
// The runs list of the window: a filter box (key:value words and free text) over a table of the
// store's runs, sortable by any column. Several runs can be selected (for Compare and Report); the
// current one is the run the Live page shows. A run can be selected before the list shows it: it is
// selected as soon as a snapshot lists it.
#include <QList>
#include <QWidget>

#include "RunListEntry.h"

class QLineEdit;
class QTableView;

namespace distillery::views {

class RunsFilterProxy;
class RunsTableModel;

class RunsPane : public QWidget {
    Q_OBJECT
public:
    explicit RunsPane(QWidget* parent = nullptr);

    RunsTableModel* model() const { return model_; }
    QTableView* view() const { return view_; }

    // A new snapshot of the store's runs. With no run selected yet after clear(), the first listed
    // run to show is preferred (e.g. one this window trains) when it is listed, else the newest running
    // run, else the newest run.
    void setRuns(const RunList& runs, qint64 preferred);
    void clear();   // no runs, no pending selection; the next snapshot selects a run again

    void selectRun(qint64 runId);                   // also a run not listed yet
    void selectRuns(const QList<qint64>& runIds);   // listed runs only; the first becomes current
    qint64 selectedRun() const;                     // 0 when none
    QList<qint64> selectedRuns() const;
    void setFilterText(const QString& text);        // as typed into the filter box
    void focusFilter();

signals:
    void currentRunChanged();
    void selectionChanged();
    void runActivated();   // double-clicked

private:
    RunsTableModel* model_;
    RunsFilterProxy* proxy_;
    QLineEdit* filter_;
    QTableView* view_;
    qint64 pendingSelection_ = 0;     // a run to select as soon as a snapshot lists it
    bool selectFirstListedRun_ = true;
};

}  // namespace distillery::views
