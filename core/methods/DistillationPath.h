#pragma once
// The paths of multipath (Chennupati et al. 2021, after the official AdaptiveDistillation code): a
// path is one loss ("kd", "at", …) at one spot (the logits, one stage pair, or every stage pair), plus
// whatever module adapts the student's side for that loss. MultiPath weights and sums the paths.
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "methods/ChannelTransform.h"
#include "methods/Connector.h"
#include "methods/Distiller.h"
#include "models/StagedNet.h"

namespace distillery::methods {

enum class PathLoss { Kd, LogitsMse, Attention, Nst, FitNet, Channel, Mean };

// A path string ("at@stages", "fitnet@stage2", "kd") resolved against the two nets' stage counts.
struct PathPlan {
    std::string name;   // canonical "loss@spot": "kd@logits", "at@stages", "fitnet@stage2"
    PathLoss loss = PathLoss::Kd;
    bool everyStage = false;                          // "@stages": one spot per stage pair
    std::vector<std::pair<int64_t, int64_t>> pairs;   // (student stage, teacher stage); empty at the logits
};

// Spots: "logits" (kd and logits_mse only), "stages" (the min(S_s, S_t) stage pairs by relative depth,
// as at), "stageN" (1-based student stage N and the teacher stage at its depth). Without a spot, kd and
// logits_mse sit at the logits, at and nst at every stage, fitnet at the middle student stage
// ((S_s−1)/2, 0-based), channel and mean at the last. Throws std::invalid_argument naming the path,
// what is wrong and the valid forms.
PathPlan planPath(const std::string& path, int64_t studentStages, int64_t teacherStages);

class DistillationPathImpl : public torch::nn::Module {
public:
    // The nets size the adaptation modules; teacher stages are only read for paths at stages.
    DistillationPathImpl(PathPlan plan, const models::StagedNet& teacher, const models::StagedNet& student,
                         double temperature);

    const std::string& name() const { return plan_.name; }
    const PathPlan& plan() const { return plan_; }
    bool atLogits() const { return plan_.pairs.empty(); }
    // Spots the path distils at: 1 at the logits, else one per stage pair.
    size_t spotCount() const { return atLogits() ? 1 : plan_.pairs.size(); }
    // "kd@logits", "at@stage2" (the student's stage, 1-based).
    std::string spotName(size_t spot) const;
    std::vector<Spot> spots() const;

    // The unweighted loss at each spot; the path's loss is their sum. Teacher features are detached.
    std::vector<at::Tensor> spotLosses(const models::FeatureSet& student, const models::FeatureSet& teacher);

    // The adaptation module of a spot, or nullptr where the loss needs none.
    Connector connector(size_t spot) const { return spot < connectors_.size() ? connectors_[spot] : nullptr; }
    ChannelTransform transform(size_t spot) const { return spot < transforms_.size() ? transforms_[spot] : nullptr; }
    ChannelProjection projection(size_t spot) const {
        return spot < projections_.size() ? projections_[spot] : nullptr;
    }

    // The official code's linear-kernel NST: flatten to B×C×HW, L2-normalise each channel over HW,
    // G = F·Fᵀ (C×C per sample), MSE(G_s, G_t). Same channel counts; spatial sizes are aligned first.
    static at::Tensor nstLoss(const at::Tensor& studentMap, const at::Tensor& teacherMap);
    // SRRL's FeatureMap loss: mean_b mean_c (mean_hw F_s − mean_hw F_t)². Same channel counts.
    static at::Tensor meanLoss(const at::Tensor& studentMap, const at::Tensor& teacherMap);

private:
    at::Tensor spotLoss(size_t spot, const at::Tensor& studentMap, const at::Tensor& teacherMap);

    PathPlan plan_;
    double temperature_;
    std::vector<Connector> connectors_;           // fitnet
    std::vector<ChannelTransform> transforms_;    // channel
    std::vector<ChannelProjection> projections_;  // nst and mean; nullptr where the channel counts match
};
TORCH_MODULE(DistillationPath);

}  // namespace distillery::methods
