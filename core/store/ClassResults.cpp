#include "store/ClassResults.h"

#include <algorithm>

#include "store/Store.h"

namespace distillery::store {

ClassResults ClassResults::load(const Store& store, int64_t runId, const std::string& split, int64_t classes,
                                int64_t step) {
    ClassResults results;
    results.split = split;
    const std::vector<ConfusionCell> student = store.confusion(runId, split, "student", step);
    if (student.empty()) return results;
    // The teacher is frozen: its newest cells hold the same predictions as any earlier attempt's.
    const std::vector<ConfusionCell> teacher = store.confusion(runId, split, "teacher");
    if (classes <= 0)
        for (const std::vector<ConfusionCell>* cells : {&student, &teacher})
            for (const ConfusionCell& cell : *cells) classes = std::max({classes, cell.actual + 1, cell.predicted + 1});

    results.step = student.front().step;
    results.student = ConfusionMatrix(classes, student);
    if (!teacher.empty()) {
        results.teacher = ConfusionMatrix(classes, teacher);
        results.teacherStep = teacher.front().step;
    }
    const std::vector<ClassAgreementRow> agreement = store.classAgreement(runId, split, results.step);
    if (!agreement.empty()) {
        results.agreement.assign(size_t(classes), std::nullopt);
        for (const ClassAgreementRow& row : agreement)
            if (row.classIndex >= 0 && row.classIndex < classes && row.total > 0)
                results.agreement[size_t(row.classIndex)] = 100.0 * double(row.agree) / double(row.total);
    }
    return results;
}

}  // namespace distillery::store
