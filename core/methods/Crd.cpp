#include "methods/Crd.h"

#include <ATen/CPUGeneratorImpl.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "spec/FieldError.h"

namespace distillery::methods {

namespace {
constexpr double kEps = 1e-7;   // RepDistiller's criterion.py eps

at::Tensor l2normalise(const at::Tensor& x) { return x / x.pow(2).sum(1, true).pow(0.5); }
}  // namespace

Crd::Crd(int64_t studentDim, int64_t teacherDim, int64_t trainSize, const Options& options)
    : trainSize_(trainSize),
      featDim_(options.featDim),
      requestedNceK_(options.nceK),
      nceK_(options.nceK),
      nceT_(options.nceT),
      momentum_(options.momentum),
      beta_(options.beta) {
    if (trainSize < 2)
        throw spec::FieldError("method", "crd: the training split has " + std::to_string(trainSize) +
                                             " images; the memory bank needs at least 2");
    if (nceK_ > trainSize - 1) {
        nceK_ = trainSize - 1;
        spdlog::warn("crd: nce_k {} is more than the training split's {} images minus one; using nce_k = {}",
                     requestedNceK_, trainSize, nceK_);
    }
    embedStudent_ = register_module("embed_s", torch::nn::Linear(studentDim, featDim_));
    embedTeacher_ = register_module("embed_t", torch::nn::Linear(teacherDim, featDim_));
    const double stdv = 1.0 / std::sqrt(double(featDim_) / 3.0);
    memoryV1_ = register_buffer("memory_v1", torch::rand({trainSize, featDim_}).mul_(2 * stdv).add_(-stdv));
    memoryV2_ = register_buffer("memory_v2", torch::rand({trainSize, featDim_}).mul_(2 * stdv).add_(-stdv));
    z_ = register_buffer("z", torch::full({2}, -1.0, torch::kFloat));
    const auto seed = torch::randint(0, std::numeric_limits<int64_t>::max(), {1}, torch::kLong).item<int64_t>();
    auto generator = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed));
    samplerState_ = register_buffer("sampler_state", generator.get_state());
}

at::Tensor Crd::sampleContrastIndices(const at::Tensor& indices) {
    // With several processes, every process draws the negatives of the whole batch (the same
    // generator state everywhere) and keeps its own rows: the draws one process would make.
    const int64_t batch = indices.size(0);
    models::ProcessShare::RowPlace place{0, batch};
    at::Tensor positives = indices.to(torch::kCPU, torch::kLong).reshape({-1});
    if (auto* share = processes()) {
        place = share->placeRows(batch);
        positives = share->gatherRows(positives);
    }
    if (place.total == 0) return torch::zeros({0, nceK_ + 1}, torch::kLong).to(memoryV1_.device());
    auto generator = at::make_generator<at::CPUGeneratorImpl>();
    generator.set_state(samplerState_.to(torch::kCPU));
    auto drawn = torch::randint(0, trainSize_, {place.total, nceK_ + 1}, generator, torch::kLong);
    samplerState_.copy_(generator.get_state());
    drawn.select(1, 0).copy_(positives);
    return drawn.narrow(0, place.offset, batch).to(memoryV1_.device());
}

at::Tensor Crd::contrastLoss(const at::Tensor& studentPooled, const at::Tensor& teacherPooled,
                             const at::Tensor& indices, const at::Tensor& contrastIndices) {
    const int64_t batch = studentPooled.size(0);
    const int64_t k = contrastIndices.size(1) - 1;
    const auto v1 = l2normalise(embedStudent_->forward(studentPooled.flatten(1).to(at::kFloat)));
    const auto v2 = l2normalise(embedTeacher_->forward(teacherPooled.flatten(1).to(at::kFloat)));
    const auto flat = contrastIndices.reshape({-1}).to(memoryV1_.device(), torch::kLong);
    models::ProcessShare* share = processes();
    // Every process's rows: they set Z and update the banks, as the whole batch does in one process.
    const auto rows = indices.reshape({-1}).to(memoryV1_.device(), torch::kLong);
    const auto allRows = share ? share->gatherRows(rows) : rows;
    if (allRows.size(0) == 0) return torch::zeros({}, v1.options());   // no sample anywhere (sakd's closed gates)

    // Scores against the banks as they were before this batch (index_select copies).
    const auto w1 = memoryV1_.index_select(0, flat).detach().view({batch, k + 1, featDim_});
    const auto w2 = memoryV2_.index_select(0, flat).detach().view({batch, k + 1, featDim_});
    auto outV2 = torch::exp(torch::bmm(w1, v2.view({batch, featDim_, 1})) / nceT_);   // teacher anchor
    auto outV1 = torch::exp(torch::bmm(w2, v1.view({batch, featDim_, 1})) / nceT_);   // student anchor

    {
        torch::NoGradGuard noGrad;
        // The normalising constants, estimated once on the first batch and then fixed.
        // Once seen set, Z stays set (a checkpoint restores it into a fresh distiller), which spares
        // a host synchronisation per step.
        if (!zKnownSet_) {
            if (z_[0].item<float>() < 0 || z_[1].item<float>() < 0) {
                at::Tensor means = torch::stack({outV1.mean(), outV2.mean()});
                if (share) {   // the mean over every process's scores
                    const auto sums = share->sum(torch::stack({outV1.sum(), outV2.sum(),
                                                               torch::full({}, double(outV1.numel()), outV1.options())}));
                    means = sums.narrow(0, 0, 2) / sums[2];
                }
                if (z_[0].item<float>() < 0) z_[0].copy_(means[0] * double(trainSize_));
                if (z_[1].item<float>() < 0) z_[1].copy_(means[1] * double(trainSize_));
            }
            zKnownSet_ = true;
        }
    }
    outV1 = outV1 / z_[0].detach();
    outV2 = outV2 / z_[1].detach();

    // ContrastLoss (RepDistiller's Eq. 18 estimate), once per anchor side. A process whose share has
    // no rows (sakd's closed gates) adds nothing.
    const double mPn = double(k) / double(trainSize_);
    auto contrast = [&](const at::Tensor& scores) {
        const auto x = scores.view({batch, k + 1});
        const auto pos = x.select(1, 0);
        const auto neg = x.narrow(1, 1, k);
        const auto logD1 = torch::log(pos / (pos + (mPn + kEps)));
        const auto logD0 = torch::log(torch::full_like(neg, mPn) / (neg + (mPn + kEps)));
        return -(logD1.sum() + logD0.sum()) / double(std::max<int64_t>(batch, 1));
    };
    const auto loss = contrast(outV1) + contrast(outV2);

    {
        torch::NoGradGuard noGrad;
        const auto v1All = share ? share->gatherRows(v1.detach()) : v1.detach();
        const auto v2All = share ? share->gatherRows(v2.detach()) : v2.detach();
        auto update = [&](at::Tensor& memory, const at::Tensor& v) {
            const auto mixed = memory.index_select(0, allRows) * momentum_ + v * (1.0 - momentum_);
            memory.index_copy_(0, allRows, l2normalise(mixed));
        };
        update(memoryV1_, v1All);
        update(memoryV2_, v2All);
    }
    return loss;
}

std::vector<LossTerm> Crd::losses(const StepInputs& inputs) {
    if (!inputs.indices.defined())
        throw std::invalid_argument("crd: the step has no sample indices; the memory bank needs them");
    const auto& student = inputs.student;
    const auto teacherPooled = inputs.teacher->pooled.detach();
    const auto contrastIndices = sampleContrastIndices(inputs.indices);
    std::vector<LossTerm> terms{{"ce", labelLoss(student.logits, inputs.labels)},
                                {"crd", beta_ * contrastLoss(student.pooled, teacherPooled, inputs.indices,
                                                             contrastIndices)}};
    appendKd(terms, inputs);
    return terms;
}

at::Tensor Crd::spotLoss(size_t, const models::FeatureSet& student, const models::FeatureSet& teacher) {
    const at::Tensor positions = std::move(spotIndices_);
    spotIndices_ = at::Tensor();
    const int64_t rows = student.pooled.size(0);
    if (!positions.defined() || positions.numel() != rows)
        throw std::invalid_argument(
            "crd: spotLoss got " + std::to_string(rows) + " samples but " +
            (positions.defined() ? std::to_string(positions.numel()) : std::string("no")) +
            " training-split positions; the memory banks need each sample's position: call setSpotIndices with "
            "the positions of exactly these rows first");
    return beta_ * contrastLoss(student.pooled, teacher.pooled.detach(), positions, sampleContrastIndices(positions));
}

std::shared_ptr<Distiller> makeCrd(const MethodBuild& build) {
    auto& teacher = stagedTeacher(build);
    const auto& m = build.method;
    Crd::Options options;
    options.featDim = int64_t(m.param("feat_dim"));
    options.nceK = int64_t(m.param("nce_k"));
    options.nceT = m.param("nce_t");
    options.momentum = m.param("nce_m");
    options.beta = m.param("beta");
    return std::make_shared<Crd>(build.student.stageChannels(build.student.numStages() - 1),
                                 teacher.stageChannels(teacher.numStages() - 1), build.context.trainSize, options);
}

}  // namespace distillery::methods
