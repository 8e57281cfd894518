#pragma once
#include <torch/nn/modules/container/sequential.h>

#include <utility>
#include <vector>

#include "methods/Distiller.h"

namespace distillery::methods {

// vid: variational information distillation (Ahn et al. 2019), after RepDistiller's
// distiller_zoo/VID.py (VIDLoss; the SAKD code's copy is the same) and train_student.py's
// VIDLoss(s, t, t) per stage:
//   CE(z_s, y) + beta·Σ_k mean(½·((μ_k(F_s^k) − F_t^k)²/σ²_k + log σ²_k)) (+ the optional KD block),
// at every stage pair (feat[1:-1]), paired by relative depth when the stage counts differ. μ_k is
// conv1×1(C_s→C_t) → ReLU → conv1×1(C_t→C_t) → ReLU → conv1×1(C_t→C_t), no biases; σ²_k =
// log(1 + exp(log_scale_k)) + 1e-5, one learnt variance per teacher channel, log_scale starting at
// log(exp(init_var − 1e-5) − 1) so that σ² starts at init_var. Both are trained by the student's
// optimiser. The larger map of a pair is average-pooled to the smaller first. The mean runs over
// B·C_t·H·W elements.
class VariationalInformation : public Distiller {
public:
    struct SpotShape {
        int64_t studentStage, teacherStage, studentChannels, teacherChannels;
    };
    VariationalInformation(double beta, double initVariance, const std::vector<SpotShape>& spots);
    std::string name() const override { return "vid"; }
    bool needsTeacher() const override { return true; }
    bool needsFeatures() const override { return true; }
    std::vector<LossTerm> losses(const StepInputs& inputs) override { return spotTerms(inputs); }
    at::Tensor spotLoss(size_t spot, const models::FeatureSet& student, const models::FeatureSet& teacher) override;

    torch::nn::Sequential& regressor(size_t spot) { return regressors_.at(spot); }
    at::Tensor& logScale(size_t spot) { return logScales_.at(spot); }
    // σ² per teacher channel at a spot, from its log_scale.
    at::Tensor variance(size_t spot) const;

    static constexpr double kEps = 1e-5;  // VIDLoss's eps

protected:
    std::vector<Spot> ownSpots() const override;

private:
    double beta_;
    std::vector<SpotShape> shapes_;
    std::vector<torch::nn::Sequential> regressors_;
    std::vector<at::Tensor> logScales_;
};

// vid: every stage pair; init_var is σ² at the start (VIDLoss's init_pred_var).
std::shared_ptr<Distiller> makeVariationalInformation(const MethodBuild& build);

}  // namespace distillery::methods
