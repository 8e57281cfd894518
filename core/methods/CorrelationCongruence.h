#pragma once
#include <torch/nn/modules/linear.h>

#include "methods/Distiller.h"

namespace distillery::methods {

// cc: correlation congruence (Peng et al. 2019), after RepDistiller's distiller_zoo/CC.py
// (Correlation, the authors' code) and train_student.py's 'correlation' branch:
//   CE(z_s, y) + beta·mean_b Σ_d |e_s − e_t|_{b,d}·|e_s − e_t|_{b+1,d} (+ the optional KD block),
// e_s = W_s·pooled_s + b_s, e_t = W_t·pooled_t + b_t (LinearEmbed, feat_dim wide, not normalised),
// the product over consecutive samples b, b+1 of the batch (B−1 pairs). Both embeddings are trained
// by the student's optimiser, W_t through the loss as in RepDistiller (the SAKD code detaches e_t, so
// its teacher embedding stays at its random init). Needs at least 2 samples.
class CorrelationCongruence : public Distiller {
public:
    CorrelationCongruence(double beta, int64_t studentDim, int64_t teacherDim, int64_t featDim);
    std::string name() const override { return "cc"; }
    bool needsTeacher() const override { return true; }
    bool needsFeatures() const override { return true; }
    bool readsTeacherStages() const override { return false; }   // the pooled embedding alone
    std::vector<LossTerm> losses(const StepInputs& inputs) override { return spotTerms(inputs); }
    at::Tensor spotLoss(size_t spot, const models::FeatureSet& student, const models::FeatureSet& teacher) override;
    int64_t minSpotSamples() const override { return 2; }

    torch::nn::Linear& embedStudent() { return embedStudent_; }
    torch::nn::Linear& embedTeacher() { return embedTeacher_; }
    // The unweighted loss between two B×feat_dim embeddings (Correlation.forward).
    static at::Tensor correlationLoss(const at::Tensor& studentEmbedding, const at::Tensor& teacherEmbedding);

protected:
    std::vector<Spot> ownSpots() const override {
        return {{"pooled", Spot::kPooled, Spot::kPooled,
                 "linear embeddings to " + std::to_string(featDim_) + "-d on both sides"}};
    }

private:
    double beta_;
    int64_t featDim_;
    torch::nn::Linear embedStudent_{nullptr}, embedTeacher_{nullptr};
};

// cc: embeddings of the pooled last stages.
std::shared_ptr<Distiller> makeCorrelationCongruence(const MethodBuild& build);

}  // namespace distillery::methods
