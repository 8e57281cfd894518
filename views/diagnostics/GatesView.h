#pragma once
// The gates tab (sakd): a heat map of each spot's gate open rate over training, y = spots (first
// stage at the top, logits at the bottom), x = step, colour on a viridis-like scale. The colour is the
// open rate's log-odds by default, so 0.99 and 0.9996 (a gate that has begun to close and one that
// has not) differ as much as 0.5 and 0.8; a selector switches to the linear open rate 0–1.
// Clicking a column selects the nearest evaluation step that recorded per-class rates, and the plot
// below shows them as bars, one group per class and one bar per spot. Until the user clicks, the
// latest evaluation is shown.
//
// Steps are laid on a regular grid (their common stride). Very long runs are binned to at most
// kMaxColumns columns, a column then showing the mean of the steps it covers.
#include <map>

#include <QStringList>
#include <QVector>
#include <QWidget>

#include "DiagnosticsTypes.h"

class QComboBox;
class QCPBars;
class QCPBarsGroup;
class QCPColorMap;
class QCPColorScale;
class QCPRange;
class QCPItemStraightLine;
class QCustomPlot;
class QMouseEvent;

namespace distillery::views {

class DiagnosticPlot;

class GatesView : public QWidget {
    Q_OBJECT
public:
    static constexpr int kMaxColumns = 2000;
    // LogOdds: colour = log10(p / (1 − p)), shown from 0.0001 to 0.9999 (±4); OpenRate: colour = p.
    enum class Scale { LogOdds, OpenRate };
    static constexpr double kLogOddsLimit = 4.0;
    // What a cell holds for an open rate on a scale, and back (cells beyond ±kLogOddsLimit keep their
    // value up to ±12 so a tool tip still tells 0.99999 from 0.9999; the colour saturates).
    static double cellValue(double rate, Scale scale);
    static double rateOfCell(double value, Scale scale);
    static QCPRange dataRange(Scale scale);

    explicit GatesView(QWidget* parent = nullptr);

    qint64 runId() const { return runId_; }
    void showRun(qint64 runId);   // clears; 0: no run
    void appendGates(qint64 runId, const distillery::views::GateRows& rows);
    void setGateClassSteps(qint64 runId, const QVector<qint64>& steps);
    void setGateClasses(qint64 runId, qint64 step, const distillery::views::GateClassRows& rows);

    // What a click on the heat map at this step does: selects the nearest evaluation step and asks
    // for its per-class rates. Returns that step, or -1 when the run has no evaluation yet.
    qint64 selectStep(qint64 step);
    qint64 selectedEvaluationStep() const { return selectedEvaluation_; }

    QStringList spotsTopToBottom() const { return spots_; }
    double rowOfSpot(const QString& spot) const;   // the spot's y coordinate on the heat map; -1 if absent
    QCPColorMap* colorMap() const { return map_; }
    QCPColorScale* colorScale() const { return colorScale_; }
    QCPBars* classBars(const QString& spot) const;   // nullptr when no bars are shown for that spot
    QList<QCustomPlot*> plots() const;
    Scale scale() const { return scale_; }
    void setScale(Scale scale);
    // The open rate a heat-map cell shows (the colour's inverse); NaN where no row landed.
    double rateAt(int key, int value) const;

    // The tool tip of a heat map cell, "stage 1, step 40: open rate 0.250"; the spot shows as written.
    static QString cellToolTip(const QString& spot, qint64 step, double rate);

signals:
    void gateClassesRequested(qint64 runId, qint64 step);

private:
    void rebuildMap();
    void clearBars();
    void onMousePress(QMouseEvent* event);
    void onMouseRelease(QMouseEvent* event);

    DiagnosticPlot* heatPlot_;
    DiagnosticPlot* classPlot_;
    QCPColorMap* map_;
    QCPColorScale* colorScale_;
    QComboBox* scaleChoice_;
    Scale scale_ = Scale::LogOdds;
    QCPItemStraightLine* selectionShadow_;
    QCPItemStraightLine* selectionLine_;

    qint64 runId_ = 0;
    std::map<qint64, std::map<QString, double>> rates_;   // step -> spot -> open rate
    QStringList spots_;                                   // top to bottom
    QVector<qint64> evaluationSteps_;
    qint64 selectedEvaluation_ = -1;
    bool userSelected_ = false;
    QList<QCPBars*> bars_;
    QCPBarsGroup* barsGroup_;
    QPoint pressPosition_;
    bool followData_ = true;   // the x range shows every step until the user pans or zooms
    bool fitting_ = false;
};

}  // namespace distillery::views
