#pragma once
// Averages the gradients of a run's parameters over its processes after each backward pass, the way
// torch's DistributedDataParallel does: the gradients are packed into buckets of about bucketBytes in
// the order the backward pass produces them (the last layers first), and each bucket's all-reduce
// starts as soon as the bucket is full, so communication overlaps the rest of the backward pass.
// Buckets start strictly in order, so every process issues the same all-reduces in the same order.
// (c10d's own Reducer does this for Python's DDP; Debian's LibTorch ships it without the headers its
// header includes, so this class drives c10d's all-reduce with the same plan.)
#include <torch/torch.h>

#include <cstddef>
#include <vector>

#include "engine/ProcessGroup.h"

namespace distillery::engine {

class GradientAverager {
public:
    static constexpr size_t kDefaultBucketBytes = size_t(25) << 20;   // DDP's default

    // parameters: those the optimiser updates (requires_grad), all on one device and float32.
    GradientAverager(const std::vector<at::Tensor>& parameters, ProcessGroup& group,
                     size_t bucketBytes = kDefaultBucketBytes);
    ~GradientAverager();
    GradientAverager(const GradientAverager&) = delete;
    GradientAverager& operator=(const GradientAverager&) = delete;

    // Call just before the step's backward(): gradients reaching the parameters before that (a method's
    // own backward passes inside its losses, such as SAKD's agent's through the student) are not averaged.
    void expectBackward() { expecting_ = true; }
    // Call after backward(): starts the buckets whose parameters got no gradient this step (their
    // slots count as zeros), waits for every bucket, and writes the averaged gradients into .grad,
    // except for the parameters no process's backward reached, whose .grad is left as it was.
    void finish();
    // Seconds finish() waited for communication, summed over the steps.
    double waitSeconds() const { return waitSeconds_; }

private:
    struct Bucket {
        std::vector<size_t> parameters;   // indices into parameters_
        std::vector<int64_t> offsets;     // of each in flat
        at::Tensor flat;                  // the gradients (gradientSize floats), then a reached flag per parameter
        int64_t gradientSize = 0;
        size_t ready = 0;
        ProcessGroup::Pending pending;
    };
    void onGradient(size_t parameter, const at::Tensor& gradient);
    void startReadyBuckets();

    std::vector<at::Tensor> parameters_;
    ProcessGroup& group_;
    std::vector<Bucket> buckets_;
    std::vector<size_t> bucketOf_, slotOf_;
    std::vector<bool> received_;
    size_t nextToStart_ = 0;
    bool expecting_ = false;
    std::vector<unsigned> hooks_;
    double waitSeconds_ = 0;
};

}  // namespace distillery::engine
