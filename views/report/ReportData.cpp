#include "ReportData.h"

#include <algorithm>
#include <set>

#include <QCoreApplication>
#include <QFileInfo>

#include "RunClassNames.h"
#include "store/Store.h"

namespace distillery::views {

namespace {

QString tr(const char* text) { return QCoreApplication::translate("ReportData", text); }

QList<qint64> withoutDuplicates(const QList<qint64>& ids) {
    QList<qint64> unique;
    for (qint64 id : ids)
        if (!unique.contains(id)) unique.append(id);
    return unique;
}

RunDiagnostics diagnosticsOf(const store::Store& store, const store::RunRow& run,
                             const std::map<std::string, store::MetricSummary>& summaries) {
    RunDiagnostics diagnostics;
    for (const auto& [key, summary] : summaries) {
        diagnostics.metricPoints += summary.count;
        diagnostics.lastStep = std::max<qint64>(diagnostics.lastStep, summary.lastStep);
    }
    if (run.startedAt) {
        const std::optional<double> end = run.finishedAt ? run.finishedAt : run.heartbeat;
        if (end) diagnostics.wallSeconds = *end - *run.startedAt;
    }

    const std::vector<store::GateRow> gates = store.gates(run.id);
    if (!gates.empty()) {
        int64_t last = gates.front().step;
        for (const store::GateRow& row : gates) last = std::max(last, row.step);
        diagnostics.gateStep = last;
        for (const store::GateRow& row : gates)
            if (row.step == last) diagnostics.gateOpenRates.append({QString::fromStdString(row.spot), row.openRate});
    }
    // Each spot at its own last step; the column names the latest of them (spots share a cadence).
    for (const std::string& spot : store.channelSpots(run.id)) {
        const std::vector<int64_t> steps = store.channelStatSteps(run.id, spot);
        if (steps.empty()) continue;
        const std::vector<store::ChannelDistanceRow> last = store.channelDistances(run.id, spot, steps.back() - 1);
        if (last.empty()) continue;
        diagnostics.channelStep = std::max<qint64>(diagnostics.channelStep.value_or(0), last.back().step);
        diagnostics.channelDistances.append(
            {QString::fromStdString(spot), last.back().meanAbsMeanDiff, last.back().meanAbsStdDiff});
    }
    const std::vector<store::PathWeightRow> paths = store.pathWeights(run.id);
    if (!paths.empty()) {
        int64_t last = paths.front().step;
        for (const store::PathWeightRow& row : paths) last = std::max(last, row.step);
        diagnostics.pathStep = last;
        for (const store::PathWeightRow& row : paths)
            if (row.step == last) diagnostics.pathWeights.append({QString::fromStdString(row.path), row.weight});
    }
    for (const store::EventRow& event : store.events(run.id)) {
        if (event.level == "warn") ++diagnostics.warnings;
        else if (event.level == "error") ++diagnostics.errors;
    }
    return diagnostics;
}

}  // namespace

RunClasses RunClasses::load(const store::Store& store, const store::RunRow& run, std::optional<int64_t> bestValStep) {
    RunClasses classes;
    const std::vector<int64_t> steps = store.confusionSteps(run.id, kSplit);
    if (steps.empty()) return classes;   // an older store, or more classes than the engine records
    classes.classNames = runClassNames(run);
    classes.atBestValidation = bestValStep && std::binary_search(steps.begin(), steps.end(), *bestValStep);
    const int64_t step = classes.atBestValidation ? *bestValStep : steps.back();
    classes.results = store::ClassResults::load(store, run.id, kSplit, classes.classNames.size(), step);
    const std::vector<store::MetricPoint> from = store.metrics(run.id, store::metric::kTestAcc1, step - 1);
    if (!from.empty() && from.front().step == step) classes.epoch = from.front().epoch;
    return classes;
}

store::Store ReportData::openStore(const QString& storePath) {
    if (storePath.isEmpty())
        throw ReportError(tr("no results store given: open a store (or pass --db FILE)").toStdString());
    if (!QFileInfo(storePath).isFile())
        throw ReportError(tr("there is no results store at %1: check the path (--db FILE)").arg(storePath).toStdString());
    try {
        return store::Store(storePath.toStdString(), /*readOnly=*/true);
    } catch (const std::exception& error) {
        throw ReportError(tr("cannot read the results store %1: %2").arg(storePath, QString::fromUtf8(error.what()))
                              .toStdString());
    }
}

void ReportData::checkRunIds(const store::Store& store, const QString& storePath, const QList<qint64>& ids) {
    const QString storeName = QFileInfo(storePath).fileName();
    if (ids.isEmpty())
        throw ReportError(tr("no runs chosen for the report: select runs in the Runs list (or pass --runs 3,4,7)")
                              .toStdString());
    std::vector<qint64> known;
    for (const store::RunRow& row : store.runs(/*withSpec=*/false)) known.push_back(row.id);
    const std::set<qint64> knownSet(known.begin(), known.end());
    QStringList missing;
    for (qint64 id : ids)
        if (!knownSet.count(id)) missing.append(QString::number(id));
    if (missing.isEmpty()) return;
    const QString which = missing.size() == 1 ? tr("run %1 is").arg(missing.first())
                                              : tr("runs %1 are").arg(missing.join(QStringLiteral(", ")));
    const QString holds = known.empty() ? tr("it holds no runs") : tr("ids %1").arg(describeIds(known));
    throw ReportError(tr("%1 not in %2 (%3)").arg(which, storeName, holds).toStdString());
}

QString ReportData::describeIds(std::vector<qint64> ids) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    QStringList parts;
    for (size_t i = 0; i < ids.size();) {
        size_t j = i;
        while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
        if (j == i) parts.append(QString::number(ids[i]));
        else if (j == i + 1) parts << QString::number(ids[i]) << QString::number(ids[j]);
        else parts.append(QStringLiteral("%1–%2").arg(ids[i]).arg(ids[j]));
        i = j + 1;
    }
    return parts.join(QStringLiteral(", "));
}

ReportData ReportData::load(const ReportRequest& request) {
    ReportData data;
    data.storePath = request.storePath;
    data.generatedAt = QDateTime::currentDateTime();
    const QList<qint64> ids = withoutDuplicates(request.runIds);

    store::Store store = openStore(request.storePath);
    try {
        checkRunIds(store, request.storePath, ids);
        data.runs = loadComparedRuns(store, ids);
        for (const ComparedRun& compared : data.runs) {
            const int64_t id = compared.run.id;
            data.results.append(store::selectByValidation(store.metrics(id, store::metric::kValAcc1),
                                                          store.metrics(id, store::metric::kTestAcc1)));
            data.classes.append(request.sections.results
                                    ? RunClasses::load(store, compared.run, data.results.last().bestValStep)
                                    : RunClasses{});
            data.diagnostics.append(request.sections.diagnostics ? diagnosticsOf(store, compared.run, compared.summaries)
                                                                 : RunDiagnostics{});
            MetricSeriesList series;
            for (const std::string& key : store.metricKeys(id)) {
                const QString qKey = QString::fromStdString(key);
                if (!data.metricKeys.contains(qKey)) data.metricKeys.append(qKey);
                if (request.sections.plots && request.plotKeys.contains(qKey))
                    series.append(MetricSeries::fromPoints(qKey, store.metrics(id, key, -1, kPlotPoints)));
            }
            data.plotSeries.insert(id, series);
        }
    } catch (const ReportError&) {
        throw;
    } catch (const std::exception& error) {
        throw ReportError(tr("cannot read the runs of %1: %2").arg(request.storePath, QString::fromUtf8(error.what()))
                              .toStdString());
    }
    return data;
}

}  // namespace distillery::views
