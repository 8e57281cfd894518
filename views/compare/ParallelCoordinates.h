#pragma once
// Compare's parallel-coordinates view: the fields the compared runs vary (a study's fields, or the
// spec keys that differ) against a metric, one polyline per run or per configuration, coloured by the
// metric (viridis), with brushing, and beside it each field's correlation with the metric.
//
//   ┌ Metric [Test % @ best val ▾]  [ ] One line per configuration   3 of 12 runs selected  [Clear] ┐
//   │  method.name   method.T    optim.lr    Test % @ best val │ field    n   r   p   ρ   p        │
//   │      ┃           ┃           ┃              ┃           │ method.T 9  0.61 …                │
//   │  (one line per run)                                      │ …                                 │
//
// Drag vertically on an axis to brush a range (several axes combine with AND: a line must pass
// through every brush); double-click an axis to clear its brush. Lines outside the brushes turn
// grey, and selectionChanged carries the selected runs when they change (empty when nothing is brushed).
//
// The data (ParallelData) is built without widgets. The default metric is the headline (test accuracy
// at the epoch of best validation: ComparedRun::selection, from store::selectByValidation); the metric
// box also offers each compared key's best and last value (the summaries; no "best" of a test metric).
#include <optional>

#include <QHash>
#include <QList>
#include <QWidget>

#include "ParallelData.h"
#include "RunComparison.h"

class QCheckBox;
class QComboBox;
class QCPAbstractItem;
class QCPCurve;
class QCPItemRect;
class QCPItemText;
class QCustomPlot;
class QLabel;
class QMouseEvent;
class QPushButton;
class QStandardItemModel;
class QTableView;

namespace distillery::views {

class ParallelCoordinates : public QWidget {
    Q_OBJECT
public:
    // The metric box's data for the headline; the others are {key, summaryStatName(stat)}.
    static inline const QString kHeadlineMetric = QStringLiteral("headline");
    // Columns of the correlation table: a row per numeric field (r, ρ, their p), a row per category of
    // a categorical field ("method.name = kd", its runs' mean metric); the note says why an r is missing.
    enum Column { FieldColumn, NColumn, PearsonColumn, PearsonPColumn, SpearmanColumn, SpearmanPColumn,
                  MeanColumn, NoteColumn, ColumnCount };

    explicit ParallelCoordinates(QWidget* parent = nullptr);
    ~ParallelCoordinates() override;

    // The runs to show (brushes are cleared); empty clears the view.
    void setRuns(const QList<ComparedRun>& runs);
    const QList<ComparedRun>& runs() const { return runs_; }

    const ParallelData& data() const { return data_; }
    QStringList fields() const { return fields_; }
    QString metricName() const;                       // the metric axis' title
    QString metricKey() const;                        // the metric's key (test/acc1 for the headline)

    // As a drag on the axis does: positions 0 (bottom) .. 1 (top). Emits selectionChanged.
    void setBrush(int axis, double from, double to);
    void clearBrush(int axis);                        // as a double-click on the axis
    void clearBrushes();

    QCustomPlot* plot() const { return plot_; }
    QCPCurve* lineCurve(int line) const { return curves_.value(line); }   // in data().lines() order
    QCPItemRect* brushRect(int axis) const;           // nullptr when the axis has no brush
    QComboBox* metricBox() const { return metricBox_; }
    QCheckBox* perConfigurationBox() const { return perConfiguration_; }
    QStandardItemModel* correlationModel() const { return correlationModel_; }
    QTableView* correlationView() const { return correlationView_; }
    QString selectionText() const;                    // "3 of 12 runs selected", …
    QString readoutText() const;                      // the hovered line's name and metric; empty when none

    // The pixel of a position on an axis, for tests and the mouse (valid after a replot).
    QPointF pixelOf(int axis, double position) const;

signals:
    void selectionChanged(const QList<qint64>& runIds);

protected:
    void changeEvent(QEvent* event) override;

private:
    void fillMetricBox();
    void rebuild();                                   // data, plot and table from runs_ and the choices
    void rebuildPlot();
    void restyleLines();
    void updateBrushRects();
    void fillCorrelationTable();
    void applyPalette();
    void announceSelection();
    int axisAtPixel(const QPointF& pixel) const;      // -1 when not near an axis
    double positionAtPixel(double y) const;
    void onMousePress(QMouseEvent* event);
    void onMouseMove(QMouseEvent* event);
    void onMouseRelease(QMouseEvent* event);
    void onMouseDoubleClick(QMouseEvent* event);
    void showReadoutAt(const QPointF& pixel);
    QHash<qint64, double> metricValues() const;

    QList<ComparedRun> runs_;
    QStringList fields_;
    ParallelData data_;

    QComboBox* metricBox_ = nullptr;
    QCheckBox* perConfiguration_ = nullptr;
    QPushButton* clearButton_ = nullptr;
    QLabel* selectionLabel_ = nullptr;
    QCustomPlot* plot_ = nullptr;
    QStandardItemModel* correlationModel_ = nullptr;
    QTableView* correlationView_ = nullptr;

    QList<qint64> announcedIds_;                      // what selectionChanged said last
    QList<QCPCurve*> curves_;
    QList<QCPAbstractItem*> axisItems_;               // axis lines, titles and tick labels
    QHash<int, QCPItemRect*> brushRects_;
    QCPItemText* readout_ = nullptr;
    QCPItemText* emptyHint_ = nullptr;
    int dragAxis_ = -1;
    double dragFrom_ = 0;
    std::optional<std::pair<double, double>> brushBeforeDrag_;
    QPointF dragStartPixel_;
};

}  // namespace distillery::views
