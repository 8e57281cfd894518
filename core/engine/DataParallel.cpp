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

// c10d's collectives behind the interface models and methods see. Rows of uneven counts travel
// through all-reduces: each process writes its rows into its own slot of a zeroed tensor, so the sum
// is every process's rows exactly.
class CrossProcessShare : public models::ProcessShare {
public:
    explicit CrossProcessShare(ProcessGroup& group) : group_(group) {}
    int rank() const override { return group_.rank(); }
    int worldSize() const override { return group_.worldSize(); }

    at::Tensor sum(const at::Tensor& local) override {
        return AllReduceSum::apply(local, reinterpret_cast<int64_t>(&group_));
    }

    RowPlace placeRows(int64_t mine) override { return placeOf(counts(mine)); }

    at::Tensor gatherRows(const at::Tensor& local) override {
        torch::NoGradGuard noGrad;
        const std::vector<int64_t> all = counts(local.size(0));
        const RowPlace place = placeOf(all);
        std::vector<int64_t> shape = local.sizes().vec();
        shape[0] = place.total;
        at::Tensor rows = at::zeros(shape, local.options());
        rows.narrow(0, place.offset, local.size(0)).copy_(local.detach());
        group_.allReduceSum(rows);
        return rows;
    }

    void averageGradients(const std::vector<at::Tensor>& parameters) override {
        torch::NoGradGuard noGrad;
        std::vector<at::Tensor> flat;
        for (const auto& p : parameters)
            flat.push_back(p.grad().defined() ? p.grad().reshape({-1}) : at::zeros({p.numel()}, p.options()));
        if (flat.empty()) return;
        at::Tensor all = at::cat(flat);
        group_.allReduceSum(all);
        all.div_(double(worldSize()));
        int64_t offset = 0;
        for (auto p : parameters) {
            const at::Tensor averaged = all.narrow(0, offset, p.numel()).view(p.sizes());
            if (p.grad().defined()) p.mutable_grad().copy_(averaged);
            else p.mutable_grad() = averaged.clone();
            offset += p.numel();
        }
    }

private:
    std::vector<int64_t> counts(int64_t mine) {
        at::Tensor all = at::zeros({worldSize()}, at::kLong);
        all[rank()] = mine;
        group_.allReduceSum(all);
        return std::vector<int64_t>(all.data_ptr<int64_t>(), all.data_ptr<int64_t>() + all.numel());
    }
    RowPlace placeOf(const std::vector<int64_t>& counts) const {
        RowPlace place;
        for (int r = 0; r < worldSize(); ++r) {
            if (r == rank()) place.offset = place.total;
            place.total += counts[size_t(r)];
        }
        return place;
    }

    ProcessGroup& group_;
};

}  // namespace

DataParallel::DataParallel(const ProcessPlace& place, const spec::DistributedSpec& spec, const c10::Device& device)
    : group_(std::make_unique<ProcessGroup>(place, spec.backend, device, spec.timeoutSeconds)) {}

DataParallel::~DataParallel() = default;

void DataParallel::prepare(TrainingSetup& setup, bool syncBatchNorm) {
    group_->broadcastModule(*setup.student);
    group_->broadcastModule(*setup.distiller);
    share_ = std::make_shared<CrossProcessShare>(*group_);
    if (syncBatchNorm) {
        models::synchroniseBatchNorms(*setup.student, share_);
        models::synchroniseBatchNorms(*setup.distiller, share_);
    }
    setup.distiller->shareWith(share_);
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
    at::Tensor flags = at::tensor(values, at::kInt);   // ProcessGroup takes it through the device for NCCL
    group_->allReduceSum(flags);
    std::vector<bool> any(mine.size());
    for (size_t i = 0; i < mine.size(); ++i) any[i] = flags[int64_t(i)].item<int32_t>() > 0;
    return any;
}

int64_t DataParallel::fromFirst(int64_t value) {
    std::vector<at::Tensor> one{at::full({1}, value, at::kLong)};
    group_->broadcast(one, 0);
    return one[0].item<int64_t>();
}

}  // namespace distillery::engine
