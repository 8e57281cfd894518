#pragma once
#include <utility>
#include <vector>

#include "methods/Distiller.h"

namespace distillery::methods {

// nst: neuron selectivity transfer (Huang & Wang 2017), after RepDistiller's distiller_zoo/NST.py
// (the SAKD code's distiller_zoo/NST.py is the same loss):
//   CE(z_s, y) + beta·Σ_k MMD²(F_s^k, F_t^k) (+ the optional KD block, off as in RepDistiller's -a 0),
// at every stage pair (RepDistiller's feat[1:-1]), paired by relative depth when the stage counts
// differ. MMD² with the polynomial kernel k(a, b) = (a·b)² between channels: each map is flattened to
// B×C×(H·W), each channel L2-normalised over H·W, then mean k(t,t) + mean k(s,s) − 2·mean k(s,t)
// over all channel pairs; the teacher's term is a constant. Channel counts may differ (the kernel
// compares channels across the nets); the larger map is average-pooled to the smaller first.
// This file is the one home of the NST losses: multipath's nst path uses gramMse below.
class NeuronSelectivity : public Distiller {
public:
    // Each pair is (student stage, teacher stage).
    NeuronSelectivity(double beta, std::vector<std::pair<int64_t, int64_t>> pairs);
    std::string name() const override { return "nst"; }
    bool needsTeacher() const override { return true; }
    bool needsFeatures() const override { return true; }
    std::vector<LossTerm> losses(const StepInputs& inputs) override { return spotTerms(inputs); }
    at::Tensor spotLoss(size_t spot, const models::FeatureSet& student, const models::FeatureSet& teacher) override;

    const std::vector<std::pair<int64_t, int64_t>>& pairs() const { return pairs_; }

    // RepDistiller's NSTLoss.nst_loss (NST.py:14-40): the unweighted polynomial-kernel MMD² of one pair.
    static at::Tensor polynomialMmd(const at::Tensor& studentMap, const at::Tensor& teacherMap);
    // The AdaptiveDistillation code's NST (models/distillation_losses/nst.py:19-34), multipath's nst
    // path: MSE between the linear Gram matrices G = F·Fᵀ (C×C per sample) of the channel-normalised
    // maps. Needs equal channel counts; spatial sizes are aligned first.
    static at::Tensor gramMse(const at::Tensor& studentMap, const at::Tensor& teacherMap);

protected:
    std::vector<Spot> ownSpots() const override;

private:
    double beta_;
    std::vector<std::pair<int64_t, int64_t>> pairs_;
};

// One (student, teacher) stage pair per stage of the net with fewer stages, by relative depth
// (stageAtDepth): the spots of at, nst and vid.
std::vector<std::pair<int64_t, int64_t>> everyStagePair(int64_t studentStages, int64_t teacherStages);

// nst: every stage pair.
std::shared_ptr<Distiller> makeNeuronSelectivity(const MethodBuild& build);

}  // namespace distillery::methods
