#include "DiagnosticsTabs.h"

#include <QTabBar>

#include "ChannelsView.h"
#include "ClassesView.h"
#include "DiagnosticsFeed.h"
#include "GatesView.h"
#include "PathsView.h"
#include "RunLogView.h"

namespace distillery::views {

DiagnosticsTabs::DiagnosticsTabs(QWidget* parent) : QTabWidget(parent) {
    DiagnosticsFeed::registerMetaTypes();
    gates_ = new GatesView(this);
    channels_ = new ChannelsView(this);
    paths_ = new PathsView(this);
    classes_ = new ClassesView(this);
    log_ = new RunLogView(this);
    gates_->hide();
    channels_->hide();
    paths_->hide();
    classes_->hide();
    addTab(log_, tr("Log"));
    setDocumentMode(true);

    connect(gates_, &GatesView::gateClassesRequested, this, &DiagnosticsTabs::gateClassesRequested);
    connect(channels_, &ChannelsView::channelStatsRequested, this, &DiagnosticsTabs::channelStatsRequested);
    connect(classes_, &ClassesView::classResultsRequested, this, &DiagnosticsTabs::classResultsRequested);
    // tabBarClicked comes from the user only; currentChanged also fires when tabs come and go.
    connect(tabBar(), &QTabBar::tabBarClicked, this, [this](int index) {
        if (index >= 0) preferred_ = widget(index);
    });
}

void DiagnosticsTabs::setFeed(DiagnosticsFeed* feed) {
    connect(this, &DiagnosticsTabs::runWatched, feed, &DiagnosticsFeed::watchRun);
    connect(this, &DiagnosticsTabs::gateClassesRequested, feed, &DiagnosticsFeed::requestGateClasses);
    connect(this, &DiagnosticsTabs::channelStatsRequested, feed, &DiagnosticsFeed::requestChannelStats);
    connect(this, &DiagnosticsTabs::classResultsRequested, feed, &DiagnosticsFeed::requestClassResults);
    connect(feed, &DiagnosticsFeed::availabilityChanged, this, &DiagnosticsTabs::setAvailability);
    connect(feed, &DiagnosticsFeed::gatesAppended, gates_, &GatesView::appendGates);
    connect(feed, &DiagnosticsFeed::gateClassesLoaded, gates_, &GatesView::setGateClasses);
    connect(feed, &DiagnosticsFeed::channelDistancesAppended, channels_, &ChannelsView::appendDistances);
    connect(feed, &DiagnosticsFeed::channelStatsLoaded, channels_, &ChannelsView::setChannelStats);
    connect(feed, &DiagnosticsFeed::pathWeightsAppended, paths_, &PathsView::appendPathWeights);
    connect(feed, &DiagnosticsFeed::classResultsLoaded, classes_, &ClassesView::setClassResults);
    connect(feed, &DiagnosticsFeed::eventsAppended, log_, &RunLogView::appendEvents);
    if (runId_ != 0) emit runWatched(runId_);
}

void DiagnosticsTabs::showRun(qint64 runId) {
    runId_ = runId;
    gates_->showRun(runId);
    channels_->showRun(runId);
    paths_->showRun(runId);
    classes_->showRun(runId);
    log_->showRun(runId);
    if (runId == 0) showTabs(false, false, false, false);
    emit runWatched(runId);
}

void DiagnosticsTabs::setAvailability(qint64 runId, const DiagnosticsAvailability& availability) {
    if (runId != runId_) return;
    showTabs(availability.hasGatesTab(), availability.channels, availability.paths, availability.hasClassesTab());
    gates_->setGateClassSteps(runId, availability.gateClassSteps);
    channels_->setAvailability(runId, availability.channelSpots, availability.channelSteps);
    classes_->setAvailability(runId, availability.classNames, availability.classSteps, availability.evaluationEpochs);
}

void DiagnosticsTabs::setStderrTail(qint64 runId, const QStringList& lines) {
    if (runId == runId_) log_->setStderrTail(lines);
}

void DiagnosticsTabs::showTabs(bool gates, bool channels, bool paths, bool classes) {
    const QList<QPair<QWidget*, QString>> wanted = [&] {
        QList<QPair<QWidget*, QString>> list;
        if (gates) list.append({gates_, tr("Gates")});
        if (channels) list.append({channels_, tr("Channels")});
        if (paths) list.append({paths_, tr("Paths")});
        if (classes) list.append({classes_, tr("Classes")});
        list.append({log_, tr("Log")});
        return list;
    }();
    bool same = wanted.size() == count();
    for (int i = 0; same && i < wanted.size(); ++i) same = widget(i) == wanted.at(i).first;
    if (same) return;

    for (int i = count() - 1; i >= 0; --i)
        if (widget(i) != log_) removeTab(i);
    for (int i = 0; i + 1 < wanted.size(); ++i) insertTab(i, wanted.at(i).first, wanted.at(i).second);
    // The user's last choice when the run has it, else the run's first diagnostic (Log when none).
    if (preferred_ && indexOf(preferred_) >= 0) setCurrentWidget(preferred_);
    else setCurrentIndex(0);
}

QStringList DiagnosticsTabs::tabTitles() const {
    QStringList titles;
    for (int i = 0; i < count(); ++i) titles.append(tabText(i));
    return titles;
}

QList<QCustomPlot*> DiagnosticsTabs::plots() const {
    QList<QCustomPlot*> all;
    if (indexOf(gates_) >= 0) all += gates_->plots();
    if (indexOf(channels_) >= 0) all += channels_->plots();
    if (indexOf(paths_) >= 0) all.append(paths_->plot());
    if (indexOf(classes_) >= 0) all += classes_->plots();
    return all;
}

}  // namespace distillery::views
