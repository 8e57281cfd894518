#pragma once
// The channels tab (adain, stat_l2, channel): for the chosen spot and step, one dot per channel with
// the teacher's statistic on x and the student's on y, for the mean and for the standard deviation,
// the diagonal y = x drawn (a student that matches its teacher sits on it); below, for the chosen
// spot, the channel-averaged |Δμ| and |Δσ| over training and, when the method measures it (channel),
// the mean alignment error on a second axis. The step selector follows the newest step until the
// user moves it away from the end.
#include <map>

#include <QMap>
#include <QStringList>
#include <QVector>
#include <QWidget>

#include "DiagnosticsTypes.h"

class QComboBox;
class QCPGraph;
class QCPItemStraightLine;
class QCustomPlot;
class QLabel;
class QMouseEvent;
class QSlider;

namespace distillery::views {

class DiagnosticPlot;

class ChannelsView : public QWidget {
    Q_OBJECT
public:
    explicit ChannelsView(QWidget* parent = nullptr);

    qint64 runId() const { return runId_; }
    void showRun(qint64 runId);   // clears; 0: no run
    void setAvailability(qint64 runId, const QStringList& spots, const QMap<QString, QVector<qint64>>& stepsBySpot);
    void appendDistances(qint64 runId, const QString& spot, const distillery::views::ChannelDistanceRows& rows);
    void setChannelStats(qint64 runId, const QString& spot, qint64 step,
                         const distillery::views::ChannelStatRows& rows);

    QString currentSpot() const { return spot_; }
    qint64 currentStep() const { return step_; }
    void selectSpot(const QString& spot);
    void selectStep(qint64 step);   // the nearest step the spot has

    QCPGraph* meanScatter() const { return meanScatter_; }
    QCPGraph* stdScatter() const { return stdScatter_; }
    QCPGraph* meanDistanceGraph() const { return meanDistance_; }
    QCPGraph* stdDistanceGraph() const { return stdDistance_; }
    QCPGraph* alignmentGraph() const { return alignment_; }
    QList<QCustomPlot*> plots() const;

signals:
    void channelStatsRequested(qint64 runId, const QString& spot, qint64 step);

private:
    void onSpotChosen(int index);
    void onSliderMoved(int index);
    void syncSlider();
    void requestStats();
    void rebuildDistances();
    void showScatterTooltip(DiagnosticPlot* plot, bool means, QMouseEvent* event);
    void restyle();

    QComboBox* spotCombo_;
    QSlider* stepSlider_;
    QLabel* stepLabel_;
    DiagnosticPlot* meanPlot_;
    DiagnosticPlot* stdPlot_;
    DiagnosticPlot* distancePlot_;
    QCPGraph* meanScatter_;
    QCPGraph* stdScatter_;
    QCPItemStraightLine* meanDiagonal_;
    QCPItemStraightLine* stdDiagonal_;
    QCPGraph* meanDistance_;
    QCPGraph* stdDistance_;
    QCPGraph* alignment_;
    QCPItemStraightLine* stepMarker_;

    qint64 runId_ = 0;
    QString spot_;
    qint64 step_ = -1;
    bool followLatest_ = true;
    bool syncing_ = false;
    bool followDistances_ = true;   // the distance plot shows every step until the user pans or zooms
    bool fittingDistances_ = false;
    QMap<QString, QVector<qint64>> steps_;
    std::map<QString, std::map<qint64, store::ChannelDistanceRow>> distances_;   // spot -> step -> row
    ChannelStatRows shown_;   // the scatter's rows, for the hover read-out
};

}  // namespace distillery::views
