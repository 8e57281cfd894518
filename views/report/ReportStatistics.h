#pragma once
// The report's Statistics section: ConfigurationStatistics of the headline (test accuracy at the best
// validation epoch) against each baseline of the request, one table per baseline. Each configuration
// counts its finished runs only, as the grouped table does, so that both tables agree on n and mean.
// QtCore and the store only: the builder, the headless command and the CSV writer share it.
#include <QList>
#include <QString>
#include <QStringList>

#include "ConfigurationStatistics.h"
#include "RunComparison.h"

namespace distillery::views {

struct ReportStatistics {
    QList<ConfigurationStatistics> perBaseline;   // in the order of the baselines asked for

    // Against each label of baselineLabels (duplicates dropped; empty: defaultBaselines). Throws
    // ReportError naming a label that no configuration of the runs has, and the labels there are.
    static ReportStatistics compute(const QList<ComparedRun>& runs, const QStringList& baselineLabels);

    // groupRuns(runs), each group's members limited to its finished runs; labels as groupRuns gives them.
    static QList<RunGroup> finishedGroups(const QList<ComparedRun>& runs);

    // The baselines a report compares with unless told: the student configuration trained with "ce"
    // alone if exactly one is, then the student configuration of "kd" if exactly one is (the student
    // alone and classic KD, the two references a distillation paper reports). Neither: the first
    // student configuration, else the first. A configuration is a teacher, not a student, when one
    // of its runs has RunRow::studyRole "teacher" or its label starts with "teacher".
    static QStringList defaultBaselines(const QList<ComparedRun>& runs, const QList<RunGroup>& groups);
    static QStringList defaultBaselines(const QList<ComparedRun>& runs) { return defaultBaselines(runs, groupRuns(runs)); }
};

}  // namespace distillery::views
