#include "spec/RunQueue.h"

namespace distillery::spec {

namespace {
std::string teacherLabel(const store::Store& store, const TeacherSpec& teacher) {
    if (!teacher.present()) return {};
    if (!teacher.model.empty()) return teacher.model;
    std::optional<store::RunRow> run;
    if (teacher.runId) run = store.run(*teacher.runId);
    else if (!teacher.runName.empty()) run = store.latestFinishedRunNamed(teacher.runName);
    if (run) return run->student;   // the network a teacher run trained is its "student" column
    return teacher.runId ? "run:" + std::to_string(*teacher.runId) : "run:" + teacher.runName;
}
}  // namespace

int64_t queueRun(store::Store& store, const RunSpec& spec) {
    store::NewRun row;
    row.name = spec.name;
    row.specJson = toJson(spec).dump(2);
    row.teacher = teacherLabel(store, spec.teacher);
    row.student = spec.studentModel;
    row.method = spec.method.name;
    row.dataset = spec.data.name;
    row.seed = spec.seed;
    return store.insertRun(row);
}

}  // namespace distillery::spec
