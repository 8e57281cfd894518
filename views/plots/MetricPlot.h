#pragma once
// Metric curves of one or more runs, for Live (one run, one colour per key) and Compare (many runs,
// one colour per run). A series is one key of one run; it keeps its raw points (step, epoch, wall
// time, value) so the x axis and the smoothing can change without asking the store again.
//
// Losses go on the left axis, accuracies (%) on the right (axisKindOf; agreement with the teacher,
// also a percentage, goes right too). By default the training losses and the top-1 accuracies are
// shown (isDefaultKey); other keys (val/loss, lr, epoch_time, …) when chosen, lr and the like on the
// left axis. Smoothing is TensorBoard's debiased EMA; the
// raw series then stays visible, faint, behind the smoothed one. Log y applies to the left (loss)
// axis. Points arrive live through appendPoints and are drawn with a queued replot, so a burst of
// points costs one repaint. The axes follow the data until the user drags or zooms; a double-click
// follows again. Hovering shows the nearest point of the nearest curve: run, key, x and y.
//
// Compare can also draw the seeds of each configuration as one curve (setSeedGroups, setCurveMode):
// the mean over the group's runs with a shaded band (± std or the 95% CI of the mean, SeedBands.h),
// one colour per configuration, after the same smoothing of each run. The runs' own graphs then stay
// (graph(runId, key) still answers) but are hidden; a run in no group is still drawn on its own.
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include <QHash>
#include <QStringList>

#include <qcustomplot.h>

#include "MetricSeries.h"
#include "SeedBands.h"
#include "Smoothing.h"
#include "store/Results.h"

namespace distillery::views {

class MetricPlot : public QCustomPlot {
    Q_OBJECT
public:
    enum class XAxis { Step, Epoch, WallTimeMinutes };
    enum class ColourBy { Key, Run };   // Live: one colour per key; Compare: one colour per run
    // Compare: one curve per run, or per configuration (seed group) with a band.
    enum class CurveMode { EachRun, MeanStd, MeanCI95 };
    // The runs of one configuration across seeds, named as the legend shows it.
    struct SeedGroup {
        QString label;
        QList<qint64> runIds;
    };
    // Alpha of a band's fill: the curves of other configurations stay readable through it.
    static constexpr int kBandAlpha = 51;   // 0.2
    using AxisKind = store::MetricKind;   // one classification of keys: store/Results.h
    // Keys with "acc" in their last path part are accuracies, with "loss" in any part losses; others
    // (lr, epoch_time, …) have scales of their own and are plotted only when chosen.
    static AxisKind axisKindOf(const QString& key);
    // Shown until the user picks keys: the training losses (train/loss and its terms) and the top-1 accuracies.
    static bool isDefaultKey(const QString& key);

    // Above this many points a graph is drawn without antialiasing: it costs more than it shows.
    static constexpr int kAntialiasLimit = 10000;
    // Up to this many points a graph also gets a dot per point, so a single evaluation shows.
    static constexpr int kMaxDottedPoints = 100;

    explicit MetricPlot(QWidget* parent = nullptr);
    ~MetricPlot() override;

    static QString xAxisLabel(XAxis axis);   // "step", "epoch", "wall time (min)"

    // ---- data ----------------------------------------------------------------------------------
    void clearSeries();
    // Replaces the run's series with its history (also when empty: the run is then shown, waiting
    // for points). A run keeps the colour it got when first set until clearSeries().
    void setSeries(qint64 runId, const QString& runLabel, const MetricSeriesList& history);
    // Live points, ordered by step, after those already shown. Points of a run whose history has
    // not been set are dropped: they belong to an earlier selection.
    void appendPoints(qint64 runId, const MetricSeriesList& points);
    void removeRun(qint64 runId);
    // Makes keys known before their points arrive (Compare loads only the shown keys' points), so
    // that keys() and the key picker list them.
    void declareKeys(const QStringList& keys);

    QList<qint64> runIds() const { return runOrder_; }   // in the order they were first set
    QString runLabel(qint64 runId) const { return runLabels_.value(runId); }
    QStringList keys() const { return keys_; }          // all keys seen, in order of appearance
    using QCustomPlot::graph;                                     // graph(int), graph(): every QCPGraph
    QCPGraph* graph(qint64 runId, const QString& key) const;      // the displayed (smoothed or raw) graph
    QCPGraph* rawGraph(qint64 runId, const QString& key) const;   // the faint raw graph; nullptr while smoothing is off

    // ---- display -------------------------------------------------------------------------------
    void setXAxis(XAxis axis);
    XAxis xAxisMode() const { return xAxis_; }
    void setSmoothing(double weight);   // 0 = off; otherwise in (0, 1)
    double smoothing() const { return smoothing_; }
    void setLogY(bool on);              // the left (loss) axis
    bool logY() const { return logY_; }
    void setColourBy(ColourBy colourBy);
    ColourBy colourBy() const { return colourBy_; }

    // ---- seed groups (Compare) -----------------------------------------------------------------
    // The configurations the runs form; kept until clearSeries() or the next call. In EachRun mode
    // they change nothing.
    void setSeedGroups(const QList<SeedGroup>& groups);
    QList<SeedGroup> seedGroups() const { return groups_; }
    void setCurveMode(CurveMode mode);
    CurveMode curveMode() const { return curveMode_; }
    static BandKind bandKindOf(CurveMode mode);   // the band a banded mode draws
    QColor groupColor(int groupIndex) const;      // a configuration's colour in the banded modes
    // The banded mode's graphs of one group and key (nullptr in EachRun mode, or when none of the
    // group's runs has points of the key): the mean, and the band's lower and upper edges (NaN
    // where fewer than 2 runs reach x). band() gives the numbers they were drawn from.
    QCPGraph* meanGraph(int groupIndex, const QString& key) const;
    QCPGraph* bandLowerGraph(int groupIndex, const QString& key) const;
    QCPGraph* bandUpperGraph(int groupIndex, const QString& key) const;
    const SeedBand* band(int groupIndex, const QString& key) const;

    // Empty = the default keys (isDefaultKey), including those that appear later.
    void setVisibleKeys(const QStringList& keys);
    // Exactly these keys, possibly none (a restored choice).
    void setChosenKeys(const QStringList& keys);
    // Shows or hides one key; from then on exactly the chosen keys are shown (possibly none).
    void setKeyVisible(const QString& key, bool visible);
    bool isKeyVisible(const QString& key) const;
    QStringList visibleKeys() const;                    // the seen keys shown now, in keys() order
    bool keysChosen() const { return keysChosen_; }     // false: the default keys (isDefaultKey)
    QStringList chosenKeys() const { return chosenKeys_; }

    QColor runColor(qint64 runId) const;                // a run's colour under ColourBy::Run
    QColor keyColor(const QString& key) const;          // a key's colour under ColourBy::Key
    // What the empty plot says when it has no run ("Select a run to see its curves").
    void setEmptyText(const QString& text);
    QString hintText() const;                           // what the plot says now; empty when it shows curves

    bool followsData() const { return followData_; }
    void followData();                                  // fit the axes to the data again

    // ---- hover read-out ------------------------------------------------------------------------
    // Puts the tracer on the point nearest to pixel (widget coordinates) among the shown curves.
    // Returns false (and hides the read-out) outside the axes or when no curve has points.
    bool showReadoutAt(const QPointF& pixel);
    void hideReadout();
    QString readoutText() const;                        // empty while hidden

signals:
    void keysChanged(const QStringList& keys);
    void visibleKeysChanged(const QStringList& visibleKeys);
    void displayChanged();                              // x axis, smoothing, log y or colouring

protected:
    void changeEvent(QEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    // Shared by MetricPlot.cpp and MetricPlotReadout.cpp.
    static bool hasPoints(const QCPGraph* graph) { return graph->visible() && graph->dataCount() > 0; }
    // Dashes tell curves of one colour apart (keys of one run, runs of one key, configurations past 8).
    static Qt::PenStyle penStyleAt(int index);
    static inline const QString kReadoutLayerName = QStringLiteral("readout");
    struct Series {
        qint64 runId = 0;
        QString key;
        MetricSeries raw;
        QCPGraph* graph = nullptr;      // displayed: smoothed while smoothing is on, raw otherwise
        QCPGraph* rawGraph = nullptr;   // the raw points while smoothing is on, empty otherwise
        DebiasedEma ema;                // its state after the last point, for live points
    };
    using SeriesId = std::pair<qint64, QString>;
    // One group's aggregate of one key, in the banded modes.
    struct Band {
        int group = 0;
        QString key;
        int runs = 0;                     // the group's runs with points of the key: the legend's n
        SeedBand data;
        QCPGraph* mean = nullptr;
        QCPGraph* lower = nullptr;
        QCPGraph* upper = nullptr;        // filled down to lower (setChannelFillGraph)
    };

    Series* findSeries(qint64 runId, const QString& key) const;
    Series& ensureSeries(qint64 runId, const QString& key);
    void deleteSeriesOfRun(qint64 runId);
    void addPoints(Series& series, const MetricSeries& points);
    void rebuildGraphData(Series& series);
    QVector<double> xValues(const MetricSeries& points) const;
    QCPAxis* valueAxisFor(const QString& key) const;
    void noteKey(const QString& key);
    void announceNewKeys(const QStringList& keysBefore);   // the key signals, when keys were added
    void applyKeyChoice(bool chosen, const QStringList& keys);
    bool banded() const { return curveMode_ != CurveMode::EachRun && !groups_.isEmpty(); }
    bool isGrouped(qint64 runId) const;          // the run is drawn through its group's band
    bool isSeriesShown(const Series& series) const;
    const Band* findBand(int groupIndex, const QString& key) const;
    void rebuildBands();                         // after anything that changes what the bands show
    void clearBands();
    void styleBands();
    QList<QCPGraph*> shownGraphs() const;        // the graphs with points the axes and the read-out follow
    QString runReadout(const Series& nearest, double nearestKey, double nearestValue, const QString& xText) const;
    QString bandReadout(const Band& band, int index, const QString& xText) const;

    void applyStyles();
    void updateAxisLabels();
    void fitAxes();
    void refresh();                     // after data changes: fit if following, hint, queued replot
    void updateEmptyHint();
    void showLegendRow(bool show);
    void onRangeChanged();
    void applyPalette();

    std::vector<std::unique_ptr<Series>> series_;   // in order of creation (the legend's order)
    std::map<SeriesId, Series*> seriesById_;
    QList<qint64> runOrder_;
    QHash<qint64, QString> runLabels_;
    QStringList keys_;

    XAxis xAxis_ = XAxis::Step;
    double smoothing_ = 0;
    bool logY_ = false;
    ColourBy colourBy_ = ColourBy::Key;
    bool keysChosen_ = false;
    QStringList chosenKeys_;
    CurveMode curveMode_ = CurveMode::EachRun;
    QList<SeedGroup> groups_;
    std::vector<std::unique_ptr<Band>> bands_;

    bool followData_ = true;
    bool fitting_ = false;
    QString emptyText_;
    QCPItemText* emptyHint_ = nullptr;
    QCPItemTracer* tracer_ = nullptr;
    QCPItemText* readout_ = nullptr;
    QSharedPointer<QCPAxisTicker> linearTicker_;
    QSharedPointer<QCPAxisTickerLog> logTicker_;
};

}  // namespace distillery::views
