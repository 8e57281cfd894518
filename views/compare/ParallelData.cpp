#include "ParallelData.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace distillery::views {

namespace {

// An axis for the values (an invalid QVariant is a missing value).
ParallelAxis makeAxis(const QString& field, const QList<QVariant>& values, bool isMetric) {
    ParallelAxis axis;
    axis.field = field;
    axis.isMetric = isMetric;
    bool numeric = true, any = false;
    for (const QVariant& value : values) {
        if (!value.isValid()) continue;
        any = true;
        if (!isNumericValue(value)) numeric = false;
    }
    if (!any && !isMetric) numeric = false;
    if (numeric) {
        bool first = true;
        for (const QVariant& value : values) {
            const double x = value.isValid() ? value.toDouble() : std::nan("");
            if (!std::isfinite(x)) {
                axis.hasMissing = true;
                continue;
            }
            axis.min = first ? x : std::min(axis.min, x);
            axis.max = first ? x : std::max(axis.max, x);
            first = false;
            axis.hasValues = true;
        }
        axis.kind = axis.min > 0 && axis.max > ParallelAxis::kLogSpanFactor * axis.min ? ParallelAxis::Kind::Log
                                                                                         : ParallelAxis::Kind::Linear;
        return axis;
    }
    axis.kind = ParallelAxis::Kind::Categorical;
    for (const QVariant& value : values) {
        if (!value.isValid()) {
            axis.hasMissing = true;
            continue;
        }
        const QString text = configValueText(value);
        if (!axis.categories.contains(text)) axis.categories.append(text);
        axis.hasValues = true;
    }
    std::sort(axis.categories.begin(), axis.categories.end(),
              [](const QString& a, const QString& b) { return QString::localeAwareCompare(a, b) < 0; });
    return axis;
}

// A round step that cuts span into about `count` parts: 1, 2, 2.5 or 5 times a power of ten.
double niceStep(double span, int count) {
    const double raw = span / count;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    for (double factor : {1.0, 2.0, 2.5, 5.0})
        if (raw <= factor * magnitude) return factor * magnitude;
    return 10.0 * magnitude;
}

QString tickText(double value) {
    // Enough digits for steps like 0.025 and accuracies like 81.25, without float noise.
    return QString::number(value, 'g', 6);
}

}  // namespace

// ---- ParallelAxis -------------------------------------------------------------------------------

double ParallelAxis::positionOf(double value) const {
    if (!std::isfinite(value) || kind == Kind::Categorical) return kMissingPosition;
    if (max <= min) return 0.5;
    if (kind == Kind::Log) {
        if (value <= 0) return kMissingPosition;
        return (std::log10(value) - std::log10(min)) / (std::log10(max) - std::log10(min));
    }
    return (value - min) / (max - min);
}

double ParallelAxis::position(const QVariant& value) const {
    if (!value.isValid()) return kMissingPosition;
    if (kind == Kind::Categorical) {
        const int index = static_cast<int>(categories.indexOf(configValueText(value)));
        if (index < 0) return kMissingPosition;
        return categories.size() == 1 ? 0.5 : static_cast<double>(index) / (categories.size() - 1);
    }
    return isNumericValue(value) ? positionOf(value.toDouble()) : kMissingPosition;
}

QList<std::pair<double, QString>> ParallelAxis::ticks() const {
    QList<std::pair<double, QString>> ticks;
    if (kind == Kind::Categorical) {
        for (const QString& category : categories) ticks.append({position(category), category});
    } else if (!hasValues) {
        // Only missing values: the n/a slot below.
    } else if (max <= min) {
        ticks.append({0.5, tickText(min)});
    } else if (kind == Kind::Log) {
        // Decades; with fewer than three of them inside the range, also 2 and 5 times each.
        const int first = static_cast<int>(std::floor(std::log10(min)));
        const int last = static_cast<int>(std::ceil(std::log10(max)));
        QList<double> values;
        for (int power = first; power <= last; ++power) values.append(std::pow(10.0, power));
        const auto inside = [this](double v) { return v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9); };
        if (std::count_if(values.begin(), values.end(), inside) < 3) {
            QList<double> finer;
            for (double decade : values)
                for (double factor : {1.0, 2.0, 5.0}) finer.append(decade * factor);
            values = finer;
        }
        for (double v : values)
            if (inside(v)) ticks.append({positionOf(v), tickText(v)});
    } else {
        const double step = niceStep(max - min, 5);
        const auto first = static_cast<long long>(std::ceil(min / step - 1e-9));
        const auto last = static_cast<long long>(std::floor(max / step + 1e-9));
        for (long long k = first; k <= last; ++k) ticks.append({positionOf(k * step), tickText(k * step)});
    }
    if (kind != Kind::Categorical && ticks.size() < 2 && max > min) {
        // A range narrower than any round step inside it: its ends say it best.
        ticks = {{0.0, tickText(min)}, {1.0, tickText(max)}};
    }
    if (hasMissing) ticks.append({kMissingPosition, QStringLiteral("n/a")});
    return ticks;
}

// ---- ParallelData -------------------------------------------------------------------------------

ParallelData::ParallelData(const QList<ParallelRun>& runs, const QStringList& fields, const QString& metricName,
                           bool perConfiguration)
    : runs_(runs), perConfiguration_(perConfiguration) {
    // The axes span the runs' values in both modes, so toggling the mode does not move them.
    for (const QString& field : fields) {
        QList<QVariant> values;
        for (const ParallelRun& run : runs) values.append(run.fields.value(field));
        axes_.append(makeAxis(field, values, false));
    }
    QList<QVariant> metrics;
    for (const ParallelRun& run : runs) metrics.append(run.metric ? QVariant(*run.metric) : QVariant());
    axes_.append(makeAxis(metricName, metrics, true));

    auto positionsOf = [this](const ParallelRun& run, std::optional<double> metric) {
        QVector<double> positions;
        for (int a = 0; a < metricAxis(); ++a)
            positions.append(axes_.at(a).position(run.fields.value(axes_.at(a).field)));
        positions.append(metric ? axes_.last().positionOf(*metric) : ParallelAxis::kMissingPosition);
        return positions;
    };
    if (!perConfiguration) {
        for (const ParallelRun& run : runs)
            lines_.append({run.name, {run.runId}, positionsOf(run, run.metric), run.metric});
        return;
    }
    QStringList order;
    QHash<QString, QList<int>> members;
    for (int i = 0; i < runs.size(); ++i) {
        const QString& configuration = runs.at(i).configuration;
        if (!members.contains(configuration)) order.append(configuration);
        members[configuration].append(i);
    }
    for (const QString& configuration : order) {
        ParallelLine line;
        double sum = 0;
        int withMetric = 0;
        for (int i : members.value(configuration)) {
            line.runIds.append(runs.at(i).runId);
            if (runs.at(i).metric) {
                sum += *runs.at(i).metric;
                ++withMetric;
            }
        }
        if (withMetric > 0) line.metric = sum / withMetric;
        line.label = configuration + QStringLiteral(" (n=%1)").arg(line.runIds.size());
        // Seeds of one configuration share its fields: the first run's values stand for all.
        line.positions = positionsOf(runs.at(members.value(configuration).first()), line.metric);
        lines_.append(line);
    }
}

std::optional<std::pair<double, double>> ParallelData::metricRange() const {
    std::optional<std::pair<double, double>> range;
    for (const ParallelLine& line : lines_) {
        if (!line.metric) continue;
        if (!range) range = std::make_pair(*line.metric, *line.metric);
        range->first = std::min(range->first, *line.metric);
        range->second = std::max(range->second, *line.metric);
    }
    return range;
}

void ParallelData::setBrush(int axis, double from, double to) {
    if (axis < 0 || axis >= axes_.size()) return;
    brushes_.insert(axis, {std::min(from, to), std::max(from, to)});
}

void ParallelData::clearBrush(int axis) { brushes_.remove(axis); }

void ParallelData::clearBrushes() { brushes_.clear(); }

std::optional<std::pair<double, double>> ParallelData::brush(int axis) const {
    auto it = brushes_.constFind(axis);
    if (it == brushes_.constEnd()) return std::nullopt;
    return *it;
}

bool ParallelData::isSelected(int line) const {
    const QVector<double>& positions = lines_.at(line).positions;
    for (auto it = brushes_.constBegin(); it != brushes_.constEnd(); ++it) {
        const double p = positions.at(it.key());
        if (p < it->first || p > it->second) return false;
    }
    return true;
}

QList<qint64> ParallelData::selectedRunIds() const {
    QList<qint64> ids;
    if (!hasBrushes()) return ids;
    for (int line = 0; line < lines_.size(); ++line)
        if (isSelected(line)) ids += lines_.at(line).runIds;
    return ids;
}

QList<FieldCorrelation> ParallelData::correlations() const {
    QList<FieldCorrelation> out;
    for (int a = 0; a < metricAxis(); ++a) {
        const ParallelAxis& axis = axes_.at(a);
        FieldCorrelation correlation;
        correlation.field = axis.field;
        correlation.kind = axis.kind;
        if (axis.isNumeric()) {
            std::vector<double> x, y;
            for (const ParallelRun& run : runs_) {
                const QVariant value = run.fields.value(axis.field);
                if (!run.metric || !isNumericValue(value)) continue;
                const double v = value.toDouble();
                if (axis.kind == ParallelAxis::Kind::Log && !(v > 0)) continue;
                x.push_back(axis.kind == ParallelAxis::Kind::Log ? std::log10(v) : v);
                y.push_back(*run.metric);
            }
            correlation.pearson = stats::pearson(x, y);
            correlation.spearman = stats::spearman(x, y);
        } else {
            QStringList categories = axis.categories;
            if (axis.hasMissing) categories.append(QStringLiteral("n/a"));
            for (const QString& category : categories) {
                FieldCorrelation::CategoryMean mean;
                mean.category = category;
                double sum = 0;
                for (const ParallelRun& run : runs_) {
                    const QVariant value = run.fields.value(axis.field);
                    const QString text = value.isValid() ? configValueText(value) : QStringLiteral("n/a");
                    if (!run.metric || text != category) continue;
                    sum += *run.metric;
                    ++mean.n;
                }
                mean.mean = mean.n > 0 ? sum / mean.n : std::nan("");
                correlation.categoryMeans.append(mean);
            }
        }
        out.append(correlation);
    }
    return out;
}

QStringList ParallelData::variedFields(const QList<ComparedRun>& runs) {
    const QStringList across = defaultAcrossKeys();
    const bool allInStudies = !runs.isEmpty() && std::all_of(runs.begin(), runs.end(), [](const ComparedRun& run) {
        return run.run.studyId.has_value() && !run.run.studyFields.empty();
    });
    if (allInStudies) {
        QList<ComparedRun> studyValues;   // the study's fields in place of each config, for differingKeys
        QStringList all;
        for (const ComparedRun& run : runs) {
            ComparedRun values;
            values.config = flattenSpec(run.run.studyFields);
            for (const QString& key : across) values.config.remove(key);
            for (auto it = values.config.constBegin(); it != values.config.constEnd(); ++it)
                if (!all.contains(it.key())) all.append(it.key());
            studyValues.append(values);
        }
        const QStringList varied = differingKeys(studyValues);
        if (!all.isEmpty()) return varied.isEmpty() ? all : varied;
    }
    QStringList varied = differingKeys(runs);
    for (const QString& key : across) varied.removeAll(key);
    return varied;
}

QList<ParallelRun> ParallelData::runsOf(const QList<ComparedRun>& runs, const QStringList& fields,
                                        const QHash<qint64, double>& metricOf) {
    const QList<RunGroup> groups = groupRuns(runs);
    QHash<int, QString> groupLabelOf;
    for (const RunGroup& group : groups)
        for (int member : group.members) groupLabelOf.insert(member, group.label);
    QList<ParallelRun> out;
    for (int i = 0; i < runs.size(); ++i) {
        const ComparedRun& compared = runs.at(i);
        ParallelRun run;
        run.runId = compared.run.id;
        run.name = QString::fromStdString(compared.run.name);
        run.configuration = compared.run.configuration.empty() ? groupLabelOf.value(i)
                                                               : QString::fromStdString(compared.run.configuration);
        const QVariantMap studyValues = flattenSpec(compared.run.studyFields);
        for (const QString& field : fields) {
            if (studyValues.contains(field)) run.fields.insert(field, studyValues.value(field));
            else if (compared.config.contains(field)) run.fields.insert(field, compared.config.value(field));
        }
        auto metric = metricOf.constFind(compared.run.id);
        if (metric != metricOf.constEnd() && std::isfinite(*metric)) run.metric = *metric;
        out.append(run);
    }
    return out;
}

}  // namespace distillery::views
