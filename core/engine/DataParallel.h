#pragma once
// One process's part in a run trained by several (spec "distributed"): its share of every batch, the
// averaging of gradients (GradientAverager), synchronised batch norm, and the small agreements the
// processes reach each step (stop, skip, checkpoint now) so that they always take the same path
// through the training loop and so issue the same collectives. Rank 0 writes the run's store; the
// others write a scratch store of their own (engine `worker`).
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "data/EpochBatches.h"
#include "engine/GradientAverager.h"
#include "engine/ProcessGroup.h"
#include "models/ProcessShare.h"
#include "spec/RunSpec.h"

namespace distillery::engine {

struct TrainingSetup;

class DataParallel {
public:
    DataParallel(const ProcessPlace& place, const spec::DistributedSpec& spec, const c10::Device& device);
    ~DataParallel();

    ProcessGroup& group() { return *group_; }
    int rank() const { return group_->rank(); }
    int worldSize() const { return group_->worldSize(); }
    bool isFirst() const { return group_->isFirst(); }

    // After the set-up and the resume: rank 0's weights and buffers everywhere (the student and the
    // method's modules), synchronised batch norm when asked, and the gradient averager on the
    // parameters the optimiser updates. Throws std::invalid_argument for a norm it cannot synchronise.
    void prepare(TrainingSetup& setup, bool syncBatchNorm);
    // This process's rows of the step's batch: the rank-th of worldSize equal slices.
    data::TrainingBatch share(const data::TrainingBatch& batch) const;
    // Around the step's backward pass: the gradients it produces (and only those: a method's own
    // backward passes inside its losses do not count) averaged over the processes.
    void beforeBackward() { averager_->expectBackward(); }
    void averageGradients() { averager_->finish(); }
    double communicationSeconds() const { return averager_ ? averager_->waitSeconds() : 0; }

    // Each process's flags, OR-ed over the processes (one small all-reduce).
    std::vector<bool> anyOf(const std::vector<bool>& mine);
    // Rank 0's value, everywhere.
    int64_t fromFirst(int64_t value);

private:
    std::unique_ptr<ProcessGroup> group_;
    std::unique_ptr<GradientAverager> averager_;
    std::shared_ptr<models::ProcessShare> share_;   // what the method and synchronised norms use
};

}  // namespace distillery::engine
