#include "TeacherWaits.h"

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "spec/JsonText.h"
#include "store/Store.h"

namespace distillery::views {

namespace {

QString fromStd(const std::string& text) { return QString::fromStdString(text); }

// A teacher's error can hold the engine's whole log tail: the wait reason quotes its first line.
QString firstLineOf(const std::string& text) {
    return QString::fromStdString(text).section(QLatin1Char('\n'), 0, 0).trimmed();
}

}  // namespace

TeacherWaits::Reference TeacherWaits::referenceOf(qint64 runId, store::Store& store) {
    const auto known = references_.constFind(runId);
    if (known != references_.constEnd()) return *known;
    std::optional<store::RunRow> row;
    try {
        row = store.run(runId);
    } catch (const store::StoreError&) {
        return {};   // the queue reads the row again when it starts the run, and reports the error
    }
    Reference reference;
    if (row) {
        // An unreadable spec names no teacher here; the engine fails the run with the parser's message.
        const nlohmann::json spec = distillery::spec::parseJsonText(row->specJson).value;
        const auto teacher = spec.is_object() ? spec.find("teacher") : spec.end();
        if (spec.is_object() && teacher != spec.end() && teacher->is_object()) {
            const auto id = teacher->find("run_id");
            if (id != teacher->end() && id->is_number_integer())
                reference.runId = std::max<int64_t>(0, id->get<int64_t>());
            const auto name = teacher->find("run_name");
            if (name != teacher->end() && name->is_string()) reference.runName = name->get<std::string>();
        }
    }
    references_.insert(runId, reference);
    return reference;
}

void TeacherWaits::update(const QList<qint64>& waitingRuns, store::Store& store, const QString& storePath,
                          const QueueState& queue) {
    reasons_.clear();
    teachers_.clear();
    // A spec does not change while its run waits; a run that left the queue is parsed again if it returns.
    for (auto it = references_.begin(); it != references_.end();)
        it = queue.waiting(it.key()) ? std::next(it) : references_.erase(it);
    QList<qint64> students;
    for (qint64 runId : waitingRuns)
        if (referenceOf(runId, store).present()) students.append(runId);
    if (students.isEmpty()) return;

    std::vector<store::RunRow> rows;   // newest first
    try {
        rows = store.runs(/*withSpec=*/false);
    } catch (const store::StoreError& error) {
        // Starting a student whose teacher may not have finished would waste it: wait and read again.
        for (qint64 student : students)
            reasons_.insert(student, tr("waits: the status of its teacher run cannot be read from %1 (%2); "
                                            "it is read again every few seconds")
                                             .arg(storePath, QString::fromUtf8(error.what())));
        return;
    }
    QHash<qint64, const store::RunRow*> byId;
    for (const store::RunRow& row : rows) byId.insert(row.id, &row);
    auto active = [&queue](const store::RunRow& row) {
        return row.status == store::RunStatus::Queued || row.status == store::RunStatus::Running ||
               queue.training(row.id) || queue.waiting(row.id);
    };

    for (qint64 student : students) {
        const Reference reference = references_.value(student);
        const store::RunRow* teacher = nullptr;
        if (reference.runId > 0) {
            teacher = byId.value(reference.runId);
            if (teacher && teacher->status == store::RunStatus::Finished) continue;
        } else {
            // The engine takes the newest finished run of that name (Store::latestFinishedRunNamed).
            // Else the newest of that name that will train (queued, running, waiting here), else the
            // newest that failed or was killed: retrying or resuming it releases the student.
            bool finished = false;
            const store::RunRow* willTrain = nullptr;
            const store::RunRow* ended = nullptr;
            for (const store::RunRow& row : rows) {
                if (row.name != reference.runName || row.id == student) continue;
                if (row.status == store::RunStatus::Finished) {
                    finished = true;
                    break;
                }
                if (active(row)) {
                    if (!willTrain) willTrain = &row;
                } else if (!ended) {
                    ended = &row;
                }
            }
            if (finished) continue;
            teacher = willTrain ? willTrain : ended;
        }
        // No such run at all (or the run itself): start it, and the engine fails it at once with its
        // own message naming the field (teacher.run_id / teacher.run_name) and the store. Such a name
        // is a mistake in the spec, not a teacher on its way: no retry or resume could release the
        // run, and a queue waiting for nothing looks hung, headless and after a restart alike.
        if (!teacher || teacher->id == student) continue;

        const QString name = teacher->name.empty() ? QString() : QStringLiteral(" “%1”").arg(fromStd(teacher->name));
        QString state;
        if (queue.training(teacher->id) || teacher->status == store::RunStatus::Running)
            state = tr("training");
        else if (queue.waitingToResume(teacher->id))
            state = tr("waiting to resume");
        else if (teacher->status == store::RunStatus::Queued || queue.waiting(teacher->id))
            state = tr("queued");
        if (!state.isEmpty()) {
            reasons_.insert(student, tr("waits for its teacher run %1%2 (%3)").arg(teacher->id).arg(name, state));
        } else {
            const QString how = fromStd(store::statusName(teacher->status));
            const QString error = firstLineOf(teacher->error);
            reasons_.insert(student, tr("waits for its teacher run %1%2 (%3) — retry or resume the teacher to "
                                            "release it")
                                             .arg(teacher->id)
                                             .arg(name, error.isEmpty() ? how : how + QStringLiteral(": ") + error));
        }
        teachers_.insert(student, teacher->id);
    }
}

}  // namespace distillery::views
