#pragma once
// The Classes tab (every run whose engine records per-class results): for one split and one
// evaluation, the student's confusion matrix as a heat map — row = actual class (class 0 on top),
// column = predicted, colour = the cell's share of its actual class in % (so the diagonal reads as
// per-class accuracy), counts in the read-out and tool tip — and beside it per class the student's
// accuracy, the frozen teacher's and how often the student predicted the teacher's class (the last
// two absent for a run without a teacher). Class names label the axes up to kMaxLabelledClasses
// classes; beyond that the ticks go unlabelled and the read-out names the class under the mouse.
//
// The evaluation selector follows the newest evaluation while the run trains, until the user picks
// an older one (picking the newest again follows again). The per-class rows of one evaluation are
// loaded on request (classResultsRequested -> DiagnosticsFeed::requestClassResults).
#include <QMap>
#include <QStringList>
#include <QVector>
#include <QWidget>

#include "DiagnosticsTypes.h"

class QComboBox;
class QCPBars;
class QCPBarsGroup;
class QCPColorMap;
class QCPColorScale;
class QCustomPlot;
class QLabel;
class QMouseEvent;

namespace distillery::views {

class DiagnosticPlot;

class ClassesView : public QWidget {
    Q_OBJECT
public:
    static constexpr int kMaxLabelledClasses = 20;

    explicit ClassesView(QWidget* parent = nullptr);

    qint64 runId() const { return runId_; }
    void showRun(qint64 runId);   // clears; 0: no run
    void setAvailability(qint64 runId, const QStringList& classNames,
                         const QMap<QString, QVector<qint64>>& stepsBySplit, const QMap<qint64, double>& epochs);
    void setClassResults(qint64 runId, const QString& split, qint64 step,
                         const distillery::store::ClassResults& results);

    QString currentSplit() const { return split_; }
    qint64 currentStep() const { return step_; }
    bool followsNewest() const { return followNewest_; }
    QStringList splits() const;                // the splits that have per-class results
    void selectSplit(const QString& split);
    void selectStep(qint64 step);              // the split's nearest evaluation; the newest follows again

    // What is drawn, for tests and export: the heat map's cell for (actual, predicted) in % of the
    // actual class (NaN for a class without samples, or outside the matrix), and the bars, one per
    // class; teacherBars() and agreementBars() are nullptr while the run shows none.
    QCPColorMap* colorMap() const { return map_; }
    double percentAt(int actual, int predicted) const;
    QCPBars* studentBars() const { return studentBars_; }
    QCPBars* teacherBars() const;
    QCPBars* agreementBars() const;
    QStringList classLabels() const;           // the heat map's x tick labels; empty when unlabelled
    QString readout() const;
    QList<QCustomPlot*> plots() const;

    // "actual Coat, predicted Shirt: 12.50% of Coat (25 of 200)"; a class without samples says so.
    QString cellText(int actual, int predicted) const;
    // "Coat (200 samples): student 80.00%, teacher 90.00%, agreement 85.00%"
    QString classText(int classIndex) const;

signals:
    void classResultsRequested(qint64 runId, const QString& split, qint64 step);

private:
    void syncControls();
    void request();
    void onSplitChosen(int index);
    void onStepChosen(int index);
    void rebuild();
    void showSummary();
    void onHeatMouseMove(QMouseEvent* event);
    void onBarMouseMove(QMouseEvent* event);
    QString name(qint64 classIndex) const;
    QString evaluationLabel(qint64 step) const;   // "epoch 3 (step 354)", "step 354" without its epoch
    QVector<qint64> stepsOfSplit() const { return steps_.value(split_); }

    QComboBox* splitCombo_;
    QComboBox* stepCombo_;
    DiagnosticPlot* heatPlot_;
    DiagnosticPlot* barPlot_;
    QCPColorMap* map_;
    QCPColorScale* colorScale_;
    QCPBars* studentBars_;
    QCPBars* teacherBars_;
    QCPBars* agreementBars_;
    QCPBarsGroup* barsGroup_;
    QLabel* readout_;

    qint64 runId_ = 0;
    QStringList names_;
    QMap<QString, QVector<qint64>> steps_;
    QMap<qint64, double> epochs_;
    QString split_;
    qint64 step_ = -1;
    bool followNewest_ = true;
    bool syncing_ = false;
    store::ClassResults shown_;   // the results drawn (shown_.recorded() false: none)
};

}  // namespace distillery::views
