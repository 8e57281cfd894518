#pragma once
// amap (Wu et al. 2020), Distillery's workbench interpretation (METHODS.md `amap`; the paper's module
// is not public): an adaptive module M replaces teacher stage j. M maps the output of teacher stage
// j−1 (the stem's when j = 0) to stage j's shape; the hybrid teacher T_<j → M → T_>j is trained online
// with CE + hybrid_alpha·KD to the original teacher, and M's activation map is the student's hint at
// its stage k: a target adapted toward what the student can match.
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "methods/Distiller.h"

namespace distillery::methods {

// M: conv3×3 (stride = the ratio of output to input stride) + BN + ReLU at the hidden width, then
// conv3×3 + BN + ReLU to the output channels. Convs without bias: the BN's shift replaces it.
class AdaptiveModuleImpl : public torch::nn::Module {
public:
    AdaptiveModuleImpl(int64_t inChannels, int64_t inStride, int64_t hidden, int64_t outChannels, int64_t outStride);
    at::Tensor forward(const at::Tensor& x);
    int64_t stride() const { return stride_; }
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};

private:
    int64_t stride_ = 1;
};
TORCH_MODULE(AdaptiveModule);

class ActivationMapAdaptation : public Distiller {
public:
    struct Options {
        double beta = 1000;               // weight of the attention-map loss to M's map
        double hybridAlpha = 1;           // weight of the hybrid teacher's KD to the original teacher
        double hybridTemperature = 4;
    };
    // Student stage studentStage is hinted with M's output; M replaces teacher stage teacherStage and
    // reads a map of (inputChannels, inputStride): teacher stage teacherStage − 1's, or the stem's.
    // teacher is not owned and never registered (its parameters stay frozen and out of the optimiser).
    ActivationMapAdaptation(const Options& options, int64_t studentStage, int64_t teacherStage,
                            int64_t studentChannels, int64_t inputChannels, int64_t inputStride,
                            models::StagedNet& teacher);
    std::string name() const override { return "amap"; }
    bool needsTeacher() const override { return true; }
    bool needsFeatures() const override { return true; }
    // "ce", "feat" = beta·AT(F_s^k, M(·) detached), "hybrid" = CE(z_h, y) + hybrid_alpha·T²·KL(z_t ‖ z_h)
    // (it trains M only), and "kd" when the KD block is on.
    std::vector<LossTerm> losses(const StepInputs& inputs) override;
    // Attention-map agreement at the spot as path-weight rows: path "at_agreement/<a>-<b>", weight the
    // batch-mean cosine similarity of the two maps, rawLoss their unweighted AT loss.
    Diagnostics diagnostics() override;

    int64_t studentStage() const { return studentStage_; }
    int64_t teacherStage() const { return teacherStage_; }
    AdaptiveModule adapter() const { return adapter_; }

protected:
    std::vector<Spot> ownSpots() const override;

private:
    Options options_;
    int64_t studentStage_, teacherStage_;
    models::StagedNet* teacher_;
    AdaptiveModule adapter_{nullptr};
    struct Agreement {
        std::string path;
        at::Tensor cosine, rawLoss;   // scalars, without gradient
    };
    std::vector<Agreement> lastAgreement_;   // filled only by a losses() call collecting diagnostics
};

// amap from its declared parameters. stage -1 = the student's last stage; the teacher stage is the
// one at the same relative depth. When that is stage 0, M reads the stem, whose channels and stride
// the layout does not declare: one gradient-free eval-mode forward of the stem on a zero image of
// the context's shape measures them.
std::shared_ptr<Distiller> makeActivationMapAdaptation(const MethodBuild& build);

}  // namespace distillery::methods
