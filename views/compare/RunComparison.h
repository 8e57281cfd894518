#pragma once
// What Compare and Report need to put runs side by side, with no widgets: each run with its config
// (the spec JSON flattened to dotted keys), its metric summaries and its headline result; the config keys that differ;
// runs grouped by config across seeds; mean ± sample std over a group.
//
// QtCore and the store only, so the headless `distillery report` can use it too.
#include <map>
#include <optional>
#include <string>

#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QVariantMap>
#include <QVector>

#include "store/Results.h"
#include "store/Store.h"

namespace distillery::views {

enum class SummaryStat { Last, Best, Min, Max };   // Best = MetricSummary::best()

// "last", "best", "min", "max": column headers and report tables.
QString summaryStatName(SummaryStat stat);

// A metric of the test split ("test/acc1", "test/loss"). Its best over the epochs would be chosen on
// the test set: not a model selection, so no table calls it "best". The number to report is the
// test accuracy at the best validation epoch (ComparedRun::selection).
bool isTestMetric(const QString& key);
// The statistics a table shows for key, in the order of stats: all of them, less Best for a test metric.
QList<SummaryStat> statsOffered(const QString& key, const QList<SummaryStat>& stats);

struct ComparedRun {
    store::RunRow run;                                       // from Store::run(id) (spec JSON included)
    QVariantMap config;                                      // flattenSpec(run.specJson)
    std::map<std::string, store::MetricSummary> summaries;   // Store::summaries(id), by key
    // store::selectByValidation: the headline (test/acc1 at the best val/acc1) and the best val/acc1.
    store::ValidationSelection selection;
    // Empty when the run lacks the key, and for Best of a test metric (see isTestMetric).
    std::optional<double> value(const QString& key, SummaryStat stat) const;
};

// Every leaf of the spec JSON under a dotted path ("optim.lr", "method.T", "data.name"); arrays become
// their compact JSON text ("[4,5]"), null "null", an empty object "{}". Text that is not a JSON object
// gives an empty map: a run with a damaged spec still compares on its metrics.
QVariantMap flattenSpec(const std::string& specJson);
// Whether a flattened spec value is a number (flattenSpec keeps JSON numbers as numbers); booleans,
// text and lists ("[4,5]") are categories.
bool isNumericValue(const QVariant& value);

// Keys whose value is not the same in every run (a key missing in some run counts as differing), sorted.
QStringList differingKeys(const QList<ComparedRun>& runs);
// Every key of any run's config, sorted.
QStringList allConfigKeys(const QList<ComparedRun>& runs);
// The metric keys of the runs, in the order the runs and their summaries list them, each once.
QStringList metricKeysOf(const QList<ComparedRun>& runs);

// The metrics Compare shows before the user picks: the validation and test top-1 accuracies when the
// runs have them, else the first accuracy, else the first loss, else the first key.
QStringList defaultComparedKeys(const QStringList& available);

// The keys that vary between seeds of one configuration and so do not split groups.
QStringList defaultAcrossKeys();   // {"name", "seed", "teacher.run_id", "teacher.run_name", "teacher.checkpoint"}

// A run name without its seed suffix: "fmnist-kd-s2" -> "fmnist-kd" (also "_s2", "-seed2").
QString seedlessName(const QString& runName);

struct RunGroup {
    QString label;            // the runs' common name if they share one, else "k=v, k=v" of the differing keys
    QVariantMap config;       // the config minus acrossKeys
    QList<int> members;       // indexes into the runs list, in input order
};
// Runs whose config is equal once acrossKeys are removed form one group; groups in order of first member.
QList<RunGroup> groupRuns(const QList<ComparedRun>& runs, const QStringList& acrossKeys = defaultAcrossKeys());

struct Aggregate { int n = 0; double mean = 0; double std = 0; };   // sample std (n-1); 0 when n == 1
Aggregate aggregate(const QVector<double>& values);
// The aggregate of one summary statistic of one key over some of the runs (those that have it).
Aggregate aggregateOf(const QList<ComparedRun>& runs, const QList<int>& members, const QString& key,
                      SummaryStat stat);

// The aggregate of the headline (selection.testAtBestVal) over some of the runs (those that have it).
Aggregate aggregateTestAtBestVal(const QList<ComparedRun>& runs, const QList<int>& members);

// Loads the runs in the given order, each with its summaries and store::selectByValidation; throws std::runtime_error naming the id for a run that does not exist.
QList<ComparedRun> loadComparedRuns(const store::Store& store, const QList<qint64>& runIds);

// "88.60 ± 0.11" with the given decimals; "88.60" when n == 1; "—" when n == 0.
QString formatAggregate(const Aggregate& a, int decimals);
// Accuracies (percent) read best with 2 decimals, losses and the rest with 4.
int metricDecimals(const QString& key);
QString formatMetricValue(const QString& key, double value);
// A config value as a table shows it: numbers in their shortest form, booleans as true/false.
QString configValueText(const QVariant& value);

}  // namespace distillery::views

Q_DECLARE_METATYPE(distillery::views::ComparedRun)
