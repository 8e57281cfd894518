#include "methods/FactorTransfer.h"

#include <torch/torch.h>

#include <cmath>

#include "methods/Connector.h"

namespace distillery::methods {

namespace {
namespace nn = torch::nn;

nn::Conv2d conv3x3(int64_t in, int64_t out) {
    return nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1));
}
nn::ConvTranspose2d deconv3x3(int64_t in, int64_t out) {
    return nn::ConvTranspose2d(nn::ConvTranspose2dOptions(in, out, 3).padding(1));
}
nn::LeakyReLU leaky() {
    return nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.1));
}

constexpr double kParaphraserMomentum = 0.9, kParaphraserWeightDecay = 5e-4;  // configs/*/ft/*.yml pretrain
constexpr double kFactorRate = 0.5;                                           // Paraphraser/Translator k
}  // namespace

ParaphraserImpl::ParaphraserImpl(int64_t channels, int64_t factorChannels) {
    encoder =
        register_module("encoder", nn::Sequential(conv3x3(channels, channels), nn::Identity(), leaky(),
                                                  conv3x3(channels, factorChannels), nn::Identity(), leaky(),
                                                  conv3x3(factorChannels, factorChannels), nn::Identity(), leaky()));
    decoder =
        register_module("decoder", nn::Sequential(deconv3x3(factorChannels, factorChannels), nn::Identity(), leaky(),
                                                  deconv3x3(factorChannels, channels), nn::Identity(), leaky(),
                                                  deconv3x3(channels, channels), nn::Identity(), leaky()));
}

FactorTransfer::FactorTransfer(const Options& options, int64_t studentStage, int64_t teacherStage,
                               int64_t studentChannels, int64_t teacherChannels)
    : options_(options), studentStage_(studentStage), teacherStage_(teacherStage) {
    const auto factorChannels = std::max<int64_t>(1, int64_t(double(teacherChannels) * kFactorRate));
    translator_ = register_module(
        "translator",
        nn::Sequential(conv3x3(studentChannels, studentChannels), models::FoldableBatchNorm2d(studentChannels), leaky(),
                       conv3x3(studentChannels, factorChannels), models::FoldableBatchNorm2d(factorChannels), leaky(),
                       conv3x3(factorChannels, factorChannels), models::FoldableBatchNorm2d(factorChannels), leaky()));
    paraphraser_ = register_module("paraphraser", Paraphraser(teacherChannels, factorChannels));
    paraphraserOptimizer_ =
        std::make_unique<torch::optim::SGD>(paraphraser_->parameters(), torch::optim::SGDOptions(options.paraphraserLr)
                                                                            .momentum(kParaphraserMomentum)
                                                                            .weight_decay(kParaphraserWeightDecay));
    updatesBuffer_ = register_buffer("paraphraser_updates", torch::zeros({}, torch::kLong));
}

int64_t FactorTransfer::paraphraserUpdates() {
    // Read once (a restored checkpoint may have set the buffer), then kept on the host: no sync per step.
    if (updates_ < 0) updates_ = updatesBuffer_.item<int64_t>();
    return updates_;
}

bool FactorTransfer::inParaphraserPhase() {
    return paraphraserUpdates() < options_.paraphraserSteps;
}

at::Tensor FactorTransfer::factor(const at::Tensor& map) {
    namespace F = torch::nn::functional;
    return F::normalize(map.pow(2).mean(1).reshape({map.size(0), -1}), F::NormalizeFuncOptions().p(2).dim(1));
}

at::Tensor FactorTransfer::factorLoss(const at::Tensor& studentFactor, const at::Tensor& teacherFactor) {
    const auto [s, t] = alignSpatial(studentFactor, teacherFactor.detach());
    return (factor(s) - factor(t)).abs().mean();
}

at::Tensor FactorTransfer::reconstructionLoss(const at::Tensor& teacherMap) {
    const auto target = teacherMap.detach();
    return torch::mse_loss(paraphraser_->reconstruct(target), target);
}

void FactorTransfer::updateParaphraser(const at::Tensor& teacherMap) {
    const auto loss = reconstructionLoss(teacherMap);
    paraphraserOptimizer_->zero_grad();
    loss.backward();
    // Several processes: each reconstructs its share; the averaged gradient is the whole batch's.
    if (processes()) processes()->averageGradients(paraphraser_->parameters());
    paraphraserOptimizer_->step();
    // Undefined gradients keep any other optimiser holding these parameters (sakd hands the student's
    // optimiser all of its base's parameters) from stepping them: torch's SGD skips them entirely.
    for (auto& p : paraphraser_->parameters())
        p.mutable_grad() = at::Tensor();
    lastReconstruction_ = loss.detach();
    updatesBuffer_.fill_(++updates_);
}

at::Tensor FactorTransfer::spotLoss(size_t, const models::FeatureSet& student, const models::FeatureSet& teacher) {
    TORCH_CHECK(studentStage_ < int64_t(student.stages.size()) && teacherStage_ < int64_t(teacher.stages.size()),
                "ft: features lack student stage ", studentStage_, " or teacher stage ", teacherStage_);
    const auto& studentMap = student.stages[studentStage_];
    const auto& teacherMap = teacher.stages[teacherStage_];
    if (inParaphraserPhase()) {
        if (torch::GradMode::is_enabled()) updateParaphraser(teacherMap);
        return torch::zeros({}, studentMap.options());
    }
    at::Tensor teacherFactor;
    {
        torch::NoGradGuard noGrad;  // the paraphraser is frozen now
        teacherFactor = paraphraser_->factor(teacherMap.detach());
    }
    return options_.beta * factorLoss(translator_->forward(studentMap), teacherFactor);
}

Diagnostics FactorTransfer::diagnostics() {
    Diagnostics d;
    if (lastReconstruction_.defined())
        d.scalars.push_back({"ft/loss/paraphraser reconstruction", lastReconstruction_.item<double>()});
    lastReconstruction_ = at::Tensor();
    return d;
}

std::vector<Spot> FactorTransfer::ownSpots() const {
    return {{"stage " + std::to_string(studentStage_ + 1), studentStage_, teacherStage_,
             "translator (3 conv3×3 + BN + LeakyReLU) against the paraphraser's factor"}};
}

std::shared_ptr<Distiller> makeFactorTransfer(const MethodBuild& build) {
    auto& teacher = stagedTeacher(build);
    const int64_t s = build.student.numStages() - 1, t = teacher.numStages() - 1;
    FactorTransfer::Options o;
    o.beta = build.method.param("beta");
    o.paraphraserLr = build.method.param("paraphraser_lr");
    o.paraphraserSteps = std::llround(build.method.param("paraphraser_share") * double(build.context.totalSteps));
    return std::make_shared<FactorTransfer>(o, s, t, build.student.stageChannels(s), teacher.stageChannels(t));
}

}  // namespace distillery::methods
