#pragma once
// Batches of an image-folder split, decoded and transformed by a pool of threads into a bounded queue, handed out
// in order. Memory holds at most `capacity` batches whatever the data set's size.
#include <ATen/ATen.h>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "data/Dataset.h"
#include "data/ImageFiles.h"

namespace distillery::data {

struct StreamedBatch {
    at::Tensor images;   // uint8, n × 3 × S × S, on the CPU; n = the batch's samples less any skipped bad files
    at::Tensor index;    // int64, n: the split's sample of each row
    int64_t number = 0;  // the batch's number in the epoch
};

class BatchStream {
public:
    // Batches first … end-1 of `order` (the split's samples in the epoch's order): batch b holds the samples at
    // positions [b × batchSize, (b + 1) × batchSize) of it, the last one possibly shorter. A sample's position is
    // its random crop's seed (SampleTransform). workers = 0 decodes in next(), on the caller's thread; otherwise
    // `workers` threads decode whole batches ahead, at most 2 × workers of them at a time.
    BatchStream(std::shared_ptr<const ImageFiles> files, std::vector<int64_t> order, int64_t batchSize, int64_t first,
                int64_t end, SampleTransform transform, int64_t workers);
    // Stops the threads and joins them; batches still queued are dropped.
    ~BatchStream();
    BatchStream(const BatchStream&) = delete;
    BatchStream& operator=(const BatchStream&) = delete;

    bool done() const { return consumed_ >= end_; }
    // The next batch in order; rethrows what decoding it threw (DataError naming a bad file).
    StreamedBatch next();

private:
    StreamedBatch build(int64_t number) const;
    void work();

    std::shared_ptr<const ImageFiles> files_;
    std::vector<int64_t> order_;
    int64_t batchSize_, end_;
    SampleTransform transform_;
    int64_t capacity_ = 0;
    std::vector<std::thread> threads_;

    std::mutex mutex_;
    std::condition_variable changed_;
    int64_t claimed_ = 0;    // the next batch a thread takes
    int64_t consumed_ = 0;   // the next batch next() hands out
    bool stopping_ = false;
    struct Slot {
        StreamedBatch batch;
        std::exception_ptr error;
    };
    std::map<int64_t, Slot> ready_;
};

// Visits the split's samples in file order, batchSize at a time (the last batch may be shorter): uint8 images
// (n × C × H × W, on the CPU for streamed splits, where the split's images are otherwise), their labels and their
// samples' indices in the split (on the labels' device). An in-memory split is sliced; an image folder's is streamed
// with the evaluation transform by its files' workers. One helper for evaluation, predictions and observation.
void forEachSplitBatch(const Dataset& split, int64_t batchSize,
                       const std::function<void(const at::Tensor& images, const at::Tensor& labels,
                                                const at::Tensor& index)>& visit);

}  // namespace distillery::data
