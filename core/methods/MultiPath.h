#pragma once
#include <memory>

#include "methods/DistillationPath.h"
#include "methods/Distiller.h"

namespace distillery::methods {

// multipath: adaptive aggregation of distillation paths (Chennupati et al., BMVC 2021, after the
// official AdaptiveDistillation code). With w_p the fixed weights (1 each unless given) and
// λ = distill_weight:
//   total = CE + λ·Σ_p term_p, term_p by weighting:
//   equal                  L_p
//   fixed                  w_p·L_p
//   uncertainty            exp(−α_p)·w_p·L_p + α_p, α_p a parameter (init 0) trained by the student's
//                          optimiser, weight decay included: the official AdaptiveLossScaler
//   uncertainty_layerwise  as uncertainty with one α per spot of every "@stages" path (add_layer_loss=False)
//   gradnorm               w_p·L_p with GradNorm's weights (Chen et al. 2018), measured at the student's stem
//                          output and updated after each step by sign descent on Σ|G_p − target_p|
//   dwa                    w_p·d_p·L_p, d_p = P·softmax(Lavg_p(e−1)/Lavg_p(e−2)/dwa_T) from the previous two
//                          epochs' mean losses (Liu et al. 2019), 1 in epochs 0 and 1
// GradNorm and DWA are beyond the paper's code. Their state is in buffers, so checkpoints carry it.
// Terms: "ce" and "path/<path>" per path (λ and the weighting applied, +α included).
// nst, mean and softmax_regression read the student's stages through the official always-on adaptation
// (AdaptationBank, one 1×1 conv + BN per student stage shared by the paths), registered as "adaptation".
// Diagnostics, beside the path-weight rows: "multipath/alpha/<unit>" (raw α, uncertainty weightings),
// and at a layer every term reaches (the probe, see probeGradientsAt) "multipath/grad_norm/<term>" =
// ‖∂term/∂probe‖ for "ce" and each "path/<path>" term, and "multipath/grad_cos_ce/<path>", the cosine
// between the path's gradient and CE's: below 0 the path pulls against the labels there.
class MultiPath : public Distiller {
public:
    enum class Weighting { Equal, Fixed, Uncertainty, UncertaintyLayerwise, GradNorm, Dwa };
    struct Options {
        Weighting weighting = Weighting::Uncertainty;
        std::vector<double> weights;   // w_p, one per path; empty = 1 each
        double distillWeight = 1.0;
        double gradnormAlpha = 1.5;
        double gradnormLr = 0.025;
        double dwaTemperature = 2.0;
    };
    // adaptations: the bank the paths were built with (registered here as "adaptation"), or nullptr.
    MultiPath(std::vector<DistillationPath> paths, Options options, AdaptationBank adaptations = nullptr);

    // Where the gradient diagnostics are measured: a tensor every term's gradient reaches, the student's
    // first parameter (its stem convolution's weight) in makeMultiPath. A parameter rather than a
    // feature map, because every path reaches it (a stage-1 path never reaches the last stage's map)
    // and because it is the same tensor in every precision (features are float32 copies under bf16).
    // Undefined: no gradient diagnostics.
    void probeGradientsAt(at::Tensor sharedParameter) { gradientProbe_ = std::move(sharedParameter); }

    // ‖∂t/∂layer‖ for each term t (row 0) and the cosine of each ∂t/∂layer with the first term's
    // gradient (row 1; the first term's own cosine is 1): a 2×T float tensor, detached. A term that
    // does not reach the layer has norm 0 and cosine 0. The graphs are retained for the step's backward.
    static at::Tensor gradientAlignment(const std::vector<at::Tensor>& terms, const at::Tensor& layer);

    std::string name() const override { return "multipath"; }
    bool needsTeacher() const override { return true; }
    bool needsFeatures() const override;
    std::vector<LossTerm> losses(const StepInputs& inputs) override;
    Diagnostics diagnostics() override;

    const std::vector<DistillationPath>& paths() const { return paths_; }
    Weighting weighting() const { return options_.weighting; }
    // uncertainty: α per path; uncertainty_layerwise: α per weighted spot (see weightedSpotNames()).
    at::Tensor& alphas() { return alphas_; }
    // The names the weighted units go by: one per path, or per spot of "@stages" paths when layerwise.
    const std::vector<std::string>& weightedSpotNames() const { return unitNames_; }
    // gradnorm: the weights the next step uses, and L_p(0) (negative until the first step).
    at::Tensor& gradnormWeights() { return gradnormWeights_; }
    at::Tensor& gradnormInitialLosses() { return gradnormInitialLosses_; }

    // One GradNorm update: G_p = w_p·n_p with n_p = ‖∂L_p/∂F‖, r_p = (L_p/L_p(0))/mean_q(L_q/L_q(0)),
    // target_p = mean(G)·r_p^alpha; w_p − lr·sign(G_p − target_p)·n_p, clamped at ≥ 1e-4 and rescaled
    // to sum to the path count.
    static at::Tensor gradNormStep(const at::Tensor& weights, const at::Tensor& losses, const at::Tensor& initialLosses,
                                   const at::Tensor& lossGradNorms, double alpha, double learningRate);
    // DWA's weights from two epochs' mean losses: P·softmax_p((previous_p/beforePrevious_p)/temperature).
    static at::Tensor dwaWeights(const at::Tensor& previous, const at::Tensor& beforePrevious, double temperature);

protected:
    std::vector<Spot> ownSpots() const override;

private:
    // Per path (or per unit when layerwise) scheme weights for this step, before λ; on the losses' device.
    at::Tensor schemeWeights(const at::Tensor& pathLosses, const StepInputs& inputs);
    void updateGradNorm(const std::vector<at::Tensor>& pathLosses, const at::Tensor& stem);
    void advanceDwa(int64_t epoch);

    std::vector<DistillationPath> paths_;
    Options options_;
    std::vector<std::string> unitNames_;   // the weighted units: paths, or spots of "@stages" paths when layerwise
    std::vector<size_t> unitPath_;         // each unit's path
    at::Tensor fixedWeights_;              // buffer, one per path
    at::Tensor alphas_;                    // parameter (uncertainty weightings)
    at::Tensor gradnormWeights_, gradnormInitialLosses_;   // buffers (gradnorm)
    // dwa buffers: this epoch's loss sums and step count, the last two epochs' means (row 0 the latest),
    // and [epoch being accumulated (−1 before the first step), completed epochs].
    at::Tensor dwaSums_, dwaSteps_, dwaAverages_, dwaEpochs_;
    // Host copy of dwaEpochs_, read from the buffer once (after a checkpoint load) so steps never sync.
    bool dwaEpochsOnHost_ = false;
    int64_t dwaEpoch_ = -1, dwaCompleted_ = 0;
    // Diagnostics of the last losses() call made with collectDiagnostics: detached, per unit; α per
    // unit; the gradient alignment of the terms ("ce" first, then one per path) at the probe.
    at::Tensor diagnosticWeights_, diagnosticLosses_, diagnosticAlphas_, diagnosticGradients_;
    at::Tensor gradientProbe_;
};

// Builds multipath from its catalog parameters; throws spec::FieldError (method.paths, method.weights,
// …) for bad paths or weights.
std::shared_ptr<Distiller> makeMultiPath(const MethodBuild& build);

}  // namespace distillery::methods
