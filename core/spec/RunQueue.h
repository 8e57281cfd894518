#pragma once
// Putting runs into the store as `queued`, so that any engine (or the GUI's queue) can claim them;
// and finding the run a teacher spec names, for every reader of that reference.
#include <cstdint>
#include <optional>
#include <string>

#include "spec/RunSpec.h"
#include "store/Store.h"

namespace distillery::spec {

// Inserts the run as queued with its spec JSON and the columns the runs table shows. A teacher given
// by run id or name is looked up for its model name; a missing one is not an error here (it may
// finish before this run starts) and shows as "run:<name>".
// Within a study, the run also records its study, role ("teacher" | "student"), configuration label
// and varied fields (a JSON object).
struct StudyMembership {
    int64_t studyId = 0;
    std::string role;
    std::string configuration;
    std::string fields;
};
int64_t queueRun(store::Store& store, const RunSpec& spec, const std::optional<StudyMembership>& study = std::nullopt);

// The checkpoint files the store records for a run, by kind.
struct RunCheckpoints {
    std::string best;   // the epoch with the best validation accuracy; "" when none
    std::string last;   // the newest; "" when none
    // Best, else last: the weights a teacher or an export uses by default. "" when the run has none.
    const std::string& preferred() const { return best.empty() ? last : best; }
};
RunCheckpoints runCheckpoints(const store::Store& store, int64_t runId);

// The run a teacher names, in whatever state: the run with its run_id, or the newest finished run
// named run_name. Nothing when the teacher names no run or the store has no such run.
std::optional<store::RunRow> findTeacherRun(const store::Store& store, const TeacherSpec& teacher);

struct TeacherRun {
    store::RunRow run;              // finished; its "student" column is the teacher's network
    RunCheckpoints checkpoints;
};
// The finished run a teacher names with run_id or run_name, and its checkpoints. Throws
// spec::FieldError at teacher.run_id or teacher.run_name when there is none, or it has not finished.
TeacherRun resolveTeacherRun(const store::Store& store, const TeacherSpec& teacher);

}  // namespace distillery::spec
