#include "CurveControls.h"

#include <cmath>

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QSignalBlocker>
#include <QSlider>
#include <QToolButton>
#include <QVBoxLayout>

#include "FormRows.h"
#include "MetricPlot.h"
#include "PlainText.h"

namespace distillery::views {

namespace {

QString xAxisName(MetricPlot::XAxis axis) {
    switch (axis) {
        case MetricPlot::XAxis::Step: return QStringLiteral("step");
        case MetricPlot::XAxis::Epoch: return QStringLiteral("epoch");
        case MetricPlot::XAxis::WallTimeMinutes: return QStringLiteral("wallTime");
    }
    return QStringLiteral("step");
}

QString curveModeName(MetricPlot::CurveMode mode) {
    switch (mode) {
        case MetricPlot::CurveMode::EachRun: return QStringLiteral("eachRun");
        case MetricPlot::CurveMode::MeanStd: return QStringLiteral("meanStd");
        case MetricPlot::CurveMode::MeanCI95: return QStringLiteral("meanCI95");
    }
    return QStringLiteral("eachRun");
}

QString axisTip(const QString& key) {
    switch (MetricPlot::axisKindOf(key)) {
        case MetricPlot::AxisKind::Loss: return CurveControls::tr("%1: a loss, on the left axis").arg(key);
        case MetricPlot::AxisKind::Accuracy: return CurveControls::tr("%1: an accuracy (%), on the right axis").arg(key);
        case MetricPlot::AxisKind::Other: break;
    }
    return CurveControls::tr("%1: not shown by default; check it to plot it on its own scale").arg(key);
}

}  // namespace

CurveControls::CurveControls(MetricPlot* plot, QWidget* parent) : QWidget(parent), plot_(plot) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);

    auto* keysHeader = new QHBoxLayout;
    keysHeader->addWidget(new QLabel(tr("Metrics"), this), 1);
    defaultKeysButton_ = new QToolButton(this);
    defaultKeysButton_->setText(tr("Defaults"));
    defaultKeysButton_->setToolTip(tr("Show the training losses and the top-1 accuracies, including keys that appear later"));
    keysHeader->addWidget(defaultKeysButton_);
    layout->addLayout(keysHeader);

    keyList_ = new QListWidget(this);
    keyList_->setSelectionMode(QAbstractItemView::NoSelection);
    keyList_->setToolTip(tr("Check the metrics to plot"));
    layout->addWidget(keyList_, 1);

    auto* form = new QFormLayout;
    form_ = form;
    curveModeBox_ = new QComboBox(this);
    curveModeBox_->addItem(tr("each run"), QVariant::fromValue(static_cast<int>(MetricPlot::CurveMode::EachRun)));
    curveModeBox_->addItem(tr("mean ± std"), QVariant::fromValue(static_cast<int>(MetricPlot::CurveMode::MeanStd)));
    curveModeBox_->addItem(tr("mean ± 95% CI"),
                           QVariant::fromValue(static_cast<int>(MetricPlot::CurveMode::MeanCI95)));
    curveModeBox_->setToolTip(tr("One curve per run, or per configuration the mean over its seeds with a band: the "
                                 "sample standard deviation, or the 95% confidence interval of the mean (Student t)"));
    form->addRow(tr("Curves"), curveModeBox_);
    setFormRowVisible(form, curveModeBox_, false);
    xAxisBox_ = new QComboBox(this);
    xAxisBox_->addItem(tr("step"), QVariant::fromValue(static_cast<int>(MetricPlot::XAxis::Step)));
    xAxisBox_->addItem(tr("epoch"), QVariant::fromValue(static_cast<int>(MetricPlot::XAxis::Epoch)));
    xAxisBox_->addItem(tr("wall time (min)"), QVariant::fromValue(static_cast<int>(MetricPlot::XAxis::WallTimeMinutes)));
    form->addRow(tr("x axis"), xAxisBox_);

    auto* smoothingRow = new QHBoxLayout;
    smoothingSlider_ = new QSlider(Qt::Horizontal, this);
    smoothingSlider_->setRange(0, kSmoothingSteps - 1);
    smoothingSlider_->setToolTip(tr("Debiased exponential moving average, as in TensorBoard; far left is off"));
    smoothingLabel_ = new QLabel(this);
    // Wide enough for "0.99" and "off" alike, so the slider does not jump.
    smoothingLabel_->setMinimumWidth(smoothingLabel_->fontMetrics().horizontalAdvance(QStringLiteral("0.99 ")));
    smoothingRow->addWidget(smoothingSlider_, 1);
    smoothingRow->addWidget(smoothingLabel_);
    form->addRow(tr("Smoothing"), smoothingRow);

    logYBox_ = new QCheckBox(tr("Log scale (losses)"), this);
    form->addRow(QString(), logYBox_);
    layout->addLayout(form);

    auto* help = new QLabel(tr("Drag to pan, scroll to zoom, double-click to follow the newest points."), this);
    help->setWordWrap(true);
    help->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(help);

    connect(keyList_, &QListWidget::itemChanged, this, &CurveControls::onKeyItemChanged);
    connect(defaultKeysButton_, &QToolButton::clicked, this, [this] { plot_->setVisibleKeys({}); });
    connect(curveModeBox_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int index) {
        plot_->setCurveMode(static_cast<MetricPlot::CurveMode>(curveModeBox_->itemData(index).toInt()));
    });
    connect(xAxisBox_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int index) {
        plot_->setXAxis(static_cast<MetricPlot::XAxis>(xAxisBox_->itemData(index).toInt()));
    });
    connect(smoothingSlider_, &QSlider::valueChanged, this, &CurveControls::onSmoothingMoved);
    connect(logYBox_, &QCheckBox::toggled, plot_, &MetricPlot::setLogY);

    connect(plot_, &MetricPlot::keysChanged, this, &CurveControls::syncKeys);
    connect(plot_, &MetricPlot::visibleKeysChanged, this, &CurveControls::syncKeys);
    connect(plot_, &MetricPlot::displayChanged, this, &CurveControls::syncDisplay);

    if (plot_->smoothing() == 0) plot_->setSmoothing(kDefaultSmoothing);
    syncKeys();
    syncDisplay();
}

void CurveControls::syncKeys() {
    const QSignalBlocker blocker(keyList_);
    const QStringList keys = plot_->keys();
    // Rebuilt only when the keys themselves change, so the scroll position survives check changes.
    bool sameKeys = keyList_->count() == keys.size();
    for (int i = 0; sameKeys && i < keys.size(); ++i) sameKeys = keyList_->item(i)->text() == keys.at(i);
    if (!sameKeys) {
        keyList_->clear();
        for (const QString& key : keys) {
            auto* item = new QListWidgetItem(key, keyList_);
            item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
            item->setToolTip(plainToolTip(axisTip(key)));
        }
    }
    for (int i = 0; i < keyList_->count(); ++i) {
        QListWidgetItem* item = keyList_->item(i);
        item->setCheckState(plot_->isKeyVisible(item->text()) ? Qt::Checked : Qt::Unchecked);
    }
    defaultKeysButton_->setEnabled(plot_->keysChosen());
}

void CurveControls::setCurveModesOffered(bool offered) {
    curveModesOffered_ = offered;
    setFormRowVisible(form_, curveModeBox_, offered);
}

void CurveControls::syncDisplay() {
    {
        const QSignalBlocker blocker(curveModeBox_);
        curveModeBox_->setCurrentIndex(curveModeBox_->findData(static_cast<int>(plot_->curveMode())));
    }
    {
        const QSignalBlocker blocker(xAxisBox_);
        xAxisBox_->setCurrentIndex(xAxisBox_->findData(static_cast<int>(plot_->xAxisMode())));
    }
    {
        const QSignalBlocker blocker(smoothingSlider_);
        smoothingSlider_->setValue(static_cast<int>(std::lround(plot_->smoothing() * kSmoothingSteps)));
    }
    {
        const QSignalBlocker blocker(logYBox_);
        logYBox_->setChecked(plot_->logY());
    }
    smoothingLabel_->setText(plot_->smoothing() > 0 ? QString::number(plot_->smoothing(), 'f', 2) : tr("off"));
}

void CurveControls::onKeyItemChanged(QListWidgetItem* item) {
    plot_->setKeyVisible(item->text(), item->checkState() == Qt::Checked);
}

void CurveControls::onSmoothingMoved(int position) {
    plot_->setSmoothing(static_cast<double>(position) / kSmoothingSteps);
    smoothingLabel_->setText(position > 0 ? QString::number(plot_->smoothing(), 'f', 2) : tr("off"));
}

QVariantMap CurveControls::saveState() const {
    QVariantMap state;
    state.insert(QStringLiteral("xAxis"), xAxisName(plot_->xAxisMode()));
    state.insert(QStringLiteral("smoothing"), plot_->smoothing());
    state.insert(QStringLiteral("logY"), plot_->logY());
    if (plot_->keysChosen()) state.insert(QStringLiteral("keys"), plot_->chosenKeys());
    if (curveModesOffered_) state.insert(QStringLiteral("curveMode"), curveModeName(plot_->curveMode()));
    return state;
}

void CurveControls::restoreState(const QVariantMap& state) {
    const QString axis = state.value(QStringLiteral("xAxis")).toString();
    for (MetricPlot::XAxis candidate :
         {MetricPlot::XAxis::Step, MetricPlot::XAxis::Epoch, MetricPlot::XAxis::WallTimeMinutes})
        if (axis == xAxisName(candidate)) plot_->setXAxis(candidate);
    bool ok = false;
    const double smoothing = state.value(QStringLiteral("smoothing")).toDouble(&ok);
    if (ok && smoothing >= 0 && smoothing < 1) plot_->setSmoothing(smoothing);
    if (state.contains(QStringLiteral("logY"))) plot_->setLogY(state.value(QStringLiteral("logY")).toBool());
    const QString curveMode = state.value(QStringLiteral("curveMode")).toString();
    for (MetricPlot::CurveMode candidate :
         {MetricPlot::CurveMode::EachRun, MetricPlot::CurveMode::MeanStd, MetricPlot::CurveMode::MeanCI95})
        if (curveModesOffered_ && curveMode == curveModeName(candidate)) plot_->setCurveMode(candidate);
    if (state.contains(QStringLiteral("keys")))
        plot_->setChosenKeys(state.value(QStringLiteral("keys")).toStringList());
    else
        plot_->setVisibleKeys({});
    syncKeys();
    syncDisplay();
}

}  // namespace distillery::views
