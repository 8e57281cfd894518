#include "ClassesView.h"

#include <tuple>
#include <algorithm>
#include <cmath>

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QToolTip>
#include <QVBoxLayout>

#include "DiagnosticPlot.h"
#include "OkabeItoPalette.h"
#include "PlainText.h"
#include "RunClassNames.h"
#include "ViridisGradient.h"

namespace distillery::views {

namespace {

const QString kPreferredSplit = QStringLiteral("val");   // the split a run is selected on

QString percentText(const std::optional<double>& value) {
    return value ? QString::number(*value, 'f', 2) + QLatin1Char('%') : QStringLiteral("—");
}

QCPBars* addBars(QCustomPlot* plot, const QString& name, const QColor& color) {
    auto* bars = new QCPBars(plot->xAxis, plot->yAxis);
    bars->setName(name);
    bars->setPen(QPen(color.darker(120), 1));
    bars->setBrush(color);
    return bars;
}

}  // namespace

ClassesView::ClassesView(QWidget* parent) : QWidget(parent) {
    splitCombo_ = new QComboBox(this);
    splitCombo_->setToolTip(tr("The split whose evaluation is shown"));
    stepCombo_ = new QComboBox(this);
    stepCombo_->setToolTip(tr("The evaluation shown; the newest follows the run as it trains"));
    stepCombo_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    auto* splitLabel = new QLabel(tr("Split:"), this);
    splitLabel->setBuddy(splitCombo_);
    auto* stepLabel = new QLabel(tr("Evaluation:"), this);
    stepLabel->setBuddy(stepCombo_);
    auto* controls = new QHBoxLayout;
    controls->addWidget(splitLabel);
    controls->addWidget(splitCombo_);
    controls->addSpacing(12);
    controls->addWidget(stepLabel);
    controls->addWidget(stepCombo_);
    controls->addStretch(1);

    heatPlot_ = new DiagnosticPlot(this);
    barPlot_ = new DiagnosticPlot(this);
    readout_ = new QLabel(this);
    readout_->setTextFormat(Qt::PlainText);
    auto* plotsRow = new QHBoxLayout;
    plotsRow->addWidget(heatPlot_, 1);
    plotsRow->addWidget(barPlot_, 1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(controls);
    layout->addLayout(plotsRow, 1);
    layout->addWidget(readout_);

    heatPlot_->xAxis->setLabel(tr("predicted class"));
    heatPlot_->yAxis->setLabel(tr("actual class"));
    heatPlot_->yAxis->setRangeReversed(true);   // class 0 in the top row, as confusion matrices are read
    for (QCPAxis* axis : {heatPlot_->xAxis, heatPlot_->yAxis}) {
        axis->setTicker(QSharedPointer<QCPAxisTickerText>::create());
        axis->setSubTicks(false);
        axis->grid()->setVisible(false);
    }
    std::tie(map_, colorScale_) = heatPlot_->addViridisColorMap();
    colorScale_->axis()->setLabel(tr("% of the actual class"));
    map_->setDataRange(QCPRange(0, 100));   // fixed: a colour means the same share in every run and step
    connect(heatPlot_, &QCustomPlot::mouseMove, this, &ClassesView::onHeatMouseMove);

    barPlot_->xAxis->setLabel(tr("class"));
    barPlot_->yAxis->setLabel(tr("accuracy (%)"));
    barPlot_->yAxis->setRange(0, 105);
    barPlot_->xAxis->setSubTicks(false);
    barPlot_->xAxis->grid()->setVisible(false);
    // Rows: the title, the legend (a row of its own, never over the bars), the bars.
    barPlot_->addTitleAndLegendRows();
    barsGroup_ = new QCPBarsGroup(barPlot_);
    barsGroup_->setSpacingType(QCPBarsGroup::stAbsolute);
    barsGroup_->setSpacing(0);
    studentBars_ = addBars(barPlot_, tr("student"), OkabeItoPalette::color(0));
    teacherBars_ = addBars(barPlot_, tr("teacher"), OkabeItoPalette::color(1));
    agreementBars_ = addBars(barPlot_, tr("agreement with the teacher"), OkabeItoPalette::color(2));
    connect(barPlot_, &QCustomPlot::mouseMove, this, &ClassesView::onBarMouseMove);

    heatPlot_->applyPalette();
    barPlot_->applyPalette();
    connect(splitCombo_, qOverload<int>(&QComboBox::currentIndexChanged), this, &ClassesView::onSplitChosen);
    connect(stepCombo_, qOverload<int>(&QComboBox::currentIndexChanged), this, &ClassesView::onStepChosen);
    showRun(0);
}

QList<QCustomPlot*> ClassesView::plots() const { return {heatPlot_, barPlot_}; }

QCPBars* ClassesView::teacherBars() const { return teacherBars_->visible() ? teacherBars_ : nullptr; }
QCPBars* ClassesView::agreementBars() const { return agreementBars_->visible() ? agreementBars_ : nullptr; }

QStringList ClassesView::splits() const {
    QStringList list;
    for (int i = 0; i < splitCombo_->count(); ++i) list.append(splitCombo_->itemData(i).toString());
    return list;
}

QString ClassesView::readout() const { return readout_->text(); }

QStringList ClassesView::classLabels() const {
    if (!heatPlot_->xAxis->tickLabels()) return {};
    return heatPlot_->xAxis->ticker().dynamicCast<QCPAxisTickerText>()->ticks().values();
}

QString ClassesView::name(qint64 classIndex) const { return className(names_, classIndex); }

QString ClassesView::evaluationLabel(qint64 step) const {
    const auto epoch = epochs_.constFind(step);
    if (epoch == epochs_.cend()) return tr("step %1").arg(step);
    return tr("epoch %1 (step %2)").arg(QString::number(*epoch, 'g', 6), QString::number(step));
}

void ClassesView::showRun(qint64 runId) {
    runId_ = runId;
    names_.clear();
    steps_.clear();
    epochs_.clear();
    split_.clear();
    step_ = -1;
    followNewest_ = true;
    shown_ = store::ClassResults();
    syncControls();
    rebuild();
    const QString hint = runId == 0 ? tr("Select a run to see its per-class results") : tr("Loading…");
    heatPlot_->setHint(hint);
    barPlot_->setHint(hint);
}

void ClassesView::setAvailability(qint64 runId, const QStringList& classNames,
                                  const QMap<QString, QVector<qint64>>& stepsBySplit,
                                  const QMap<qint64, double>& epochs) {
    if (runId != runId_) return;
    const bool namesChanged = classNames != names_;
    names_ = classNames;
    steps_ = stepsBySplit;
    epochs_ = epochs;
    const QString splitBefore = split_;
    const qint64 stepBefore = step_;
    if (steps_.isEmpty()) split_.clear();
    else if (!steps_.contains(split_)) split_ = steps_.contains(kPreferredSplit) ? kPreferredSplit : steps_.firstKey();
    const QVector<qint64> steps = stepsOfSplit();
    if (steps.isEmpty()) {
        step_ = -1;
    } else if (followNewest_ || !steps.contains(step_)) {
        // The newest; also when the evaluation the user picked is gone (a resume discarded it).
        step_ = steps.last();
        followNewest_ = true;
    }
    syncControls();
    if (step_ < 0 && shown_.recorded()) {   // every evaluation gone (a retry starts the run again)
        shown_ = store::ClassResults();
        rebuild();
    } else if (split_ != splitBefore || step_ != stepBefore) {
        request();
    } else if (namesChanged) {
        rebuild();
    }
}

void ClassesView::selectSplit(const QString& split) {
    const int index = splitCombo_->findData(split);
    if (index < 0) return;
    if (splitCombo_->currentIndex() != index) splitCombo_->setCurrentIndex(index);   // calls onSplitChosen
    else onSplitChosen(index);
}

void ClassesView::onSplitChosen(int index) {
    if (syncing_ || index < 0) return;
    const QString split = splitCombo_->itemData(index).toString();
    if (split == split_) return;
    split_ = split;
    // Splits are evaluated together: keep the step the user looks at when the other split has it.
    const QVector<qint64> steps = stepsOfSplit();
    if (followNewest_ || steps.isEmpty()) {
        step_ = steps.isEmpty() ? -1 : steps.last();
    } else {
        step_ = *std::min_element(steps.cbegin(), steps.cend(), [this](qint64 a, qint64 b) {
            return std::llabs(a - step_) < std::llabs(b - step_);
        });
    }
    syncControls();
    request();
}

void ClassesView::selectStep(qint64 step) {
    const QVector<qint64> steps = stepsOfSplit();
    if (steps.isEmpty()) return;
    const auto nearest = std::min_element(steps.cbegin(), steps.cend(), [step](qint64 a, qint64 b) {
        return std::llabs(a - step) < std::llabs(b - step);
    });
    followNewest_ = nearest == std::prev(steps.cend());
    const bool changed = *nearest != step_;
    step_ = *nearest;
    syncControls();
    if (changed) request();
}

void ClassesView::onStepChosen(int index) {
    if (syncing_ || index < 0) return;
    selectStep(stepCombo_->itemData(index).toLongLong());
}

void ClassesView::syncControls() {
    syncing_ = true;
    splitCombo_->clear();
    QStringList splits = steps_.keys();
    std::stable_sort(splits.begin(), splits.end(), [](const QString& a, const QString& b) {
        return (a == kPreferredSplit) > (b == kPreferredSplit);   // val first, then test
    });
    for (const QString& split : splits) splitCombo_->addItem(split, split);
    splitCombo_->setCurrentIndex(splitCombo_->findData(split_));
    stepCombo_->clear();
    for (qint64 step : stepsOfSplit()) stepCombo_->addItem(evaluationLabel(step), step);
    stepCombo_->setCurrentIndex(stepCombo_->findData(step_));
    splitCombo_->setEnabled(splitCombo_->count() > 1);
    stepCombo_->setEnabled(stepCombo_->count() > 1);
    syncing_ = false;
}

void ClassesView::request() {
    if (runId_ == 0 || split_.isEmpty() || step_ < 0) return;
    if (shown_.recorded() && (shown_.split != split_.toStdString() || shown_.step != step_)) {
        // The old matrix stays until the new one arrives, marked as such.
        heatPlot_->setHint(tr("Loading…"));
        heatPlot_->replot(QCustomPlot::rpQueuedReplot);
    }
    emit classResultsRequested(runId_, split_, step_);
}

void ClassesView::setClassResults(qint64 runId, const QString& split, qint64 step, const store::ClassResults& results) {
    if (runId != runId_ || split != split_ || step != step_) return;   // an answer to an older request
    shown_ = results;
    rebuild();
}

void ClassesView::rebuild() {
    const int classes = shown_.recorded() ? static_cast<int>(shown_.classes()) : 0;
    auto xTicker = heatPlot_->xAxis->ticker().dynamicCast<QCPAxisTickerText>();
    auto yTicker = heatPlot_->yAxis->ticker().dynamicCast<QCPAxisTickerText>();
    xTicker->clear();
    yTicker->clear();
    for (QCPBars* bars : {studentBars_, teacherBars_, agreementBars_}) bars->data()->clear();
    if (auto* title = qobject_cast<QCPTextElement*>(barPlot_->plotLayout()->element(0, 0))) title->setText(QString());

    if (classes == 0) {
        map_->data()->clear();
        const QString hint = runId_ == 0   ? tr("Select a run to see its per-class results")
                             : step_ < 0 ? tr("No per-class results yet: they are recorded at each evaluation")
                                         : tr("No per-class results at step %1").arg(step_);
        heatPlot_->setHint(hint);
        barPlot_->setHint(hint);
        readout_->clear();
        for (QCustomPlot* plot : plots()) plot->replot(QCustomPlot::rpQueuedReplot);
        return;
    }
    heatPlot_->setHint(QString());
    barPlot_->setHint(QString());

    // QCustomPlot draws a one-cell-wide map with zero size: a one-class matrix gets a transparent
    // (NaN) second row and column, outside the visible range.
    const int size = std::max(2, classes);
    auto* data = new QCPColorMapData(size, size, QCPRange(0, size - 1), QCPRange(0, size - 1));
    data->fill(qQNaN());
    for (int actual = 0; actual < classes; ++actual)
        for (int predicted = 0; predicted < classes; ++predicted)
            if (const std::optional<double> percent = shown_.student.rowPercent(actual, predicted))
                data->setCell(predicted, actual, *percent);
    map_->setData(data, /*copy=*/false);
    map_->setDataRange(QCPRange(0, 100));
    heatPlot_->xAxis->setRange(-0.5, classes - 0.5);
    heatPlot_->yAxis->setRange(-0.5, classes - 0.5);

    // Class names on the axes while they fit; beyond that the read-out names the class.
    const bool labelled = classes <= kMaxLabelledClasses;
    bool longNames = false;
    for (int c = 0; labelled && c < classes; ++c) {
        xTicker->addTick(c, name(c));
        yTicker->addTick(c, name(c));
        longNames = longNames || name(c).size() > 3;
    }
    auto barTicker = QSharedPointer<QCPAxisTickerText>::create();
    if (labelled) barTicker->setTicks(xTicker->ticks());
    barPlot_->xAxis->setTicker(barTicker);
    for (QCPAxis* axis : {heatPlot_->xAxis, heatPlot_->yAxis, barPlot_->xAxis}) axis->setTickLabels(labelled);
    for (QCPAxis* axis : {heatPlot_->xAxis, barPlot_->xAxis}) axis->setTickLabelRotation(longNames ? 45 : 0);

    const bool withTeacher = shown_.teacher.has_value();
    const bool withAgreement = !shown_.agreement.empty();
    teacherBars_->setVisible(withTeacher);
    agreementBars_->setVisible(withAgreement);
    // The bars of a group sit side by side in the group's order: only those shown take a place.
    barsGroup_->clear();
    QList<QCPBars*> shownBars{studentBars_};
    if (withTeacher) shownBars.append(teacherBars_);
    if (withAgreement) shownBars.append(agreementBars_);
    for (QCPBars* bars : {studentBars_, teacherBars_, agreementBars_}) {
        const bool on = shownBars.contains(bars);
        if (on) bars->addToLegend();
        else bars->removeFromLegend();
        bars->setWidth(0.8 / shownBars.size());
        if (on) bars->setBarsGroup(barsGroup_);
    }
    for (int c = 0; c < classes; ++c) {
        if (const auto accuracy = shown_.student.accuracy(c)) studentBars_->addData(c, *accuracy);
        if (withTeacher)
            if (const auto accuracy = shown_.teacher->accuracy(c)) teacherBars_->addData(c, *accuracy);
        if (withAgreement && shown_.agreement[size_t(c)]) agreementBars_->addData(c, *shown_.agreement[size_t(c)]);
    }
    barPlot_->xAxis->setRange(-0.6, classes - 0.4);
    if (auto* title = qobject_cast<QCPTextElement*>(barPlot_->plotLayout()->element(0, 0)))
        title->setText(tr("Per-class accuracy, %1 split, %2").arg(split_, evaluationLabel(step_)));
    showSummary();
    for (QCustomPlot* plot : plots()) plot->replot(QCustomPlot::rpQueuedReplot);
}

void ClassesView::showSummary() {
    const store::ConfusionMatrix& m = shown_.student;
    int64_t correct = 0;
    for (int64_t c = 0; c < m.classes(); ++c) correct += m.count(c, c);
    readout_->setText(tr("Student: %1 of %2 %3 samples correct (%4). Hover a cell or a bar for its counts.")
                          .arg(QString::number(correct), QString::number(m.total()), split_,
                               percentText(m.total() > 0 ? std::optional<double>(100.0 * correct / m.total())
                                                         : std::nullopt)));
}

double ClassesView::percentAt(int actual, int predicted) const {
    if (!map_->data() || actual < 0 || predicted < 0 || actual >= shown_.classes() || predicted >= shown_.classes())
        return qQNaN();
    return map_->data()->data(predicted, actual);
}

QString ClassesView::cellText(int actual, int predicted) const {
    const store::ConfusionMatrix& m = shown_.student;
    if (m.samples(actual) == 0) return tr("actual %1: no samples in the %2 split").arg(name(actual), split_);
    return tr("actual %1, predicted %2: %3 of %1 (%4 of %5)")
        .arg(name(actual), name(predicted), percentText(m.rowPercent(actual, predicted)),
             QString::number(m.count(actual, predicted)), QString::number(m.samples(actual)));
}

QString ClassesView::classText(int classIndex) const {
    QString text = tr("%1 (%2 samples): student %3")
                       .arg(name(classIndex), QString::number(shown_.student.samples(classIndex)),
                            percentText(shown_.student.accuracy(classIndex)));
    if (shown_.teacher) text += tr(", teacher %1").arg(percentText(shown_.teacher->accuracy(classIndex)));
    if (!shown_.agreement.empty())
        text += tr(", agreement %1").arg(percentText(shown_.agreement[size_t(classIndex)]));
    return text;
}

void ClassesView::onHeatMouseMove(QMouseEvent* event) {
    const int classes = shown_.recorded() ? static_cast<int>(shown_.classes()) : 0;
    const int predicted = static_cast<int>(std::lround(heatPlot_->xAxis->pixelToCoord(event->position().x())));
    const int actual = static_cast<int>(std::lround(heatPlot_->yAxis->pixelToCoord(event->position().y())));
    if (classes == 0 || actual < 0 || predicted < 0 || actual >= classes || predicted >= classes) {
        QToolTip::hideText();
        if (classes > 0) showSummary();
        return;
    }
    const QString text = cellText(actual, predicted);
    readout_->setText(text);
    QToolTip::showText(event->globalPosition().toPoint(), plainToolTip(text), heatPlot_);
}

void ClassesView::onBarMouseMove(QMouseEvent* event) {
    const int classes = shown_.recorded() ? static_cast<int>(shown_.classes()) : 0;
    const int classIndex = static_cast<int>(std::lround(barPlot_->xAxis->pixelToCoord(event->position().x())));
    if (classes == 0 || classIndex < 0 || classIndex >= classes ||
        !barPlot_->axisRect()->rect().contains(event->pos())) {
        QToolTip::hideText();
        if (classes > 0) showSummary();
        return;
    }
    const QString text = classText(classIndex);
    readout_->setText(text);
    QToolTip::showText(event->globalPosition().toPoint(), plainToolTip(text), barPlot_);
}

}  // namespace distillery::views
