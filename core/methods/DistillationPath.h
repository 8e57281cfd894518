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
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "methods/ChannelTransform.h"
#include "methods/Connector.h"
#include "methods/Distiller.h"
#include "models/StagedNet.h"

namespace distillery::methods {

enum class PathLoss { Kd, LogitsMse, Attention, Nst, FitNet, Channel, Mean, SoftmaxRegression };

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
// ((S_s−1)/2, 0-based), channel, mean and softmax_regression at the last (softmax_regression feeds the
// teacher's classifier, so the last stages are its only spot). Throws spec::FieldError (method.paths)
// naming the path, what is wrong and the valid forms.
PathPlan planPath(const std::string& path, int64_t studentStages, int64_t teacherStages);

// The official code's always-on student-side adaptation (AdaptiveDistillation kd_image.py:74-83 and
// 155-160): one 1×1 conv (no bias, Kaiming) + BN (weight 1, bias 0) per student stage, to the paired
// teacher stage's width, applied whatever the widths; its output feeds every NST and FeatureMap ("mean")
// loss at that stage and the softmax-regression loss, while AT reads the raw feature. One bank serves
// all paths of a multipath, so paths at the same student stage share the module, as there.
class AdaptationBankImpl : public torch::nn::Module {
public:
    // The adaptation of a student stage to outChannels, created (as "stageN", or "stageN_to<C>" when the
    // stage is also adapted to another width) on first use.
    ChannelProjection adaptation(int64_t studentStage, int64_t inChannels, int64_t outChannels);
    bool empty() const { return modules_.empty(); }

private:
    std::map<std::pair<int64_t, int64_t>, ChannelProjection> modules_;   // (student stage, width)
};
TORCH_MODULE(AdaptationBank);

class DistillationPathImpl : public torch::nn::Module {
public:
    // The nets size the adaptation modules; teacher stages are only read for paths at stages, the
    // teacher's classifier only by softmax_regression (the teacher is not owned and must outlive the
    // path). Adaptations come from `shared` (not registered here: its owner registers it) or, without
    // one, from a bank of the path's own, registered as "adaptation".
    DistillationPathImpl(PathPlan plan, models::StagedNet& teacher, const models::StagedNet& student,
                         double temperature, AdaptationBank shared = nullptr);

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
    AdaptationBank adaptations() const { return adaptations_; }

    // The official code's linear-kernel NST: flatten to B×C×HW, L2-normalise each channel over HW,
    // G = F·Fᵀ (C×C per sample), MSE(G_s, G_t). Same channel counts; spatial sizes are aligned first.
    static at::Tensor nstLoss(const at::Tensor& studentMap, const at::Tensor& teacherMap);
    // SRRL's FeatureMap loss: mean_b mean_c (mean_hw F_s − mean_hw F_t)². Same channel counts.
    static at::Tensor meanLoss(const at::Tensor& studentMap, const at::Tensor& teacherMap);
    // Softmax regression (SRRL; AdaptiveDistillation kd_image.py:191-196, softmax_regression.py:22-25):
    // the adapted student map, globally average pooled, through the teacher's classifier; the loss is
    // MSE (mean over batch and classes) between those logits and the teacher's own.
    static at::Tensor softmaxRegressionLoss(const at::Tensor& adaptedStudentMap, models::StagedNet& teacher,
                                            const at::Tensor& teacherLogits);

private:
    at::Tensor spotLoss(size_t spot, const at::Tensor& studentMap, const at::Tensor& teacherMap);

    PathPlan plan_;
    double temperature_;
    models::StagedNet* teacher_;                  // softmax_regression's classifier; not owned
    AdaptationBank adaptations_;
    std::vector<Connector> connectors_;           // fitnet
    std::vector<ChannelTransform> transforms_;    // channel
    std::vector<ChannelProjection> projections_;  // nst, mean, softmax_regression: the bank's modules
};
TORCH_MODULE(DistillationPath);

}  // namespace distillery::methods
