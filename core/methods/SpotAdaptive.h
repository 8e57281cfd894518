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
//   decision spot, index 0 = "distil"; its bias starts at +init_bias on every "distil" logit.
// - Decision: hard Gumbel-softmax with a straight-through gradient at temperature tau.
// - Multi-path forward, both nets in eval mode: at each spot k the teacher stream continues with
//   a·T_k + (1−a)·H_k(S_k), the student stream with (1−a)·S_k + a·A_k(T_k); the logits mix likewise.
//   H_k, A_k are Connectors (Linear at the pooled spot) trained with the policy.
// - Each step, first the agent (policy + adaptors, its own SGD): w·CE(z_mix, y) + max(0, B/2 − Σ a_out),
//   w = gamma if that CE exceeds the student's else 1/gamma; then the student, through the trainer:
//   CE + Σ_k (n_k/B)·L_base^k(open samples) + alpha·(n_out/B)·KD_T(open samples).
// Gate ablations: policy | random (Bernoulli 0.5) | reverse (distil where the policy would not) |
// all | none. Per-step randomness is drawn from (seed, step), so a resumed run draws the same gates.
class SpotAdaptive : public Distiller {
public:
    enum class Gate { Policy, Random, Reverse, All, None };
    enum class TauSchedule { Constant, Linear, Exponential };
    struct Options {
        Gate gate = Gate::Policy;
        double alpha = 1.0, temperature = 4.0;
        double tau = 5.0, tauFinal = 0.5;
        TauSchedule tauSchedule = TauSchedule::Constant;
        double gamma = 1.0;
        double agentLrScale = 0.5, agentMomentum = 0.9, agentWeightDecay = 1e-3;
        double initBias = 10.0;
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

    // The base's spots then the logits: one gate per sample for each.
    int64_t decisionCount() const { return static_cast<int64_t>(decisionSpots_.size()); }
    // Gate values B×decisionCount() (1 = distil; straight-through soft gradient for policy gates) for a
    // batch whose full forwards gave `student` and `teacher`, at `step`.
    at::Tensor decide(const models::FeatureSet& student, const models::FeatureSet& teacher, int64_t step);
    // The policy's probability of "distil", B×decisionCount(), without the Gumbel noise.
    at::Tensor distilProbability(const models::FeatureSet& student, const models::FeatureSet& teacher);
    // The multi-path logits for gates B×decisionCount(): all ones give the teacher's logits, all zeros the student's.
    at::Tensor multiPathLogits(const at::Tensor& images, const at::Tensor& gates);
    double tauAt(int64_t step) const;
    // The student's terms for given open gates (B×decisionCount(), 1 = distil): "ce", "feat" =
    // Σ_k (n_k/B)·L_base^k(open samples), "kd" = alpha·(n_out/B)·T²·KL(open samples).
    std::vector<LossTerm> studentTerms(const StepInputs& inputs, const at::Tensor& open);
    // The agent's loss: w·CE(mixed, y) + max(0, B/2 − Σ outputGates), w = gamma if CE(mixed) > CE(student), else 1/gamma.
    static at::Tensor routingLoss(const at::Tensor& mixedLogits, const at::Tensor& studentLogits,
                                  const at::Tensor& labels, const at::Tensor& outputGates, double gamma);

protected:
    std::vector<Spot> ownSpots() const override { return decisionSpots_; }

private:
    struct Junction {          // a spot resolved to the stage counts on both sides
        int64_t studentStages = 0, teacherStages = 0;   // stages run before mixing
        bool pooled = false;
    };
    at::Tensor adapt(torch::nn::ModuleList& adaptors, size_t k, const at::Tensor& x, const at::Tensor& like);

    std::shared_ptr<Distiller> base_;
    models::StagedNet* teacher_;
    models::StagedNet* student_;
    Options options_;
    DistillerContext context_;
    std::vector<Spot> decisionSpots_;
    std::vector<Junction> junctions_;           // one per base spot (the logits need none)
    torch::nn::Linear policy_{nullptr};
    torch::nn::ModuleList hints_, antiHints_;   // student→teacher and teacher→student adaptors
    std::unique_ptr<torch::optim::SGD> agentOptimizer_;

    // Open counts since the last diagnostics() (device-side, no per-step host sync).
    at::Tensor openSum_;
    int64_t openSteps_ = 0;
    // Per class × decision spot sums of the distil probability on the evaluation split.
    at::Tensor evalSum_, evalCount_;
};

// sakd from its declared parameters; the base method is built through the method registry
// (createDistiller) with the official weight of its distiller unless beta is given.
std::shared_ptr<Distiller> makeSpotAdaptive(const MethodBuild& build);

}  // namespace distillery::methods
