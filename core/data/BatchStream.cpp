#include "data/BatchStream.h"

#include <algorithm>

namespace distillery::data {

BatchStream::BatchStream(std::shared_ptr<const ImageFiles> files, std::vector<int64_t> order, int64_t batchSize,
                         int64_t first, int64_t end, SampleTransform transform, int64_t workers)
    : files_(std::move(files)), order_(std::move(order)), batchSize_(batchSize), end_(end), transform_(transform) {
    TORCH_CHECK(batchSize_ > 0 && first >= 0 && first <= end_ && (end_ == 0 || (end_ - 1) * batchSize_ < int64_t(order_.size())),
                "BatchStream: batches ", first, "..", end_, " of ", batchSize_, " do not fit ", order_.size(), " samples");
    claimed_ = consumed_ = first;
    capacity_ = 2 * std::max<int64_t>(workers, 1);
    for (int64_t i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
}

BatchStream::~BatchStream() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    for (auto& thread : threads_) thread.join();
}

StreamedBatch BatchStream::build(int64_t number) const {
    const int64_t begin = number * batchSize_;
    const int64_t count = std::min<int64_t>(batchSize_, int64_t(order_.size()) - begin);
    const int64_t S = files_->imageSize;
    at::Tensor images = at::empty({count, 3, S, S}, at::TensorOptions().dtype(at::kByte));
    at::Tensor index = at::empty({count}, at::TensorOptions().dtype(at::kLong));
    uint8_t* pixels = images.data_ptr<uint8_t>();
    int64_t* samples = index.data_ptr<int64_t>();
    int64_t kept = 0;
    for (int64_t k = 0; k < count; ++k) {
        const int64_t sample = order_[size_t(begin + k)];
        // A skipped bad file leaves no gap: the next sample takes its row.
        if (loadSample(*files_, sample, begin + k, transform_, pixels + kept * 3 * S * S)) samples[kept++] = sample;
    }
    return {kept == count ? images : images.narrow(0, 0, kept).clone(), kept == count ? index : index.narrow(0, 0, kept).clone(),
            number};
}

void BatchStream::work() {
    for (;;) {
        int64_t number = 0;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            changed_.wait(lock, [&] { return stopping_ || claimed_ >= end_ || claimed_ < consumed_ + capacity_; });
            if (stopping_ || claimed_ >= end_) return;
            number = claimed_++;
        }
        Slot slot;
        try {
            slot.batch = build(number);
        } catch (...) {
            slot.error = std::current_exception();
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            ready_[number] = std::move(slot);
        }
        changed_.notify_all();
    }
}

StreamedBatch BatchStream::next() {
    TORCH_CHECK(!done(), "BatchStream: every batch was handed out");
    if (threads_.empty()) return build(consumed_++);
    Slot slot;
    {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return ready_.count(consumed_) > 0; });
        auto it = ready_.find(consumed_);
        slot = std::move(it->second);
        ready_.erase(it);
        ++consumed_;
    }
    changed_.notify_all();
    if (slot.error) std::rethrow_exception(slot.error);
    return std::move(slot.batch);
}

void forEachSplitBatch(const Dataset& split, int64_t batchSize,
                       const std::function<void(const at::Tensor&, const at::Tensor&, const at::Tensor&)>& visit) {
    const int64_t n = split.size();
    if (n == 0) return;
    const auto onLabels = at::TensorOptions().dtype(at::kLong).device(split.labels.device());
    if (!split.streamed()) {
        for (int64_t begin = 0; begin < n; begin += batchSize) {
            const int64_t count = std::min(batchSize, n - begin);
            visit(split.images.narrow(0, begin, count), split.labels.narrow(0, begin, count),
                  at::arange(begin, begin + count, onLabels));
        }
        return;
    }
    std::vector<int64_t> order(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) order[size_t(i)] = i;
    BatchStream stream(split.files, std::move(order), batchSize, 0, (n + batchSize - 1) / batchSize,
                       SampleTransform::evaluation(), split.files->workers);
    while (!stream.done()) {
        const StreamedBatch batch = stream.next();
        if (batch.index.size(0) == 0) continue;   // every file of the batch was skipped
        const at::Tensor index = batch.index.to(split.labels.device());
        visit(batch.images, split.labels.index_select(0, index), index);
    }
}

}  // namespace distillery::data
