#include "spec/RunQueue.h"

#include "spec/FieldError.h"
#include "store/Results.h"

namespace distillery::spec {

namespace {
std::string teacherLabel(const store::Store& store, const TeacherSpec& teacher) {
    if (!teacher.present()) return {};
    if (!teacher.model.empty()) return teacher.model;
    if (const auto run = findTeacherRun(store, teacher)) return run->student;   // the network a teacher run trained
    return teacher.runId ? "run:" + std::to_string(*teacher.runId) : "run:" + teacher.runName;
}
}  // namespace

int64_t queueRun(store::Store& store, const RunSpec& spec, const std::optional<StudyMembership>& study) {
    store::NewRun row;
    row.name = spec.name;
    row.specJson = toJson(spec).dump(2);
    row.teacher = teacherLabel(store, spec.teacher);
    row.student = spec.studentModel;
    row.method = spec.method.name;
    row.dataset = spec.data.name;
    row.seed = spec.seed;
    if (study) {
        row.studyId = study->studyId;
        row.studyRole = study->role;
        row.configuration = study->configuration;
        row.studyFields = study->fields;
    }
    return store.insertRun(row);
}

RunCheckpoints runCheckpoints(const store::Store& store, int64_t runId) {
    const auto rows = store.checkpoints(runId);
    RunCheckpoints found;
    if (const auto best = store::findCheckpoint(rows, store::CheckpointKind::Best)) found.best = best->path;
    if (const auto last = store::findCheckpoint(rows, store::CheckpointKind::Last)) found.last = last->path;
    return found;
}

std::optional<store::RunRow> findTeacherRun(const store::Store& store, const TeacherSpec& teacher) {
    if (teacher.runId) return store.run(*teacher.runId);
    if (!teacher.runName.empty()) return store.latestFinishedRunNamed(teacher.runName);
    return std::nullopt;
}

TeacherRun resolveTeacherRun(const store::Store& store, const TeacherSpec& teacher) {
    const auto row = findTeacherRun(store, teacher);
    if (teacher.runId) {
        if (!row) throw FieldError::prefixed("teacher.run_id", "there is no run " + std::to_string(*teacher.runId) + " in " + store.path());
        if (row->status != store::RunStatus::Finished)
            throw FieldError::prefixed("teacher.run_id", "run " + std::to_string(row->id) + " (\"" + row->name + "\") is " +
                                                   store::statusName(row->status) +
                                                   ", not finished; wait for it or pick a finished run");
    } else if (!row) {
        throw FieldError::prefixed("teacher.run_name", "no finished run named \"" + teacher.runName + "\" in " + store.path() +
                                                 "; train the teacher first (its run must finish) or give teacher.run_id");
    }
    return {*row, runCheckpoints(store, row->id)};
}

}  // namespace distillery::spec
