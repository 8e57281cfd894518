#pragma once
// The per-class results of one evaluation of one split (schema 6): the student's confusion matrix,
// the frozen teacher's, and per class how often the student predicted the teacher's class. The Live
// page's Classes tab and the report read them here.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/ConfusionMatrix.h"

namespace distillery::store {

class Store;

struct ClassResults {
    std::string split;                              // "val" | "test"
    int64_t step = -1;                              // the student's evaluation; -1: none recorded
    ConfusionMatrix student;
    std::optional<ConfusionMatrix> teacher;         // none for a run without a teacher
    int64_t teacherStep = -1;                       // the teacher's cells are recorded once per attempt
    std::vector<std::optional<double>> agreement;   // per class, percent; empty without a teacher

    bool recorded() const { return step >= 0; }
    int64_t classes() const { return student.classes(); }

    // One evaluation of a split (step < 0: the newest). classes is the run's class count, from its
    // spec (the cells are sparse: a class never predicted and never seen has none). A caller whose
    // spec cannot tell passes 0, and the largest class index in the cells + 1 is used instead.
    static ClassResults load(const Store& store, int64_t runId, const std::string& split, int64_t classes,
                             int64_t step = -1);
};

}  // namespace distillery::store
