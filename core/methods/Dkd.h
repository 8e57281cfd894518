#pragma once
#include "methods/Distiller.h"

namespace distillery::methods {

// dkd: Decoupled Knowledge Distillation (Zhao et al., CVPR 2022), after mdistiller's DKD.py.
//   ce_weight·CE(z_s, y) + w(epoch)·(alpha·TCKD + beta·NCKD),  w = min(epoch/warmup, 1)
// TCKD: KL between the binary (target, non-target) probabilities of softmax(z/T), ·T², batch mean.
// NCKD: KL between softmax(z/T − 1000·gt) of teacher and student (the target class masked out), ·T².
// mdistiller counts epochs from 1; StepInputs::epoch counts from 0, so w uses epoch+1: the first
// epoch is weighted 1/warmup, as in mdistiller. warmup = 0 disables the warm-up.
// Terms: "ce", "tckd" (= w·alpha·TCKD) and "nckd" (= w·beta·NCKD); tckd+nckd is mdistiller's loss_kd.
class Dkd : public Distiller {
public:
    Dkd(double alpha, double beta, double temperature, double warmup, double ceWeight);
    std::string name() const override { return "dkd"; }
    bool needsTeacher() const override { return true; }
    std::vector<LossTerm> losses(const StepInputs& inputs) override;

    // The unweighted T²-scaled parts, [TCKD, NCKD], computed in float32.
    static std::pair<at::Tensor, at::Tensor> parts(const at::Tensor& studentLogits, const at::Tensor& teacherLogits,
                                                   const at::Tensor& labels, double temperature);
    // w(epoch) for a 0-based epoch.
    double warmupFactor(int64_t epoch) const;

protected:
    std::vector<Spot> ownSpots() const override { return {{"logits", Spot::kLogits, Spot::kLogits, ""}}; }

private:
    double alpha_, beta_, temperature_, warmup_, ceWeight_;
};

// dkd from its parameters alpha, beta, T, warmup and ce_weight.
std::shared_ptr<Distiller> makeDkd(const MethodBuild& build);

}  // namespace distillery::methods
