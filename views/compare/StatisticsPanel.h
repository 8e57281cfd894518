#pragma once
// Compare's Statistics tab: which differences between configurations are real.
//
//   Baseline [ce ▾]  Metric [Test % @ best val ▾] [best ▾]  Confidence [95% ▾]
//   ┌ configuration │ n │ mean ± std │ 95% CI │ Δ vs baseline [95% CI] │ test │ t │ df │ p │ p (Holm) │ ● ┐
//   Configuration “at” has 1 run: a t-test needs at least 2 seeds per configuration; add seeds.
//
// The runs come from the page's loader (each with its summaries and its validation selection), so
// the panel reads nothing itself. The baseline defaults to the plain-CE configuration when there is
// exactly one, the metric to the headline (test accuracy at the best validation epoch).
#include <QVariantMap>
#include <QWidget>

#include "StatisticsTableModel.h"

class QComboBox;
class QLabel;
class QTableView;

namespace distillery::views {

class StatisticsPanel : public QWidget {
    Q_OBJECT
public:
    explicit StatisticsPanel(QWidget* parent = nullptr);

    void setRuns(const QList<ComparedRun>& runs);

    StatisticsTableModel* model() const { return model_; }
    QTableView* view() const { return view_; }
    QComboBox* baselineBox() const { return baselineBox_; }
    QComboBox* metricBox() const { return metricBox_; }
    QComboBox* statBox() const { return statBox_; }
    QComboBox* confidenceBox() const { return confidenceBox_; }
    QString noteText() const;   // the sentence under the table; "" when hidden

    // Baseline label, metric (StatisticsMetric::stateText) and confidence, for QSettings.
    QVariantMap saveState() const;
    void restoreState(const QVariantMap& state);

private:
    void fillMetricBoxes();        // the runs' keys, the remembered metric chosen when they have it
    void fillStatBox();            // the statistics offered for the chosen key
    void fillBaselineBox();        // the configurations, the model's baseline current
    StatisticsMetric shownMetric() const;   // what the metric and statistic boxes show
    void onMetricChosen();                  // by the user
    void onStatisticsChanged();

    StatisticsTableModel* model_ = nullptr;
    QComboBox* baselineBox_ = nullptr;
    QComboBox* metricBox_ = nullptr;
    QComboBox* statBox_ = nullptr;
    QComboBox* confidenceBox_ = nullptr;
    QTableView* view_ = nullptr;
    QLabel* note_ = nullptr;
    // The user's choice, kept while a selection of runs lacks its key so that the next one restores it.
    StatisticsMetric preferredMetric_;
};

}  // namespace distillery::views
