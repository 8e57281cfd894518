#include "methods/ActivationMapAdaptation.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <tuple>
#include <utility>

#include "methods/AttentionTransfer.h"
#include "methods/HintonKd.h"
#include "models/Autocast.h"
#include "spec/FieldError.h"

namespace distillery::methods {

namespace {
constexpr double kAttentionPower = 2;  // AT's p: the `at` baseline's default

// % of the batch where the top-1 class of `logits` equals `reference` (labels or another net's top-1).
double percentEqual(const at::Tensor& logits, const at::Tensor& reference) {
    return 100.0 * logits.argmax(1).eq(reference).to(at::kDouble).mean().item<double>();
}
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
    bn1 = register_module("bn1", models::FoldableBatchNorm2d(hidden));
    conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(hidden, outChannels, 3).padding(1).bias(false)));
    bn2 = register_module("bn2", models::FoldableBatchNorm2d(outChannels));
}

at::Tensor AdaptiveModuleImpl::forward(const at::Tensor& x) {
    return torch::relu(bn2->forward(conv2->forward(torch::relu(bn1->forward(conv1->forward(x))))));
}

ActivationMapAdaptation::ActivationMapAdaptation(const Options& options, std::vector<Replacement> replacements,
                                                 models::StagedNet& teacher)
    : options_(options), replacements_(std::move(replacements)), teacher_(&teacher) {
    TORCH_CHECK(!replacements_.empty(), "amap: no replaced stage");
    TORCH_CHECK(options_.warmupSteps >= 0 && options_.rampSteps >= 0, "amap: negative warm-up or ramp");
    for (size_t i = 0; i < replacements_.size(); ++i) {
        const auto& r = replacements_[i];
        TORCH_CHECK(r.teacherStage >= 0 && r.teacherStage < teacher.numStages(), "amap: the teacher has no stage ",
                    r.teacherStage);
        TORCH_CHECK(i == 0 || r.teacherStage > replacements_[i - 1].teacherStage,
                    "amap: replaced teacher stages must increase");
        const int64_t outChannels = teacher.stageChannels(r.teacherStage),
                      outStride = teacher.stageStride(r.teacherStage);
        adapters_.push_back(
            register_module("adapter" + std::to_string(i),
                            AdaptiveModule(r.inputChannels, r.inputStride, r.studentChannels, outChannels, outStride)));
        // A feature hint maps the student's map onto the module's output as FitNets' regressor does.
        const bool connect = options_.hint == Hint::Feature && r.studentChannels != outChannels;
        connectors_.push_back(
            connect ? register_module("connector" + std::to_string(i),
                                      Connector(r.studentChannels, r.studentStride, outChannels, outStride))
                    : Connector(nullptr));
    }
}

double ActivationMapAdaptation::betaAt(int64_t step) const {
    if (step < options_.warmupSteps) return 0;
    if (options_.rampSteps <= 0) return options_.beta;
    const double done = double(step - options_.warmupSteps + 1) / double(options_.rampSteps);
    return options_.beta * std::min(1.0, done);
}

std::vector<Spot> ActivationMapAdaptation::ownSpots() const {
    std::vector<Spot> spots;
    for (size_t i = 0; i < replacements_.size(); ++i) {
        const auto& r = replacements_[i];
        const std::string module = "an adaptive module (2× conv3×3 + BN + ReLU) in place of teacher stage " +
                                   std::to_string(r.teacherStage + 1);
        std::string connector = options_.hint == Hint::Attention ? "attention map of " + module
                                : connectors_[i] ? connectors_[i]->describe() + " → output of " + module
                                                 : "output of " + module;
        spots.push_back({spotName(i), r.studentStage, r.teacherStage, std::move(connector)});
    }
    return spots;
}

at::Tensor ActivationMapAdaptation::hintLoss(size_t i, const at::Tensor& studentMap, const at::Tensor& adapted) {
    if (options_.hint == Hint::Attention) return AttentionTransfer::pairLoss(studentMap, adapted, kAttentionPower);
    const at::Tensor mapped = connectors_[i] ? connectors_[i]->forward(studentMap.to(at::kFloat)) : studentMap;
    const auto [s, m] = alignSpatial(mapped, adapted.detach());
    return torch::nn::functional::mse_loss(s.to(at::kFloat), m.to(at::kFloat));
}

std::vector<LossTerm> ActivationMapAdaptation::losses(const StepInputs& inputs) {
    namespace F = torch::nn::functional;
    TORCH_CHECK(inputs.teacher, "amap needs a teacher");
    const auto& studentStages = inputs.student.stages;
    const auto& teacherStages = inputs.teacher->stages;
    for (const auto& r : replacements_)
        TORCH_CHECK(r.studentStage < int64_t(studentStages.size()) && r.teacherStage < int64_t(teacherStages.size()),
                    "amap: features lack student stage ", r.studentStage, " or teacher stage ", r.teacherStage);
    const int64_t first = replacements_.front().teacherStage;
    const auto& moduleInput = first == 0 ? inputs.teacher->stem : teacherStages[size_t(first - 1)];
    TORCH_CHECK(moduleInput.defined(), "amap: the teacher's features lack the stem output");

    // The hybrid teacher, every replaced stage at once: frozen teacher stages around the modules, run
    // with autograd so its loss reaches every module (a later module's loss also trains the earlier ones).
    std::vector<at::Tensor> adapted;
    at::Tensor hybridLogits;
    {
        models::AutocastScope autocast(forwardType(), moduleInput.device().type());
        at::Tensor h = moduleInput.detach();
        int64_t next = first;  // the teacher stage h is the input of
        for (size_t i = 0; i < replacements_.size(); ++i) {
            const int64_t j = replacements_[i].teacherStage;
            if (next < j) h = teacher_->forwardStages(h, next, j);
            h = adapters_[i]->forward(h);
            adapted.push_back(h);
            next = j + 1;
        }
        hybridLogits = teacher_->head(teacher_->forwardStages(h, next, teacher_->numStages()));
    }
    for (auto& a : adapted)
        a = a.to(at::kFloat);
    hybridLogits = hybridLogits.to(at::kFloat);
    const auto& teacherLogits = inputs.teacher->logits;
    // The hybrid teacher's own CE, not the student's "ce": no label smoothing.
    const auto hybrid =
        F::cross_entropy(hybridLogits, inputs.labels) +
        options_.hybridAlpha * HintonKd::klDivergence(hybridLogits, teacherLogits.detach(), options_.hybridTemperature);

    // No hint term during the warm-up: a constant, so the student gets no gradient from the modules.
    // The unweighted per-spot losses are computed once (a connector's BN counts each forward).
    const double beta = betaAt(inputs.step);
    std::vector<at::Tensor> spotLosses;
    if (beta > 0 || inputs.collectDiagnostics) {
        std::optional<torch::NoGradGuard> noGrad;
        if (beta <= 0) noGrad.emplace();
        for (size_t i = 0; i < replacements_.size(); ++i)
            spotLosses.push_back(
                hintLoss(i, studentStages[size_t(replacements_[i].studentStage)], adapted[i].detach()));
    }
    at::Tensor feat = torch::zeros({}, hybridLogits.options());
    if (beta > 0)
        for (const auto& loss : spotLosses)
            feat = feat + beta * loss;
    std::vector<LossTerm> terms{
        {"ce", labelLoss(inputs.student.logits, inputs.labels)}, {"feat", feat}, {"hybrid", hybrid}};
    appendKd(terms, inputs);

    lastScalars_.clear();
    if (inputs.collectDiagnostics) {
        torch::NoGradGuard noGrad;
        lastScalars_.push_back({"amap/beta", beta});
        lastScalars_.push_back({"amap/hybrid_acc", percentEqual(hybridLogits, inputs.labels)});
        lastScalars_.push_back({"amap/hybrid_agreement", percentEqual(hybridLogits, teacherLogits.argmax(1))});
        const auto cosine = [](const at::Tensor& a, const at::Tensor& b) {
            const auto [x, y] = alignSpatial(a.detach().to(at::kFloat), b.detach().to(at::kFloat));
            // The attention maps are L2-normalised: their dot product is the cosine.
            return (AttentionTransfer::attention(x, kAttentionPower) * AttentionTransfer::attention(y, kAttentionPower))
                .sum(1)
                .mean()
                .item<double>();
        };
        for (size_t i = 0; i < replacements_.size(); ++i) {
            const auto& studentMap = studentStages[size_t(replacements_[i].studentStage)];
            const auto& teacherMap = teacherStages[size_t(replacements_[i].teacherStage)];
            const std::string spot = spotName(i);
            lastScalars_.push_back({"amap/loss/" + spot, spotLosses[i].item<double>()});
            const std::string key = "amap/map_cosine/" + spot + "/";
            lastScalars_.push_back({key + "teacher-student", cosine(studentMap, teacherMap)});
            lastScalars_.push_back({key + "adapted-student", cosine(studentMap, adapted[i])});
            lastScalars_.push_back({key + "teacher-adapted", cosine(adapted[i], teacherMap)});
        }
    }
    return terms;
}

Diagnostics ActivationMapAdaptation::diagnostics() {
    Diagnostics out;
    out.scalars = lastScalars_;
    return out;
}

namespace {
// The stem's output channels and stride, which StagedNet's layout does not declare.
std::pair<int64_t, int64_t> measureStem(models::StagedNet& teacher, const DistillerContext& context) {
    torch::NoGradGuard noGrad;
    const auto parameters = teacher.parameters();
    const auto device = parameters.empty() ? torch::Device(torch::kCPU) : parameters.front().device();
    const auto image = torch::zeros({1, context.channels, context.height, context.width}, device);
    models::EvalModeScope evalMode(teacher);  // no batch statistics, so no running-statistics update
    const at::Tensor stem = teacher.forwardStages(image, 0, 0);
    TORCH_CHECK(stem.dim() == 4, "amap: the teacher's stem gives no N×C×H×W map");
    const auto stride = std::max<int64_t>(1, std::llround(double(context.height) / double(stem.size(2))));
    return {stem.size(1), stride};
}

// The student stages to hint, ascending: `stages` when given, else the one `stage` (-1 = the last).
std::vector<int64_t> chosenStudentStages(const spec::MethodSpec& method, const models::StagedNet& student) {
    const auto listed = method.numbers("stages");
    if (listed.empty()) {
        const auto given = int64_t(method.param("stage"));
        if (given >= student.numStages())
            throw spec::FieldError("method.stage", "amap.stage: " + std::to_string(given) + " but the student has " +
                                                       std::to_string(student.numStages()) + " stages (0-based)");
        return {given < 0 ? student.numStages() - 1 : given};
    }
    if (method.params.contains("stage"))
        throw spec::FieldError("method.stages", "amap.stages: give either stage or stages, not both");
    std::vector<int64_t> stages;
    for (const double value : listed) {
        const auto stage = int64_t(value);
        if (double(stage) != value || stage < 0 || stage >= student.numStages())
            throw spec::FieldError("method.stages", "amap.stages: " + std::to_string(value) +
                                                        " is not a student stage; the student has stages 0.." +
                                                        std::to_string(student.numStages() - 1));
        stages.push_back(stage);
    }
    std::sort(stages.begin(), stages.end());
    if (std::adjacent_find(stages.begin(), stages.end()) != stages.end())
        throw spec::FieldError("method.stages", "amap.stages: a stage is listed twice; list each stage once");
    return stages;
}

int64_t stepsOf(const spec::MethodSpec& method, const std::string& fraction, const DistillerContext& context) {
    return std::llround(method.param(fraction) * double(context.totalSteps));
}
}  // namespace

std::shared_ptr<Distiller> makeActivationMapAdaptation(const MethodBuild& build) {
    auto& teacher = stagedTeacher(build);
    auto& student = build.student;
    const auto& method = build.method;
    std::vector<ActivationMapAdaptation::Replacement> replacements;
    for (const int64_t s : chosenStudentStages(method, student)) {
        ActivationMapAdaptation::Replacement r;
        r.studentStage = s;
        r.teacherStage = stageAtDepth(s, student.numStages(), teacher.numStages());
        if (!replacements.empty() && replacements.back().teacherStage == r.teacherStage)
            throw spec::FieldError("method.stages",
                                   "amap.stages: student stages " + std::to_string(replacements.back().studentStage) +
                                       " and " + std::to_string(s) + " both pair with teacher stage " +
                                       std::to_string(r.teacherStage) + " (by relative depth); drop one of them");
        r.studentChannels = student.stageChannels(s);
        r.studentStride = student.stageStride(s);
        std::tie(r.inputChannels, r.inputStride) =
            r.teacherStage > 0
                ? std::pair{teacher.stageChannels(r.teacherStage - 1), teacher.stageStride(r.teacherStage - 1)}
                : measureStem(teacher, build.context);
        replacements.push_back(r);
    }
    ActivationMapAdaptation::Options options;
    options.beta = method.param("beta");
    options.hybridAlpha = method.param("hybrid_alpha");
    options.hybridTemperature = method.param("hybrid_T");
    options.hint = method.choice("hint") == "feature" ? ActivationMapAdaptation::Hint::Feature
                                                      : ActivationMapAdaptation::Hint::Attention;
    options.warmupSteps = stepsOf(method, "warmup", build.context);
    options.rampSteps = stepsOf(method, "beta_ramp", build.context);
    return std::make_shared<ActivationMapAdaptation>(options, std::move(replacements), teacher);
}

}  // namespace distillery::methods
