#include "StatisticsPanel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSignalBlocker>
#include <QTableView>
#include <QVBoxLayout>

#include "HeadlineResult.h"
#include "PlainText.h"

namespace distillery::views {

namespace {

constexpr double kConfidences[] = {0.90, 0.95, 0.99};
const QList<SummaryStat> kStats = {SummaryStat::Best, SummaryStat::Last, SummaryStat::Min, SummaryStat::Max};
const QString kHeadlineData = QStringLiteral("headline");

}  // namespace

StatisticsPanel::StatisticsPanel(QWidget* parent) : QWidget(parent) {
    model_ = new StatisticsTableModel(this);

    baselineBox_ = new QComboBox(this);
    baselineBox_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    baselineBox_->setToolTip(tr("The configuration every other one is compared with"));
    metricBox_ = new QComboBox(this);
    metricBox_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    metricBox_->setToolTip(tr("The number compared per run"));
    statBox_ = new QComboBox(this);
    statBox_->setToolTip(tr("Which value of the metric's curve: its best, last, lowest or highest"));
    confidenceBox_ = new QComboBox(this);
    for (double confidence : kConfidences)
        confidenceBox_->addItem(StatisticsTableModel::confidenceText(confidence), confidence);
    confidenceBox_->setCurrentIndex(1);   // 95 %
    confidenceBox_->setToolTip(tr("Level of the confidence intervals; a difference is marked significant when "
                                  "its Holm-corrected p is below 1 - this level"));

    auto* controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Baseline"), this));
    controls->addWidget(baselineBox_);
    controls->addSpacing(12);
    controls->addWidget(new QLabel(tr("Metric"), this));
    controls->addWidget(metricBox_);
    controls->addWidget(statBox_);
    controls->addSpacing(12);
    controls->addWidget(new QLabel(tr("Confidence"), this));
    controls->addWidget(confidenceBox_);
    controls->addStretch(1);

    view_ = new QTableView(this);
    view_->setModel(model_);
    view_->setSelectionBehavior(QAbstractItemView::SelectRows);
    view_->setAlternatingRowColors(true);
    view_->setWordWrap(false);
    view_->verticalHeader()->hide();
    view_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);

    note_ = new QLabel(this);
    note_->setTextFormat(Qt::PlainText);   // it quotes configuration labels, i.e. run names
    note_->setWordWrap(true);
    note_->hide();

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(controls);
    layout->addWidget(view_, 1);
    layout->addWidget(note_);

    fillMetricBoxes();
    connect(baselineBox_, &QComboBox::currentIndexChanged, this, [this](int index) { model_->setBaseline(index); });
    connect(metricBox_, &QComboBox::currentIndexChanged, this, [this] {
        fillStatBox();
        onMetricChosen();
    });
    connect(statBox_, &QComboBox::currentIndexChanged, this, &StatisticsPanel::onMetricChosen);
    connect(confidenceBox_, &QComboBox::currentIndexChanged, this,
            [this] { model_->setConfidence(confidenceBox_->currentData().toDouble()); });
    connect(model_, &StatisticsTableModel::statisticsChanged, this, &StatisticsPanel::onStatisticsChanged);
}

void StatisticsPanel::setRuns(const QList<ComparedRun>& runs) {
    model_->setRuns(runs);
    // The boxes offer the new runs' keys; the remembered metric comes back when they have it.
    fillMetricBoxes();
    model_->setMetric(shownMetric());
}

QString StatisticsPanel::noteText() const { return note_->isHidden() ? QString() : note_->text(); }

void StatisticsPanel::fillMetricBoxes() {
    const QSignalBlocker blockMetric(metricBox_);
    metricBox_->clear();
    metricBox_->addItem(HeadlineResult::title(), kHeadlineData);
    metricBox_->setItemData(0, HeadlineResult::explanation(), Qt::ToolTipRole);
    for (const QString& key : metricKeysOf(model_->runs())) metricBox_->addItem(key, key);
    const int preferred = preferredMetric_.headline ? 0 : metricBox_->findData(preferredMetric_.key);
    metricBox_->setCurrentIndex(preferred >= 0 ? preferred : 0);
    fillStatBox();
}

void StatisticsPanel::fillStatBox() {
    const QSignalBlocker blockStat(statBox_);
    statBox_->clear();
    const QString key = metricBox_->currentData().toString();
    const bool headline = key == kHeadlineData || key.isEmpty();
    // The headline is one number per run already; a test metric has no "best" (chosen on the test set).
    if (!headline)
        for (SummaryStat stat : statsOffered(key, kStats)) statBox_->addItem(summaryStatName(stat), static_cast<int>(stat));
    const int preferred = preferredMetric_.headline ? -1 : statBox_->findData(static_cast<int>(preferredMetric_.stat));
    statBox_->setCurrentIndex(preferred >= 0 ? preferred : 0);
    statBox_->setEnabled(!headline);
    statBox_->setVisible(!headline);
}

StatisticsMetric StatisticsPanel::shownMetric() const {
    const QString key = metricBox_->currentData().toString();
    if (key == kHeadlineData || key.isEmpty() || statBox_->currentIndex() < 0) return StatisticsMetric::headlineResult();
    return StatisticsMetric::summaryOf(key, static_cast<SummaryStat>(statBox_->currentData().toInt()));
}

void StatisticsPanel::onMetricChosen() {
    // Only the user's choice is remembered: boxes filled for runs that lack the remembered key show the
    // headline without forgetting it.
    preferredMetric_ = shownMetric();
    model_->setMetric(preferredMetric_);
}

void StatisticsPanel::onStatisticsChanged() {
    fillBaselineBox();
    QStringList notes;
    for (const QString& line : {model_->statistics().shortfallNote(), model_->statistics().referenceNote()})
        if (!line.isEmpty()) notes.append(line);
    const QString note = notes.join(QLatin1Char('\n'));
    note_->setText(note);
    note_->setVisible(!note.isEmpty());
}

void StatisticsPanel::fillBaselineBox() {
    const QSignalBlocker blockBaseline(baselineBox_);
    const QStringList labels = model_->configurationLabels();
    bool same = baselineBox_->count() == labels.size();
    for (int i = 0; same && i < labels.size(); ++i) same = baselineBox_->itemText(i) == labels.at(i);
    if (!same) {
        baselineBox_->clear();
        for (const QString& label : labels) {
            baselineBox_->addItem(label);
            baselineBox_->setItemData(baselineBox_->count() - 1, plainToolTip(label), Qt::ToolTipRole);
        }
    }
    baselineBox_->setCurrentIndex(model_->baseline());
    baselineBox_->setEnabled(labels.size() > 1);
}

QVariantMap StatisticsPanel::saveState() const {
    QVariantMap state;
    state.insert(QStringLiteral("baseline"), model_->baselineLabel());
    state.insert(QStringLiteral("metric"), preferredMetric_.stateText());
    state.insert(QStringLiteral("confidence"), model_->confidence());
    return state;
}

void StatisticsPanel::restoreState(const QVariantMap& state) {
    if (state.contains(QStringLiteral("confidence"))) {
        const int index = confidenceBox_->findData(state.value(QStringLiteral("confidence")).toDouble());
        if (index >= 0) confidenceBox_->setCurrentIndex(index);
    }
    if (state.contains(QStringLiteral("metric"))) {
        preferredMetric_ = StatisticsMetric::fromStateText(state.value(QStringLiteral("metric")).toString());
        fillMetricBoxes();
        model_->setMetric(shownMetric());
    }
    if (state.contains(QStringLiteral("baseline")))
        model_->setBaselineLabel(state.value(QStringLiteral("baseline")).toString());
}

}  // namespace distillery::views
