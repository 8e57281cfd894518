#pragma once
// Evaluation of a student on a split: loss, top-1 and top-5 accuracy, and with a teacher the
// agreement (share of samples where both predict the same class).
#include <c10/core/Device.h>

#include <cstdint>
#include <optional>

#include "data/Dataset.h"
#include "methods/Distiller.h"
#include "engine/Precision.h"
#include "models/StagedNet.h"

namespace distillery::engine {

// Above this many classes the confusion matrix (classes² counters) is not recorded.
constexpr int64_t kMaxConfusionClasses = 1000;

struct EvalResult {
    double loss = 0;
    double acc1 = 0;                  // %
    double acc5 = 0;                  // % (top-min(5, classes))
    std::optional<double> agreement;  // % with the teacher, when there is one
    // Per-class results, on the CPU; undefined above kMaxConfusionClasses classes.
    at::Tensor confusion;             // [classes, classes] int64: row = actual class, column = predicted
    at::Tensor agreeByClass;          // [classes] int64: samples of the class where student and teacher agree
};

// The confusion matrix of predicted classes against labels ([classes, classes] int64, on the CPU);
// undefined above kMaxConfusionClasses classes.
at::Tensor confusionMatrix(const at::Tensor& predicted, const at::Tensor& labels, int64_t classes);

// teacherPredictions: the frozen teacher's class per sample of the split (predictions()), for the
// agreement; nullptr without a teacher.
EvalResult evaluate(models::StagedNet& student, const at::Tensor* teacherPredictions, const data::Dataset& split,
                    const c10::Device& device, int64_t batchSize, const Precision& precision = Precision{});

// The net's predicted class for every sample of the split, in eval mode (-1 for an image folder's bad file it
// skipped; confusionMatrix leaves those out). A frozen teacher's never
// change, so the trainer asks once per split instead of running the teacher at every evaluation.
at::Tensor predictions(models::StagedNet& net, const data::Dataset& split, const c10::Device& device, int64_t batchSize,
                       const Precision& precision = Precision{});

// Shows the method every batch of the split (both nets in eval mode, full feature forwards, no
// gradients) and returns its evaluation diagnostics (SAKD: open rate per class and spot).
methods::Diagnostics observeEvaluation(methods::Distiller& distiller, models::StagedNet& student,
                                       models::StagedNet& teacher, const data::Dataset& split,
                                       const c10::Device& device, int64_t batchSize);

}  // namespace distillery::engine
