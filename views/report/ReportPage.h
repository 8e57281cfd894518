#pragma once
// The Report tab (UI.md "Report"): the runs selected in the Runs list, the sections, the baselines
// the statistics compare against, the metric keys to plot, the format, and a preview (QTextBrowser) of exactly what will be written; "Export…" asks
// for a file and writes it.
//
// Reading the store never blocks the window: ReportData::load() (and, for CSV, the file itself) runs
// on a QtConcurrent worker with a Store connection of its own; the plots are then drawn on the GUI
// thread in one go, which is fast. Changes are debounced, and a result that a newer request has
// overtaken is dropped.
#include <memory>

#include <QFutureWatcher>
#include <QList>
#include <QString>
#include <QStringList>
#include <QVariantMap>
#include <QWidget>

#include "ReportRequest.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;
class QTextBrowser;
class QTimer;

namespace distillery::views {

class ReportBuilder;
struct ReportData;

class ReportPage : public QWidget {
    Q_OBJECT
public:
    static constexpr int kCsvPreviewRows = 200;

    explicit ReportPage(QWidget* parent = nullptr);
    ~ReportPage() override;

    void setStorePath(const QString& storePath);
    void setRuns(const QList<qint64>& runIds);          // the runs selected in the Runs list
    void setFormat(ReportFormat format);
    void setSections(const ReportSections& sections);
    void setPlotKeys(const QStringList& keys);
    // The configurations (labels) to compare against, in order; empty: the default
    // (ReportStatistics::defaultBaselines). Remembered also while the runs have none of them.
    void setBaselines(const QStringList& labels);

    ReportRequest request() const;                      // what "Export…" would write now
    QTextBrowser* preview() const { return preview_; }
    QString statusText() const;
    bool isBusy() const;                                // loading or exporting

    // The choices worth keeping between sessions (format, sections, baselines, plot keys, plot
    // images); the lead persists them in QSettings.
    QVariantMap saveState() const;
    void restoreState(const QVariantMap& state);

public slots:
    void exportWithDialog();                            // "Export…"
    void exportTo(const QString& path);                 // writes now, or as soon as the data is loaded

signals:
    void previewUpdated();
    void exported(const QString& path);
    void exportFailed(const QString& message);

private:
    struct LoadResult;

    void buildUi();
    void scheduleRefresh();
    void refresh();
    void startLoad();
    void onLoaded();
    void rebuildPreview();
    void showRunsList();
    void showMetricKeys();
    void onKeyItemChanged();
    void showBaselines();
    void onBaselineItemChanged();
    QStringList configurationLabels() const;   // of the loaded runs, as the grouped table lists them
    QStringList chosenBaselines() const;       // the remembered ones the loaded runs have
    void writeNow(const QString& path);
    void onCsvWritten();
    void setStatus(const QString& text, bool error = false);
    void updateBusy();
    QString loadKey() const;

    QString storePath_;
    QList<qint64> runIds_;
    QStringList plotKeys_ = ReportRequest::defaultPlotKeys();
    QStringList baselines_;        // as the user checked them; empty: the default

    QListWidget* runsList_ = nullptr;
    QCheckBox* configDiffCheck_ = nullptr;
    QCheckBox* resultsCheck_ = nullptr;
    QCheckBox* groupedCheck_ = nullptr;
    QCheckBox* plotsCheck_ = nullptr;
    QCheckBox* diagnosticsCheck_ = nullptr;
    QCheckBox* statisticsCheck_ = nullptr;
    QListWidget* baselinesList_ = nullptr;
    QListWidget* keysList_ = nullptr;
    QComboBox* formatCombo_ = nullptr;
    QComboBox* imagesCombo_ = nullptr;
    QLineEdit* titleEdit_ = nullptr;
    QPushButton* exportButton_ = nullptr;
    QTextBrowser* preview_ = nullptr;
    QLabel* status_ = nullptr;
    QProgressBar* busy_ = nullptr;
    QTimer* refreshTimer_ = nullptr;

    QFutureWatcher<std::shared_ptr<LoadResult>>* loadWatcher_ = nullptr;
    QFutureWatcher<QString>* csvWatcher_ = nullptr;
    QString loadedKey_;            // loadKey() of the data held, or of the load under way
    quint64 generation_ = 0;       // of the newest load started
    std::shared_ptr<ReportData> data_;
    QString csvPreview_;
    std::unique_ptr<ReportBuilder> builder_;
    QString pendingExport_;        // written once the load under way has finished
    QString csvTarget_;
    bool fillingKeys_ = false;
    bool fillingBaselines_ = false;
};

}  // namespace distillery::views
