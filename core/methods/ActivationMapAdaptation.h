#pragma once
// amap (Wu et al. 2020), Distillery's workbench interpretation (METHODS.md `amap`; the paper's module
// is not public, only its abstract is): adaptive modules M_k "replace some blocks of the teacher".
// Each M_k maps the input of teacher stage j_k (stage j_k−1's output, or the stem's when j_k = 0) to
// stage j_k's shape. The stages are replaced jointly: one hybrid teacher runs T_<j_1 → M_1 → … → M_m
// → T_>j_m and is trained online with CE + hybrid_alpha·KD to the original teacher. Each M_k's output
// is the student's hint at its stage s_k (attention map, or the feature itself through a connector):
// a target adapted toward what the student can match. The hint starts after a warm-up in which the
// modules train alone, and its weight ramps up linearly.
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/FoldableBatchNorm.h"

#include "methods/Connector.h"
#include "methods/Distiller.h"

namespace distillery::methods {

// M: conv3×3 (stride = the ratio of output to input stride) + BN + ReLU at the hidden width, then
// conv3×3 + BN + ReLU to the output channels. Convs without bias: the BN's shift replaces it.
class AdaptiveModuleImpl : public torch::nn::Module {
public:
    AdaptiveModuleImpl(int64_t inChannels, int64_t inStride, int64_t hidden, int64_t outChannels, int64_t outStride);
    at::Tensor forward(const at::Tensor& x);
    int64_t stride() const { return stride_; }
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
    models::FoldableBatchNorm2d bn1{nullptr}, bn2{nullptr};

private:
    int64_t stride_ = 1;
};
TORCH_MODULE(AdaptiveModule);

class ActivationMapAdaptation : public Distiller {
public:
    enum class Hint { Attention, Feature };
    struct Options {
        double beta = 1000;      // weight of the hint loss once the ramp is done
        double hybridAlpha = 1;  // weight of the hybrid teacher's KD to the original teacher
        double hybridTemperature = 4;
        Hint hint = Hint::Attention;
        int64_t warmupSteps = 0;  // steps in which the modules train alone: no hint term
        int64_t rampSteps = 0;    // then beta rises linearly over this many steps; 0 = at once
    };
    // One replaced stage: student stage `studentStage` is hinted with the output of the module that
    // replaces teacher stage `teacherStage`, which reads a map of (inputChannels, inputStride).
    struct Replacement {
        int64_t studentStage = 0, teacherStage = 0;
        int64_t studentChannels = 0, studentStride = 1;
        int64_t inputChannels = 0, inputStride = 1;
    };
    // replacements in increasing teacher stage, each teacher stage once. teacher is not owned and
    // never registered (its parameters stay frozen and out of the optimiser).
    ActivationMapAdaptation(const Options& options, std::vector<Replacement> replacements, models::StagedNet& teacher);
    std::string name() const override { return "amap"; }
    bool needsTeacher() const override { return true; }
    bool needsFeatures() const override { return true; }
    // "ce"; "feat" = beta(step)·Σ_k hint(F_s^{s_k}, M_k's output detached), a constant 0 without
    // gradient during the warm-up; "hybrid" = CE(z_h, y) + hybrid_alpha·T²·KL(z_t ‖ z_h), which trains
    // the modules only; "kd" when the KD block is on.
    std::vector<LossTerm> losses(const StepInputs& inputs) override;
    // Scalars only (no table rows): amap/beta (this step's hint weight), amap/hybrid_acc and
    // amap/hybrid_agreement (% of the batch: the hybrid's top-1 against the labels and against the
    // original teacher's top-1), and per hinted spot amap/loss/<spot> (the unweighted hint loss) and
    // amap/map_cosine/<spot>/<a>-<b> (batch-mean cosine of the attention maps of teacher, adapted
    // module and student).
    Diagnostics diagnostics() override;

    // The hint weight at a step: 0 during the warm-up, then beta·min(1, (step − warm-up + 1)/ramp).
    double betaAt(int64_t step) const;
    size_t replacementCount() const { return replacements_.size(); }
    int64_t studentStage(size_t i = 0) const { return replacements_.at(i).studentStage; }
    int64_t teacherStage(size_t i = 0) const { return replacements_.at(i).teacherStage; }
    AdaptiveModule adapter(size_t i = 0) const { return adapters_.at(i); }
    // The connector of a feature hint where the student's channels differ from the module's; null otherwise.
    Connector connector(size_t i = 0) const { return connectors_.at(i); }
    const Options& options() const { return options_; }

protected:
    std::vector<Spot> ownSpots() const override;

private:
    // The unweighted hint loss of replacement i: AT between the maps, or MSE of the (connected)
    // student feature to the module's output, both sizes aligned by pooling.
    at::Tensor hintLoss(size_t i, const at::Tensor& studentMap, const at::Tensor& adapted);
    std::string spotName(size_t i) const { return "stage " + std::to_string(replacements_[i].studentStage + 1); }

    Options options_;
    std::vector<Replacement> replacements_;
    models::StagedNet* teacher_;
    std::vector<AdaptiveModule> adapters_;
    std::vector<Connector> connectors_;          // null entries where no connector is needed
    std::vector<DiagnosticScalar> lastScalars_;  // filled only by a losses() call collecting diagnostics
};

// amap from its declared parameters. `stages` (else `stage`; -1 = the student's last stage) are
// student stages; each replaces the teacher stage at the same relative depth. When that is stage 0,
// M reads the stem, whose channels and stride the layout does not declare: one gradient-free
// eval-mode forward of the stem on a zero image of the context's shape measures them. warmup and
// beta_ramp are fractions of the context's totalSteps.
std::shared_ptr<Distiller> makeActivationMapAdaptation(const MethodBuild& build);

}  // namespace distillery::methods
