#pragma once
// The Compare tab: the runs selected in the runs list side by side.
//
//   ┌ status: 6 runs · 2 configurations ───────────────────────────────┐
//   │ [Curves | Parallel coordinates]                                  │
//   │ metric picker, curves (each run / mean ± std / mean ± 95% CI), x axis, smoothing, log │ overlay plot │
//   │ runs table (swatch, name, …, metric last/best/min/max, config) [differences only] │
//   │ grouped table: one row per configuration, mean ± std over seeds               │
//
// setRuns() hands the ids to a CompareLoader on a worker thread; the answer fills the plot and both
// tables. The metric picker (the plot's key list) chooses the curves and the tables' metric columns
// at once; the points of a newly picked key are read when it is picked. The banded curve modes draw
// the grouped table's configurations; brushing the parallel coordinates selects rows of the runs
// table. The models, views and plot are exposed for the report export and for MainWindow's wiring.
#include <QHash>
#include <QList>
#include <QStringList>
#include <QVariantMap>
#include <QWidget>

#include "CompareLoader.h"

class QCheckBox;
class QLabel;
class QSortFilterProxyModel;
class QSplitter;
class QTabWidget;
class QTableView;
class QThread;

namespace distillery::views {

class CompareTableModel;
class CurveControls;
class GroupedTableModel;
class MetricPlot;
class ParallelCoordinates;
class StatisticsPanel;

class ComparePage : public QWidget {
    Q_OBJECT
public:
    explicit ComparePage(QWidget* parent = nullptr);
    ~ComparePage() override;

    // The store the runs live in; clears the page (ids of another store mean nothing).
    void setStorePath(const QString& storePath);
    QString storePath() const { return storePath_; }

    // The runs to compare, in the order the tables list them; empty clears the page.
    void setRuns(const QList<qint64>& runIds);
    QList<qint64> runIds() const { return runIds_; }
    void reload();                       // read the same runs again (e.g. after they trained further)
    bool isLoading() const { return loading_; }
    const QList<ComparedRun>& comparedRuns() const { return runs_; }

    MetricPlot* plot() const { return plot_; }
    CurveControls* curveControls() const { return controls_; }
    // Beside the curves: the fields the runs vary against a metric; brushing it selects runs in the table.
    ParallelCoordinates* parallelCoordinates() const { return parallel_; }
    QTabWidget* plotTabs() const { return plotTabs_; }
    CompareTableModel* tableModel() const { return tableModel_; }
    GroupedTableModel* groupedModel() const { return groupedModel_; }
    QSortFilterProxyModel* tableProxy() const { return tableProxy_; }
    QSortFilterProxyModel* groupedProxy() const { return groupedProxy_; }
    QTableView* tableView() const { return tableView_; }
    QTableView* groupedView() const { return groupedView_; }
    QCheckBox* differencesOnlyBox() const { return differencesOnly_; }
    // The Statistics tab beside the grouped table: configurations against a baseline (t-tests, Holm).
    StatisticsPanel* statisticsPanel() const { return statisticsPanel_; }
    QString statusText() const;          // what the line above the plot says now

    // Curve settings, chosen metrics, "differences only" and the splitters, for QSettings.
    QVariantMap saveState() const;
    void restoreState(const QVariantMap& state);

signals:
    void runsLoaded();                          // the plot and tables show the requested runs
    void seriesLoaded();                        // the curves of newly picked metrics arrived
    void loadFailed(const QString& message);
    void runActivated(qint64 runId);            // double-click on a run's row: open it (Live)

private:
    void onLoaded(quint64 requestId, const CompareData& data);
    void onSeriesLoaded(quint64 requestId, const QStringList& keys, const QHash<qint64, MetricSeriesList>& series);
    void onFailed(quint64 requestId, const QString& message);
    void onVisibleKeysChanged(const QStringList& keys);
    void requestMissingSeries();
    void clearContents();
    void selectRuns(const QList<qint64>& runIds);   // the rows of these runs in the runs table
    void setStatus(const QString& text, bool isError);
    QString loadedSummary() const;

    QString storePath_;
    QList<qint64> runIds_;
    QList<ComparedRun> runs_;
    QStringList requestedKeys_;   // keys whose points are loaded or on their way, for runs_
    quint64 requestId_ = 0;
    bool loading_ = false;

    QThread* thread_ = nullptr;
    CompareLoader* loader_ = nullptr;

    QLabel* status_ = nullptr;
    QSplitter* splitter_ = nullptr;
    QSplitter* tablesSplitter_ = nullptr;
    MetricPlot* plot_ = nullptr;
    CurveControls* controls_ = nullptr;
    ParallelCoordinates* parallel_ = nullptr;
    QTabWidget* plotTabs_ = nullptr;
    CompareTableModel* tableModel_ = nullptr;
    GroupedTableModel* groupedModel_ = nullptr;
    QSortFilterProxyModel* tableProxy_ = nullptr;
    QSortFilterProxyModel* groupedProxy_ = nullptr;
    QTableView* tableView_ = nullptr;
    QTableView* groupedView_ = nullptr;
    QCheckBox* differencesOnly_ = nullptr;
    StatisticsPanel* statisticsPanel_ = nullptr;
};

}  // namespace distillery::views
