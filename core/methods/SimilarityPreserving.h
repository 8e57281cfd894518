#pragma once
#include "methods/Distiller.h"

namespace distillery::methods {

// sp (Tung & Mori 2019, after RepDistiller's Similarity):
// CE(z_s, y) + beta·‖G_s − G_t‖²_F / B², G = row-L2-normalise(f·fᵀ), f the B×(C·H·W) flattened
// output of the last stage (post-activation; RepDistiller's feat[-2]). G is B×B, so student and
// teacher shapes need not match at all.
class SimilarityPreserving : public Distiller {
public:
    explicit SimilarityPreserving(double beta);
    std::string name() const override { return "sp"; }
    bool needsTeacher() const override { return true; }
    bool needsFeatures() const override { return true; }
    std::vector<LossTerm> losses(const StepInputs& inputs) override { return spotTerms(inputs); }
    at::Tensor spotLoss(size_t spot, const models::FeatureSet& student, const models::FeatureSet& teacher) override;

    // The unweighted ‖G_s − G_t‖²_F / B².
    static at::Tensor similarityLoss(const at::Tensor& studentMap, const at::Tensor& teacherMap);

protected:
    std::vector<Spot> ownSpots() const override { return {{"last stage", Spot::kLastStage, Spot::kLastStage, ""}}; }

private:
    double beta_;
};

// sp from its parameter beta.
std::shared_ptr<Distiller> makeSimilarityPreserving(const MethodBuild& build);

}  // namespace distillery::methods
