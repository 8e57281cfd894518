#pragma once
// The paths tab (multipath): one line per distillation path for its weight (upper panel) and its
// raw, unweighted loss (lower panel), x = step shared by both panels, one Okabe–Ito colour per path
// in both.
// Either panel can switch to a log scale.
#include <QHash>
#include <QStringList>
#include <QWidget>

#include "DiagnosticsTypes.h"

class QCheckBox;
class QCPAxis;
class QCPAxisRect;
class QCPGraph;
class QCustomPlot;

namespace distillery::views {

class DiagnosticPlot;

class PathsView : public QWidget {
    Q_OBJECT
public:
    explicit PathsView(QWidget* parent = nullptr);

    qint64 runId() const { return runId_; }
    void showRun(qint64 runId);   // clears; 0: no run
    void appendPathWeights(qint64 runId, const distillery::views::PathWeightRows& rows);

    QStringList paths() const { return paths_; }   // in order of appearance, as coloured
    QCPGraph* weightGraph(const QString& path) const { return weightGraphs_.value(path); }
    QCPGraph* lossGraph(const QString& path) const { return lossGraphs_.value(path); }
    QCPAxisRect* weightRect() const { return weightRect_; }
    QCPAxisRect* lossRect() const { return lossRect_; }
    void setLogWeights(bool log);
    void setLogLosses(bool log);
    QCustomPlot* plot() const;

private:
    void ensurePath(const QString& path);
    void fitAxes();
    static void setLogScale(QCPAxis* axis, bool log);

    QCheckBox* logWeights_;
    QCheckBox* logLosses_;
    DiagnosticPlot* plot_;
    QCPAxisRect* weightRect_;
    QCPAxisRect* lossRect_;

    qint64 runId_ = 0;
    QStringList paths_;
    QHash<QString, QCPGraph*> weightGraphs_;
    QHash<QString, QCPGraph*> lossGraphs_;
    bool followData_ = true;
    bool fitting_ = false;
};

}  // namespace distillery::views
