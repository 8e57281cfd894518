#pragma once
// The selected run's metric curves: x = training step; losses on the left axis, accuracies (%) on
// the right one; one graph per metric key, coloured from the Okabe–Ito palette in order of
// appearance. showRun() clears the plot and waits for the run's history; live points are then
// appended and drawn with a queued replot, so a burst of points costs one repaint.
//
// The axes follow the data until the user drags or zooms; a double-click follows again.
#include <QHash>
#include <QStringList>

#include <qcustomplot.h>

#include "MetricSeries.h"

namespace distillery::views {

class CurvePlot : public QCustomPlot {
    Q_OBJECT
public:
    enum class AxisKind { Loss, Accuracy, NotPlotted };
    // Keys with "acc" in their last path part are accuracies, with "loss" in any part losses.
    // Others (lr, …) have their own scales and are left to the diagnostics views.
    static AxisKind axisKindOf(const QString& key);

    explicit CurvePlot(QWidget* parent = nullptr);

    qint64 runId() const { return runId_; }
    bool historyReceived() const { return historyReceived_; }
    void showRun(qint64 runId);     // 0: no run
    void setHistory(qint64 runId, const MetricSeriesList& series);
    void appendPoints(qint64 runId, const MetricSeriesList& series);

    QStringList plottedKeys() const;                 // in order of appearance
    QCPGraph* graphForKey(const QString& key) const;
    bool followsData() const { return followData_; }
    void followData();                               // fit the axes to the data again

protected:
    void changeEvent(QEvent* event) override;

private:
    void applyPalette();
    void addSeries(const MetricSeries& series);
    QCPGraph* ensureGraph(const QString& key);
    void fitAxes();
    void updateEmptyHint();
    void showLegendRow(bool show);
    void onRangeChanged();

    qint64 runId_ = 0;
    bool historyReceived_ = false;   // live points before the history belong to an older request
    bool followData_ = true;
    bool fitting_ = false;
    QHash<QString, QCPGraph*> graphs_;
    QStringList keys_;
    QCPItemText* emptyHint_ = nullptr;
};

}  // namespace distillery::views
