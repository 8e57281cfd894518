#include "ParallelCoordinates.h"

#include <cmath>
#include <limits>

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTableView>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include "Counted.h"
#include "HeadlineResult.h"
#include "PlainText.h"
#include "PlotPalette.h"
#include "ViridisGradient.h"

namespace distillery::views {

namespace {

// The plot's coordinates: axis i at x = i; positions 0..1 on y, the "n/a" slot below.
constexpr double kBottom = ParallelAxis::kMissingPosition - 0.06;
constexpr double kTop = 1.02;
constexpr double kAxisHalo = 14;         // pixels either side of an axis that grab it
constexpr double kBrushHalfWidth = 0.07; // of the spacing between axes
constexpr double kClickSlop = 4;         // pixels a press may move and still be a click
constexpr double kHoverDistance = 6;     // pixels from a line that name it
constexpr int kLineAlpha = 210;
constexpr int kDimmedAlpha = 45;
const QString kDimmedLayer = QStringLiteral("dimmed");

QString formatR(const stats::Correlation& c) {
    return std::isfinite(c.r) ? QString::number(c.r, 'f', 3) : QStringLiteral("—");
}

QString formatP(const stats::Correlation& c) {
    if (!std::isfinite(c.p)) return QStringLiteral("—");
    return c.p < 1e-4 ? QStringLiteral("<0.0001") : QString::number(c.p, 'g', 2);
}

QStandardItem* cell(const QString& text, const QString& toolTip = {}) {
    auto* item = new QStandardItem(text);
    item->setEditable(false);
    if (!toolTip.isEmpty()) item->setToolTip(plainToolTip(toolTip));
    return item;
}

QStandardItem* numberCell(const QString& text, double sortValue, const QString& toolTip = {}) {
    QStandardItem* item = cell(text, toolTip);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    if (std::isfinite(sortValue)) item->setData(sortValue, Qt::UserRole);
    return item;
}

double distanceToSegment(const QPointF& p, const QPointF& a, const QPointF& b) {
    const QPointF ab = b - a;
    const double length2 = QPointF::dotProduct(ab, ab);
    const double t = length2 > 0 ? std::clamp(QPointF::dotProduct(p - a, ab) / length2, 0.0, 1.0) : 0.0;
    const QPointF nearest = a + t * ab;
    return std::hypot(p.x() - nearest.x(), p.y() - nearest.y());
}

}  // namespace

ParallelCoordinates::ParallelCoordinates(QWidget* parent) : QWidget(parent) {
    metricBox_ = new QComboBox(this);
    metricBox_->setToolTip(tr("The metric on the last axis, which also colours the lines"));
    metricBox_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    perConfiguration_ = new QCheckBox(tr("One line per configuration (mean over seeds)"), this);
    selectionLabel_ = new QLabel(this);
    selectionLabel_->setTextFormat(Qt::PlainText);
    clearButton_ = new QPushButton(tr("Clear brushes"), this);
    clearButton_->setToolTip(tr("Select no range on any axis (double-click an axis to clear its own)"));

    auto* controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Metric:"), this));
    controls->addWidget(metricBox_);
    controls->addSpacing(12);
    controls->addWidget(perConfiguration_);
    controls->addStretch(1);
    controls->addWidget(selectionLabel_);
    controls->addWidget(clearButton_);

    plot_ = new QCustomPlot(this);
    plot_->setMinimumSize(320, 220);
    plot_->setMouseTracking(true);   // the read-out follows the mouse without a button pressed
    plot_->setInteractions(QCP::Interactions());   // drags brush, they do not pan
    for (QCPAxis* axis : plot_->axisRect()->axes()) axis->setVisible(false);
    plot_->axisRect()->setAutoMargins(QCP::msNone);
    // Room above the axes for two rows of staggered titles, and beside the outer ones for tick labels.
    plot_->axisRect()->setMargins(QMargins(8, 46, 8, 6));
    plot_->yAxis->setRange(kBottom, kTop);
    plot_->addLayer(kDimmedLayer, plot_->layer(QStringLiteral("main")), QCustomPlot::limBelow);

    correlationModel_ = new QStandardItemModel(0, ColumnCount, this);
    correlationModel_->setHorizontalHeaderLabels(
        {tr("Field"), tr("n"), tr("Pearson r"), tr("p"), tr("Spearman ρ"), tr("p"), tr("Mean"), tr("Note")});
    correlationModel_->setSortRole(Qt::UserRole);
    correlationView_ = new QTableView(this);
    correlationView_->setModel(correlationModel_);
    correlationView_->verticalHeader()->hide();
    correlationView_->setWordWrap(false);
    correlationView_->setAlternatingRowColors(true);
    correlationView_->setSelectionBehavior(QAbstractItemView::SelectRows);
    correlationView_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    correlationView_->horizontalHeader()->setStretchLastSection(true);
    correlationView_->setToolTip(
        tr("Each field against the metric, over runs (seeds count as observations). Numeric fields: Pearson's r "
           "(on log10 of the values for a log axis) and Spearman's ρ with two-sided p-values; categorical "
           "fields: the mean metric of each category."));

    auto* tableColumn = new QWidget(this);
    auto* tableLayout = new QVBoxLayout(tableColumn);
    tableLayout->setContentsMargins(0, 0, 0, 0);
    tableLayout->addWidget(new QLabel(tr("Correlation with the metric"), tableColumn));
    tableLayout->addWidget(correlationView_, 1);

    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(plot_);
    splitter->addWidget(tableColumn);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setSizes({600, 400});   // the table's size hint would otherwise take most of the width

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(controls);
    layout->addWidget(splitter, 1);

    connect(metricBox_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] {
        data_.clearBrush(data_.metricAxis());   // a range of another metric's scale
        rebuild();
    });
    connect(perConfiguration_, &QCheckBox::toggled, this, [this] { rebuild(); });
    connect(clearButton_, &QPushButton::clicked, this, &ParallelCoordinates::clearBrushes);
    connect(plot_, &QCustomPlot::mousePress, this, &ParallelCoordinates::onMousePress);
    connect(plot_, &QCustomPlot::mouseMove, this, &ParallelCoordinates::onMouseMove);
    connect(plot_, &QCustomPlot::mouseRelease, this, &ParallelCoordinates::onMouseRelease);
    connect(plot_, &QCustomPlot::mouseDoubleClick, this, &ParallelCoordinates::onMouseDoubleClick);

    fillMetricBox();
    rebuild();
}

ParallelCoordinates::~ParallelCoordinates() = default;

// ---- data ----------------------------------------------------------------------------------------

void ParallelCoordinates::setRuns(const QList<ComparedRun>& runs) {
    runs_ = runs;
    data_.clearBrushes();   // positions on the old runs' axes mean nothing on the new ones
    fillMetricBox();
    rebuild();
}

void ParallelCoordinates::fillMetricBox() {
    const QVariant current = metricBox_->currentData();
    const QSignalBlocker blocker(metricBox_);
    metricBox_->clear();
    metricBox_->addItem(HeadlineResult::title(), kHeadlineMetric);
    metricBox_->setItemData(0, plainToolTip(HeadlineResult::explanation()), Qt::ToolTipRole);
    // Each compared key's best and last: min and max add little beside best for a comparison.
    for (const QString& key : metricKeysOf(runs_))
        for (SummaryStat stat : statsOffered(key, {SummaryStat::Best, SummaryStat::Last}))
            metricBox_->addItem(key + QLatin1Char(' ') + summaryStatName(stat),
                                QStringList{key, summaryStatName(stat)});
    const int index = metricBox_->findData(current);
    metricBox_->setCurrentIndex(index >= 0 ? index : 0);
}

QString ParallelCoordinates::metricName() const { return metricBox_->currentText(); }

QString ParallelCoordinates::metricKey() const {
    const QVariant choice = metricBox_->currentData();
    if (choice.toString() == kHeadlineMetric) return QString::fromStdString(store::metric::kTestAcc1);
    const QStringList summary = choice.toStringList();
    return summary.isEmpty() ? QString() : summary.first();
}

void ParallelCoordinates::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange) rebuildPlot();
}

QHash<qint64, double> ParallelCoordinates::metricValues() const {
    QHash<qint64, double> values;
    const QVariant choice = metricBox_->currentData();
    const QStringList summary = choice.toStringList();
    for (const ComparedRun& run : runs_) {
        std::optional<double> value;
        if (choice.toString() == kHeadlineMetric) {
            value = run.selection.testAtBestVal;
        } else if (summary.size() == 2) {
            for (SummaryStat stat : {SummaryStat::Best, SummaryStat::Last, SummaryStat::Min, SummaryStat::Max})
                if (summaryStatName(stat) == summary.at(1)) value = run.value(summary.at(0), stat);
        }
        if (value) values.insert(run.run.id, *value);
    }
    return values;
}

void ParallelCoordinates::rebuild() {
    // Brushes stay on the axes of the same fields (a new metric or line mode keeps the selection).
    QHash<QString, std::pair<double, double>> brushes;
    for (int a = 0; a < data_.axes().size(); ++a) {
        const ParallelAxis& axis = data_.axes().at(a);
        if (auto brush = data_.brush(a)) brushes.insert(axis.isMetric ? QString() : axis.field, *brush);
    }

    fields_ = ParallelData::variedFields(runs_);
    data_ = ParallelData(ParallelData::runsOf(runs_, fields_, metricValues()), fields_, metricName(),
                         perConfiguration_->isChecked());
    for (int a = 0; a < data_.axes().size(); ++a) {
        const QString key = data_.axes().at(a).isMetric ? QString() : data_.axes().at(a).field;
        if (brushes.contains(key)) data_.setBrush(a, brushes.value(key).first, brushes.value(key).second);
    }
    rebuildPlot();
    fillCorrelationTable();
    announceSelection();
}

// ---- brushing ------------------------------------------------------------------------------------

void ParallelCoordinates::setBrush(int axis, double from, double to) {
    data_.setBrush(axis, from, to);
    restyleLines();
    updateBrushRects();
    plot_->replot(QCustomPlot::rpQueuedReplot);
    announceSelection();
}

void ParallelCoordinates::clearBrush(int axis) {
    if (!data_.brush(axis)) return;
    data_.clearBrush(axis);
    restyleLines();
    updateBrushRects();
    plot_->replot(QCustomPlot::rpQueuedReplot);
    announceSelection();
}

void ParallelCoordinates::clearBrushes() {
    if (!data_.hasBrushes()) return;
    data_.clearBrushes();
    restyleLines();
    updateBrushRects();
    plot_->replot(QCustomPlot::rpQueuedReplot);
    announceSelection();
}

QCPItemRect* ParallelCoordinates::brushRect(int axis) const { return brushRects_.value(axis); }

void ParallelCoordinates::announceSelection() {
    selectionLabel_->setText(selectionText());
    clearButton_->setEnabled(data_.hasBrushes());
    // Only a change: a new metric or line mode must not clear rows the user selected in the table.
    const QList<qint64> ids = data_.selectedRunIds();
    if (ids == announcedIds_) return;
    announcedIds_ = ids;
    emit selectionChanged(ids);
}

QString ParallelCoordinates::selectionText() const {
    const int runs = static_cast<int>(data_.runs().size());
    if (runs == 0) return {};
    if (!data_.hasBrushes()) return counted(runs, tr("run"), tr("runs")) + tr(" · drag on an axis to select");
    return tr("%1 of %2 selected").arg(data_.selectedRunIds().size()).arg(counted(runs, tr("run"), tr("runs")));
}

QString ParallelCoordinates::readoutText() const { return readout_->visible() ? readout_->text() : QString(); }

// ---- drawing -------------------------------------------------------------------------------------

void ParallelCoordinates::rebuildPlot() {
    plot_->clearPlottables();
    plot_->clearItems();
    curves_.clear();
    axisItems_.clear();
    brushRects_.clear();
    const QList<ParallelAxis>& axes = data_.axes();
    // Without runs there is nothing to draw axes for: the hint says what to do.
    const int count = data_.runs().isEmpty() ? 0 : static_cast<int>(axes.size());
    plot_->xAxis->setRange(-0.5, std::max(count, 1) - 0.5);

    const QColor text = palette().color(QPalette::Text);
    for (int a = 0; a < count; ++a) {
        const ParallelAxis& axis = axes.at(a);
        auto* line = new QCPItemLine(plot_);
        line->start->setCoords(a, 0);
        line->end->setCoords(a, 1);
        line->setPen(QPen(text, 1.5));
        line->setLayer(QStringLiteral("main"));
        axisItems_.append(line);

        // Titles alternate between two rows, so long field names of neighbouring axes do not collide.
        auto* title = new QCPItemText(plot_);
        title->setClipToAxisRect(false);
        title->position->setCoords(a, 1);
        title->setPositionAlignment(Qt::AlignHCenter | Qt::AlignBottom);
        title->setPadding(QMargins(2, 0, 2, (a % 2 == 1 && count > 3) ? 24 : 6));
        title->setText(axis.field);
        QFont bold = font();
        bold.setBold(axis.isMetric);
        title->setFont(bold);
        title->setColor(text);
        axisItems_.append(title);

        QColor tickBackground = palette().color(QPalette::Base);
        tickBackground.setAlpha(200);
        for (const auto& [position, label] : axis.ticks()) {
            auto* tick = new QCPItemText(plot_);
            tick->setClipToAxisRect(false);
            tick->position->setCoords(a, position);
            tick->setPositionAlignment(Qt::AlignRight | Qt::AlignVCenter);
            tick->setPadding(QMargins(2, 0, 5, 0));   // a gap between the label and its axis
            tick->setText(label);
            tick->setColor(position < 0 ? palette().color(QPalette::PlaceholderText) : text);
            tick->setBrush(tickBackground);
            tick->setLayer(QStringLiteral("overlay"));
            axisItems_.append(tick);
        }
    }
    for (int l = 0; l < data_.lines().size(); ++l) {
        const ParallelLine& line = data_.lines().at(l);
        auto* curve = new QCPCurve(plot_->xAxis, plot_->yAxis);
        QVector<double> t, x;
        for (int a = 0; a < count; ++a) {
            t.append(a);
            x.append(a);
        }
        curve->setData(t, x, line.positions);
        curve->setName(line.label);
        curve->setAntialiased(true);
        curves_.append(curve);
    }

    readout_ = new QCPItemText(plot_);
    readout_->setLayer(QStringLiteral("overlay"));
    readout_->setClipToAxisRect(false);
    readout_->position->setType(QCPItemPosition::ptAbsolute);
    readout_->setPadding(QMargins(6, 4, 6, 4));
    readout_->setTextAlignment(Qt::AlignLeft);
    readout_->setVisible(false);
    emptyHint_ = new QCPItemText(plot_);
    emptyHint_->position->setType(QCPItemPosition::ptAxisRectRatio);
    emptyHint_->position->setCoords(0.5, 0.5);
    emptyHint_->setText(runs_.isEmpty() ? tr("Select runs in the list to compare them") : QString());
    emptyHint_->setVisible(runs_.isEmpty());

    applyPalette();
    restyleLines();
    updateBrushRects();
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void ParallelCoordinates::restyleLines() {
    QCPColorGradient gradient = ViridisGradient::make();
    const auto range = data_.metricRange();
    const QCPRange colourRange = range ? QCPRange(range->first, range->second) : QCPRange(0, 1);
    QColor dimmed = palette().color(QPalette::Mid);
    dimmed.setAlpha(kDimmedAlpha);
    const QColor noMetric = palette().color(QPalette::PlaceholderText);
    for (int l = 0; l < curves_.size(); ++l) {
        QCPCurve* curve = curves_.at(l);
        const ParallelLine& line = data_.lines().at(l);
        const bool selected = data_.isSelected(l);
        QPen pen;
        if (!selected) {
            pen = QPen(dimmed, 1);
        } else if (line.metric) {
            QColor color = QColor::fromRgb(gradient.color(*line.metric, colourRange));
            color.setAlpha(kLineAlpha);
            pen = QPen(color, data_.perConfiguration() ? 2.5 : 1.6);
        } else {
            pen = QPen(noMetric, 1.2, Qt::DashLine);
        }
        curve->setPen(pen);
        // Greyed lines under the selected ones, so brushing brings the selection forward.
        curve->setLayer(selected ? QStringLiteral("main") : kDimmedLayer);
    }
}

void ParallelCoordinates::updateBrushRects() {
    for (QCPItemRect* rect : brushRects_) plot_->removeItem(rect);
    brushRects_.clear();
    QColor fill = palette().color(QPalette::Highlight);
    fill.setAlpha(60);
    for (int a = 0; a < data_.axes().size(); ++a) {
        const auto brush = data_.brush(a);
        if (!brush) continue;
        auto* rect = new QCPItemRect(plot_);
        rect->topLeft->setCoords(a - kBrushHalfWidth, brush->second);
        rect->bottomRight->setCoords(a + kBrushHalfWidth, brush->first);
        rect->setPen(QPen(palette().color(QPalette::Highlight), 1));
        rect->setBrush(fill);
        rect->setClipToAxisRect(false);
        brushRects_.insert(a, rect);
    }
}

void ParallelCoordinates::applyPalette() {
    applyPlotPalette(plot_, palette());
    const QPalette pal = palette();
    readout_->setColor(pal.color(QPalette::ToolTipText));
    readout_->setBrush(pal.color(QPalette::ToolTipBase));
    readout_->setPen(QPen(pal.color(QPalette::Mid), 1));
    emptyHint_->setColor(pal.color(QPalette::PlaceholderText));
}

void ParallelCoordinates::fillCorrelationTable() {
    correlationModel_->removeRows(0, correlationModel_->rowCount());
    const QList<FieldCorrelation> correlations = data_.correlations();
    for (const FieldCorrelation& c : correlations) {
        if (c.kind == ParallelAxis::Kind::Categorical) {
            // No correlation for categories: a row per category with its runs' mean metric.
            for (const FieldCorrelation::CategoryMean& m : c.categoryMeans) {
                const QString mean = m.n > 0 ? formatMetricValue(metricKey(), m.mean) : QStringLiteral("—");
                correlationModel_->appendRow({cell(c.field + QStringLiteral(" = ") + m.category),
                                              numberCell(QString::number(m.n), m.n), cell({}), cell({}), cell({}),
                                              cell({}), numberCell(mean, m.mean), cell({})});
            }
            continue;
        }
        const QString reason = QString::fromStdString(c.pearson.reason.empty() ? c.spearman.reason : c.pearson.reason);
        QString note = reason;
        if (c.kind == ParallelAxis::Kind::Log && reason.isEmpty()) note = tr("r on log10 values");
        correlationModel_->appendRow(
            {cell(c.field), numberCell(QString::number(c.pearson.n), static_cast<double>(c.pearson.n)),
             numberCell(formatR(c.pearson), c.pearson.r, QString::fromStdString(c.pearson.reason)),
             numberCell(formatP(c.pearson), c.pearson.p),
             numberCell(formatR(c.spearman), c.spearman.r, QString::fromStdString(c.spearman.reason)),
             numberCell(formatP(c.spearman), c.spearman.p), cell({}), cell(note, note)});
    }
}

// ---- mouse ---------------------------------------------------------------------------------------

QPointF ParallelCoordinates::pixelOf(int axis, double position) const {
    return {plot_->xAxis->coordToPixel(axis), plot_->yAxis->coordToPixel(position)};
}

double ParallelCoordinates::positionAtPixel(double y) const { return plot_->yAxis->pixelToCoord(y); }

int ParallelCoordinates::axisAtPixel(const QPointF& pixel) const {
    const int count = static_cast<int>(data_.axes().size());
    if (count == 0) return -1;
    const int axis = static_cast<int>(std::lround(plot_->xAxis->pixelToCoord(pixel.x())));
    if (axis < 0 || axis >= count) return -1;
    if (std::fabs(pixel.x() - plot_->xAxis->coordToPixel(axis)) > kAxisHalo) return -1;
    const double position = positionAtPixel(pixel.y());
    return position >= kBottom && position <= kTop ? axis : -1;
}

void ParallelCoordinates::onMousePress(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton) return;
    const int axis = axisAtPixel(event->position());
    if (axis < 0) return;
    dragAxis_ = axis;
    dragFrom_ = positionAtPixel(event->position().y());
    dragStartPixel_ = event->position();
    brushBeforeDrag_ = data_.brush(axis);
}

void ParallelCoordinates::onMouseMove(QMouseEvent* event) {
    if (dragAxis_ < 0) {
        showReadoutAt(event->position());
        return;
    }
    readout_->setVisible(false);
    data_.setBrush(dragAxis_, dragFrom_, positionAtPixel(event->position().y()));
    restyleLines();
    updateBrushRects();
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void ParallelCoordinates::onMouseRelease(QMouseEvent* event) {
    if (dragAxis_ < 0) return;
    const int axis = dragAxis_;
    dragAxis_ = -1;
    const QPointF moved = event->position() - dragStartPixel_;
    if (std::hypot(moved.x(), moved.y()) < kClickSlop) {
        // A click is not a brush: the axis keeps what it had.
        if (brushBeforeDrag_) data_.setBrush(axis, brushBeforeDrag_->first, brushBeforeDrag_->second);
        else data_.clearBrush(axis);
        restyleLines();
        updateBrushRects();
        plot_->replot(QCustomPlot::rpQueuedReplot);
        return;
    }
    setBrush(axis, dragFrom_, positionAtPixel(event->position().y()));
}

void ParallelCoordinates::onMouseDoubleClick(QMouseEvent* event) {
    dragAxis_ = -1;
    const int axis = axisAtPixel(event->position());
    if (axis >= 0) clearBrush(axis);
}

void ParallelCoordinates::showReadoutAt(const QPointF& pixel) {
    int nearest = -1;
    double nearestDistance = kHoverDistance;
    for (int l = 0; l < data_.lines().size(); ++l) {
        const QVector<double>& positions = data_.lines().at(l).positions;
        for (int a = 0; a + 1 < positions.size(); ++a) {
            const double distance =
                distanceToSegment(pixel, pixelOf(a, positions.at(a)), pixelOf(a + 1, positions.at(a + 1)));
            // The selected line wins a tie with a greyed one under it.
            if (distance < nearestDistance || (distance == nearestDistance && data_.isSelected(l))) {
                nearestDistance = distance;
                nearest = l;
            }
        }
    }
    if (nearest < 0) {
        if (readout_->visible()) {
            readout_->setVisible(false);
            plot_->replot(QCustomPlot::rpQueuedReplot);
        }
        return;
    }
    const ParallelLine& line = data_.lines().at(nearest);
    const QString metric = line.metric ? formatMetricValue(metricKey(), *line.metric) : tr("n/a");
    readout_->setText(tr("%1\n%2: %3").arg(line.label, metricName(), metric));
    const QRect rect = plot_->axisRect()->rect();
    const bool rightHalf = pixel.x() > rect.center().x();
    readout_->setPositionAlignment((rightHalf ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignBottom);
    readout_->position->setCoords(pixel.x() + (rightHalf ? -10 : 10), pixel.y() - 8);
    readout_->setVisible(true);
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace distillery::views
