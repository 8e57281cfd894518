#pragma once
// Where the designer's runs train: "this machine" (the desktop queue) or a Slurm cluster, with the
// sbatch options a submission takes (partition, GPUs, CPUs, memory, time limit, at most K at once,
// the shared folder and the batch script, which "Show batch script…" shows as sbatch will run it).
// The choices are remembered between sessions.
#include <QWidget>

#include "ClusterSubmission.h"

class QComboBox;
class QGroupBox;
class QLineEdit;
class QSpinBox;

namespace distillery::views {

class ClusterTarget : public QWidget {
    Q_OBJECT
public:
    explicit ClusterTarget(QWidget* parent = nullptr);

    bool onSlurm() const;
    void setOnSlurm(bool slurm);
    // The options as filled in (specText and name left empty), remembered for the next session.
    ClusterSubmission submission() const;
    void remember() const;
    // What is wrong with the options, for the user; "" when they can be submitted.
    QString problem() const;
    // The batch script the options give (the template file's, or Distillery's), markers filled in.
    QString batchScript(QString* error = nullptr) const;

    QComboBox* runOnBox() const { return runOn_; }
    QGroupBox* slurmBox() const { return slurm_; }
    QLineEdit* sharedFolderEdit() const { return sharedRoot_; }
    QLineEdit* partitionEdit() const { return partition_; }
    QLineEdit* gresEdit() const { return gres_; }
    QLineEdit* timeEdit() const { return time_; }
    QLineEdit* templateEdit() const { return template_; }
    QSpinBox* cpusBox() const { return cpus_; }
    QSpinBox* maxParallelBox() const { return maxParallel_; }

signals:
    void changed();

private:
    void showBatchScript();

    QComboBox* runOn_;
    QGroupBox* slurm_;
    QLineEdit* sharedRoot_;
    QLineEdit* partition_;
    QLineEdit* gres_;
    QSpinBox* cpus_;
    QLineEdit* memory_;
    QLineEdit* time_;
    QSpinBox* maxParallel_;
    QLineEdit* template_;
};

}  // namespace distillery::views
