#pragma once
// The controls of a MetricPlot: which keys to show (a checkable list), the x axis (step, epoch, wall
// time), smoothing (a slider whose leftmost position is "off") and log y; where the plot compares
// configurations (Compare), also how their curves are drawn: each run, or per configuration its mean
// with ± std or a 95% CI band. The controls follow the plot (new keys appear in the list as runs log
// them) and drive it. saveState()/restoreState() give the settings as a QVariantMap for QSettings.
#include <QVariantMap>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QFormLayout;
class QLabel;
class QListWidget;
class QListWidgetItem;
class QSlider;
class QToolButton;

namespace distillery::views {

class MetricPlot;

class CurveControls : public QWidget {
    Q_OBJECT
public:
    // The slider runs 0..kSmoothingSteps-1; position p is the weight p / kSmoothingSteps, 0 is off.
    static constexpr int kSmoothingSteps = 100;
    static constexpr double kDefaultSmoothing = 0.6;   // TensorBoard's default

    explicit CurveControls(MetricPlot* plot, QWidget* parent = nullptr);

    MetricPlot* plot() const { return plot_; }
    // {"xAxis": "step"|"epoch"|"wallTime", "smoothing": double, "logY": bool, "keys": QStringList
    // only when keys were chosen (otherwise the plot shows its default keys), and "curveMode":
    // "eachRun"|"meanStd"|"meanCI95" only while the curve modes are offered}.
    QVariantMap saveState() const;
    // Unknown or missing entries keep their current value, except "keys": absent means the default keys.
    void restoreState(const QVariantMap& state);

    // Shows the "Curves" choice (hidden by default: Live plots one run).
    void setCurveModesOffered(bool offered);
    bool curveModesOffered() const { return curveModesOffered_; }

    QListWidget* keyList() const { return keyList_; }
    QComboBox* curveModeBox() const { return curveModeBox_; }
    QComboBox* xAxisBox() const { return xAxisBox_; }
    QSlider* smoothingSlider() const { return smoothingSlider_; }
    QCheckBox* logYBox() const { return logYBox_; }

private:
    void syncKeys();
    void syncDisplay();
    void onKeyItemChanged(QListWidgetItem* item);
    void onSmoothingMoved(int position);

    MetricPlot* plot_;
    QListWidget* keyList_ = nullptr;
    QToolButton* defaultKeysButton_ = nullptr;
    QFormLayout* form_ = nullptr;
    QComboBox* curveModeBox_ = nullptr;
    bool curveModesOffered_ = false;
    QComboBox* xAxisBox_ = nullptr;
    QSlider* smoothingSlider_ = nullptr;
    QLabel* smoothingLabel_ = nullptr;
    QCheckBox* logYBox_ = nullptr;
};

}  // namespace distillery::views
