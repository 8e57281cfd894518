#include "engine/DataParallel.h"

#include <stdexcept>

#include "engine/TrainingSetup.h"
#include "models/FoldableBatchNorm.h"

namespace distillery::engine {

namespace {

// The all-reduce as an autograd function: forward sums over the processes, and so does backward
// (each process's input reaches every process's output). Batch norm's statistics go through it.
struct AllReduceSum : torch::autograd::Function<AllReduceSum> {
    static at::Tensor forward(torch::autograd::AutogradContext* context, const at::Tensor& local, int64_t group) {
        context->saved_data["group"] = group;
        at::Tensor total = local.detach().clone().contiguous();
        reinterpret_cast<ProcessGroup*>(group)->allReduceSum(total);
        return total;
    }
    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* context,
                                                   torch::autograd::variable_list gradients) {
        // The pointer travels as an integer: saved_data holds IValues, and the group outlives the step.
        auto* group = reinterpret_cast<ProcessGroup*>(context->saved_data["group"].toInt());
        at::Tensor total = gradients[0].contiguous().clone();
        group->allReduceSum(total);
        return {total, at::Tensor()};
    }
};

class CrossProcessSum : public models::BatchStatisticsSum {
public:
    explicit CrossProcessSum(ProcessGroup& group) : group_(group) {}
    at::Tensor sum(const at::Tensor& local) override {
        return AllReduceSum::apply(local, reinterpret_cast<int64_t>(&group_));
    }

private:
    ProcessGroup& group_;
};

}  // namespace

DataParallel::DataParallel(const ProcessPlace& place, const spec::DistributedSpec& spec, const c10::Device& device)
    : group_(std::make_unique<ProcessGroup>(place, spec.backend, device, spec.timeoutSeconds)) {
    small_ = at::TensorOptions().device(group_->backendName() == "nccl" ? device : c10::Device(c10::kCPU));
}

DataParallel::~DataParallel() = default;

void DataParallel::prepare(TrainingSetup& setup, bool syncBatchNorm) {
    group_->broadcastModule(*setup.student);
    group_->broadcastModule(*setup.distiller);
    if (syncBatchNorm) {
        statistics_ = std::make_shared<CrossProcessSum>(*group_);
        models::synchroniseBatchNorms(*setup.student, statistics_);
        models::synchroniseBatchNorms(*setup.distiller, statistics_);
    }
    averager_ = std::make_unique<GradientAverager>(setup.parameters, *group_);
}

data::TrainingBatch DataParallel::share(const data::TrainingBatch& batch) const {
    // Equal slices (batch_size is a multiple of the processes); an image folder's batch shortened by
    // skipped files gives some processes one image fewer.
    const int64_t n = batch.labels.size(0);
    const int64_t from = rank() * n / worldSize(), to = (rank() + 1) * n / worldSize();
    data::TrainingBatch mine = batch;
    mine.images = batch.images.narrow(0, from, to - from);
    mine.labels = batch.labels.narrow(0, from, to - from);
    mine.index = batch.index.narrow(0, from, to - from);
    return mine;
}

std::vector<bool> DataParallel::anyOf(const std::vector<bool>& mine) {
    std::vector<int32_t> values(mine.begin(), mine.end());
    at::Tensor flags = at::tensor(values, at::kInt).to(small_.device());
    group_->allReduceSum(flags);
    const at::Tensor host = flags.cpu();
    std::vector<bool> any(mine.size());
    for (size_t i = 0; i < mine.size(); ++i) any[i] = host[int64_t(i)].item<int32_t>() > 0;
    return any;
}

int64_t DataParallel::fromFirst(int64_t value) {
    std::vector<at::Tensor> one{at::full({1}, value, small_.dtype(at::kLong))};
    group_->broadcast(one, 0);
    return one[0].item<int64_t>();
}

}  // namespace distillery::engine
