#include "RunListEntry.h"

namespace distillery::views {

namespace {
bool sameSelection(const store::ValidationSelection& a, const store::ValidationSelection& b) {
    return a.bestVal == b.bestVal && a.bestValStep == b.bestValStep && a.testAtBestVal == b.testAtBestVal &&
           a.lastTest == b.lastTest;
}
}  // namespace

bool RunListEntry::sameDisplayAs(const RunListEntry& other) const {
    const store::RunRow& a = run;
    const store::RunRow& b = other.run;
    return a.id == b.id && a.name == b.name && a.status == b.status && a.teacher == b.teacher &&
           a.student == b.student && a.method == b.method && a.dataset == b.dataset &&
           a.seed == b.seed && a.progress == b.progress && a.error == b.error &&
           a.startedAt == b.startedAt && a.finishedAt == b.finishedAt && a.heartbeat == b.heartbeat &&
           a.device == b.device && a.host == b.host && a.pid == b.pid && a.threads == b.threads &&
           a.precision == b.precision && a.memoryFormat == b.memoryFormat &&
           a.distilleryVersion == b.distilleryVersion && a.gitCommit == b.gitCommit &&
           a.torchVersion == b.torchVersion && a.qtVersion == b.qtVersion && a.studyId == b.studyId &&
           a.study == b.study && a.studyRole == b.studyRole && a.configuration == b.configuration &&
           a.note == b.note && a.tags == b.tags && sameSelection(selection, other.selection);
}

}  // namespace distillery::views
