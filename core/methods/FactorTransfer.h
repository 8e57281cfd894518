#pragma once
#include <torch/nn/modules/container/sequential.h>
#include <torch/optim/sgd.h>

#include <memory>

#include "methods/Distiller.h"

namespace distillery::methods {

// The paraphraser of factor transfer (RepDistiller's models/util.py Paraphraser, k = 0.5, no BN): an
// encoder conv3×3(C→C) → conv3×3(C→C/2) → conv3×3(C/2→C/2) and a decoder of three 3×3 transposed
// convs back to C, each followed by LeakyReLU(0.1). The module indices follow the official
// nn.Sequential (the empty BN slots are Identity), so the parameter names match its state_dict.
class ParaphraserImpl : public torch::nn::Module {
public:
    ParaphraserImpl(int64_t channels, int64_t factorChannels);
    at::Tensor factor(const at::Tensor& x) { return encoder->forward(x); }
    at::Tensor reconstruct(const at::Tensor& x) { return decoder->forward(encoder->forward(x)); }
    torch::nn::Sequential encoder{nullptr}, decoder{nullptr};
};
TORCH_MODULE(Paraphraser);

// ft: factor transfer (Kim et al. 2018), after RepDistiller (distiller_zoo/FT.py FactorTransfer,
// models/util.py Paraphraser and Translator, helper/pretrain.py, train_student.py 'factor') and the
// SAKD code (train.py FT branch, configs/*/ft/*.yml), both at the last stage (feat[-2]):
//   CE(z_s, y) + beta·mean|φ(T(F_s)) − φ(P(F_t))| (+ the optional KD block),
// T the translator (three conv3×3 + BN + LeakyReLU(0.1) to C_t/2 channels, trained with the student),
// P the paraphraser's encoder, φ(f) = L2-normalise(flatten(mean_c f²)) per sample; the larger factor
// map is average-pooled to the smaller. The paraphraser is trained only by reconstruction,
// MSE(decoder(encoder(F_t)), F_t), with its own SGD (lr paraphraser_lr, momentum 0.9, weight decay 5e-4,
// as the official pre-training), then frozen.
// Deviation: the official code pre-trains the paraphraser for 30 epochs before the student's 240 and
// leaves the student untouched meanwhile; here the paraphraser takes its updates inside the run: the
// first round(paraphraser_share·run steps) calls of the loss each make one paraphraser update on the
// samples given (every step for ft; under sakd, each step with an open gate, on the open samples), and
// during those the FT term is 0 (the student learns from CE and the optional KD only). The default
// share 0.11 is the official 30 of 270 epochs. The update count is a buffer, so a resumed run goes on
// where it stopped.
class FactorTransfer : public Distiller {
public:
    struct Options {
        double beta = 200;
        double paraphraserLr = 0.01;
        int64_t paraphraserSteps = 0;  // reconstruction updates before the FT term starts
    };
    FactorTransfer(const Options& options, int64_t studentStage, int64_t teacherStage, int64_t studentChannels,
                   int64_t teacherChannels);
    std::string name() const override { return "ft"; }
    bool needsTeacher() const override { return true; }
    bool needsFeatures() const override { return true; }
    std::vector<LossTerm> losses(const StepInputs& inputs) override { return spotTerms(inputs); }
    // In the paraphraser phase (and with gradients enabled): one reconstruction update, then 0.
    at::Tensor spotLoss(size_t spot, const models::FeatureSet& student, const models::FeatureSet& teacher) override;
    // The translator's BatchNorms need 2 samples when the last stage is 1×1.
    int64_t minSpotSamples() const override { return 2; }
    Diagnostics diagnostics() override;
    // The student's optimiser trains the translator only; the paraphraser has its own.
    std::vector<at::Tensor> studentParameters() override { return translator_->parameters(); }
    torch::optim::Optimizer* ownOptimizer() override { return paraphraserOptimizer_.get(); }

    bool inParaphraserPhase();
    int64_t paraphraserUpdates();
    torch::nn::Sequential& translator() { return translator_; }
    Paraphraser& paraphraser() { return paraphraser_; }

    // φ(f) of one N×C×H×W factor map: L2-normalise(flatten(mean_c f²)) (FT.py factor, p1 = 2).
    static at::Tensor factor(const at::Tensor& map);
    // The unweighted FT loss: mean|φ(a) − φ(b)| after pooling the larger map (FT.py factor_loss, p2 = 1).
    static at::Tensor factorLoss(const at::Tensor& studentFactor, const at::Tensor& teacherFactor);
    // The paraphraser's reconstruction loss (helper/pretrain.py: MSE(rec, F_t)).
    at::Tensor reconstructionLoss(const at::Tensor& teacherMap);

protected:
    std::vector<Spot> ownSpots() const override;

private:
    void updateParaphraser(const at::Tensor& teacherMap);

    Options options_;
    int64_t studentStage_, teacherStage_;
    torch::nn::Sequential translator_{nullptr};
    Paraphraser paraphraser_{nullptr};
    std::unique_ptr<torch::optim::SGD> paraphraserOptimizer_;
    at::Tensor updatesBuffer_;       // "paraphraser_updates", saved with the checkpoint
    int64_t updates_ = -1;           // its host copy; -1 = not read yet (after a restore)
    at::Tensor lastReconstruction_;  // for diagnostics
};

// ft: the last stage of each net; paraphraser_share of the run's steps sets the paraphraser phase.
std::shared_ptr<Distiller> makeFactorTransfer(const MethodBuild& build);

}  // namespace distillery::methods
