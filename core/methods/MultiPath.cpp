#include "methods/MultiPath.h"

#include <torch/torch.h>

#include <algorithm>
#include <set>
#include <stdexcept>

#include "spec/Catalog.h"
#include "spec/FieldError.h"

namespace distillery::methods {

namespace {
bool isUncertainty(MultiPath::Weighting w) {
    return w == MultiPath::Weighting::Uncertainty || w == MultiPath::Weighting::UncertaintyLayerwise;
}

std::vector<std::string> pathNames(const std::vector<DistillationPath>& paths) {
    std::vector<std::string> names;
    for (const auto& p : paths) names.push_back(p->name());
    return names;
}
}  // namespace

MultiPath::MultiPath(std::vector<DistillationPath> paths, Options options, AdaptationBank adaptations)
    : paths_(std::move(paths)), options_(std::move(options)) {
    const auto names = pathNames(paths_);
    if (paths_.empty())
        throw spec::FieldError("method.paths", "multipath.paths: give at least one path, e.g. [\"kd@logits\"]");
    std::set<std::string> seen;
    for (const auto& name : names)
        if (!seen.insert(name).second)
            throw spec::FieldError("method.paths", "multipath.paths: the path " + name +
                                                       " is listed twice (paths without a spot name their default "
                                                       "one); paths: " + spec::joinNames(names));
    const auto& weights = options_.weights;
    if (options_.weighting == Weighting::Equal && !weights.empty())
        throw spec::FieldError("method.weights", "multipath.weights: the equal weighting uses no weights, but " +
                                                     std::to_string(weights.size()) +
                                                     " were given; leave weights empty or choose another weighting "
                                                     "(fixed, …)");
    if (!weights.empty() && weights.size() != paths_.size())
        throw spec::FieldError("method.weights", "multipath.weights: " + std::to_string(weights.size()) +
                                                     " weights for " + std::to_string(paths_.size()) + " paths (" +
                                                     spec::joinNames(names) +
                                                     "); give one weight per path, in the order of the paths, or none");

    // The weighted units: one per path, or, layerwise, one per spot of every "@stages" path.
    const bool layerwise = options_.weighting == Weighting::UncertaintyLayerwise;
    std::vector<float> unitWeights;
    for (size_t p = 0; p < paths_.size(); ++p) {
        register_module(paths_[p]->name(), paths_[p]);
        const auto weight = float(weights.empty() ? 1.0 : weights[p]);
        const size_t units = layerwise && paths_[p]->plan().everyStage ? paths_[p]->spotCount() : 1;
        for (size_t k = 0; k < units; ++k) {
            unitNames_.push_back(units == 1 ? paths_[p]->name() : paths_[p]->spotName(k));
            unitPath_.push_back(p);
            unitWeights.push_back(weight);
        }
    }
    if (adaptations && !adaptations->empty()) register_module("adaptation", adaptations);
    fixedWeights_ = register_buffer("fixed_weights", torch::tensor(unitWeights));
    const auto pathCount = int64_t(paths_.size());
    switch (options_.weighting) {
    case Weighting::Uncertainty:
    case Weighting::UncertaintyLayerwise:
        alphas_ = register_parameter("alphas", torch::zeros({int64_t(unitNames_.size())}));
        break;
    case Weighting::GradNorm:
        gradnormWeights_ = register_buffer("gradnorm_weights", fixedWeights_.clone());
        gradnormInitialLosses_ = register_buffer("gradnorm_initial_losses", torch::full({pathCount}, -1.0f));
        break;
    case Weighting::Dwa:
        dwaSums_ = register_buffer("dwa_sums", torch::zeros({pathCount}));
        dwaSteps_ = register_buffer("dwa_steps", torch::zeros({}));
        dwaAverages_ = register_buffer("dwa_averages", torch::zeros({2, pathCount}));
        dwaEpochs_ = register_buffer("dwa_epochs", torch::tensor(std::vector<int64_t>{-1, 0}, torch::kLong));
        break;
    default: break;
    }
}

bool MultiPath::needsFeatures() const {
    return options_.weighting == Weighting::GradNorm ||
           std::any_of(paths_.begin(), paths_.end(), [](const DistillationPath& p) { return !p->atLogits(); });
}

at::Tensor MultiPath::gradNormStep(const at::Tensor& weights, const at::Tensor& losses, const at::Tensor& initialLosses,
                                   const at::Tensor& lossGradNorms, double alpha, double learningRate) {
    const auto weighted = weights * lossGradNorms;                        // G_p
    const auto trainingRate = losses / initialLosses.clamp_min(1e-12);    // L_p / L_p(0)
    const auto relative = trainingRate / trainingRate.mean().clamp_min(1e-12);
    const auto target = weighted.mean() * relative.pow(alpha);
    // d/dw_p Σ|G_q − target_q| with the target held constant: sign(G_p − target_p)·n_p.
    const auto next = (weights - learningRate * torch::sign(weighted - target) * lossGradNorms).clamp_min(1e-4);
    return next * (double(weights.numel()) / next.sum());
}

at::Tensor MultiPath::dwaWeights(const at::Tensor& previous, const at::Tensor& beforePrevious, double temperature) {
    const auto ratio = previous / beforePrevious.clamp_min(1e-12);
    return double(previous.numel()) * torch::softmax(ratio / temperature, 0);
}

void MultiPath::advanceDwa(int64_t epoch) {
    if (!dwaEpochsOnHost_) {
        const auto stored = dwaEpochs_.cpu();
        dwaEpoch_ = stored[0].item<int64_t>();
        dwaCompleted_ = stored[1].item<int64_t>();
        dwaEpochsOnHost_ = true;
    }
    if (epoch == dwaEpoch_) return;
    torch::NoGradGuard noGrad;
    if (dwaEpoch_ >= 0) {
        dwaAverages_[1].copy_(dwaAverages_[0]);
        dwaAverages_[0].copy_(dwaSums_ / dwaSteps_.clamp_min(1));
        dwaSums_.zero_();
        dwaSteps_.zero_();
        ++dwaCompleted_;
    }
    dwaEpoch_ = epoch;
    dwaEpochs_.copy_(torch::tensor(std::vector<int64_t>{dwaEpoch_, dwaCompleted_}, torch::kLong));
}

at::Tensor MultiPath::schemeWeights(const at::Tensor& pathLosses, const StepInputs& inputs) {
    switch (options_.weighting) {
    case Weighting::Equal: return torch::ones_like(pathLosses);
    case Weighting::Fixed: return fixedWeights_;
    case Weighting::Uncertainty:
    case Weighting::UncertaintyLayerwise: return torch::exp(-alphas_) * fixedWeights_;
    // A copy: the update after this step rewrites the buffer while the step's graph still holds it.
    case Weighting::GradNorm: return gradnormWeights_.clone();
    case Weighting::Dwa: {
        advanceDwa(inputs.epoch);
        const auto balance = dwaCompleted_ >= 2
                                 ? dwaWeights(dwaAverages_[0], dwaAverages_[1], options_.dwaTemperature)
                                 : torch::ones_like(pathLosses);
        torch::NoGradGuard noGrad;
        // Several processes: the whole batch's losses (the mean of the equal shares'), so every process
        // keeps the same averages and so the same weights.
        dwaSums_.add_(processes() ? processes()->mean(pathLosses) : pathLosses.detach());
        dwaSteps_.add_(1);
        return fixedWeights_ * balance;
    }
    }
    return fixedWeights_;
}

void MultiPath::updateGradNorm(const std::vector<at::Tensor>& pathLosses, const at::Tensor& stem) {
    TORCH_CHECK(stem.defined(), "multipath gradnorm: the student's features lack the stem output");
    if (!stem.requires_grad() || !at::GradMode::is_enabled()) return;   // nothing to measure (evaluation)
    std::vector<at::Tensor> gradNorms;
    for (const auto& loss : pathLosses) {
        at::Tensor norm = torch::zeros({}, gradnormWeights_.options());
        if (loss.requires_grad()) {
            const auto grad = torch::autograd::grad({loss}, {stem}, {}, /*retain_graph=*/true,
                                                    /*create_graph=*/false, /*allow_unused=*/true)[0];
            if (grad.defined()) norm = grad.to(at::kFloat).norm();
        }
        gradNorms.push_back(norm);
    }
    torch::NoGradGuard noGrad;
    auto losses = torch::stack(pathLosses).to(at::kFloat);
    auto norms = torch::stack(gradNorms);
    if (auto* share = processes()) {
        // The whole batch's, so every process takes the same weights: its loss is the mean of the
        // equal shares' and the gradient at its stem output, a map with a row per sample, is each
        // share's gradient divided by the processes (its loss averages over N times the samples).
        losses = share->mean(losses);
        norms = share->sum(norms.pow(2)).sqrt() / double(share->worldSize());
    }
    gradnormInitialLosses_.copy_(torch::where(gradnormInitialLosses_ < 0, losses, gradnormInitialLosses_));
    gradnormWeights_.copy_(gradNormStep(gradnormWeights_, losses, gradnormInitialLosses_, norms,
                                        options_.gradnormAlpha, options_.gradnormLr));
}

at::Tensor MultiPath::gradientAlignment(const std::vector<at::Tensor>& terms, const at::Tensor& layer) {
    std::vector<at::Tensor> grads;
    for (const auto& term : terms) {
        at::Tensor grad;
        if (term.requires_grad())
            grad = torch::autograd::grad({term}, {layer}, {}, /*retain_graph=*/true, /*create_graph=*/false,
                                         /*allow_unused=*/true)[0];
        grads.push_back(grad.defined() ? grad.detach().to(at::kFloat).flatten()
                                       : torch::zeros({layer.numel()}, layer.options().dtype(at::kFloat)));
    }
    const auto g = torch::stack(grads);   // T × numel
    const auto norms = g.norm(2, 1);
    const auto cosines = (g.matmul(g[0]) / (norms * norms[0]).clamp_min(1e-30)).where(norms * norms[0] > 0,
                                                                                       torch::zeros_like(norms));
    return torch::stack({norms, cosines});
}

std::vector<LossTerm> MultiPath::losses(const StepInputs& inputs) {
    TORCH_CHECK(inputs.teacher, "multipath needs a teacher");
    const bool layerwise = options_.weighting == Weighting::UncertaintyLayerwise;
    std::vector<at::Tensor> pathLosses, unitLosses;
    for (auto& path : paths_) {
        const auto spotLosses = path->spotLosses(inputs.student, *inputs.teacher);
        at::Tensor sum = spotLosses.front().to(at::kFloat);
        for (size_t k = 1; k < spotLosses.size(); ++k) sum = sum + spotLosses[k].to(at::kFloat);
        pathLosses.push_back(sum);
        if (layerwise && path->plan().everyStage)
            for (const auto& l : spotLosses) unitLosses.push_back(l.to(at::kFloat));
        else
            unitLosses.push_back(sum);
    }
    const auto losses = torch::stack(unitLosses);
    const auto weights = schemeWeights(losses.detach(), inputs);
    auto contributions = weights * losses;
    if (isUncertainty(options_.weighting)) contributions = contributions + alphas_;
    if (options_.weighting == Weighting::GradNorm) updateGradNorm(pathLosses, inputs.student.stem);

    std::vector<LossTerm> terms{{"ce", labelLoss(inputs.student.logits, inputs.labels)}};
    for (size_t p = 0, unit = 0; p < paths_.size(); ++p) {
        const size_t first = unit;
        while (unit < unitPath_.size() && unitPath_[unit] == p) ++unit;
        terms.push_back({"path/" + paths_[p]->name(),
                         options_.distillWeight * contributions.slice(0, int64_t(first), int64_t(unit)).sum()});
    }

    diagnosticWeights_ = diagnosticLosses_ = diagnosticAlphas_ = diagnosticGradients_ = at::Tensor();
    if (inputs.collectDiagnostics) {
        diagnosticWeights_ = weights.detach();
        diagnosticLosses_ = losses.detach();
        if (alphas_.defined()) diagnosticAlphas_ = alphas_.detach().clone();
        // Only on diagnostics steps: one extra backward per term through the retained graphs.
        if (gradientProbe_.defined() && gradientProbe_.requires_grad() && at::GradMode::is_enabled()) {
            std::vector<at::Tensor> values;
            for (const auto& term : terms) values.push_back(term.value);
            diagnosticGradients_ = gradientAlignment(values, gradientProbe_);
        }
    }
    return terms;
}

Diagnostics MultiPath::diagnostics() {
    Diagnostics d;
    if (!diagnosticWeights_.defined()) return d;
    const auto weights = diagnosticWeights_.to(at::kCPU, at::kDouble).contiguous();
    const auto losses = diagnosticLosses_.to(at::kCPU, at::kDouble).contiguous();
    for (size_t u = 0; u < unitNames_.size(); ++u)
        d.pathWeights.push_back({0, 0, unitNames_[u], weights.data_ptr<double>()[u], losses.data_ptr<double>()[u]});
    if (diagnosticAlphas_.defined()) {
        const auto alphas = diagnosticAlphas_.to(at::kCPU, at::kDouble).contiguous();
        for (size_t u = 0; u < unitNames_.size(); ++u)
            d.scalars.push_back({"multipath/alpha/" + unitNames_[u], alphas.data_ptr<double>()[u]});
    }
    if (diagnosticGradients_.defined()) {
        const auto g = diagnosticGradients_.to(at::kCPU, at::kDouble).contiguous();
        const auto count = g.size(1);
        const double* norms = g.data_ptr<double>();
        const double* cosines = norms + count;
        d.scalars.push_back({"multipath/grad_norm/ce", norms[0]});
        for (size_t p = 0; p < paths_.size(); ++p) {
            d.scalars.push_back({"multipath/grad_norm/" + paths_[p]->name(), norms[p + 1]});
            d.scalars.push_back({"multipath/grad_cos_ce/" + paths_[p]->name(), cosines[p + 1]});
        }
    }
    diagnosticWeights_ = diagnosticLosses_ = diagnosticAlphas_ = diagnosticGradients_ = at::Tensor();   // once
    return d;
}

std::vector<Spot> MultiPath::ownSpots() const {
    std::vector<Spot> all;
    for (const auto& path : paths_)
        for (auto& spot : path->spots()) all.push_back(std::move(spot));
    return all;
}

std::shared_ptr<Distiller> makeMultiPath(const MethodBuild& build) {
    if (!build.teacher) throw spec::FieldError("method.name", "method multipath distils from a teacher: give one");
    const auto& method = build.method;
    static const std::vector<std::pair<std::string, MultiPath::Weighting>> weightings = {
        {"equal", MultiPath::Weighting::Equal},
        {"fixed", MultiPath::Weighting::Fixed},
        {"uncertainty", MultiPath::Weighting::Uncertainty},
        {"uncertainty_layerwise", MultiPath::Weighting::UncertaintyLayerwise},
        {"gradnorm", MultiPath::Weighting::GradNorm},
        {"dwa", MultiPath::Weighting::Dwa}};
    const std::string weighting = method.choice("weighting");
    const auto found =
        std::find_if(weightings.begin(), weightings.end(), [&](const auto& w) { return w.first == weighting; });
    if (found == weightings.end())
        throw spec::FieldError("method.weighting", "multipath.weighting: unknown \"" + weighting + "\"");

    MultiPath::Options options;
    options.weighting = found->second;
    options.weights = method.numbers("weights");
    options.distillWeight = method.param("distill_weight");
    options.gradnormAlpha = method.param("gradnorm_alpha");
    options.gradnormLr = method.param("gradnorm_lr");
    options.dwaTemperature = method.param("dwa_T");
    // One adaptation bank for all paths: paths at the same student stage share its module, as the official
    // code's single adaptation layer per stage feeds every loss.
    AdaptationBank adaptations;
    std::vector<DistillationPath> paths;
    for (const auto& path : method.names("paths"))
        paths.emplace_back(planPath(path, build.student.numStages(), build.teacher->numStages()), *build.teacher,
                           build.student, method.param("T"), adaptations);
    auto multipath = std::make_shared<MultiPath>(std::move(paths), std::move(options), adaptations);
    const auto studentParameters = build.student.parameters();
    if (!studentParameters.empty()) multipath->probeGradientsAt(studentParameters.front());
    return multipath;
}

}  // namespace distillery::methods
