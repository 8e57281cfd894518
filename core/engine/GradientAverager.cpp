#include "engine/GradientAverager.h"

#include <chrono>
#include <stdexcept>

namespace distillery::engine {

GradientAverager::GradientAverager(const std::vector<at::Tensor>& parameters, ProcessGroup& group, size_t bucketBytes)
    : group_(group) {
    for (const auto& p : parameters)
        if (p.requires_grad()) parameters_.push_back(p);
    bucketOf_.assign(parameters_.size(), 0);
    slotOf_.assign(parameters_.size(), 0);
    received_.assign(parameters_.size(), false);
    // The backward pass produces the last layers' gradients first: buckets are filled from the end.
    size_t bytes = 0;
    for (size_t k = parameters_.size(); k-- > 0;) {
        const at::Tensor& p = parameters_[k];
        if (p.scalar_type() != at::kFloat)
            throw std::invalid_argument("GradientAverager: parameters must be float32 (the optimiser's copies)");
        if (buckets_.empty() || bytes >= bucketBytes) {
            buckets_.emplace_back();
            bytes = 0;
        }
        Bucket& bucket = buckets_.back();
        bucketOf_[k] = buckets_.size() - 1;
        slotOf_[k] = bucket.parameters.size();
        bucket.offsets.push_back(bucket.parameters.empty() ? 0 : bucket.offsets.back() + parameters_[bucket.parameters.back()].numel());
        bucket.parameters.push_back(k);
        bytes += size_t(p.numel()) * sizeof(float);
    }
    for (Bucket& bucket : buckets_) {
        // The gradients, then one flag per parameter: 1 where this process's backward reached it.
        const at::Tensor& last = parameters_[bucket.parameters.back()];
        bucket.gradientSize = bucket.offsets.back() + last.numel();
        bucket.flat = at::zeros({bucket.gradientSize + int64_t(bucket.parameters.size())},
                                last.options().requires_grad(false));
    }
    for (size_t k = 0; k < parameters_.size(); ++k)
        hooks_.push_back(parameters_[k].register_hook([this, k](const at::Tensor& gradient) { onGradient(k, gradient); }));
}

GradientAverager::~GradientAverager() {
    for (size_t k = 0; k < parameters_.size() && k < hooks_.size(); ++k) parameters_[k].remove_hook(hooks_[k]);
}

void GradientAverager::onGradient(size_t parameter, const at::Tensor& gradient) {
    if (!expecting_ || received_[parameter]) return;   // not the step's backward, or a second pass: the first counts
    received_[parameter] = true;
    Bucket& bucket = buckets_[bucketOf_[parameter]];
    const int64_t offset = bucket.offsets[slotOf_[parameter]];
    {
        torch::NoGradGuard noGrad;
        bucket.flat.narrow(0, offset, gradient.numel()).copy_(gradient.reshape({-1}));
        bucket.flat[bucket.gradientSize + int64_t(slotOf_[parameter])] = 1;
    }
    if (++bucket.ready == bucket.parameters.size()) startReadyBuckets();
}

void GradientAverager::startReadyBuckets() {
    while (nextToStart_ < buckets_.size() && buckets_[nextToStart_].ready == buckets_[nextToStart_].parameters.size()) {
        Bucket& bucket = buckets_[nextToStart_++];
        bucket.pending = group_.startAllReduceSum(bucket.flat);
    }
}

void GradientAverager::finish() {
    const auto start = std::chrono::steady_clock::now();
    // Parameters the step did not reach (a branch of the method not taken) contribute zeros.
    for (size_t k = 0; k < parameters_.size(); ++k)
        if (!received_[k]) {
            Bucket& bucket = buckets_[bucketOf_[k]];
            bucket.flat.narrow(0, bucket.offsets[slotOf_[k]], parameters_[k].numel()).zero_();
            bucket.flat[bucket.gradientSize + int64_t(slotOf_[k])] = 0;
            received_[k] = true;
            ++bucket.ready;
        }
    startReadyBuckets();
    torch::NoGradGuard noGrad;
    const double scale = 1.0 / group_.worldSize();
    for (Bucket& bucket : buckets_) {
        bucket.pending.wait();
        bucket.flat.narrow(0, 0, bucket.gradientSize).mul_(scale);
        const at::Tensor reachedFlags =
            bucket.flat.narrow(0, bucket.gradientSize, int64_t(bucket.parameters.size())).cpu();
        const auto reached = reachedFlags.accessor<float, 1>();
        for (size_t i = 0; i < bucket.parameters.size(); ++i) {
            // A parameter no process's backward reached keeps the gradient it had (undefined, or
            // zero_grad's zeros), as in one process: SGD then leaves an undefined one alone entirely.
            if (reached[int64_t(i)] == 0) continue;
            at::Tensor& p = parameters_[bucket.parameters[i]];
            const at::Tensor averaged = bucket.flat.narrow(0, bucket.offsets[i], p.numel()).view(p.sizes());
            if (p.grad().defined()) p.mutable_grad().copy_(averaged);
            else p.mutable_grad() = averaged.clone();
        }
        bucket.ready = 0;
    }
    nextToStart_ = 0;
    expecting_ = false;
    received_.assign(parameters_.size(), false);
    waitSeconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace distillery::engine
