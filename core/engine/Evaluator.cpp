#include "engine/Evaluator.h"

#include <torch/torch.h>

#include <algorithm>

#include "data/BatchStream.h"
#include "data/DataLoading.h"

namespace distillery::engine {

namespace {
// Runs `visit(images, labels, index)` on consecutive batches of the split (data::forEachSplitBatch: slices in
// memory, or an image folder streamed with its evaluation transform) with the student in eval mode and no
// gradients, restoring the student's mode afterwards. index: each row's sample in the split (an image folder's
// batch lacks the bad files it skipped). The visitor gets each batch's images in the layout the precision
// computes in.
template <typename Visit>
void forEachBatch(models::StagedNet& student, const data::Dataset& split, const c10::Device& device,
                  int64_t batchSize, const Precision& precision, Visit visit) {
    torch::NoGradGuard noGrad;
    const bool wasTraining = student.is_training();
    student.eval();
    data::forEachSplitBatch(split, batchSize, [&](const at::Tensor& images, const at::Tensor& labels, const at::Tensor& index) {
        visit(inComputeLayout(data::normalise(images, split, device), precision), labels, index);
    });
    student.train(wasTraining);
}
// The net's logits in float32, its forward pass in the run's precision.
at::Tensor logitsOf(models::StagedNet& net, const at::Tensor& images, const Precision& precision, const c10::Device& device) {
    models::AutocastScope autocast(precision.computeType, device.type());
    return net.forward(images).to(at::kFloat);
}

}  // namespace

EvalResult evaluate(models::StagedNet& student, const at::Tensor* teacherPredictions, const data::Dataset& split,
                    const c10::Device& device, int64_t batchSize, const Precision& precision) {
    const auto onDevice = [&](torch::Dtype dtype) { return torch::zeros({}, torch::TensorOptions().dtype(dtype).device(device)); };
    auto lossSum = onDevice(torch::kDouble);
    auto top1 = onDevice(torch::kLong), top5 = onDevice(torch::kLong), agree = onDevice(torch::kLong);
    const int64_t classes = split.numClasses;
    const int64_t k = std::min<int64_t>(5, classes);
    // Per-class counters stay on the device: one transfer at the end, not one per batch.
    const bool perClass = classes <= kMaxConfusionClasses;
    at::Tensor confusion, agreeByClass;
    if (perClass) {
        confusion = torch::zeros({classes * classes}, torch::TensorOptions().dtype(torch::kLong).device(device));
        agreeByClass = torch::zeros({classes}, confusion.options());
    }
    int64_t n = 0;   // the samples evaluated: the split's, less any bad files an image folder skipped
    forEachBatch(student, split, device, batchSize, precision, [&](const at::Tensor& x, const at::Tensor& y,
                                                                   const at::Tensor& index) {
        const auto logits = logitsOf(student, x, precision, device);
        namespace F = torch::nn::functional;
        lossSum += F::cross_entropy(logits, y, F::CrossEntropyFuncOptions().reduction(torch::kSum)).to(torch::kDouble);
        const auto topk = std::get<1>(logits.topk(k, 1));
        top1 += topk.select(1, 0).eq(y).sum();
        top5 += topk.eq(y.unsqueeze(1)).any(1).sum();
        const auto predicted = topk.select(1, 0);
        if (perClass) confusion += torch::bincount(y * classes + predicted, {}, classes * classes);
        if (teacherPredictions) {
            const auto same = teacherPredictions->index_select(0, index).eq(predicted);
            agree += same.sum();
            if (perClass) agreeByClass += torch::bincount(y.masked_select(same), {}, classes);
        }
        n += y.size(0);
    });
    EvalResult r;
    if (n == 0) return r;
    r.loss = lossSum.item<double>() / n;
    r.acc1 = 100.0 * top1.item<int64_t>() / n;
    r.acc5 = 100.0 * top5.item<int64_t>() / n;
    if (teacherPredictions) r.agreement = 100.0 * agree.item<int64_t>() / n;
    if (perClass) {
        r.confusion = confusion.view({classes, classes}).cpu();
        if (teacherPredictions) r.agreeByClass = agreeByClass.cpu();
    }
    return r;
}

at::Tensor confusionMatrix(const at::Tensor& predicted, const at::Tensor& labels, int64_t classes) {
    if (classes > kMaxConfusionClasses) return {};
    const auto y = labels.to(predicted.device());
    const auto known = predicted.ge(0);   // -1: a sample predictions() could not see (a skipped bad image)
    return torch::bincount(y.masked_select(known) * classes + predicted.masked_select(known), {}, classes * classes)
        .view({classes, classes})
        .cpu();
}

at::Tensor predictions(models::StagedNet& net, const data::Dataset& split, const c10::Device& device, int64_t batchSize,
                       const Precision& precision) {
    // One entry per sample of the split: -1 for a bad image an image folder skipped.
    auto classes = torch::full({split.size()}, -1, torch::TensorOptions().dtype(torch::kLong).device(device));
    forEachBatch(net, split, device, batchSize, precision, [&](const at::Tensor& x, const at::Tensor&, const at::Tensor& index) {
        classes.index_copy_(0, index.to(device), logitsOf(net, x, precision, device).argmax(1));
    });
    return classes;
}

methods::Diagnostics observeEvaluation(methods::Distiller& distiller, models::StagedNet& student,
                                       models::StagedNet& teacher, const data::Dataset& split,
                                       const c10::Device& device, int64_t batchSize) {
    // In float32: the method's own modules (SAKD's policy) see what they were trained on.
    forEachBatch(student, split, device, batchSize, Precision{}, [&](const at::Tensor& x, const at::Tensor& y,
                                                                     const at::Tensor&) {
        distiller.observeEvaluation(student.forwardFeatures(x), teacher.forwardFeatures(x), y);
    });
    return distiller.evaluationDiagnostics();
}

}  // namespace distillery::engine
