#include "methods/DistillationPath.h"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "methods/AttentionTransfer.h"
#include "methods/FitNet.h"
#include "methods/HintonKd.h"
#include "methods/NeuronSelectivity.h"
#include "spec/FieldError.h"

namespace distillery::methods {

namespace {
struct LossKind {
    const char* name;
    PathLoss loss;
    bool atLogits;
};

const std::vector<LossKind>& lossKinds() {
    static const std::vector<LossKind> kinds = {
        {"kd", PathLoss::Kd, true},          {"logits_mse", PathLoss::LogitsMse, true},
        {"at", PathLoss::Attention, false},  {"nst", PathLoss::Nst, false},
        {"fitnet", PathLoss::FitNet, false}, {"channel", PathLoss::Channel, false},
        {"mean", PathLoss::Mean, false},     {"softmax_regression", PathLoss::SoftmaxRegression, false}};
    return kinds;
}

const char* const kValidForms =
    "valid forms: loss@spot with loss one of kd, logits_mse, at, nst, fitnet, channel, mean, softmax_regression and "
    "spot logits (kd and logits_mse only), stages (every stage) or stageN (N = 1-based student stage; "
    "softmax_regression: the last stage only), or the loss alone (kd, logits_mse at the logits; at, nst at every "
    "stage; fitnet at the middle stage; channel, mean, softmax_regression at the last)";

bool isStageNumber(const std::string& spot) {
    // "stage" then 1–9 digits: longer numbers are out of range anyway and would overflow stoll.
    return spot.size() > 5 && spot.size() <= 14 && spot.compare(0, 5, "stage") == 0 &&
           std::all_of(spot.begin() + 5, spot.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}
}  // namespace

PathPlan planPath(const std::string& path, int64_t studentStages, int64_t teacherStages) {
    const auto separator = path.find('@');
    const std::string lossName = path.substr(0, separator);
    const std::string spot = separator == std::string::npos ? "" : path.substr(separator + 1);
    const auto fail = [&](const std::string& problem) {
        throw spec::FieldError("method.paths", "multipath path \"" + path + "\": " + problem + "; " + kValidForms);
    };
    const auto& kinds = lossKinds();
    const auto kind = std::find_if(kinds.begin(), kinds.end(), [&](const LossKind& k) { return lossName == k.name; });
    if (kind == kinds.end()) fail("unknown loss \"" + lossName + "\"");

    PathPlan plan;
    plan.loss = kind->loss;
    if (kind->atLogits) {
        if (!spot.empty() && spot != "logits") fail(lossName + " compares logits, so its only spot is logits");
        plan.name = lossName + "@logits";
        return plan;
    }
    if (spot == "logits") fail(lossName + " compares stage features, so it needs stages or stageN, not logits");
    if (studentStages <= 0) fail(lossName + " compares stage features but the student has no stages");
    if (teacherStages <= 0)
        fail(lossName + " compares stage features but the teacher has no stages (a TorchScript teacher needs "
                        "stem, stages and classifier)");

    std::string resolved = spot;
    if (resolved.empty()) {
        switch (plan.loss) {
        case PathLoss::FitNet: resolved = "stage" + std::to_string((studentStages - 1) / 2 + 1); break;
        case PathLoss::Channel:
        case PathLoss::Mean:
        case PathLoss::SoftmaxRegression: resolved = "stage" + std::to_string(studentStages); break;
        default: resolved = "stages"; break;
        }
    }
    if (resolved == "stages") {
        plan.everyStage = true;
        const int64_t count = std::min(studentStages, teacherStages);
        for (int64_t k = 0; k < count; ++k)
            plan.pairs.emplace_back(stageAtDepth(k, count, studentStages), stageAtDepth(k, count, teacherStages));
    } else if (isStageNumber(resolved)) {
        const int64_t stage = std::stoll(resolved.substr(5));
        if (stage < 1 || stage > studentStages)
            fail("stage " + std::to_string(stage) + " is out of range: the student has " +
                 std::to_string(studentStages) + " stages (stage1..stage" + std::to_string(studentStages) + ")");
        plan.pairs.emplace_back(stage - 1, stageAtDepth(stage - 1, studentStages, teacherStages));
    } else {
        fail("unknown spot \"" + spot + "\"");
    }
    if (plan.loss == PathLoss::SoftmaxRegression &&
        (plan.pairs.size() != 1 || plan.pairs[0] != std::make_pair(studentStages - 1, teacherStages - 1)))
        fail("softmax_regression feeds the student's last stage to the teacher's classifier, so its only spot is "
             "stage" + std::to_string(studentStages) + " (or no spot)");
    plan.name = lossName + "@" + resolved;
    return plan;
}

ChannelProjection AdaptationBankImpl::adaptation(int64_t studentStage, int64_t inChannels, int64_t outChannels) {
    const auto key = std::make_pair(studentStage, outChannels);
    if (auto found = modules_.find(key); found != modules_.end()) return found->second;
    const bool stageTaken = std::any_of(modules_.begin(), modules_.end(),
                                        [&](const auto& entry) { return entry.first.first == studentStage; });
    const std::string name =
        "stage" + std::to_string(studentStage + 1) + (stageTaken ? "_to" + std::to_string(outChannels) : "");
    // ChannelProjection: Kaiming normal (fan_out, relu) conv, BN weight 1 and bias 0 — the official
    // kaiming_init(conv) and constant_init(norm, 1).
    auto module = register_module(name, ChannelProjection(inChannels, outChannels));
    modules_.emplace(key, module);
    return module;
}

DistillationPathImpl::DistillationPathImpl(PathPlan plan, models::StagedNet& teacher, const models::StagedNet& student,
                                           double temperature, AdaptationBank shared)
    : plan_(std::move(plan)), temperature_(temperature), teacher_(&teacher), adaptations_(std::move(shared)) {
    if (!adaptations_) adaptations_ = register_module("adaptation", AdaptationBank());
    for (const auto& [s, t] : plan_.pairs) {
        const std::string moduleName = "stage" + std::to_string(s + 1);
        const int64_t studentChannels = student.stageChannels(s), teacherChannels = teacher.stageChannels(t);
        switch (plan_.loss) {
        case PathLoss::FitNet:
            connectors_.push_back(register_module(moduleName, Connector(studentChannels, student.stageStride(s),
                                                                        teacherChannels, teacher.stageStride(t))));
            break;
        case PathLoss::Channel:
            transforms_.push_back(register_module(
                moduleName,
                ChannelTransform(studentChannels, student.stageStride(s), teacherChannels, teacher.stageStride(t), 0)));
            break;
        case PathLoss::Nst:
        case PathLoss::Mean:
        case PathLoss::SoftmaxRegression:
            // Always on, also at equal widths, as in the official code.
            projections_.push_back(adaptations_->adaptation(s, studentChannels, teacherChannels));
            break;
        default: break;
        }
    }
}

std::string DistillationPathImpl::spotName(size_t spot) const {
    if (atLogits()) return plan_.name;
    return plan_.name.substr(0, plan_.name.find('@')) + "@stage" + std::to_string(plan_.pairs.at(spot).first + 1);
}

std::vector<Spot> DistillationPathImpl::spots() const {
    if (atLogits()) return {{plan_.name, Spot::kLogits, Spot::kLogits, ""}};
    std::vector<Spot> out;
    for (size_t k = 0; k < plan_.pairs.size(); ++k) {
        std::string adaptation;
        if (auto c = connector(k)) adaptation = c->describe();
        else if (auto g = transform(k)) adaptation = g->describe();
        else if (auto p = projection(k))
            adaptation = p->describe() + " (stage " + std::to_string(plan_.pairs[k].first + 1) +
                         "'s adaptation, shared by every path there)";
        out.push_back({spotName(k), plan_.pairs[k].first, plan_.pairs[k].second, adaptation});
    }
    return out;
}

at::Tensor DistillationPathImpl::nstLoss(const at::Tensor& studentMap, const at::Tensor& teacherMap) {
    return NeuronSelectivity::gramMse(studentMap, teacherMap);
}

at::Tensor DistillationPathImpl::meanLoss(const at::Tensor& studentMap, const at::Tensor& teacherMap) {
    return (studentMap.mean({2, 3}) - teacherMap.detach().mean({2, 3})).pow(2).mean();
}

at::Tensor DistillationPathImpl::softmaxRegressionLoss(const at::Tensor& adaptedStudentMap, models::StagedNet& teacher,
                                                     const at::Tensor& teacherLogits) {
    const auto crossLogits = teacher.classify(adaptedStudentMap.mean({2, 3}));
    return torch::mse_loss(crossLogits.to(at::kFloat), teacherLogits.detach().to(at::kFloat));
}

at::Tensor DistillationPathImpl::spotLoss(size_t spot, const at::Tensor& studentMap, const at::Tensor& teacherMap) {
    switch (plan_.loss) {
    case PathLoss::Attention: return AttentionTransfer::pairLoss(studentMap, teacherMap, 2.0);
    case PathLoss::FitNet: return FitNet::hintLoss(connectors_[spot], studentMap, teacherMap);
    case PathLoss::Channel: return channelTransformLoss(transforms_[spot], studentMap, teacherMap);
    case PathLoss::Nst:
    case PathLoss::Mean: {
        auto projection = projections_[spot];
        const auto adapted = projection ? projection->forward(studentMap) : studentMap;
        return plan_.loss == PathLoss::Nst ? nstLoss(adapted, teacherMap) : meanLoss(adapted, teacherMap);
    }
    default: break;
    }
    TORCH_CHECK(false, "multipath: ", plan_.name, " has no stage loss");
}

std::vector<at::Tensor> DistillationPathImpl::spotLosses(const models::FeatureSet& student,
                                                         const models::FeatureSet& teacher) {
    if (atLogits()) {
        const auto teacherLogits = teacher.logits.detach();
        if (plan_.loss == PathLoss::Kd)
            return {HintonKd::klDivergence(student.logits, teacherLogits, temperature_)};
        return {torch::mse_loss(student.logits, teacherLogits)};
    }
    if (plan_.loss == PathLoss::SoftmaxRegression) {
        const auto s = plan_.pairs.front().first;
        TORCH_CHECK(s < int64_t(student.stages.size()) && teacher.logits.defined(), "multipath ", plan_.name,
                    ": features lack student stage ", s, " or the teacher's logits");
        return {softmaxRegressionLoss(projections_.front()->forward(student.stages[s]), *teacher_, teacher.logits)};
    }
    std::vector<at::Tensor> losses;
    for (size_t k = 0; k < plan_.pairs.size(); ++k) {
        const auto [s, t] = plan_.pairs[k];
        TORCH_CHECK(s < int64_t(student.stages.size()) && t < int64_t(teacher.stages.size()), "multipath ",
                    plan_.name, ": features lack student stage ", s, " or teacher stage ", t);
        losses.push_back(spotLoss(k, student.stages[s], teacher.stages[t]));
    }
    return losses;
}

}  // namespace distillery::methods
