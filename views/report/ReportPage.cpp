#include "ReportPage.h"

#include <QBuffer>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include "Counted.h"
#include "MetricsCsvWriter.h"
#include "PlainText.h"
#include "ReportBuilder.h"
#include "ReportData.h"
#include "ReportStatistics.h"
#include "store/Store.h"

namespace distillery::views {

namespace {
constexpr int kRefreshDelayMs = 200;   // a burst of clicks costs one load
const QColor kErrorColour(0xD5, 0x5E, 0x00);   // the failed icon's vermillion, as RunHeader
}  // namespace

struct ReportPage::LoadResult {
    quint64 generation = 0;
    std::shared_ptr<ReportData> data;
    QString csvPreview;
    QString error;
};

ReportPage::ReportPage(QWidget* parent) : QWidget(parent) {
    buildUi();
    refreshTimer_ = new QTimer(this);
    refreshTimer_->setSingleShot(true);
    refreshTimer_->setInterval(kRefreshDelayMs);
    connect(refreshTimer_, &QTimer::timeout, this, &ReportPage::refresh);

    loadWatcher_ = new QFutureWatcher<std::shared_ptr<LoadResult>>(this);
    connect(loadWatcher_, &QFutureWatcherBase::finished, this, &ReportPage::onLoaded);
    csvWatcher_ = new QFutureWatcher<QString>(this);
    connect(csvWatcher_, &QFutureWatcherBase::finished, this, &ReportPage::onCsvWritten);
    refresh();
}

// The workers hold copies of what they need and never touch the page: a closing window does not
// wait for them, and their results are dropped with the watchers.
ReportPage::~ReportPage() = default;

void ReportPage::buildUi() {
    auto* runsBox = new QGroupBox(tr("Runs"));
    runsList_ = new QListWidget;
    runsList_->setSelectionMode(QAbstractItemView::NoSelection);
    runsList_->setToolTip(tr("The runs selected in the Runs list; select others there"));
    (new QVBoxLayout(runsBox))->addWidget(runsList_);

    auto* sectionsBox = new QGroupBox(tr("Sections"));
    auto* sectionsLayout = new QVBoxLayout(sectionsBox);
    configDiffCheck_ = new QCheckBox(tr("Configuration differences"));
    resultsCheck_ = new QCheckBox(tr("Results per run"));
    groupedCheck_ = new QCheckBox(tr("Grouped over seeds (mean ± std)"));
    statisticsCheck_ = new QCheckBox(tr("Statistics against baselines (t-tests)"));
    statisticsCheck_->setToolTip(tr("Per configuration n, mean ± std and its confidence interval; against each "
                                    "baseline the difference, the paired or Welch t-test and Holm's p"));
    plotsCheck_ = new QCheckBox(tr("Plots"));
    diagnosticsCheck_ = new QCheckBox(tr("Diagnostics per run"));
    const ReportSections defaults;
    configDiffCheck_->setChecked(defaults.configDiff);
    resultsCheck_->setChecked(defaults.results);
    groupedCheck_->setChecked(defaults.grouped);
    plotsCheck_->setChecked(defaults.plots);
    diagnosticsCheck_->setChecked(defaults.diagnostics);
    statisticsCheck_->setChecked(defaults.statistics);
    for (QCheckBox* check :
         {configDiffCheck_, resultsCheck_, groupedCheck_, statisticsCheck_, plotsCheck_, diagnosticsCheck_}) {
        sectionsLayout->addWidget(check);
        connect(check, &QCheckBox::toggled, this, &ReportPage::scheduleRefresh);
    }

    auto* baselinesBox = new QGroupBox(tr("Baselines"));
    baselinesList_ = new QListWidget;
    baselinesList_->setToolTip(tr("The configurations the statistics compare against, one table each; the first "
                                  "also marks the grouped table. None checked: the configuration trained with ce "
                                  "alone and the one with kd."));
    (new QVBoxLayout(baselinesBox))->addWidget(baselinesList_);
    connect(baselinesList_, &QListWidget::itemChanged, this, &ReportPage::onBaselineItemChanged);
    connect(statisticsCheck_, &QCheckBox::toggled, baselinesBox, &QWidget::setEnabled);

    auto* keysBox = new QGroupBox(tr("Metrics to plot"));
    keysList_ = new QListWidget;
    keysList_->setToolTip(tr("One plot per checked metric, every run overlaid"));
    (new QVBoxLayout(keysBox))->addWidget(keysList_);
    connect(keysList_, &QListWidget::itemChanged, this, &ReportPage::onKeyItemChanged);
    connect(plotsCheck_, &QCheckBox::toggled, keysBox, &QWidget::setEnabled);

    auto* formatBox = new QGroupBox(tr("Format"));
    auto* formatLayout = new QFormLayout(formatBox);
    formatCombo_ = new QComboBox;
    for (ReportFormat format : allReportFormats())
        formatCombo_->addItem(reportFormatDisplayName(format), static_cast<int>(format));
    imagesCombo_ = new QComboBox;
    imagesCombo_->addItem(tr("PNG"), static_cast<int>(PlotImageFormat::Png));
    imagesCombo_->addItem(tr("SVG"), static_cast<int>(PlotImageFormat::Svg));
    imagesCombo_->setToolTip(tr("How the HTML file embeds its plots; both keep it one self-contained file"));
    titleEdit_ = new QLineEdit;
    titleEdit_->setPlaceholderText(tr("Distillery report"));
    formatLayout->addRow(tr("&Format:"), formatCombo_);
    formatLayout->addRow(tr("&Plots as:"), imagesCombo_);
    formatLayout->addRow(tr("&Title:"), titleEdit_);
    connect(formatCombo_, &QComboBox::currentIndexChanged, this, [this] {
        imagesCombo_->setEnabled(request().format == ReportFormat::Html);
        scheduleRefresh();
    });
    connect(imagesCombo_, &QComboBox::currentIndexChanged, this, &ReportPage::scheduleRefresh);
    connect(titleEdit_, &QLineEdit::textChanged, this, &ReportPage::scheduleRefresh);

    exportButton_ = new QPushButton(tr("&Export…"));
    exportButton_->setToolTip(tr("Write the report to a file (Ctrl+E)"));
    connect(exportButton_, &QPushButton::clicked, this, &ReportPage::exportWithDialog);

    auto* controls = new QWidget;
    auto* controlsLayout = new QVBoxLayout(controls);
    controlsLayout->setContentsMargins(0, 0, 0, 0);
    controlsLayout->addWidget(runsBox, 2);
    controlsLayout->addWidget(sectionsBox);
    controlsLayout->addWidget(baselinesBox, 1);
    controlsLayout->addWidget(keysBox, 3);
    controlsLayout->addWidget(formatBox);
    controlsLayout->addWidget(exportButton_);

    preview_ = new QTextBrowser;
    preview_->setOpenLinks(false);
    status_ = new QLabel;
    status_->setTextFormat(Qt::PlainText);   // errors quote file names and run ids as given
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    busy_ = new QProgressBar;
    busy_->setRange(0, 0);   // busy indicator: loading has no known length
    busy_->setMaximumWidth(120);
    busy_->setVisible(false);
    auto* previewPane = new QWidget;
    auto* previewLayout = new QVBoxLayout(previewPane);
    previewLayout->setContentsMargins(0, 0, 0, 0);
    auto* statusRow = new QHBoxLayout;
    statusRow->addWidget(status_, 1);
    statusRow->addWidget(busy_);
    previewLayout->addWidget(preview_, 1);
    previewLayout->addLayout(statusRow);

    auto* splitter = new QSplitter;
    splitter->addWidget(controls);
    splitter->addWidget(previewPane);
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({300, 700});
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(splitter);
}

void ReportPage::setStorePath(const QString& storePath) {
    if (storePath == storePath_) return;
    storePath_ = storePath;
    data_.reset();
    scheduleRefresh();
}

void ReportPage::setRuns(const QList<qint64>& runIds) {
    if (runIds == runIds_) return;
    runIds_ = runIds;
    showRunsList();
    scheduleRefresh();
}

void ReportPage::setFormat(ReportFormat format) {
    formatCombo_->setCurrentIndex(formatCombo_->findData(static_cast<int>(format)));
}

void ReportPage::setSections(const ReportSections& sections) {
    configDiffCheck_->setChecked(sections.configDiff);
    resultsCheck_->setChecked(sections.results);
    groupedCheck_->setChecked(sections.grouped);
    plotsCheck_->setChecked(sections.plots);
    diagnosticsCheck_->setChecked(sections.diagnostics);
    statisticsCheck_->setChecked(sections.statistics);
}

void ReportPage::setBaselines(const QStringList& labels) {
    baselines_ = labels;
    showBaselines();
    scheduleRefresh();
}

void ReportPage::setPlotKeys(const QStringList& keys) {
    plotKeys_ = keys;
    showMetricKeys();
    scheduleRefresh();
}

ReportRequest ReportPage::request() const {
    ReportRequest request;
    request.storePath = storePath_;
    request.runIds = runIds_;
    request.sections.configDiff = configDiffCheck_->isChecked();
    request.sections.results = resultsCheck_->isChecked();
    request.sections.grouped = groupedCheck_->isChecked();
    request.sections.plots = plotsCheck_->isChecked();
    request.sections.diagnostics = diagnosticsCheck_->isChecked();
    request.sections.statistics = statisticsCheck_->isChecked();
    request.baselines = chosenBaselines();
    request.plotKeys = plotKeys_;
    request.format = static_cast<ReportFormat>(formatCombo_->currentData().toInt());
    request.plotImages = static_cast<PlotImageFormat>(imagesCombo_->currentData().toInt());
    request.title = titleEdit_->text().trimmed();
    return request;
}

QString ReportPage::statusText() const { return status_->text(); }

bool ReportPage::isBusy() const {
    return loadWatcher_->isRunning() || csvWatcher_->isRunning() || refreshTimer_->isActive();
}

QVariantMap ReportPage::saveState() const {
    const ReportRequest current = request();
    return {{QStringLiteral("format"), reportFormatName(current.format)},
            {QStringLiteral("plotImages"), current.plotImages == PlotImageFormat::Svg ? QStringLiteral("svg")
                                                                                      : QStringLiteral("png")},
            {QStringLiteral("plotKeys"), current.plotKeys},
            {QStringLiteral("configDiff"), current.sections.configDiff},
            {QStringLiteral("results"), current.sections.results},
            {QStringLiteral("grouped"), current.sections.grouped},
            {QStringLiteral("plots"), current.sections.plots},
            {QStringLiteral("diagnostics"), current.sections.diagnostics},
            {QStringLiteral("statistics"), current.sections.statistics},
            {QStringLiteral("baselines"), baselines_}};
}

void ReportPage::restoreState(const QVariantMap& state) {
    if (const auto format = reportFormatFromName(state.value(QStringLiteral("format")).toString())) setFormat(*format);
    imagesCombo_->setCurrentIndex(state.value(QStringLiteral("plotImages")).toString() == QLatin1String("svg") ? 1 : 0);
    if (state.contains(QStringLiteral("plotKeys"))) setPlotKeys(state.value(QStringLiteral("plotKeys")).toStringList());
    ReportSections sections;
    sections.configDiff = state.value(QStringLiteral("configDiff"), sections.configDiff).toBool();
    sections.results = state.value(QStringLiteral("results"), sections.results).toBool();
    sections.grouped = state.value(QStringLiteral("grouped"), sections.grouped).toBool();
    sections.plots = state.value(QStringLiteral("plots"), sections.plots).toBool();
    sections.diagnostics = state.value(QStringLiteral("diagnostics"), sections.diagnostics).toBool();
    sections.statistics = state.value(QStringLiteral("statistics"), sections.statistics).toBool();
    setSections(sections);
    if (state.contains(QStringLiteral("baselines"))) setBaselines(state.value(QStringLiteral("baselines")).toStringList());
}

void ReportPage::scheduleRefresh() {
    refreshTimer_->start();
    updateBusy();
}

QString ReportPage::loadKey() const {
    // What the loaded data depends on; the rest (sections, format, title) only changes the rendering.
    QStringList ids;
    for (qint64 id : runIds_) ids.append(QString::number(id));
    const bool csv = request().format == ReportFormat::Csv;
    return storePath_ + QLatin1Char('\n') + ids.join(QLatin1Char(',')) + QLatin1Char('\n') +
           plotKeys_.join(QLatin1Char(',')) + QLatin1Char('\n') + (csv ? QStringLiteral("csv") : QString());
}

void ReportPage::refresh() {
    refreshTimer_->stop();
    if (storePath_.isEmpty() || runIds_.isEmpty()) {
        ++generation_;   // drops a load under way
        data_.reset();
        loadedKey_.clear();
        preview_->clear();
        setStatus(storePath_.isEmpty() ? tr("Open a results store to make a report.")
                                       : tr("Select runs in the Runs list to make a report of them."));
        exportButton_->setEnabled(false);
        updateBusy();
        return;
    }
    exportButton_->setEnabled(!csvWatcher_->isRunning());
    if (loadKey() != loadedKey_) startLoad();
    else if (!loadWatcher_->isRunning()) rebuildPreview();   // else onLoaded() renders the current choices
    updateBusy();
}

void ReportPage::startLoad() {
    ReportRequest load = request();
    // Everything any section needs, so that ticking a section does not read the store again.
    load.sections = ReportSections{true, true, true, true, true, true};
    load.baselines.clear();   // chosen among the configurations once they are read
    const bool csv = load.format == ReportFormat::Csv;
    const quint64 generation = ++generation_;
    loadedKey_ = loadKey();
    setStatus(tr("Reading %1…").arg(counted(runIds_.size(), tr("run"), tr("runs"))));
    loadWatcher_->setFuture(QtConcurrent::run([load, csv, generation]() {
        auto result = std::make_shared<LoadResult>();
        result->generation = generation;
        try {
            result->data = std::make_shared<ReportData>(ReportData::load(load));
            if (csv) {
                const store::Store store = ReportData::openStore(load.storePath);
                QList<qint64> ids;
                for (const ComparedRun& compared : result->data->runs) ids.append(compared.run.id);
                QBuffer buffer;
                buffer.open(QIODevice::WriteOnly);
                MetricsCsvWriter::write(store, ids, buffer, kCsvPreviewRows);
                result->csvPreview = QString::fromUtf8(buffer.data());
            }
        } catch (const std::exception& error) {
            result->data.reset();
            result->error = QString::fromUtf8(error.what());
        }
        return result;
    }));
}

void ReportPage::onLoaded() {
    const std::shared_ptr<LoadResult> result = loadWatcher_->result();
    if (!result || result->generation != generation_) return;   // overtaken by a newer request
    if (loadKey() != loadedKey_) {
        // Runs or metrics changed while reading: read again; an export waiting keeps waiting.
        startLoad();
        return;
    }
    refreshTimer_->stop();   // the choices as they are now are rendered below
    if (!result->error.isEmpty()) {
        data_.reset();
        builder_.reset();
        preview_->clear();
        setStatus(result->error, /*error=*/true);
        if (!pendingExport_.isEmpty()) {
            pendingExport_.clear();
            emit exportFailed(result->error);
        }
        updateBusy();
        return;
    }
    data_ = result->data;
    csvPreview_ = result->csvPreview;
    showRunsList();
    showBaselines();
    showMetricKeys();
    rebuildPreview();
    if (!pendingExport_.isEmpty()) {
        const QString path = pendingExport_;
        pendingExport_.clear();
        writeNow(path);
    }
    updateBusy();
}

void ReportPage::rebuildPreview() {
    if (!data_) return;
    const ReportRequest current = request();
    builder_ = std::make_unique<ReportBuilder>(current, *data_);
    builder_->renderPlots();
    switch (current.format) {
    case ReportFormat::Html:
    case ReportFormat::Pdf: preview_->setHtml(builder_->previewText()); break;
    case ReportFormat::Markdown:
    case ReportFormat::Latex: preview_->setPlainText(builder_->previewText()); break;
    case ReportFormat::Csv: preview_->setPlainText(csvPreview_); break;
    }
    if (current.format == ReportFormat::Csv) {
        qint64 rows = 0;
        for (const ComparedRun& compared : data_->runs)
            for (const auto& [key, summary] : compared.summaries) rows += summary.count;
        setStatus(rows > kCsvPreviewRows
                      ? tr("The preview shows the first %1 of %2 rows; the file holds every one.").arg(kCsvPreviewRows).arg(rows)
                      : tr("%1 rows.").arg(rows));
    } else {
        QString status = counted(data_->runs.size(), tr("run"), tr("runs"));
        if (current.sections.plots && current.format != ReportFormat::Latex)
            status += QStringLiteral(", ") + counted(builder_->plots().size(), tr("plot"), tr("plots"));
        if (!builder_->missingPlotKeys().isEmpty())
            status += tr(" (not logged by these runs: %1)").arg(builder_->missingPlotKeys().join(QStringLiteral(", ")));
        setStatus(status + QLatin1Char('.'));
    }
    emit previewUpdated();
}

void ReportPage::showRunsList() {
    runsList_->clear();
    for (qint64 id : runIds_) {
        QString text = QStringLiteral("#%1").arg(id);
        if (data_) {
            for (const ComparedRun& compared : data_->runs) {
                if (compared.run.id != id) continue;
                // One .arg() call: a name holding "%4" stays as it is.
                text = tr("#%1 %2 · %3 · seed %4")
                           .arg(QString::number(id), QString::fromStdString(compared.run.name),
                                QString::fromStdString(compared.run.method), QString::number(compared.run.seed));
            }
        }
        runsList_->addItem(text);
    }
}

void ReportPage::showMetricKeys() {
    fillingKeys_ = true;
    keysList_->clear();
    QStringList keys = data_ ? data_->metricKeys : QStringList();
    for (const QString& key : plotKeys_)
        if (!keys.contains(key)) keys.append(key);   // chosen before, not logged by these runs
    keys.sort();
    for (const QString& key : keys) {
        auto* item = new QListWidgetItem(key, keysList_);
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
        item->setCheckState(plotKeys_.contains(key) ? Qt::Checked : Qt::Unchecked);
        if (data_ && !data_->metricKeys.contains(key))
            item->setToolTip(plainToolTip(tr("None of these runs logged %1").arg(key)));
    }
    fillingKeys_ = false;
}

void ReportPage::onKeyItemChanged() {
    if (fillingKeys_) return;
    QStringList checked;
    for (int row = 0; row < keysList_->count(); ++row)
        if (keysList_->item(row)->checkState() == Qt::Checked) checked.append(keysList_->item(row)->text());
    // Keep the plots in the order they were chosen; a newly checked key goes last.
    QStringList keys;
    for (const QString& key : plotKeys_)
        if (checked.contains(key)) keys.append(key);
    for (const QString& key : checked)
        if (!keys.contains(key)) keys.append(key);
    plotKeys_ = keys;
    scheduleRefresh();
}

QStringList ReportPage::configurationLabels() const {
    QStringList labels;
    if (data_)
        for (const RunGroup& group : groupRuns(data_->runs)) labels.append(group.label);
    return labels;
}

QStringList ReportPage::chosenBaselines() const {
    // Only labels the runs have: a baseline remembered from other runs would make the report fail.
    const QStringList labels = configurationLabels();
    QStringList chosen;
    for (const QString& label : baselines_)
        if (labels.contains(label)) chosen.append(label);
    return chosen;
}

void ReportPage::showBaselines() {
    const QStringList labels = configurationLabels();
    QStringList checked = chosenBaselines();
    if (checked.isEmpty() && data_) checked = ReportStatistics::defaultBaselines(data_->runs);
    fillingBaselines_ = true;
    bool sameLabels = baselinesList_->count() == labels.size();
    for (int row = 0; sameLabels && row < labels.size(); ++row)
        sameLabels = baselinesList_->item(row)->text() == labels[row];
    if (!sameLabels) {
        baselinesList_->clear();
        for (const QString& label : labels) {
            auto* item = new QListWidgetItem(label, baselinesList_);
            item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
        }
    }
    // Check states only otherwise: this runs from the list's own itemChanged too.
    for (int row = 0; row < baselinesList_->count(); ++row) {
        QListWidgetItem* item = baselinesList_->item(row);
        item->setCheckState(checked.contains(item->text()) ? Qt::Checked : Qt::Unchecked);
    }
    fillingBaselines_ = false;
}

void ReportPage::onBaselineItemChanged() {
    if (fillingBaselines_) return;
    QStringList checked;
    for (int row = 0; row < baselinesList_->count(); ++row)
        if (baselinesList_->item(row)->checkState() == Qt::Checked) checked.append(baselinesList_->item(row)->text());
    // The order in which they were chosen (the first marks the grouped table); a newly checked one
    // goes last. Nothing checked: back to the default, shown checked again.
    QStringList shown = chosenBaselines();
    if (shown.isEmpty() && data_) shown = ReportStatistics::defaultBaselines(data_->runs);
    QStringList ordered;
    for (const QString& label : shown)
        if (checked.contains(label)) ordered.append(label);
    for (const QString& label : checked)
        if (!ordered.contains(label)) ordered.append(label);
    baselines_ = ordered;
    if (ordered.isEmpty()) showBaselines();
    scheduleRefresh();
}

void ReportPage::exportWithDialog() {
    const ReportFormat format = request().format;
    const QString suffix = reportFormatSuffix(format);
    const QString folder = storePath_.isEmpty() ? QDir::homePath() : QFileInfo(storePath_).absolutePath();
    const QString filter = tr("%1 (*.%2)").arg(reportFormatDisplayName(format), suffix);
    QString path = QFileDialog::getSaveFileName(this, tr("Export report"),
                                                QDir(folder).filePath(QStringLiteral("report.") + suffix), filter);
    if (path.isEmpty()) return;
    if (reportFormatFromFileName(path) != format) path += QLatin1Char('.') + suffix;
    exportTo(path);
}

void ReportPage::exportTo(const QString& path) {
    const ReportRequest current = request();
    if (storePath_.isEmpty() || runIds_.isEmpty()) {
        const QString message = storePath_.isEmpty() ? tr("No results store is open: open one first.")
                                                     : tr("No runs selected: select runs in the Runs list first.");
        setStatus(message, true);
        emit exportFailed(message);
        return;
    }
    if (current.format == ReportFormat::Csv) {
        // Every point of every run: may be millions of rows, so on a worker with its own connection.
        csvTarget_ = path;
        const QString storePath = storePath_;
        const QList<qint64> ids = runIds_;
        // The baselines checked among the configurations read; runs not read yet get the default.
        const QStringList baselines = loadKey() == loadedKey_ ? current.baselines : QStringList();
        setStatus(tr("Writing %1…").arg(QDir::toNativeSeparators(path)));
        exportButton_->setEnabled(false);
        csvWatcher_->setFuture(QtConcurrent::run([storePath, ids, path, baselines]() {
            try {
                MetricsCsvWriter::writeFile(storePath, ids, path, baselines);
                return QString();
            } catch (const std::exception& error) {
                return QString::fromUtf8(error.what());
            }
        }));
        updateBusy();
        return;
    }
    if (loadWatcher_->isRunning()) {
        pendingExport_ = path;   // written by onLoaded() with the choices as they are then
        return;
    }
    refreshTimer_->stop();
    if (loadKey() != loadedKey_ || !data_) {
        // Not read yet, or the last read failed (the store may have been fixed since): read first.
        pendingExport_ = path;
        startLoad();
        updateBusy();
        return;
    }
    rebuildPreview();   // a debounced change may still be pending: show what is written
    writeNow(path);
}

void ReportPage::writeNow(const QString& path) {
    if (!builder_) return;
    try {
        // The builder behind the preview: the file holds exactly what the preview shows.
        builder_->write(path);
    } catch (const std::exception& error) {
        const QString message = QString::fromUtf8(error.what());
        setStatus(message, true);
        emit exportFailed(message);
        return;
    }
    setStatus(tr("Wrote %1.").arg(QDir::toNativeSeparators(path)));
    emit exported(path);
}

void ReportPage::onCsvWritten() {
    const QString error = csvWatcher_->result();
    exportButton_->setEnabled(!storePath_.isEmpty() && !runIds_.isEmpty());
    updateBusy();
    if (!error.isEmpty()) {
        setStatus(error, true);
        emit exportFailed(error);
        return;
    }
    setStatus(tr("Wrote %1.").arg(QDir::toNativeSeparators(csvTarget_)));
    emit exported(csvTarget_);
}

void ReportPage::setStatus(const QString& text, bool error) {
    status_->setText(text);
    // An empty palette inherits the window's (and follows a theme change); an error sets one role.
    QPalette palette;
    if (error) palette.setColor(QPalette::WindowText, kErrorColour);
    status_->setPalette(palette);
}

void ReportPage::updateBusy() {
    busy_->setVisible(loadWatcher_->isRunning() || csvWatcher_->isRunning());
}

}  // namespace distillery::views
