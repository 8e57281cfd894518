#include "methods/DistillationPath.h"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "methods/AttentionTransfer.h"
#include "methods/FitNet.h"
#include "methods/HintonKd.h"
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
        {"mean", PathLoss::Mean, false}};
    return kinds;
}

const char* const kValidForms =
    "valid forms: loss@spot with loss one of kd, logits_mse, at, nst, fitnet, channel, mean and spot logits (kd and "
    "logits_mse only), stages (every stage) or stageN (N = 1-based student stage), or the loss alone (kd, logits_mse "
    "at the logits; at, nst at every stage; fitnet at the middle stage; channel, mean at the last)";

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
        case PathLoss::Mean: resolved = "stage" + std::to_string(studentStages); break;
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
    plan.name = lossName + "@" + resolved;
    return plan;
}

DistillationPathImpl::DistillationPathImpl(PathPlan plan, const models::StagedNet& teacher,
                                           const models::StagedNet& student, double temperature)
    : plan_(std::move(plan)), temperature_(temperature) {
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
            // The losses compare channel by channel: project only when the counts differ.
            projections_.push_back(
                studentChannels == teacherChannels
                    ? ChannelProjection(nullptr)
                    : register_module(moduleName, ChannelProjection(studentChannels, teacherChannels)));
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
        else if (auto p = projection(k)) adaptation = p->describe();
        out.push_back({spotName(k), plan_.pairs[k].first, plan_.pairs[k].second, adaptation});
    }
    return out;
}

at::Tensor DistillationPathImpl::nstLoss(const at::Tensor& studentMap, const at::Tensor& teacherMap) {
    namespace F = torch::nn::functional;
    const auto [s, t] = alignSpatial(studentMap, teacherMap.detach());
    const auto gram = [](const at::Tensor& map) {
        const auto f = F::normalize(map.flatten(2), F::NormalizeFuncOptions().p(2).dim(2));
        return torch::bmm(f, f.transpose(1, 2));
    };
    return torch::mse_loss(gram(s), gram(t));
}

at::Tensor DistillationPathImpl::meanLoss(const at::Tensor& studentMap, const at::Tensor& teacherMap) {
    return (studentMap.mean({2, 3}) - teacherMap.detach().mean({2, 3})).pow(2).mean();
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
