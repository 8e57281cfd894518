#pragma once
// Which runs of the queue wait for their teacher run, and why. A run whose spec names its teacher as
// a run of the store ("teacher": {"run_id": N} or {"run_name": "X"}) does not start before that run
// has finished; the reason says what the teacher is doing ("waits for its teacher run 3 “teacher”
// (training)") and, for a teacher that failed or was killed, how to release the student.
#include <functional>
#include <string>

#include <QCoreApplication>
#include <QHash>
#include <QList>
#include <QString>

namespace distillery::store {
class Store;
}

namespace distillery::views {

class TeacherWaits {
    Q_DECLARE_TR_FUNCTIONS(TeacherWaits)
public:
    // What the queue itself does with a run, beyond what the store says.
    struct QueueState {
        std::function<bool(qint64)> training;        // an engine of this queue trains it
        std::function<bool(qint64)> waiting;         // it waits here for a slot
        std::function<bool(qint64)> waitingToResume;
    };

    // Reads again what the teachers of the waiting runs are doing. A spec is parsed once while its run
    // waits; a store that cannot be read holds every student back with that reason.
    void update(const QList<qint64>& waitingRuns, store::Store& store, const QString& storePath,
                const QueueState& queue);

    bool isEmpty() const { return reasons_.isEmpty(); }
    bool holdsBack(qint64 runId) const { return reasons_.contains(runId); }
    QString reason(qint64 runId) const { return reasons_.value(runId); }
    qint64 teacher(qint64 runId) const { return teachers_.value(runId); }   // 0 when none
    const QHash<qint64, QString>& reasons() const { return reasons_; }

private:
    // The teacher a run's spec names as a run of this store; neither set when it names none (or a
    // checkpoint, TorchScript file or zoo model, which need no other run).
    struct Reference {
        qint64 runId = 0;
        std::string runName;
        bool present() const { return runId > 0 || !runName.empty(); }
    };
    Reference referenceOf(qint64 runId, store::Store& store);

    QHash<qint64, Reference> references_;   // per waiting run, parsed once from its spec
    QHash<qint64, QString> reasons_;        // waiting runs whose teacher has not finished
    QHash<qint64, qint64> teachers_;        // waiting run -> the teacher run it waits for
};

}  // namespace distillery::views
