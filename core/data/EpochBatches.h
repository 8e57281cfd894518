#pragma once
// The training batches of one epoch, for either kind of data set: the one place that answers "batch b of this
// epoch". An in-memory split gives the rows of its order by index (the trainer augments them on the device with
// data::augment); an image folder's files are streamed by a BatchStream with the random-resized crop and flip.
#include <ATen/ATen.h>

#include <cstdint>
#include <memory>

#include "data/Dataset.h"

namespace distillery::data {

class BatchStream;

struct TrainingBatch {
    at::Tensor images;   // uint8 n × C × H × W: on the split's device in memory, on the CPU when streamed
    at::Tensor labels;   // int64 n, on the labels' device
    at::Tensor index;    // int64 n: the training split's sample of each row, on the labels' device
    bool augmented = false;   // the crop and flip are done already (streamed); else data::augment's job
};

class EpochBatches {
public:
    // order: the epoch's permutation of the training split; batches first … end-1 of batchSize samples each.
    // seed and epoch seed a streamed split's crops (SampleTransform); augment = data.augment.
    EpochBatches(const Dataset& train, const at::Tensor& order, int64_t batchSize, int64_t first, int64_t end,
                 uint64_t seed, int64_t epoch, bool augment);
    ~EpochBatches();
    // Batch `first`, then the next one, … . Streamed: a batch whose every file was skipped as bad throws DataError.
    TrainingBatch next();

private:
    const Dataset& train_;
    at::Tensor order_;
    int64_t batchSize_, next_;
    std::unique_ptr<BatchStream> stream_;
};

}  // namespace distillery::data
