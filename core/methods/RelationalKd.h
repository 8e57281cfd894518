#pragma once
#include "methods/Distiller.h"

namespace distillery::methods {

// rkd (Park et al. 2019, after RepDistiller's RKDLoss), on the pooled B×C features:
// CE(z_s, y) + beta·(w_d·ψ_D + w_a·ψ_A), ψ = smooth-L1 (β=1, mean) between student and teacher of
//   distance: pairwise Euclidean distances (diagonal 0), each divided by the mean of its positive entries;
//   angle:    for every triple (i, j, k), the cosine of the angle at j between e_i − e_j and e_k − e_j
//             (B³ entries; a zero difference vector normalises to 0).
// The teacher's side is computed without gradient. Feature widths need not match.
class RelationalKd : public Distiller {
public:
    RelationalKd(double beta, double distanceWeight, double angleWeight);
    std::string name() const override { return "rkd"; }
    bool needsTeacher() const override { return true; }
    bool needsFeatures() const override { return true; }
    bool readsTeacherStages() const override { return false; }   // the pooled embedding alone
    std::vector<LossTerm> losses(const StepInputs& inputs) override { return spotTerms(inputs); }
    at::Tensor spotLoss(size_t spot, const models::FeatureSet& student, const models::FeatureSet& teacher) override;
    int64_t minSpotSamples() const override { return 2; }   // distances need pairs

    // The unweighted parts on B×D embeddings.
    static at::Tensor distanceLoss(const at::Tensor& student, const at::Tensor& teacher);
    static at::Tensor angleLoss(const at::Tensor& student, const at::Tensor& teacher);

protected:
    std::vector<Spot> ownSpots() const override { return {{"pooled", Spot::kPooled, Spot::kPooled, ""}}; }

private:
    double beta_, distanceWeight_, angleWeight_;
};

// rkd from its parameters beta, w_d and w_a.
std::shared_ptr<Distiller> makeRelationalKd(const MethodBuild& build);

}  // namespace distillery::methods
