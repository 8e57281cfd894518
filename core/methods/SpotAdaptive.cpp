#include "methods/SpotAdaptive.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include <spdlog/fmt/fmt.h>

#include "methods/Connector.h"
#include "methods/Crd.h"
#include "methods/HintonKd.h"
#include "models/Autocast.h"
#include "spec/FieldError.h"

namespace distillery::methods {

namespace F = torch::nn::functional;

namespace {

at::Tensor pool(const at::Tensor& map) { return at::adaptive_avg_pool2d(map, {1, 1}).flatten(1); }

// The rows `index` of every tensor of a feature set: a base method's loss on the open samples only.
models::FeatureSet rows(const models::FeatureSet& f, const at::Tensor& index) {
    const auto pick = [&](const at::Tensor& t) { return t.defined() ? t.index_select(0, index) : t; };
    models::FeatureSet out;
    out.stem = pick(f.stem);
    for (const auto& s : f.stages) out.stages.push_back(pick(s));
    for (const auto& s : f.preReLU) out.preReLU.push_back(pick(s));
    out.pooled = pick(f.pooled);
    out.logits = pick(f.logits);
    return out;
}

// SplitMix64's finaliser: a bijection that scatters nearby integers, so (seed, step) pairs of
// different seeds land on unrelated generator seeds (seed·k + step would make seed s+1 replay seed s).
uint64_t scramble(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

// Brings an adaptor's output to the exact size of the stream it joins (28-pixel inputs can leave a
// pixel of difference between nets).
at::Tensor fitSize(const at::Tensor& x, const at::Tensor& like) {
    if (x.size(2) == like.size(2) && x.size(3) == like.size(3)) return x;
    return at::adaptive_avg_pool2d(x, {like.size(2), like.size(3)});
}

}  // namespace

SpotAdaptive::SpotAdaptive(std::shared_ptr<Distiller> base, models::StagedNet& teacher, models::StagedNet& student,
                           const Options& options, const DistillerContext& context)
    : base_(std::move(base)), teacher_(&teacher), student_(&student), options_(options), context_(context) {
    register_module("base", base_);
    const int64_t studentStages = student.numStages(), teacherStages = teacher.numStages();
    hints_ = register_module("hints", torch::nn::ModuleList());
    antiHints_ = register_module("anti_hints", torch::nn::ModuleList());

    // Resolve the base's spots to the stages each stream runs before the mixing, in order.
    Junction previous;
    const auto noteChannels = [&](const Spot& spot, int64_t studentChannels, int64_t teacherChannels) {
        homogeneous_ = homogeneous_ && studentChannels == teacherChannels;
        channelSummary_ += (channelSummary_.empty() ? "" : ", ") + spot.name + " " + std::to_string(studentChannels) +
                           "/" + std::to_string(teacherChannels);
    };
    for (const Spot& spot : base_->spots()) {
        Junction j;
        if (spot.studentStage == Spot::kPooled) {
            j = {studentStages, teacherStages, true};
            const int64_t cs = student.stageChannels(studentStages - 1), ct = teacher.stageChannels(teacherStages - 1);
            noteChannels(spot, cs, ct);
            hints_->push_back(torch::nn::Linear(cs, ct));
            antiHints_->push_back(torch::nn::Linear(ct, cs));
        } else {
            const auto resolve = [](int64_t stage, int64_t stages) { return stage == Spot::kLastStage ? stages - 1 : stage; };
            const int64_t s = resolve(spot.studentStage, studentStages), t = resolve(spot.teacherStage, teacherStages);
            if (s < 0 || t < 0)
                throw spec::FieldError("method", "sakd: the base " + base_->name() + " distils at " + spot.name +
                                                     ", which is not a stage spot");
            j = {s + 1, t + 1, false};
            noteChannels(spot, student.stageChannels(s), teacher.stageChannels(t));
            hints_->push_back(Connector(student.stageChannels(s), student.stageStride(s), teacher.stageChannels(t),
                                        teacher.stageStride(t)));
            antiHints_->push_back(Connector(teacher.stageChannels(t), teacher.stageStride(t), student.stageChannels(s),
                                            student.stageStride(s)));
        }
        if (previous.pooled || j.studentStages < previous.studentStages || j.teacherStages < previous.teacherStages ||
            (j.studentStages == previous.studentStages && !j.pooled && !junctions_.empty()))
            throw spec::FieldError("method", "sakd: the spots of " + base_->name() + " are not in forward order");
        junctions_.push_back(j);
        previous = j;
        decisionSpots_.push_back(spot);
    }
    decisionSpots_.push_back({"logits", Spot::kLogits, Spot::kLogits, ""});

    const int64_t decisions = decisionCount();
    openSum_ = register_buffer("open_sum", torch::zeros({decisions}));
    openSteps_ = register_buffer("open_steps", torch::zeros({}));
    policy_ = register_module(
        "policy", torch::nn::Linear(teacher.stageChannels(teacherStages - 1) + student.stageChannels(studentStages - 1),
                                    2 * decisions));
    const bool withPrior = options_.prior == Prior::Always || (options_.prior == Prior::Pair && homogeneous_);
    priorBias_ = withPrior ? options_.initBias : 0.0;
    if (options_.priorDecay <= 0) {
        // Index 0 of each decision is "distil": the official set_n_to_True, faded by weight decay alone.
        torch::NoGradGuard noGrad;
        for (int64_t k = 0; k < decisions; ++k) policy_->bias[2 * k] += priorBias_;
    }
    std::vector<at::Tensor> agentParameters = policy_->parameters();
    for (auto& p : hints_->parameters()) agentParameters.push_back(p);
    for (auto& p : antiHints_->parameters()) agentParameters.push_back(p);
    agentOptimizer_ = std::make_unique<torch::optim::SGD>(
        agentParameters, torch::optim::SGDOptions(0.0).momentum(options_.agentMomentum).weight_decay(options_.agentWeightDecay));
}

double SpotAdaptive::tauAt(int64_t step) const {
    const double progress = std::clamp(double(step) / double(std::max<int64_t>(1, context_.totalSteps)), 0.0, 1.0);
    switch (options_.tauSchedule) {
    case TauSchedule::Linear: return options_.tau + (options_.tauFinal - options_.tau) * progress;
    case TauSchedule::Exponential: return options_.tau * std::pow(options_.tauFinal / options_.tau, progress);
    case TauSchedule::Constant: break;
    }
    return options_.tau;
}

double SpotAdaptive::priorAt(int64_t step) const {
    if (options_.priorDecay <= 0 || priorBias_ == 0) return 0;
    const double timeConstant = options_.priorDecay * double(std::max<int64_t>(1, context_.totalSteps));
    return priorBias_ * std::exp(-double(step) / timeConstant);
}

at::Tensor SpotAdaptive::policyLogits(const models::FeatureSet& student, const models::FeatureSet& teacher,
                                      int64_t step) {
    const auto input = torch::cat({teacher.pooled.detach(), student.pooled.detach()}, 1);
    auto logits = policy_->forward(input).view({input.size(0), decisionCount(), 2});
    if (const double prior = priorAt(step); prior != 0) {
        const auto onDistil = torch::tensor({prior, 0.0}, logits.options());
        logits = logits + onDistil;
    }
    return logits;
}

at::Tensor SpotAdaptive::distilProbability(const models::FeatureSet& student, const models::FeatureSet& teacher) {
    return torch::softmax(policyLogits(student, teacher, lastStep_), -1).select(2, 0);
}

at::Tensor SpotAdaptive::straightThrough(const at::Tensor& logits, const at::Tensor& uniform, double tau) {
    const auto gumbel = -torch::log(-torch::log(uniform + 1e-20) + 1e-20);
    const auto soft = torch::softmax((logits + gumbel) / tau, -1);
    const auto hard = F::one_hot(soft.argmax(-1), logits.size(-1)).to(soft.dtype());
    return (hard - soft).detach() + soft;
}

at::Tensor SpotAdaptive::gateNoise(uint64_t seed, int64_t step, at::IntArrayRef shape) {
    // Drawn on the CPU from (seed, step): the same gates on any device and after a resume.
    auto generator = at::make_generator<at::CPUGeneratorImpl>(scramble(scramble(seed) ^ static_cast<uint64_t>(step)));
    return torch::rand(shape, generator, torch::kFloat);
}

at::Tensor SpotAdaptive::decide(const models::FeatureSet& student, const models::FeatureSet& teacher, int64_t step) {
    const int64_t batch = student.logits.size(0), decisions = decisionCount();
    const auto options = student.logits.options();
    lastStep_ = step;
    // With several processes, each draws the noise of the whole batch and keeps its rows': the gates a
    // single process would draw for these samples.
    const auto noise = [&](std::vector<int64_t> shape) {
        if (!processes()) return gateNoise(context_.seed, step, shape);
        const auto place = processes()->placeRows(batch);
        shape[0] = place.total;
        return gateNoise(context_.seed, step, shape).narrow(0, place.offset, batch);
    };
    switch (options_.gate) {
    case Gate::All: return torch::ones({batch, decisions}, options);
    case Gate::None: return torch::zeros({batch, decisions}, options);
    case Gate::Random: return (noise({batch, decisions}) < 0.5).to(options.device(), options.dtype());
    case Gate::Policy:
    case Gate::Reverse: break;
    }
    const auto logits = policyLogits(student, teacher, step);
    const auto uniform = noise({batch, decisions, 2}).to(options.device(), logits.scalar_type());
    return straightThrough(logits, uniform, tauAt(step)).select(2, 0);
}

at::Tensor SpotAdaptive::adapt(torch::nn::ModuleList& adaptors, size_t k, const at::Tensor& x, const at::Tensor& like) {
    if (auto* connector = adaptors->ptr(k)->as<ConnectorImpl>()) return fitSize(connector->forward(x), like);
    return adaptors->ptr(k)->as<torch::nn::LinearImpl>()->forward(x);
}

at::Tensor SpotAdaptive::multiPathLogits(const at::Tensor& images, const at::Tensor& gates,
                                         const models::FeatureSet* teacherFeatures) {
    models::EvalModeScope studentEval(*student_), teacherEval(*teacher_);
    models::AutocastScope autocast(forwardType(), images.device().type());
    const auto gate = [&](size_t k, int64_t dims) {
        std::vector<int64_t> shape(static_cast<size_t>(dims), 1);
        shape[0] = -1;
        return gates.select(1, int64_t(k)).reshape(shape);
    };
    // Until the first junction the teacher stream is the teacher's own forward (frozen, in eval mode,
    // without gradient): the step's teacher features are that stream, so it is not run again. The
    // student's cannot be shared: the step ran it in training mode, the graft runs it in eval mode.
    const bool teacherShared = teacherFeatures && !teacherFeatures->stages.empty();
    at::Tensor teacherStream = images, studentStream = images;
    int64_t teacherDone = 0, studentDone = 0;
    size_t pooledSpot = junctions_.size();
    for (size_t k = 0; k < junctions_.size(); ++k) {
        const Junction& j = junctions_[k];
        if (j.pooled) {
            pooledSpot = k;
            break;
        }
        const auto t = k == 0 && teacherShared
                           ? teacherFeatures->stages[size_t(j.teacherStages - 1)]
                           : teacher_->forwardStages(teacherStream, teacherDone, j.teacherStages);
        const auto s = student_->forwardStages(studentStream, studentDone, j.studentStages);
        const auto a = gate(k, 4);
        teacherStream = a * t + (1 - a) * adapt(hints_, k, s, t);
        studentStream = (1 - a) * s + a * adapt(antiHints_, k, t, s);
        teacherDone = j.teacherStages;
        studentDone = j.studentStages;
    }
    auto teacherPooled = teacherDone == 0 && teacherShared && teacherFeatures->pooled.defined()
                             ? teacherFeatures->pooled
                             : pool(teacher_->forwardStages(teacherStream, teacherDone, teacher_->numStages()));
    auto studentPooled = pool(student_->forwardStages(studentStream, studentDone, student_->numStages()));
    if (pooledSpot < junctions_.size()) {
        const auto a = gate(pooledSpot, 2);
        const auto mixedTeacher = a * teacherPooled + (1 - a) * adapt(hints_, pooledSpot, studentPooled, teacherPooled);
        studentPooled = (1 - a) * studentPooled + a * adapt(antiHints_, pooledSpot, teacherPooled, studentPooled);
        teacherPooled = mixedTeacher;
    }
    const auto a = gate(size_t(decisionCount() - 1), 2);
    return (a * teacher_->classify(teacherPooled) + (1 - a) * student_->classify(studentPooled)).to(at::kFloat);
}

at::Tensor SpotAdaptive::routingLoss(const at::Tensor& mixedLogits, const at::Tensor& studentLogits,
                                     const at::Tensor& labels, const at::Tensor& outputGates, double gamma,
                                     models::ProcessShare* processes) {
    const auto mixedCe = F::cross_entropy(mixedLogits, labels);
    auto studentCe = F::cross_entropy(studentLogits.detach(), labels);
    at::Tensor mixedCeOfBatch = mixedCe.detach(), openOutputs = outputGates.sum();
    double half = double(labels.size(0)) / 2;
    if (processes) {
        // The whole batch's: both CEs averaged over the processes (equal shares), and the open output
        // gates summed over them differentiably, so each process's gates get the hinge's gradient once
        // the agent's gradients are averaged.
        const auto ces = processes->mean(torch::stack({mixedCeOfBatch, studentCe}));
        mixedCeOfBatch = ces[0];
        studentCe = ces[1];
        openOutputs = processes->sum(openOutputs);
        half *= processes->worldSize();
    }
    // w = gamma when the mixed network does worse than the student, else 1/gamma; kept on the device.
    const auto worse = (mixedCeOfBatch > studentCe).to(mixedCe.dtype());
    const auto weight = 1.0 / gamma + (gamma - 1.0 / gamma) * worse;
    return weight * mixedCe + torch::relu(half - openOutputs);
}

std::vector<LossTerm> SpotAdaptive::losses(const StepInputs& inputs) {
    TORCH_CHECK(inputs.teacher, "sakd needs a teacher");
    const bool learnt = options_.gate == Gate::Policy || options_.gate == Gate::Reverse;
    const at::Tensor gates = decide(inputs.student, *inputs.teacher, inputs.step);
    stepScalars_.clear();
    if (learnt) {
        // The agent's step comes first, as in the official train.py.
        TORCH_CHECK(inputs.images, "sakd: the trainer must pass the batch's images");
        for (auto& group : agentOptimizer_->param_groups())
            static_cast<torch::optim::SGDOptions&>(group.options()).lr(inputs.learningRate * options_.agentLrScale);
        const auto mixed = multiPathLogits(*inputs.images, gates, inputs.teacher);
        const auto route = routingLoss(mixed, inputs.student.logits, inputs.labels, gates.select(1, decisionCount() - 1),
                                       options_.gamma, processes());
        if (inputs.collectDiagnostics) recordPolicyState(inputs, mixed, route);
        // The agent's gradients alone: the official backward() also fills the student's, which its
        // zero_grad() then discards; asking for the agent's spares the student's weight gradients.
        std::vector<at::Tensor> agent;
        for (const auto& p : agentOptimizer_->param_groups().front().params())
            if (p.requires_grad()) agent.push_back(p);
        const auto gradients = torch::autograd::grad({route}, agent, {}, /*retain_graph=*/false,
                                                     /*create_graph=*/false, /*allow_unused=*/true);
        for (size_t i = 0; i < agent.size(); ++i) agent[i].mutable_grad() = gradients[i];
        if (processes()) processes()->averageGradients(agent);
        agentOptimizer_->step();
    }
    at::Tensor open = gates.detach();
    if (options_.gate == Gate::Reverse) open = 1 - open;
    if (options_.gate == Gate::None) open = torch::zeros_like(open);
    // The open rates of the whole batch (one small all-reduce with several processes).
    const at::Tensor openRates = processes() ? processes()->mean(open.mean(0)) : open.mean(0);
    openSum_.add_(openRates.to(openSum_.device(), openSum_.scalar_type()));
    openSteps_.add_(1);
    return studentTerms(inputs, open);
}

std::vector<LossTerm> SpotAdaptive::studentTerms(const StepInputs& inputs, const at::Tensor& open) {
    const auto& student = inputs.student;
    const auto& teacher = *inputs.teacher;
    const double batch = double(inputs.labels.size(0));
    const auto openRows = [&](int64_t k) { return (open.select(1, k) > 0.5).nonzero().squeeze(1); };
    at::Tensor feat = torch::zeros({}, student.logits.options());
    for (size_t k = 0; k < junctions_.size(); ++k) {
        const auto index = openRows(int64_t(k));
        const int64_t n = index.size(0);
        auto* crd = dynamic_cast<Crd*>(base_.get());
        // With several processes CRD's banks take every process's open samples: each process calls it,
        // open samples or not, and it adds nothing where all gates are closed.
        if (n < base_->minSpotSamples() && !(crd && processes())) continue;
        // CRD's memory banks are indexed by the open samples' positions in the training split.
        if (crd) {
            TORCH_CHECK(inputs.indices.defined(), "sakd over crd: the trainer must pass the batch's positions");
            crd->setSpotIndices(inputs.indices.index_select(0, index.to(inputs.indices.device())));
        }
        feat = feat + (double(n) / batch) * base_->spotLoss(k, rows(student, index), rows(teacher, index));
    }
    at::Tensor kd = torch::zeros({}, student.logits.options());
    const auto index = openRows(decisionCount() - 1);
    if (const int64_t n = index.size(0); n > 0)
        kd = options_.alpha * (double(n) / batch) *
             HintonKd::klDivergence(student.logits.index_select(0, index),
                                    teacher.logits.detach().index_select(0, index), options_.temperature);
    return {{"ce", labelLoss(student.logits, inputs.labels)}, {"feat", feat}, {"kd", kd}};
}

void SpotAdaptive::recordPolicyState(const StepInputs& inputs, const at::Tensor& mixedLogits, const at::Tensor& route) {
    torch::NoGradGuard noGrad;
    // Why the gates are where they are: the agent's loss and its classification parts, and per spot the
    // mean "distil − skip" logit margin (P(distil) = σ(margin)) and the part of it the bias and prior give.
    const auto margins = policyLogits(inputs.student, *inputs.teacher, inputs.step).diff(1, -1).neg().squeeze(-1);
    const auto meanMargins = margins.mean(0).to(torch::kCPU, torch::kDouble);
    const auto bias = policy_->bias.detach().view({decisionCount(), 2}).to(torch::kCPU, torch::kDouble);
    const double prior = priorAt(inputs.step);
    auto& out = stepScalars_;
    out.push_back({"sakd/route_loss", route.item<double>()});
    out.push_back({"sakd/mixed_ce", F::cross_entropy(mixedLogits.detach(), inputs.labels).item<double>()});
    out.push_back({"sakd/student_ce", F::cross_entropy(inputs.student.logits.detach(), inputs.labels).item<double>()});
    out.push_back({"sakd/prior", prior});
    for (int64_t k = 0; k < decisionCount(); ++k) {
        const std::string& spot = decisionSpots_[size_t(k)].name;
        out.push_back({"sakd/logit_margin/" + spot, meanMargins[k].item<double>()});
        out.push_back({"sakd/bias_margin/" + spot, bias[k][0].item<double>() - bias[k][1].item<double>() + prior});
    }
}

Diagnostics SpotAdaptive::diagnostics() {
    Diagnostics d;
    d.scalars = std::move(stepScalars_);
    stepScalars_.clear();
    const double steps = openSteps_.item<double>();
    if (steps == 0) return d;
    const auto rates = (openSum_ / steps).to(torch::kCPU, torch::kDouble);
    for (int64_t k = 0; k < decisionCount(); ++k)
        d.gates.push_back({0, 0, decisionSpots_[size_t(k)].name, rates[k].item<double>()});
    openSum_.zero_();
    openSteps_.zero_();
    return d;
}

bool SpotAdaptive::observesEvaluation() const {
    return options_.gate == Gate::Policy || options_.gate == Gate::Reverse;
}

void SpotAdaptive::observeEvaluation(const models::FeatureSet& student, const models::FeatureSet& teacher,
                                     const at::Tensor& labels) {
    torch::NoGradGuard noGrad;
    at::Tensor p = distilProbability(student, teacher);
    if (options_.gate == Gate::Reverse) p = 1 - p;
    if (!evalSum_.defined()) {
        evalSum_ = torch::zeros({student_->numClasses(), decisionCount()}, p.options());
        evalCount_ = torch::zeros({student_->numClasses()}, p.options());
    }
    evalSum_.index_add_(0, labels, p);
    evalCount_.index_add_(0, labels, torch::ones({labels.size(0)}, p.options()));
}

Diagnostics SpotAdaptive::evaluationDiagnostics() {
    Diagnostics d;
    if (!evalSum_.defined()) return d;
    const auto sums = evalSum_.to(torch::kCPU, torch::kDouble);
    const auto counts = evalCount_.to(torch::kCPU, torch::kDouble);
    for (int64_t c = 0; c < sums.size(0); ++c) {
        const double count = counts[c].item<double>();
        if (count == 0) continue;
        for (int64_t k = 0; k < decisionCount(); ++k)
            d.gateClasses.push_back({0, 0, decisionSpots_[size_t(k)].name, c, sums[c][k].item<double>() / count});
    }
    evalSum_ = evalCount_ = at::Tensor();
    return d;
}

void SpotAdaptive::shareWith(std::shared_ptr<models::ProcessShare> processes) {
    base_->shareWith(processes);
    Distiller::shareWith(std::move(processes));
}

std::vector<std::string> SpotAdaptive::notes() const {
    if (options_.gate != Gate::Policy && options_.gate != Gate::Reverse) return {};
    const std::string pair = fmt::format("sakd: {} pair (student/teacher channels at the gated spots: {})",
                                         homogeneous_ ? "homogeneous" : "heterogeneous", channelSummary_);
    if (priorBias_ == 0)
        return {fmt::format("{}; the policy starts from its default initialisation, about half the gates open ({})",
                            pair, options_.prior == Prior::Never ? "prior never" : "the official code's homo: False")};
    const std::string fade =
        options_.priorDecay > 0
            ? fmt::format("fading with a time constant of {:.0f} steps (prior_decay {:g} of the run's {} steps)",
                          options_.priorDecay * double(std::max<int64_t>(1, context_.totalSteps)), options_.priorDecay,
                          context_.totalSteps)
            : std::string("in the policy's bias, faded by the agent's weight decay alone (prior_decay 0, as the "
                          "official code)");
    return {fmt::format("{}; every 'distil' logit starts at {:+g}, {}{}", pair, priorBias_, fade,
                        homogeneous_ ? "" : " (prior always)")};
}

std::shared_ptr<Distiller> makeSpotAdaptive(const MethodBuild& build) {
    auto& teacher = stagedTeacher(build);
    const auto& method = build.method;
    const std::string baseName = method.choice("base");
    // The official configs' weights per distiller (other_kd); adain and channel are Distillery's own.
    static const std::map<std::string, double> officialBeta = {{"at", 1000.0},  {"fitnet", 1.0}, {"sp", 3000.0},
                                                               {"rkd", 1.0},    {"pkt", 30000.0}, {"crd", 0.8},
                                                               {"nst", 50.0},   {"vid", 1.0},     {"cc", 0.02},
                                                               {"ft", 200.0},   {"adain", 1.0},   {"channel", 5e-3}};
    const double beta = method.param("beta") >= 0 ? method.param("beta") : officialBeta.at(baseName);
    spec::MethodSpec baseSpec;
    baseSpec.name = baseName;
    baseSpec.params[baseName == "channel" ? "alpha" : "beta"] = beta;
    auto base = createDistiller(baseSpec, &teacher, build.student, build.context);

    SpotAdaptive::Options o;
    static const std::map<std::string, SpotAdaptive::Gate> gates = {{"policy", SpotAdaptive::Gate::Policy},
                                                                     {"random", SpotAdaptive::Gate::Random},
                                                                     {"reverse", SpotAdaptive::Gate::Reverse},
                                                                     {"all", SpotAdaptive::Gate::All},
                                                                     {"none", SpotAdaptive::Gate::None}};
    static const std::map<std::string, SpotAdaptive::TauSchedule> schedules = {
        {"constant", SpotAdaptive::TauSchedule::Constant},
        {"linear", SpotAdaptive::TauSchedule::Linear},
        {"exponential", SpotAdaptive::TauSchedule::Exponential}};
    o.gate = gates.at(method.choice("gate"));
    o.tauSchedule = schedules.at(method.choice("tau_schedule"));
    o.alpha = method.param("alpha");
    o.temperature = method.param("T");
    o.tau = method.param("tau");
    o.tauFinal = method.param("tau_final");
    o.gamma = method.param("gamma") >= 0 ? method.param("gamma") : (baseName == "at" || baseName == "rkd" || baseName == "vid" ? 2.0 : 1.0);
    if (o.gamma < 1e-6)
        throw spec::FieldError("method.gamma", "sakd.gamma: must be positive (its inverse weighs the routing loss), "
                                               "or -1 for the official value; got " + std::to_string(o.gamma));
    o.agentLrScale = method.param("agent_lr_scale");
    o.agentMomentum = method.param("agent_momentum");
    o.agentWeightDecay = method.param("agent_weight_decay");
    o.initBias = method.param("init_bias");
    static const std::map<std::string, SpotAdaptive::Prior> priors = {{"pair", SpotAdaptive::Prior::Pair},
                                                                      {"always", SpotAdaptive::Prior::Always},
                                                                      {"never", SpotAdaptive::Prior::Never}};
    o.prior = priors.at(method.choice("prior"));
    o.priorDecay = method.param("prior_decay");
    return std::make_shared<SpotAdaptive>(std::move(base), teacher, build.student, o, build.context);
}

}  // namespace distillery::methods
