#include "data/EpochBatches.h"

#include <vector>

#include "data/BatchStream.h"

namespace distillery::data {

EpochBatches::EpochBatches(const Dataset& train, const at::Tensor& order, int64_t batchSize, int64_t first,
                           int64_t end, uint64_t seed, int64_t epoch, bool augment)
    : train_(train), order_(order), batchSize_(batchSize), next_(first) {
    if (!train.streamed()) return;
    const at::Tensor cpu = order.to(at::kCPU, at::kLong).contiguous();
    std::vector<int64_t> samples(cpu.data_ptr<int64_t>(), cpu.data_ptr<int64_t>() + cpu.numel());
    // Without augmentation a training sample gets the evaluation transform (resize and centre crop).
    const SampleTransform transform =
        augment ? SampleTransform::training(true, seed, epoch) : SampleTransform::evaluation();
    stream_ = std::make_unique<BatchStream>(train.files, std::move(samples), batchSize, first, end, transform,
                                            train.files->workers);
}

EpochBatches::~EpochBatches() = default;

TrainingBatch EpochBatches::next() {
    const int64_t b = next_++;
    if (!stream_) {
        const at::Tensor index = order_.narrow(0, b * batchSize_, batchSize_).to(train_.labels.device());
        return {train_.images.index_select(0, index.to(train_.images.device())), train_.labels.index_select(0, index),
                index, false};
    }
    const StreamedBatch batch = stream_->next();
    if (batch.index.size(0) == 0)
        throw DataError("batch " + std::to_string(b + 1) + " of the epoch: none of its " + std::to_string(batchSize_) +
                        " training images could be decoded (see the run's warnings); remove the bad files");
    const at::Tensor index = batch.index.to(train_.labels.device());
    return {batch.images, train_.labels.index_select(0, index), index, true};
}

}  // namespace distillery::data
