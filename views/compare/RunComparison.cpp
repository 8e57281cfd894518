#include "RunComparison.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QRegularExpression>
#include <QSet>

#include "store/Results.h"

namespace distillery::views {

namespace {

void flattenInto(const QJsonValue& value, const QString& path, QVariantMap& out) {
    switch (value.type()) {
        case QJsonValue::Object: {
            const QJsonObject object = value.toObject();
            // An empty object is a leaf of its own ("teacher": {} differs from a filled one).
            if (object.isEmpty() && !path.isEmpty()) out.insert(path, QStringLiteral("{}"));
            for (auto it = object.begin(); it != object.end(); ++it)
                flattenInto(it.value(), path.isEmpty() ? it.key() : path + QLatin1Char('.') + it.key(), out);
            return;
        }
        case QJsonValue::Array:
            out.insert(path, QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact)));
            return;
        case QJsonValue::Null: out.insert(path, QStringLiteral("null")); return;
        case QJsonValue::Bool: out.insert(path, value.toBool()); return;
        case QJsonValue::Double: {
            // Qt keeps integral JSON numbers as integers; the spec writes 4 and 4.0 alike for a
            // float field, so integral values become qlonglong and compare equal either way.
            const double number = value.toDouble();
            if (std::isfinite(number) && number == std::floor(number) && std::fabs(number) < 9.0e15)
                out.insert(path, static_cast<qlonglong>(number));
            else
                out.insert(path, number);
            return;
        }
        case QJsonValue::String: out.insert(path, value.toString()); return;
        case QJsonValue::Undefined: return;
    }
}

// QVariant's own == converts between types ("1" == 1), which would hide a real difference.
bool sameConfigValue(const QVariant& a, const QVariant& b) {
    return a.metaType() == b.metaType() && a == b;
}

bool sameConfig(const QVariantMap& a, const QVariantMap& b) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(), other = b.begin(); it != a.end(); ++it, ++other)
        if (it.key() != other.key() || !sameConfigValue(it.value(), other.value())) return false;
    return true;
}

// Keys whose value differs between the given configs (a key missing in one of them differs), sorted.
QStringList differingKeysOf(const QList<QVariantMap>& configs) {
    std::set<QString> keys;
    for (const QVariantMap& config : configs)
        for (auto it = config.begin(); it != config.end(); ++it) keys.insert(it.key());
    QStringList differing;
    for (const QString& key : keys) {
        bool differs = false;
        for (int i = 0; i < configs.size() && !differs; ++i) {
            auto here = configs.at(i).constFind(key);
            if (here == configs.at(i).constEnd()) differs = true;
            else if (i > 0) differs = !sameConfigValue(*here, configs.at(0).value(key));
        }
        if (differs) differing.append(key);
    }
    return differing;   // std::set iterates in order: already sorted
}

QString keyValueText(const QVariantMap& config, const QStringList& keys) {
    QStringList parts;
    for (const QString& key : keys) {
        auto it = config.constFind(key);
        parts.append(key + QLatin1Char('=') + (it == config.constEnd() ? QStringLiteral("—") : configValueText(*it)));
    }
    return parts.join(QStringLiteral(", "));
}

}  // namespace

QString summaryStatName(SummaryStat stat) {
    switch (stat) {
        case SummaryStat::Last: return QStringLiteral("last");
        case SummaryStat::Best: return QStringLiteral("best");
        case SummaryStat::Min: return QStringLiteral("min");
        case SummaryStat::Max: return QStringLiteral("max");
    }
    return {};
}

bool isTestMetric(const QString& key) { return key.startsWith(QLatin1String("test/")); }

QList<SummaryStat> statsOffered(const QString& key, const QList<SummaryStat>& stats) {
    QList<SummaryStat> offered;
    for (SummaryStat stat : stats)
        if (!(stat == SummaryStat::Best && isTestMetric(key))) offered.append(stat);
    return offered;
}

std::optional<double> ComparedRun::value(const QString& key, SummaryStat stat) const {
    if (stat == SummaryStat::Best && isTestMetric(key)) return std::nullopt;
    auto it = summaries.find(key.toStdString());
    if (it == summaries.end()) return std::nullopt;
    const store::MetricSummary& summary = it->second;
    switch (stat) {
        case SummaryStat::Last: return summary.lastValue;
        case SummaryStat::Best: return summary.best();
        case SummaryStat::Min: return summary.minValue;
        case SummaryStat::Max: return summary.maxValue;
    }
    return std::nullopt;
}

bool isNumericValue(const QVariant& value) {
    switch (value.metaType().id()) {
        case QMetaType::Double:
        case QMetaType::Float:
        case QMetaType::Int:
        case QMetaType::UInt:
        case QMetaType::LongLong:
        case QMetaType::ULongLong: return true;
        default: return false;
    }
}

QVariantMap flattenSpec(const std::string& specJson) {
    QJsonParseError error;
    const QJsonDocument document =
        QJsonDocument::fromJson(QByteArray::fromStdString(specJson), &error);
    QVariantMap out;
    if (error.error != QJsonParseError::NoError || !document.isObject()) return out;
    flattenInto(document.object(), QString(), out);
    return out;
}

QStringList differingKeys(const QList<ComparedRun>& runs) {
    QList<QVariantMap> configs;
    for (const ComparedRun& run : runs) configs.append(run.config);
    return differingKeysOf(configs);
}

QStringList allConfigKeys(const QList<ComparedRun>& runs) {
    std::set<QString> keys;
    for (const ComparedRun& run : runs)
        for (auto it = run.config.begin(); it != run.config.end(); ++it) keys.insert(it.key());
    return QStringList(keys.begin(), keys.end());
}

QStringList metricKeysOf(const QList<ComparedRun>& runs) {
    QStringList keys;
    QSet<QString> seen;
    for (const ComparedRun& run : runs) {
        for (const auto& [key, summary] : run.summaries) {
            const QString name = QString::fromStdString(key);
            if (seen.contains(name)) continue;
            seen.insert(name);
            keys.append(name);
        }
    }
    return keys;
}

QStringList defaultComparedKeys(const QStringList& available) {
    QStringList chosen;
    for (const QString& key : {QStringLiteral("val/acc1"), QStringLiteral("test/acc1")})
        if (available.contains(key)) chosen.append(key);
    if (!chosen.isEmpty()) return chosen;
    for (store::MetricKind kind : {store::MetricKind::Accuracy, store::MetricKind::Loss})
        for (const QString& key : available)
            if (store::metricKind(key.toStdString()) == kind) return {key};
    return available.isEmpty() ? QStringList() : QStringList{available.first()};
}

QStringList defaultAcrossKeys() {
    return {QStringLiteral("name"), QStringLiteral("seed"), QStringLiteral("teacher.run_id"),
            QStringLiteral("teacher.run_name"), QStringLiteral("teacher.checkpoint")};
}

QString seedlessName(const QString& runName) {
    static const QRegularExpression seedSuffix(QStringLiteral("[-_](s|seed)\\d+$"));
    QString name = runName;
    name.remove(seedSuffix);
    return name;
}

QList<RunGroup> groupRuns(const QList<ComparedRun>& runs, const QStringList& acrossKeys) {
    QList<RunGroup> groups;
    for (int i = 0; i < runs.size(); ++i) {
        QVariantMap config = runs.at(i).config;
        for (const QString& key : acrossKeys) config.remove(key);
        auto found = std::find_if(groups.begin(), groups.end(),
                                  [&](const RunGroup& group) { return sameConfig(group.config, config); });
        if (found != groups.end()) {
            found->members.append(i);
        } else {
            RunGroup group;
            group.config = std::move(config);
            group.members.append(i);
            groups.append(std::move(group));
        }
    }

    // Labels. Seeds of one configuration are usually named "<config>-s<seed>", so the seedless name
    // shared by every member is the label a researcher gave the configuration. Groups without one,
    // or sharing it with another group (the same name re-used for a changed config), are told apart
    // by the config keys whose values differ between the groups.
    QList<QVariantMap> groupConfigs;
    for (const RunGroup& group : groups) groupConfigs.append(group.config);
    const QStringList betweenGroups = differingKeysOf(groupConfigs);
    QStringList commonNames;
    for (const RunGroup& group : groups) {
        QString common = seedlessName(QString::fromStdString(runs.at(group.members.first()).run.name));
        for (int member : group.members)
            if (seedlessName(QString::fromStdString(runs.at(member).run.name)) != common) common.clear();
        commonNames.append(common);
    }
    for (int g = 0; g < groups.size(); ++g) {
        RunGroup& group = groups[g];
        const QString& common = commonNames.at(g);
        const bool nameIsUnique = !common.isEmpty() && commonNames.count(common) == 1;
        if (nameIsUnique) {
            group.label = common;
        } else if (!betweenGroups.isEmpty()) {
            const QString keys = keyValueText(group.config, betweenGroups);
            group.label = common.isEmpty() ? keys : common + QStringLiteral(" (") + keys + QLatin1Char(')');
        } else {
            // One group of differently named runs: their names say best what it holds.
            QStringList names;
            for (int member : group.members) {
                const QString name = seedlessName(QString::fromStdString(runs.at(member).run.name));
                if (!names.contains(name)) names.append(name);
            }
            group.label = names.join(QStringLiteral(", "));
        }
    }
    return groups;
}

Aggregate aggregate(const QVector<double>& values) {
    Aggregate a;
    a.n = static_cast<int>(values.size());
    if (a.n == 0) return a;
    double sum = 0;
    for (double v : values) sum += v;
    a.mean = sum / a.n;
    if (a.n > 1) {
        double squares = 0;
        for (double v : values) squares += (v - a.mean) * (v - a.mean);
        a.std = std::sqrt(squares / (a.n - 1));
    }
    return a;
}

Aggregate aggregateOf(const QList<ComparedRun>& runs, const QList<int>& members, const QString& key,
                      SummaryStat stat) {
    QVector<double> values;
    for (int member : members)
        if (auto value = runs.at(member).value(key, stat)) values.append(*value);
    return aggregate(values);
}

Aggregate aggregateTestAtBestVal(const QList<ComparedRun>& runs, const QList<int>& members) {
    QVector<double> values;
    for (int member : members)
        if (const std::optional<double>& value = runs.at(member).selection.testAtBestVal) values.append(*value);
    return aggregate(values);
}

QList<ComparedRun> loadComparedRuns(const store::Store& store, const QList<qint64>& runIds) {
    QList<ComparedRun> runs;
    for (qint64 id : runIds) {
        std::optional<store::RunRow> row = store.run(id);
        if (!row)
            throw std::runtime_error("run " + std::to_string(id) + " is not in the store " + store.path() +
                                     " (deleted, or another store is open); select the runs to compare again");
        ComparedRun compared;
        compared.run = std::move(*row);
        compared.config = flattenSpec(compared.run.specJson);
        for (store::MetricSummary& summary : store.summaries(id)) {
            std::string key = summary.key;
            compared.summaries.emplace(std::move(key), std::move(summary));
        }
        compared.selection = store::selectByValidation(store, id);
        runs.append(std::move(compared));
    }
    return runs;
}

QString formatAggregate(const Aggregate& a, int decimals) {
    if (a.n == 0) return QStringLiteral("—");
    if (a.n == 1) return QString::number(a.mean, 'f', decimals);
    return QString::number(a.mean, 'f', decimals) + QStringLiteral(" ± ") + QString::number(a.std, 'f', decimals);
}

int metricDecimals(const QString& key) {
    return store::higherIsBetter(key.toStdString()) ? 2 : 4;
}

QString formatMetricValue(const QString& key, double value) {
    if (store::higherIsBetter(key.toStdString())) return QString::number(value, 'f', 2);
    return QString::number(value, 'g', 4);
}

QString configValueText(const QVariant& value) {
    if (value.metaType().id() == QMetaType::Bool) return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    if (value.metaType().id() == QMetaType::Double) return QString::number(value.toDouble(), 'g', 12);
    return value.toString();
}

}  // namespace distillery::views
