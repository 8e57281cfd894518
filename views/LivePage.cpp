#include "LivePage.h"

#include <QHBoxLayout>
#include <QSplitter>
#include <QVBoxLayout>

#include "CurveControls.h"
#include "DiagnosticsTabs.h"
#include "MetricPlot.h"
#include "RunHeader.h"

namespace distillery::views {

LivePage::LivePage(QWidget* parent) : QWidget(parent) {
    header_ = new RunHeader(this);
    plot_ = new MetricPlot(this);
    plot_->setColourBy(MetricPlot::ColourBy::Key);
    plot_->setEmptyText(tr("Select a run to see its curves"));
    controls_ = new CurveControls(plot_, this);
    controls_->setMaximumWidth(260);
    diagnostics_ = new DiagnosticsTabs(this);

    auto* curves = new QWidget(this);
    auto* curvesLayout = new QHBoxLayout(curves);
    curvesLayout->setContentsMargins(0, 0, 0, 0);
    curvesLayout->addWidget(plot_, 1);
    curvesLayout->addWidget(controls_);

    splitter_ = new QSplitter(Qt::Vertical, this);
    splitter_->setObjectName(QStringLiteral("liveSplitter"));
    splitter_->addWidget(curves);
    splitter_->addWidget(diagnostics_);
    splitter_->setStretchFactor(0, 1);
    splitter_->setStretchFactor(1, 1);
    splitter_->setChildrenCollapsible(false);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(header_);
    layout->addWidget(splitter_, 1);
}

void LivePage::showRun(qint64 runId, const QString& label) {
    if (runId == runId_) return;
    runId_ = runId;
    label_ = label;
    historyReceived_ = false;
    plot_->clearSeries();
    diagnostics_->showRun(runId);
}

void LivePage::setHistory(qint64 runId, const MetricSeriesList& series) {
    if (runId != runId_ || runId == 0) return;
    historyReceived_ = true;
    plot_->setSeries(runId, label_, series);
}

void LivePage::appendPoints(qint64 runId, const MetricSeriesList& series) {
    if (runId != runId_ || !historyReceived_) return;
    plot_->appendPoints(runId, series);
}

}  // namespace distillery::views
