#include "ReportStatistics.h"

#include <QCoreApplication>

#include "ReportData.h"

namespace distillery::views {

namespace {

QString tr(const char* text) { return QCoreApplication::translate("ReportStatistics", text); }

bool isTeacher(const QList<ComparedRun>& runs, const RunGroup& group) {
    if (group.label.startsWith(QLatin1String("teacher"), Qt::CaseInsensitive)) return true;
    for (int member : group.members)
        if (runs.at(member).run.studyRole == "teacher") return true;
    return false;
}

bool allOfMethod(const QList<ComparedRun>& runs, const RunGroup& group, const std::string& method) {
    for (int member : group.members)
        if (runs.at(member).run.method != method) return false;
    return !group.members.isEmpty();
}

QString quotedList(const QStringList& labels) {
    QStringList quoted;
    for (const QString& label : labels) quoted.append(QStringLiteral("“") + label + QStringLiteral("”"));
    return quoted.join(QStringLiteral(", "));
}

}  // namespace

QList<RunGroup> ReportStatistics::finishedGroups(const QList<ComparedRun>& runs) {
    QList<RunGroup> groups = groupRuns(runs);
    for (RunGroup& group : groups)
        group.members.removeIf([&](int member) { return runs.at(member).run.status != store::RunStatus::Finished; });
    return groups;
}

QStringList ReportStatistics::defaultBaselines(const QList<ComparedRun>& runs, const QList<RunGroup>& groups) {
    QList<const RunGroup*> students;
    for (const RunGroup& group : groups)
        if (!isTeacher(runs, group)) students.append(&group);
    QStringList baselines;
    for (const char* method : {"ce", "kd"}) {
        QStringList found;
        for (const RunGroup* group : students)
            if (allOfMethod(runs, *group, method)) found.append(group->label);
        if (found.size() == 1) baselines.append(found.first());   // several: none is the obvious reference
    }
    if (baselines.isEmpty() && !groups.isEmpty())
        baselines.append(students.isEmpty() ? groups.first().label : students.first()->label);
    return baselines;
}

ReportStatistics ReportStatistics::compute(const QList<ComparedRun>& runs, const QStringList& baselineLabels) {
    // The labels of all runs, so that a configuration whose runs are all unfinished keeps its row (n = 0).
    const QList<RunGroup> groups = finishedGroups(runs);
    QStringList labels;
    for (const RunGroup& group : groups) labels.append(group.label);
    QStringList wanted;
    for (const QString& label : baselineLabels.isEmpty() ? defaultBaselines(runs, groupRuns(runs)) : baselineLabels)
        if (!wanted.contains(label)) wanted.append(label);

    ReportStatistics statistics;
    for (const QString& label : wanted) {
        const int baseline = static_cast<int>(labels.indexOf(label));
        if (baseline < 0)
            throw ReportError((tr("no configuration of these runs is labelled “") + label +
                               tr("”: choose a baseline among %1 (labels as the grouped table shows them)")
                                   .arg(quotedList(labels)))
                                  .toStdString());
        statistics.perBaseline.append(ConfigurationStatistics::compute(runs, groups,
                                                                       StatisticsMetric::headlineResult(), baseline));
    }
    return statistics;
}

}  // namespace distillery::views
