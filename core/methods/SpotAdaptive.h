#pragma once
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/sgd.h>

#include <memory>

#include "methods/Distiller.h"

namespace distillery::methods {

// sakd (Song et al. 2022, after the official code zju-vipa/spot-adaptive-pytorch, train.py):
// a base method's spots plus the logits are gated per sample and per step.
// - Policy: one Linear on concat(pool(F_t^last), pool(F_s^last)), both detached → 2 logits per
//   decision spot, index 0 = "distil".
// - Start-up prior: the official code adds +10 to every "distil" bias for homogeneous pairs only (its
//   `homo: True` configs, set_n_to_True); the rule "equal channel counts at every gated spot" gives
//   that flag for all 15 released pairs. The official prior then fades only through the agent's weight
//   decay (lr·wd/(1−m) = 0.025·1e-3/0.1: a time constant of ~4,000 steps, 2% of its 187,000). With
//   prior_decay > 0 the prior is instead a term prior(t) = init_bias·exp(−t/(prior_decay·steps)) on the
//   "distil" logits, outside the learnt bias, so a run of any length spends the official proportion
//   of its steps distilling everywhere; prior_decay = 0 puts it in the bias as the official code does.
// - Decision: hard Gumbel-softmax with a straight-through gradient at temperature tau. The hard
//   choice is argmax(logits + Gumbel noise), independent of tau: annealing tau cannot close a gate, it
//   only sharpens the straight-through gradient. P(distil) = σ(logit margin) exactly.
// - Multi-path forward, both nets in eval mode: at each spot k the teacher stream continues with
//   a·T_k + (1−a)·H_k(S_k), the student stream with (1−a)·S_k + a·A_k(T_k); the logits mix likewise.
//   H_k, A_k are Connectors (Linear at the pooled spot) trained with the policy.
// - Each step, first the agent (policy + adaptors, its own SGD): w·CE(z_mix, y) + max(0, B/2 − Σ a_out),
//   w = gamma if that CE exceeds the student's else 1/gamma; then the student, through the trainer:
//   CE + Σ_k (n_k/B)·L_base^k(open samples) + alpha·(n_out/B)·KD_T(open samples).
// Gate ablations: policy | random (Bernoulli 0.5) | reverse (distil where the policy would not) |
// all | none. Per-step randomness is drawn from (seed, step), so a resumed run draws the same gates.
// Several processes (shareWith): each draws the whole batch's gate noise and keeps its rows'; the
// agent's loss uses the whole batch's CEs and open output gates, and its gradients are averaged before
// its step, so the agent stays the same in every process; the base method is shared too (CRD's banks).
// The gate diagnostics (open rates, margins) are rank 0's share of each batch.
class SpotAdaptive : public Distiller {
public:
    enum class Gate { Policy, Random, Reverse, All, None };
    enum class TauSchedule { Constant, Linear, Exponential };
    // Which pairs get the +init_bias start-up prior: homogeneous ones only (the official homo flag),
    // every pair, or none (the default linear init, about half the gates open).
    enum class Prior { Pair, Always, Never };
    struct Options {
        Gate gate = Gate::Policy;
        double alpha = 1.0, temperature = 4.0;
        double tau = 5.0, tauFinal = 0.5;
        TauSchedule tauSchedule = TauSchedule::Constant;
        double gamma = 1.0;
        double agentLrScale = 0.5, agentMomentum = 0.9, agentWeightDecay = 1e-3;
        double initBias = 10.0;
        Prior prior = Prior::Pair;
        double priorDecay = 0.02;   // the prior's time constant as a fraction of the run's steps; 0 = in the bias
    };

    // The nets are not owned; the base method is (a submodule, trained by the student's optimiser).
    SpotAdaptive(std::shared_ptr<Distiller> base, models::StagedNet& teacher, models::StagedNet& student,
                 const Options& options, const DistillerContext& context);

    std::string name() const override { return "sakd"; }
    bool needsTeacher() const override { return true; }
    bool needsFeatures() const override { return true; }
    std::vector<LossTerm> losses(const StepInputs& inputs) override;
    Diagnostics diagnostics() override;
    std::vector<at::Tensor> studentParameters() override { return base_->parameters(); }
    torch::optim::Optimizer* ownOptimizer() override { return agentOptimizer_.get(); }
    bool observesEvaluation() const override;
    void observeEvaluation(const models::FeatureSet& student, const models::FeatureSet& teacher,
                           const at::Tensor& labels) override;
    Diagnostics evaluationDiagnostics() override;
    std::vector<std::string> notes() const override;
    void shareWith(std::shared_ptr<models::ProcessShare> processes) override;

    // The base's spots then the logits: one gate per sample for each.
    int64_t decisionCount() const { return static_cast<int64_t>(decisionSpots_.size()); }
    // Gate values B×decisionCount() (1 = distil; straight-through soft gradient for policy gates) for a
    // batch whose full forwards gave `student` and `teacher`, at `step`.
    at::Tensor decide(const models::FeatureSet& student, const models::FeatureSet& teacher, int64_t step);
    // The policy's probability of "distil", B×decisionCount(), without the Gumbel noise, at the last
    // step decide() saw (the prior's value then).
    at::Tensor distilProbability(const models::FeatureSet& student, const models::FeatureSet& teacher);
    // The policy's logits B×decisionCount()×2 at `step`, the start-up prior included.
    at::Tensor policyLogits(const models::FeatureSet& student, const models::FeatureSet& teacher, int64_t step);
    // The official gumbel_softmax (models/gs.py) with given uniform noise U (same shape as the logits):
    // hard one-hot of argmax(logits − log(−log U)) with the gradient of the soft sample at tau.
    static at::Tensor straightThrough(const at::Tensor& logits, const at::Tensor& uniform, double tau);
    // The uniform noise of `step` for a run seeded `seed`: distinct seeds draw unrelated streams.
    static at::Tensor gateNoise(uint64_t seed, int64_t step, at::IntArrayRef shape);
    // The start-up prior added to every "distil" logit at `step` (0 when it lives in the bias or is off).
    double priorAt(int64_t step) const;
    // Whether the pair is homogeneous (equal channels at every gated spot), which decides the prior by default.
    bool homogeneous() const { return homogeneous_; }
    torch::nn::Linear& policy() { return policy_; }
    // The multi-path logits for gates B×decisionCount(): all ones give the teacher's logits, all zeros the student's.
    // teacherFeatures: the step's forward of the teacher on these images, whose stages up to the first
    // junction the graft then takes instead of running them again (the same values).
    at::Tensor multiPathLogits(const at::Tensor& images, const at::Tensor& gates,
                               const models::FeatureSet* teacherFeatures = nullptr);
    double tauAt(int64_t step) const;
    // The student's terms for given open gates (B×decisionCount(), 1 = distil): "ce", "feat" =
    // Σ_k (n_k/B)·L_base^k(open samples), "kd" = alpha·(n_out/B)·T²·KL(open samples).
    std::vector<LossTerm> studentTerms(const StepInputs& inputs, const at::Tensor& open);
    // The agent's loss: w·CE(mixed, y) + max(0, B/2 − Σ outputGates), w = gamma if CE(mixed) > CE(student), else 1/gamma.
    // With `processes`, B, Σ outputGates and the CEs that choose w are the whole batch's, over every process.
    static at::Tensor routingLoss(const at::Tensor& mixedLogits, const at::Tensor& studentLogits,
                                  const at::Tensor& labels, const at::Tensor& outputGates, double gamma,
                                  models::ProcessShare* processes = nullptr);

protected:
    std::vector<Spot> ownSpots() const override { return decisionSpots_; }

private:
    struct Junction {          // a spot resolved to the stage counts on both sides
        int64_t studentStages = 0, teacherStages = 0;   // stages run before mixing
        bool pooled = false;
    };
    at::Tensor adapt(torch::nn::ModuleList& adaptors, size_t k, const at::Tensor& x, const at::Tensor& like);
    void recordPolicyState(const StepInputs& inputs, const at::Tensor& mixedLogits, const at::Tensor& route);

    std::shared_ptr<Distiller> base_;
    models::StagedNet* teacher_;
    models::StagedNet* student_;
    Options options_;
    DistillerContext context_;
    std::vector<Spot> decisionSpots_;
    std::vector<Junction> junctions_;           // one per base spot (the logits need none)
    bool homogeneous_ = true;
    std::string channelSummary_;                // "stage 1 16/16, …" for the notes
    double priorBias_ = 0;                      // the prior this pair starts with
    int64_t lastStep_ = 0;
    torch::nn::Linear policy_{nullptr};
    torch::nn::ModuleList hints_, antiHints_;   // student→teacher and teacher→student adaptors
    std::unique_ptr<torch::optim::SGD> agentOptimizer_;

    // Open counts since the last diagnostics() (device-side, no per-step host sync). Buffers, so a
    // checkpoint holds them and a resumed run logs the same averages as an uninterrupted one.
    at::Tensor openSum_, openSteps_;
    std::vector<DiagnosticScalar> stepScalars_;   // computed by a losses() call that collects diagnostics
    // Per class × decision spot sums of the distil probability on the evaluation split.
    at::Tensor evalSum_, evalCount_;
};

// sakd from its declared parameters; the base method is built through the method registry
// (createDistiller) with the official weight of its distiller unless beta is given.
std::shared_ptr<Distiller> makeSpotAdaptive(const MethodBuild& build);

}  // namespace distillery::methods
