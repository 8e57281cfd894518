#pragma once
// Everything a report shows, read from the store in one go. load() opens a Store connection of its
// own and touches no widget, so the Report page runs it on a worker thread; the plots are drawn from
// it afterwards on the GUI thread (ReportBuilder).
#include <optional>
#include <stdexcept>
#include <tuple>
#include <vector>

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

#include "MetricSeries.h"
#include "ReportRequest.h"
#include "RunComparison.h"
#include "store/ClassResults.h"
#include "store/Results.h"

namespace distillery::store {
class Store;
}

namespace distillery::views {

// A report that cannot be made (no runs, unknown run, unreadable store, unwritable file): the
// message says what was wrong, where, and how to fix it.
class ReportError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The numbers of docs/results.md for one run: model selection on the validation split.
using RunResult = store::ValidationSelection;

// A run's state at its end, for the optional diagnostics section.
struct RunDiagnostics {
    qint64 metricPoints = 0;                     // rows in the metrics table
    qint64 lastStep = 0;                         // the largest step of any metric
    std::optional<double> wallSeconds;           // finished (or last heartbeat) minus started
    std::optional<qint64> gateStep;              // the last step with gate rows
    QList<QPair<QString, double>> gateOpenRates; // spot, open rate at gateStep
    std::optional<qint64> channelStep;           // the last step with channel statistics
    // spot, mean over channels of |student mean - teacher mean| and of |student std - teacher std|
    QList<std::tuple<QString, double, double>> channelDistances;
    std::optional<qint64> pathStep;              // the last step with path weights
    QList<QPair<QString, double>> pathWeights;   // path, weight at pathStep
    int warnings = 0;                            // engine events of level warn
    int errors = 0;                              // and of level error
};

// A run's per-class results on the test split at the evaluation the report selects: that of the best
// val/acc1 (the model a paper reports), else the newest that recorded them.
struct RunClasses {
    static inline const std::string kSplit = "test";
    QStringList classNames;                      // RunClassNames; empty when the spec cannot tell
    store::ClassResults results;                 // !results.recorded(): none were recorded
    bool atBestValidation = false;               // false: the newest evaluation
    std::optional<double> epoch;                 // of the selected evaluation, when test/acc1 was logged there

    // Selects and reads the evaluation. bestValStep: RunResult::bestValStep.
    static RunClasses load(const store::Store& store, const store::RunRow& run, std::optional<int64_t> bestValStep);
};

struct ReportData {
    static constexpr qint64 kPlotPoints = 2000;  // per plotted series: about twice a plot's width

    QString storePath;
    QDateTime generatedAt;
    QList<ComparedRun> runs;                     // in the order asked for
    QList<RunResult> results;                    // parallel to runs
    QList<RunDiagnostics> diagnostics;           // parallel to runs
    QList<RunClasses> classes;                   // parallel to runs (with the results section)
    QHash<qint64, MetricSeriesList> plotSeries;  // per run id: the plotted keys it has, down-sampled in SQL
    QStringList metricKeys;                      // every key of the runs, in order of first appearance

    // Reads the runs of request.runIds (duplicates dropped) and what the request's sections need.
    // Throws ReportError.
    static ReportData load(const ReportRequest& request);

    // Opens the store read-only; throws ReportError saying which file and what to do.
    static store::Store openStore(const QString& storePath);
    // Throws ReportError when ids is empty or names a run the store does not hold, e.g.
    // "run 12 is not in runs.sqlite (ids 1–9)".
    static void checkRunIds(const store::Store& store, const QString& storePath, const QList<qint64>& ids);
    // "1–4, 7, 9–12": ascending ids as ranges.
    static QString describeIds(std::vector<qint64> ids);
};

}  // namespace distillery::views
