#pragma once
// What the designer's "Run on: Slurm cluster" asks of a submission (ClusterFollower::submit runs the
// engine's `submit --slurm` with it).
#include <QByteArray>
#include <QMetaType>
#include <QString>

#include "cluster/Slurm.h"

namespace distillery::views {

struct ClusterSubmission {
    QByteArray specText;        // a study, or an experiment {"runs": [...]}
    QString name;               // for the spec file's name
    QString sharedRoot;         // "" = <store>.cluster beside the store
    cluster::SlurmOptions slurm;
    QString templatePath;       // "" = Distillery's batch script
};

}  // namespace distillery::views
