#include "methods/ChannelTransform.h"

#include <torch/torch.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "spec/FieldError.h"

namespace distillery::methods {

ChannelTransformImpl::ChannelTransformImpl(int64_t inChannels, int64_t inStride, int64_t outChannels,
                                           int64_t outStride, int64_t hidden)
    : inChannels_(inChannels), hidden_(hidden > 0 ? hidden : outChannels), outChannels_(outChannels) {
    TORCH_CHECK(hidden >= 0, "ChannelTransform: negative hidden width ", hidden);
    namespace nn = torch::nn;
    // The first convolution is the Connector's for these shapes (1×1, strided 3×3 or transposed, by the
    // stride ratio), taken without its BN and ReLU: the paper's MLP has no normalisation.
    ConnectorImpl shaped(inChannels, inStride, hidden_, outStride);
    kind_ = shaped.kind();
    factor_ = shaped.factor();
    if (kind_ == ConnectorImpl::Kind::Transposed)
        firstTransposed = register_module("first", shaped.deconv);
    else
        first = register_module("first", shaped.conv);
    second = register_module("second", nn::Conv2d(nn::Conv2dOptions(hidden_, outChannels, 1)));
}

at::Tensor ChannelTransformImpl::forward(const at::Tensor& studentMap) {
    const auto h = kind_ == ConnectorImpl::Kind::Transposed ? firstTransposed->forward(studentMap)
                                                            : first->forward(studentMap);
    return second->forward(torch::relu(h));
}

std::string ChannelTransformImpl::describe() const {
    const std::string r = std::to_string(factor_), k = std::to_string(2 * factor_);
    const std::string firstConv = kind_ == ConnectorImpl::Kind::Strided      ? "3×3 conv stride " + r
                                  : kind_ == ConnectorImpl::Kind::Transposed ? k + "×" + k + " transposed conv stride " + r
                                                                             : "1×1 conv";
    return firstConv + " → ReLU → 1×1 conv (" + std::to_string(inChannels_) + "→" + std::to_string(hidden_) + "→" +
           std::to_string(outChannels_) + ")";
}

namespace {
// g(F_s) and F_t (detached) at a common spatial size.
std::pair<at::Tensor, at::Tensor> alignedMaps(ChannelTransform& transform, const at::Tensor& studentMap,
                                              const at::Tensor& teacherMap) {
    return alignSpatial(transform->forward(studentMap), teacherMap.detach());
}
}  // namespace

at::Tensor channelTransformLoss(ChannelTransform& transform, const at::Tensor& studentMap, const at::Tensor& teacherMap) {
    const auto [s, t] = alignedMaps(transform, studentMap, teacherMap);
    return (s - t).pow(2).sum() / double(s.size(0));
}

// ---- the channel method's transform --------------------------------------------------------------

PointwiseKind pointwiseKindFromName(const std::string& name) {
    if (name == "mlp") return PointwiseKind::Mlp;
    if (name == "linear") return PointwiseKind::Linear;
    if (name == "conv1x1") return PointwiseKind::Conv1x1;
    if (name == "none") return PointwiseKind::Identity;
    throw std::invalid_argument("unknown transform \"" + name + "\"; known: mlp, linear, conv1x1, none");
}

PointwiseTransformImpl::PointwiseTransformImpl(PointwiseKind kind, int64_t inChannels, int64_t outChannels,
                                               int64_t hidden)
    : kind_(kind), inChannels_(inChannels), hidden_(hidden > 0 ? hidden : outChannels), outChannels_(outChannels) {
    TORCH_CHECK(hidden >= 0, "PointwiseTransform: negative hidden width ", hidden);
    namespace nn = torch::nn;
    switch (kind_) {
    case PointwiseKind::Mlp:
        first = register_module("first", nn::Conv2d(nn::Conv2dOptions(inChannels, hidden_, 1)));
        second = register_module("second", nn::Conv2d(nn::Conv2dOptions(hidden_, outChannels, 1)));
        break;
    case PointwiseKind::Linear:
        first = register_module("first", nn::Conv2d(nn::Conv2dOptions(inChannels, outChannels, 1)));
        break;
    case PointwiseKind::Conv1x1:
        connector = register_module("connector", Connector(inChannels, 1, outChannels, 1));
        break;
    case PointwiseKind::Identity:
        TORCH_CHECK(inChannels == outChannels, "PointwiseTransform: no transform needs equal channels, got ",
                    inChannels, " and ", outChannels);
        break;
    }
}

at::Tensor PointwiseTransformImpl::forward(const at::Tensor& x) {
    switch (kind_) {
    case PointwiseKind::Mlp: return second->forward(torch::relu(first->forward(x)));
    case PointwiseKind::Linear: return first->forward(x);
    case PointwiseKind::Conv1x1: return connector->forward(x);
    case PointwiseKind::Identity: break;
    }
    return x;
}

std::string PointwiseTransformImpl::describe() const {
    const std::string in = std::to_string(inChannels_), out = std::to_string(outChannels_);
    switch (kind_) {
    case PointwiseKind::Mlp: return "1×1 conv → ReLU → 1×1 conv (" + in + "→" + std::to_string(hidden_) + "→" + out + ")";
    case PointwiseKind::Linear: return "1×1 conv, linear (" + in + "→" + out + ")";
    case PointwiseKind::Conv1x1: return "1×1 conv + BN + ReLU (" + in + "→" + out + ")";
    case PointwiseKind::Identity: break;
    }
    return "no transform";
}

at::Tensor resizeSpatial(const at::Tensor& map, int64_t height, int64_t width) {
    TORCH_CHECK(map.dim() == 4, "resizeSpatial: expects an N×C×H×W map");
    at::Tensor out = map;
    const int64_t h = std::min(height, map.size(2)), w = std::min(width, map.size(3));
    if (h != map.size(2) || w != map.size(3)) out = at::adaptive_avg_pool2d(out, {h, w});
    if (h != height || w != width)
        out = torch::nn::functional::interpolate(out, torch::nn::functional::InterpolateFuncOptions()
                                                          .size(std::vector<int64_t>{height, width})
                                                          .mode(torch::kBilinear)
                                                          .align_corners(false));
    return out;
}

// ---- the channel method ------------------------------------------------------------------------

ChannelTransformDistiller::ChannelTransformDistiller(double alpha, ChannelTransformOptions options,
                                                     std::vector<StatisticsSpot> spots)
    : alpha_(alpha), options_(options), spots_(std::move(spots)) {
    TORCH_CHECK(!spots_.empty(), "channel: no spots");
    for (size_t k = 0; k < spots_.size(); ++k) {
        // Spot 0 keeps the name one-spot runs have always used, so their checkpoints still load.
        const std::string moduleName = k == 0 ? "transform" : "transform" + std::to_string(k);
        transforms_.push_back(register_module(moduleName, PointwiseTransform(options_.kind, spots_[k].studentChannels,
                                                                             spots_[k].teacherChannels,
                                                                             options_.hidden)));
    }
}

std::vector<Spot> ChannelTransformDistiller::ownSpots() const {
    std::vector<Spot> out;
    for (size_t k = 0; k < spots_.size(); ++k)
        out.push_back({spotName(k), spots_[k].studentStage, spots_[k].teacherStage, transforms_[k]->describe()});
    return out;
}

int64_t ChannelTransformDistiller::minSpotSamples() const {
    return options_.kind == PointwiseKind::Conv1x1 ? 2 : 1;
}

ChannelTransformDistiller::SpotMaps ChannelTransformDistiller::spotMaps(size_t spot, const models::FeatureSet& student,
                                                                        const models::FeatureSet& teacher) {
    TORCH_CHECK(spot < spots_.size(), "channel: no spot ", spot, " of ", spots_.size());
    const auto& s = spots_[spot];
    const auto& targets = options_.preReluTarget ? teacher.preReLU : teacher.stages;
    TORCH_CHECK(s.studentStage < int64_t(student.stages.size()) && s.teacherStage < int64_t(targets.size()),
                "channel: features lack student stage ", s.studentStage, " or teacher stage ", s.teacherStage,
                options_.preReluTarget ? " (before its ReLU)" : "");
    SpotMaps maps;
    maps.target = targets[size_t(s.teacherStage)].detach();
    maps.resized = resizeSpatial(student.stages[size_t(s.studentStage)], maps.target.size(2), maps.target.size(3));
    maps.transformed = transforms_[spot]->forward(maps.resized);
    return maps;
}

at::Tensor ChannelTransformDistiller::unweightedLoss(const SpotMaps& maps) const {
    const auto squared = (maps.transformed - maps.target).pow(2);
    return options_.reduction == ChannelTransformOptions::Reduction::Mean ? squared.mean()
                                                                          : squared.sum() / double(squared.size(0));
}

std::vector<LossTerm> ChannelTransformDistiller::losses(const StepInputs& inputs) {
    TORCH_CHECK(inputs.teacher, "channel needs a teacher");
    last_ = Diagnostics();
    at::Tensor sum;
    for (size_t k = 0; k < spots_.size(); ++k) {
        const auto maps = spotMaps(k, inputs.student, *inputs.teacher);
        const auto loss = unweightedLoss(maps);
        sum = sum.defined() ? sum + loss : loss;
        if (!inputs.collectDiagnostics) continue;
        torch::NoGradGuard noGrad;
        const auto g = maps.transformed.detach(), t = maps.target, x = maps.resized.detach();
        const std::string spot = spotName(k);
        auto rows = channelStatRows(spot, t.mean({0, 2, 3}), t.std({0, 2, 3}, /*unbiased=*/false), g.mean({0, 2, 3}),
                                    g.std({0, 2, 3}, /*unbiased=*/false));
        const auto error = (g - t).pow(2).mean({0, 2, 3}).to(at::kCPU, at::kDouble);
        for (auto& row : rows) row.alignmentError = error[row.channel].item<double>();
        last_.channelStats.insert(last_.channelStats.end(), rows.begin(), rows.end());
        last_.scalars.push_back({"channel/loss/" + spot, loss.item<double>()});
        last_.scalars.push_back({"channel/align_error/" + spot, (g - t).pow(2).mean().item<double>()});
        // What g buys: the same error with the student's map as it is (only where the channels agree).
        if (x.size(1) == t.size(1))
            last_.scalars.push_back({"channel/align_error_raw/" + spot, (x - t).pow(2).mean().item<double>()});
    }
    std::vector<LossTerm> terms{{"ce", labelLoss(inputs.student.logits, inputs.labels)}, {"feat", alpha_ * sum}};
    appendKd(terms, inputs);
    return terms;
}

at::Tensor ChannelTransformDistiller::spotLoss(size_t spot, const models::FeatureSet& student,
                                               const models::FeatureSet& teacher) {
    return alpha_ * unweightedLoss(spotMaps(spot, student, teacher));
}

Diagnostics ChannelTransformDistiller::diagnostics() { return last_; }

std::shared_ptr<Distiller> makeChannelTransform(const MethodBuild& build) {
    auto& teacher = stagedTeacher(build);
    auto& student = build.student;
    const auto& method = build.method;
    const int64_t studentStages = student.numStages(), teacherStages = teacher.numStages();
    const auto spotAt = [&](int64_t s, int64_t t) {
        return StatisticsSpot{s, t, student.stageChannels(s), teacher.stageChannels(t)};
    };
    std::vector<StatisticsSpot> spots;
    for (const int64_t s : chosenStudentStages(method, student))
        spots.push_back(spotAt(s, stageAtDepth(s, studentStages, teacherStages)));
    if (spots.empty()) spots.push_back(spotAt(studentStages - 1, teacherStages - 1));

    ChannelTransformOptions o;
    o.kind = pointwiseKindFromName(method.choice("transform"));
    o.hidden = int64_t(method.param("hidden"));
    o.reduction = method.choice("reduction") == "mean" ? ChannelTransformOptions::Reduction::Mean
                                                       : ChannelTransformOptions::Reduction::Sum;
    o.preReluTarget = method.choice("target") == "pre_relu";
    if (o.kind == PointwiseKind::Identity)
        for (const auto& s : spots)
            if (s.studentChannels != s.teacherChannels)
                throw spec::FieldError("method.transform",
                                       "channel.transform: none compares the maps channel for channel, but student "
                                       "stage " + std::to_string(s.studentStage) + " has " +
                                           std::to_string(s.studentChannels) + " channels and teacher stage " +
                                           std::to_string(s.teacherStage) + " has " + std::to_string(s.teacherChannels) +
                                           "; choose transform mlp, linear or conv1x1, or stages whose widths agree");
    return std::make_shared<ChannelTransformDistiller>(method.param("alpha"), o, std::move(spots));
}

}  // namespace distillery::methods
