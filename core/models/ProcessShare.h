#pragma once
// What the modules of a run trained by several processes (spec "distributed") need from the other
// processes: synchronised batch norm's differentiable sum, and for the methods with state of their
// own (CRD's memory bank, SAKD's agent, FT's paraphraser, multipath's learnt path weights) the rows
// of every process and averaged gradients, so that this state stays the same in every process. The
// engine implements it with c10d (engine/DataParallel); models and methods only see this interface.
//
// Every call is a collective: every process of the run makes it, in the same order, or they wait for
// each other until the run's timeout.
#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "models/FoldableBatchNorm.h"

namespace distillery::models {

class ProcessShare : public BatchStatisticsSum {
public:
    virtual int rank() const = 0;
    virtual int worldSize() const = 0;

    // Where this process's `mine` rows sit among every process's, in rank order: the first is at
    // `offset`, and `total` rows there are in all.
    struct RowPlace {
        int64_t offset = 0;
        int64_t total = 0;
    };
    virtual RowPlace placeRows(int64_t mine) = 0;
    // Every process's rows of `local` (the same shape but for the first dimension, which may differ),
    // concatenated in rank order; not differentiable.
    virtual at::Tensor gatherRows(const at::Tensor& local) = 0;
    // Each parameter's gradient replaced by its mean over the processes (a missing gradient counts as zeros).
    virtual void averageGradients(const std::vector<at::Tensor>& parameters) = 0;
    // mean(local) over the processes, not differentiable.
    at::Tensor mean(const at::Tensor& local) { return sum(local.detach()) / double(worldSize()); }
};

}  // namespace distillery::models
