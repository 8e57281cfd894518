#include "ConfigurationStatistics.h"

#include <QCoreApplication>

#include "HeadlineResult.h"

namespace distillery::views {

namespace {

QString tr(const char* text) { return QCoreApplication::translate("ConfigurationStatistics", text); }

constexpr SummaryStat kStats[] = {SummaryStat::Best, SummaryStat::Last, SummaryStat::Min, SummaryStat::Max};

bool inHolmsFamily(const ConfigurationRow& row) { return !row.isBaseline && !row.reference; }

// Holm over the comparisons of one kind; the baseline and reference rows are left out.
void holmOver(QList<ConfigurationRow>& rows, stats::Comparison ConfigurationRow::*member) {
    std::vector<stats::Comparison> family;
    for (const ConfigurationRow& row : rows)
        if (inHolmsFamily(row)) family.push_back(row.*member);
    stats::holmAdjust(family);   // counts only the possible ones
    size_t next = 0;
    for (ConfigurationRow& row : rows)
        if (inHolmsFamily(row)) (row.*member).pHolm = family[next++].pHolm;
}

// The study role ("teacher", "student") every run of the group has; "" when they differ or have none.
std::string roleOf(const QList<ComparedRun>& runs, const RunGroup& group) {
    std::string role;
    for (int member : group.members) {
        const std::string& own = runs.at(member).run.studyRole;
        if (own.empty() || (!role.empty() && own != role)) return {};
        role = own;
    }
    return role;
}

}  // namespace

// ---- StatisticsMetric ----------------------------------------------------------------------------

QString StatisticsMetric::title() const {
    return headline ? HeadlineResult::title() : key + QLatin1Char(' ') + summaryStatName(stat);
}

int StatisticsMetric::decimals() const { return headline ? 2 : metricDecimals(key); }

std::optional<double> StatisticsMetric::valueOf(const ComparedRun& run) const {
    return headline ? run.selection.testAtBestVal : run.value(key, stat);
}

QString StatisticsMetric::missingReason(const ComparedRun& run) const {
    if (valueOf(run)) return {};
    if (headline) return HeadlineResult::missingReason(run.selection);
    if (stat == SummaryStat::Best && isTestMetric(key))
        return tr("the best %1 over the epochs would be chosen on the test set; compare %2 instead")
            .arg(key, HeadlineResult::title());
    return tr("no %1 logged").arg(key);
}

QString StatisticsMetric::stateText() const {
    return headline ? QStringLiteral("headline") : summaryStatName(stat) + QLatin1Char(':') + key;
}

StatisticsMetric StatisticsMetric::fromStateText(const QString& text) {
    const qsizetype colon = text.indexOf(QLatin1Char(':'));
    if (colon <= 0 || colon + 1 >= text.size()) return headlineResult();
    const QString statName = text.left(colon);
    for (SummaryStat stat : kStats)
        if (summaryStatName(stat) == statName) return summaryOf(text.mid(colon + 1), stat);
    return headlineResult();
}

bool StatisticsMetric::operator==(const StatisticsMetric& other) const {
    if (headline || other.headline) return headline == other.headline;
    return key == other.key && stat == other.stat;
}

// ---- ConfigurationStatistics ---------------------------------------------------------------------

ConfigurationStatistics ConfigurationStatistics::compute(const QList<ComparedRun>& runs,
                                                         const QList<RunGroup>& groups,
                                                         const StatisticsMetric& metric, int baseline,
                                                         double confidence) {
    ConfigurationStatistics result;
    result.metric = metric;
    result.confidence = confidence;
    result.alpha = 1.0 - confidence;
    if (groups.isEmpty()) return result;
    result.baseline = baseline >= 0 && baseline < groups.size() ? baseline : defaultBaseline(runs, groups);

    for (int g = 0; g < groups.size(); ++g) {
        const RunGroup& group = groups.at(g);
        ConfigurationRow row;
        row.label = group.label;
        row.members = group.members;
        row.isBaseline = g == result.baseline;
        std::vector<double> plain;
        for (int member : group.members) {
            const ComparedRun& run = runs.at(member);
            if (const std::optional<double> value = metric.valueOf(run)) {
                row.values.emplace_back(run.run.seed, *value);
                plain.push_back(*value);
            } else {
                row.missing.append(QString::fromStdString(run.run.name) + QStringLiteral(": ") +
                                   metric.missingReason(run));
            }
        }
        row.sample = stats::describe(plain, confidence);
        result.rows.append(std::move(row));
    }

    const std::string baseRole = roleOf(runs, groups.at(result.baseline));
    for (int g = 0; g < groups.size(); ++g) {
        ConfigurationRow& row = result.rows[g];
        row.role = roleOf(runs, groups.at(g));
        row.reference = g != result.baseline && !row.role.empty() && !baseRole.empty() && row.role != baseRole;
    }

    const ConfigurationRow& base = result.rows.at(result.baseline);
    std::vector<double> baseValues;
    for (const auto& [seed, value] : base.values) baseValues.push_back(value);
    const std::vector<std::pair<int64_t, double>> baseSeeded = base.values;
    for (ConfigurationRow& row : result.rows) {
        if (row.isBaseline) continue;
        std::vector<double> values;
        for (const auto& [seed, value] : row.values) values.push_back(value);
        row.welch = stats::welch(values, baseValues, confidence);
        row.paired = stats::paired(row.values, baseSeeded, confidence);
    }
    holmOver(result.rows, &ConfigurationRow::welch);
    holmOver(result.rows, &ConfigurationRow::paired);
    for (ConfigurationRow& row : result.rows) {
        if (row.isBaseline) continue;
        row.testUsed = row.paired.possible ? stats::TestKind::Paired : stats::TestKind::Welch;
        row.significant = !row.reference && row.test().possible && row.test().pHolm < result.alpha;
    }
    return result;
}

ConfigurationStatistics ConfigurationStatistics::compute(const store::Store& store, const QList<qint64>& runIds,
                                                         const StatisticsMetric& metric, int baseline,
                                                         double confidence) {
    const QList<ComparedRun> runs = loadComparedRuns(store, runIds);
    return compute(runs, groupRuns(runs), metric, baseline, confidence);
}

int ConfigurationStatistics::defaultBaseline(const QList<ComparedRun>& runs, const QList<RunGroup>& groups) {
    if (groups.isEmpty()) return -1;
    int found = -1;
    for (int g = 0; g < groups.size(); ++g) {
        bool allCe = !groups.at(g).members.isEmpty();
        for (int member : groups.at(g).members) allCe = allCe && runs.at(member).run.method == "ce";
        if (!allCe) continue;
        if (found >= 0) return 0;   // several plain-CE configurations: none is the obvious reference
        found = g;
    }
    return found >= 0 ? found : 0;
}

int ConfigurationStatistics::rowOf(const QString& label) const {
    for (int r = 0; r < rows.size(); ++r)
        if (rows.at(r).label == label) return r;
    return -1;
}

int ConfigurationStatistics::comparisonsOf(stats::TestKind kind) const {
    int count = 0;
    for (const ConfigurationRow& row : rows)
        if (inHolmsFamily(row) && (kind == stats::TestKind::Paired ? row.paired : row.welch).possible) ++count;
    return count;
}

QString ConfigurationStatistics::shortfallNote() const {
    QStringList fewerThanTwo;
    for (const ConfigurationRow& row : rows) {
        if (row.n() >= 2) continue;
        const QString runs = row.n() == 1 ? tr("1 run") : tr("no run with a value of %1").arg(metric.title());
        fewerThanTwo.append(QStringLiteral("“%1” has %2").arg(row.label, runs));
    }
    if (fewerThanTwo.isEmpty()) return {};
    const QString last = fewerThanTwo.takeLast();
    const QString which = fewerThanTwo.isEmpty()
                              ? tr("Configuration %1").arg(last)
                              : tr("Configuration %1 and %2").arg(fewerThanTwo.join(QStringLiteral(", ")), last);
    return which + tr(": a t-test needs at least 2 seeds per configuration; add seeds.");
}

QString ConfigurationStatistics::referenceNote() const {
    QStringList labels;
    QString role;
    for (const ConfigurationRow& row : rows) {
        if (!row.reference) continue;
        labels.append(QStringLiteral("“%1”").arg(row.label));
        role = QString::fromStdString(row.role);
    }
    if (labels.isEmpty()) return {};
    return tr("%1: the study's %2 runs against a %3 baseline, compared for reference; not candidates, so Holm's "
              "correction does not count them (p (Holm) —).")
        .arg(labels.join(QStringLiteral(", ")), role, QString::fromStdString(rows.at(baseline).role));
}

}  // namespace distillery::views
