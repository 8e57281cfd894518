#pragma once
// The tabs below the Live page's curves: Gates, Channels, Paths and Classes for the diagnostics the
// selected run has (a tab for a diagnostic the run lacks is absent, not empty) and the run's Log, always.
//
// setFeed() wires a DiagnosticsFeed living in its own thread, queued both ways: showRun() asks it to
// watch the run, the views' requests (per-class rates, channel statistics, per-class results) go to it, its rows come
// back to the views. Without setFeed() the lead can connect the same signals and slots by hand.
// Switching runs keeps the current tabs until the new run's availability arrives, so moving
// between two runs of one method does not flicker. The tab the user clicked last is shown whenever
// the run has it, else the run's first diagnostic.
#include <QList>
#include <QPointer>
#include <QStringList>
#include <QTabWidget>

#include "DiagnosticsTypes.h"

class QCustomPlot;

namespace distillery::views {

class ChannelsView;
class ClassesView;
class DiagnosticsFeed;
class GatesView;
class PathsView;
class RunLogView;

class DiagnosticsTabs : public QTabWidget {
    Q_OBJECT
public:
    explicit DiagnosticsTabs(QWidget* parent = nullptr);

    void setFeed(DiagnosticsFeed* feed);   // the feed must live in another thread (or this one)

    qint64 runId() const { return runId_; }
    QStringList tabTitles() const;
    GatesView* gatesView() const { return gates_; }
    ChannelsView* channelsView() const { return channels_; }
    PathsView* pathsView() const { return paths_; }
    ClassesView* classesView() const { return classes_; }
    RunLogView* logView() const { return log_; }
    QList<QCustomPlot*> plots() const;   // every plot of the tabs now shown, for export

public slots:
    void showRun(qint64 runId);   // 0: no run
    void setAvailability(qint64 runId, const distillery::views::DiagnosticsAvailability& availability);
    void setStderrTail(qint64 runId, const QStringList& lines);

signals:
    void runWatched(qint64 runId);   // -> DiagnosticsFeed::watchRun
    void gateClassesRequested(qint64 runId, qint64 step);
    void channelStatsRequested(qint64 runId, const QString& spot, qint64 step);
    void classResultsRequested(qint64 runId, const QString& split, qint64 step);

private:
    void showTabs(bool gates, bool channels, bool paths, bool classes);

    qint64 runId_ = 0;
    GatesView* gates_;
    ChannelsView* channels_;
    PathsView* paths_;
    ClassesView* classes_;
    RunLogView* log_;
    QPointer<QWidget> preferred_;   // the tab the user clicked last
};

}  // namespace distillery::views
