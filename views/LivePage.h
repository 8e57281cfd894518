#pragma once
// The Live page: the selected run's header, its metric curves with their controls, and below them
// the tabs of the run's diagnostics (Gates, Channels, Paths) and its Log.
//
// The curves come from the StorePoller (setHistory, then appendPoints); the diagnostics from a
// DiagnosticsFeed wired into diagnostics(). Both readers live on worker threads, so nothing here
// waits on SQLite.
#include <QWidget>

#include "MetricSeries.h"

class QSplitter;

namespace distillery::views {

class CurveControls;
class DiagnosticsTabs;
class MetricPlot;
class RunHeader;

class LivePage : public QWidget {
    Q_OBJECT
public:
    explicit LivePage(QWidget* parent = nullptr);

    RunHeader* header() const { return header_; }
    MetricPlot* plot() const { return plot_; }
    CurveControls* controls() const { return controls_; }
    DiagnosticsTabs* diagnostics() const { return diagnostics_; }
    QSplitter* splitter() const { return splitter_; }

    qint64 runId() const { return runId_; }
    // Whether the shown run's history has arrived (live points before it belong to an older request).
    bool historyReceived() const { return historyReceived_; }
    // Clears the curves and diagnostics and waits for the run's history; 0 shows no run.
    void showRun(qint64 runId, const QString& label);

public slots:
    void setHistory(qint64 runId, const distillery::views::MetricSeriesList& series);
    void appendPoints(qint64 runId, const distillery::views::MetricSeriesList& series);

private:
    RunHeader* header_;
    MetricPlot* plot_;
    CurveControls* controls_;
    DiagnosticsTabs* diagnostics_;
    QSplitter* splitter_;
    qint64 runId_ = 0;
    QString label_;
    bool historyReceived_ = false;
};

}  // namespace distillery::views
