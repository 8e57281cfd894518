#include "methods/ActivationMapAdaptation.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "methods/AttentionTransfer.h"
#include "methods/Connector.h"
#include "methods/HintonKd.h"
#include "methods/StatisticsTransfer.h"
#include "models/Autocast.h"

namespace distillery::methods {

namespace {
constexpr double kAttentionPower = 2;   // AT's p: the `at` baseline's default
}  // namespace

AdaptiveModuleImpl::AdaptiveModuleImpl(int64_t inChannels, int64_t inStride, int64_t hidden, int64_t outChannels,
                                       int64_t outStride) {
    TORCH_CHECK(inChannels > 0 && hidden > 0 && outChannels > 0 && inStride > 0 && outStride > 0,
                "AdaptiveModule: bad shape (", inChannels, ", stride ", inStride, ") -> (", outChannels, ", stride ",
                outStride, ") at width ", hidden);
    namespace nn = torch::nn;
    // Stages only downsample; a stride ratio that is not an integer (estimated strides) keeps the size.
    stride_ = outStride > inStride && outStride % inStride == 0 ? outStride / inStride : 1;
    conv1 = register_module(
        "conv1", nn::Conv2d(nn::Conv2dOptions(inChannels, hidden, 3).stride(stride_).padding(1).bias(false)));
    bn1 = register_module("bn1", nn::BatchNorm2d(hidden));
    conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(hidden, outChannels, 3).padding(1).bias(false)));
    bn2 = register_module("bn2", nn::BatchNorm2d(outChannels));
}

at::Tensor AdaptiveModuleImpl::forward(const at::Tensor& x) {
    return torch::relu(bn2->forward(conv2->forward(torch::relu(bn1->forward(conv1->forward(x))))));
}

ActivationMapAdaptation::ActivationMapAdaptation(const Options& options, int64_t studentStage, int64_t teacherStage,
                                                 int64_t studentChannels, int64_t inputChannels, int64_t inputStride,
                                                 models::StagedNet& teacher)
    : options_(options), studentStage_(studentStage), teacherStage_(teacherStage), teacher_(&teacher) {
    TORCH_CHECK(teacherStage >= 0 && teacherStage < teacher.numStages(), "amap: the teacher has no stage ",
                teacherStage);
    adapter_ = register_module("adapter", AdaptiveModule(inputChannels, inputStride, studentChannels,
                                                         teacher.stageChannels(teacherStage),
                                                         teacher.stageStride(teacherStage)));
}

std::vector<Spot> ActivationMapAdaptation::ownSpots() const {
    return {{"stage " + std::to_string(studentStage_ + 1), studentStage_, teacherStage_,
             "attention map of an adaptive module (2× conv3×3 + BN + ReLU) in place of teacher stage " +
                 std::to_string(teacherStage_ + 1)}};
}

std::vector<LossTerm> ActivationMapAdaptation::losses(const StepInputs& inputs) {
    namespace F = torch::nn::functional;
    TORCH_CHECK(inputs.teacher, "amap needs a teacher");
    const auto& studentStages = inputs.student.stages;
    const auto& teacherStages = inputs.teacher->stages;
    TORCH_CHECK(studentStage_ < int64_t(studentStages.size()) && teacherStage_ < int64_t(teacherStages.size()),
                "amap: features lack student stage ", studentStage_, " or teacher stage ", teacherStage_);
    const auto& moduleInput = teacherStage_ == 0 ? inputs.teacher->stem : teacherStages[size_t(teacherStage_ - 1)];
    TORCH_CHECK(moduleInput.defined(), "amap: the teacher's features lack the stem output");

    // The hybrid teacher: frozen teacher stages around M, run with autograd so its loss reaches M.
    at::Tensor adapted, hybridLogits;
    {
        models::AutocastScope autocast(forwardType(), moduleInput.device().type());
        adapted = adapter_->forward(moduleInput.detach());
        hybridLogits = teacher_->head(teacher_->forwardStages(adapted, teacherStage_ + 1, teacher_->numStages()));
    }
    adapted = adapted.to(at::kFloat);
    hybridLogits = hybridLogits.to(at::kFloat);
    // The hybrid teacher's own CE, not the student's "ce": no label smoothing.
    const auto hybrid = F::cross_entropy(hybridLogits, inputs.labels) +
                        options_.hybridAlpha * HintonKd::klDivergence(hybridLogits, inputs.teacher->logits.detach(),
                                                                      options_.hybridTemperature);
    const auto& studentMap = studentStages[size_t(studentStage_)];
    std::vector<LossTerm> terms{
        {"ce", labelLoss(inputs.student.logits, inputs.labels)},
        {"feat", options_.beta * AttentionTransfer::pairLoss(studentMap, adapted.detach(), kAttentionPower)},
        {"hybrid", hybrid}};
    appendKd(terms, inputs);

    lastAgreement_.clear();
    if (inputs.collectDiagnostics) {
        torch::NoGradGuard noGrad;
        const auto teacherMap = teacherStages[size_t(teacherStage_)].detach();
        const auto agreement = [&](const std::string& pair, const at::Tensor& a, const at::Tensor& b) {
            const auto [x, y] = alignSpatial(a.detach(), b.detach());
            const auto cosine = (AttentionTransfer::attention(x, kAttentionPower) *
                                 AttentionTransfer::attention(y, kAttentionPower))
                                    .sum(1)
                                    .mean();
            lastAgreement_.push_back({pair, cosine, AttentionTransfer::pairLoss(x, y, kAttentionPower)});
        };
        agreement("at_agreement/teacher-student", studentMap, teacherMap);
        agreement("at_agreement/adapted-student", studentMap, adapted);
        agreement("at_agreement/teacher-adapted", adapted, teacherMap);
    }
    return terms;
}

Diagnostics ActivationMapAdaptation::diagnostics() {
    Diagnostics out;
    for (const auto& a : lastAgreement_) {
        store::PathWeightRow row;
        row.path = a.path;
        row.weight = a.cosine.item<double>();
        row.rawLoss = a.rawLoss.item<double>();
        out.pathWeights.push_back(std::move(row));
    }
    return out;
}

namespace {
// The stem's output channels and stride, which StagedNet's layout does not declare.
std::pair<int64_t, int64_t> measureStem(models::StagedNet& teacher, const DistillerContext& context) {
    torch::NoGradGuard noGrad;
    const auto parameters = teacher.parameters();
    const auto device = parameters.empty() ? torch::Device(torch::kCPU) : parameters.front().device();
    const auto image = torch::zeros({1, context.channels, context.height, context.width}, device);
    models::EvalModeScope evalMode(teacher);   // no batch statistics, so no running-statistics update
    const at::Tensor stem = teacher.forwardStages(image, 0, 0);
    TORCH_CHECK(stem.dim() == 4, "amap: the teacher's stem gives no N×C×H×W map");
    const auto stride = std::max<int64_t>(1, std::llround(double(context.height) / double(stem.size(2))));
    return {stem.size(1), stride};
}
}  // namespace

std::shared_ptr<Distiller> makeActivationMapAdaptation(const MethodBuild& build) {
    auto& teacher = stagedTeacher(build);
    auto& student = build.student;
    const auto& method = build.method;
    const int64_t given = chosenStudentStage(method, student);
    const int64_t s = given < 0 ? student.numStages() - 1 : given;
    const int64_t t = stageAtDepth(s, student.numStages(), teacher.numStages());
    const auto [inputChannels, inputStride] = t > 0 ? std::pair{teacher.stageChannels(t - 1), teacher.stageStride(t - 1)}
                                                    : measureStem(teacher, build.context);
    ActivationMapAdaptation::Options options;
    options.beta = method.param("beta");
    options.hybridAlpha = method.param("hybrid_alpha");
    options.hybridTemperature = method.param("hybrid_T");
    return std::make_shared<ActivationMapAdaptation>(options, s, t, student.stageChannels(s), inputChannels,
                                                     inputStride, teacher);
}

}  // namespace distillery::methods
