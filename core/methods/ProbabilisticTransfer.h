#pragma once
#include "methods/Distiller.h"

namespace distillery::methods {

// pkt (Passalis & Tefas 2018, after RepDistiller's PKT), on the pooled B×C features:
// CE(z_s, y) + beta·mean_ij(P_t,ij · log((P_t,ij + ε)/(P_s,ij + ε))), ε = 1e-7, where
// P_ij = K_ij / Σ_j K_ij and K = (cos-similarity + 1)/2 of the rows, each row scaled by 1/(‖f‖ + ε)
// (an all-zero row stays zero). The mean runs over all B² entries, as RepDistiller's torch.mean.
class ProbabilisticTransfer : public Distiller {
public:
    explicit ProbabilisticTransfer(double beta);
    std::string name() const override { return "pkt"; }
    bool needsTeacher() const override { return true; }
    bool needsFeatures() const override { return true; }
    bool readsTeacherStages() const override { return false; }   // the pooled embedding alone
    std::vector<LossTerm> losses(const StepInputs& inputs) override { return spotTerms(inputs); }
    at::Tensor spotLoss(size_t spot, const models::FeatureSet& student, const models::FeatureSet& teacher) override;

    // The unweighted loss on B×D embeddings.
    static at::Tensor pktLoss(const at::Tensor& student, const at::Tensor& teacher);

protected:
    std::vector<Spot> ownSpots() const override { return {{"pooled", Spot::kPooled, Spot::kPooled, ""}}; }

private:
    double beta_;
};

// pkt from its parameter beta.
std::shared_ptr<Distiller> makeProbabilisticTransfer(const MethodBuild& build);

}  // namespace distillery::methods
