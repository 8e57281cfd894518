#include "methods/StatisticsTransfer.h"

#include <torch/torch.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "methods/Connector.h"
#include "methods/HintonKd.h"
#include "models/Autocast.h"
#include "spec/FieldError.h"

namespace distillery::methods {

ChannelStatistics channelStatistics(const at::Tensor& map) {
    TORCH_CHECK(map.dim() == 4, "channelStatistics: expects an N×C×H×W map");
    const auto mean = map.mean({2, 3}, /*keepdim=*/true);
    const auto variance = (map - mean).pow(2).mean({2, 3}, /*keepdim=*/true);
    return {mean, (variance + 1e-5).sqrt()};
}

std::vector<store::ChannelStatRow> channelStatRows(const std::string& spot, const at::Tensor& teacherMean,
                                                   const at::Tensor& teacherStd, const at::Tensor& studentMean,
                                                   const at::Tensor& studentStd) {
    const auto values = [](const at::Tensor& t) {
        const auto c = t.detach().to(at::kCPU, at::kDouble).contiguous();
        return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
    };
    const auto tm = values(teacherMean), ts = values(teacherStd), sm = values(studentMean), ss = values(studentStd);
    TORCH_CHECK(ts.size() == tm.size() && sm.size() == tm.size() && ss.size() == tm.size(),
                "channelStatRows: teacher and student statistics differ in channel count");
    std::vector<store::ChannelStatRow> rows;
    for (size_t c = 0; c < tm.size(); ++c) {
        store::ChannelStatRow row;
        row.spot = spot;
        row.channel = int64_t(c);
        row.teacherMean = tm[c];
        row.teacherStd = ts[c];
        row.studentMean = sm[c];
        row.studentStd = ss[c];
        rows.push_back(std::move(row));
    }
    return rows;
}

int64_t chosenStudentStage(const spec::MethodSpec& method, const models::StagedNet& student) {
    const auto stage = int64_t(method.param("stage"));
    if (stage >= student.numStages())
        throw spec::FieldError("method.stage", method.name + ".stage: " + std::to_string(stage) +
                                                   " but the student has " + std::to_string(student.numStages()) +
                                                   " stages");
    return stage;
}

std::vector<StatisticsSpot> statisticsSpots(const spec::MethodSpec& method, const models::StagedNet& student,
                                            const models::StagedNet& teacher) {
    const int64_t stage = chosenStudentStage(method, student);
    const int64_t studentStages = student.numStages(), teacherStages = teacher.numStages();
    const auto spotAt = [&](int64_t s, int64_t t) {
        return StatisticsSpot{s, t, student.stageChannels(s), teacher.stageChannels(t)};
    };
    if (stage >= 0) return {spotAt(stage, stageAtDepth(stage, studentStages, teacherStages))};
    std::vector<StatisticsSpot> spots;
    const int64_t count = std::min(studentStages, teacherStages);
    for (int64_t k = 0; k < count; ++k)
        spots.push_back(spotAt(stageAtDepth(k, count, studentStages), stageAtDepth(k, count, teacherStages)));
    return spots;
}

// ---- StatisticsTransfer ------------------------------------------------------------------------

StatisticsTransfer::StatisticsTransfer(double beta, std::vector<StatisticsSpot> spots)
    : beta_(beta), spots_(std::move(spots)) {
    TORCH_CHECK(!spots_.empty(), "statistics transfer: no spots");
    for (size_t k = 0; k < spots_.size(); ++k) {
        const auto& spot = spots_[k];
        if (spot.studentChannels == spot.teacherChannels) {
            projections_.emplace_back(nullptr);
            continue;
        }
        projections_.push_back(register_module("projection" + std::to_string(k),
                                               ChannelProjection(spot.studentChannels, spot.teacherChannels)));
    }
}

std::vector<Spot> StatisticsTransfer::ownSpots() const {
    std::vector<Spot> out;
    for (size_t k = 0; k < spots_.size(); ++k)
        out.push_back({"stage " + std::to_string(spots_[k].studentStage + 1), spots_[k].studentStage,
                       spots_[k].teacherStage, projections_[k] ? projections_[k]->describe() : ""});
    return out;
}

int64_t StatisticsTransfer::minSpotSamples() const {
    const bool projects = std::any_of(projections_.begin(), projections_.end(), [](const auto& p) { return bool(p); });
    return projects ? 2 : 1;
}

at::Tensor StatisticsTransfer::unweightedSpotLoss(size_t spot, const models::FeatureSet& student,
                                                  const models::FeatureSet& teacher, const at::Tensor* labels,
                                                  bool collectDiagnostics) {
    TORCH_CHECK(spot < spots_.size(), name(), ": no spot ", spot, " of ", spots_.size());
    const auto& s = spots_[spot];
    TORCH_CHECK(s.studentStage < int64_t(student.stages.size()) && s.teacherStage < int64_t(teacher.stages.size()),
                name(), ": features lack student stage ", s.studentStage, " or teacher stage ", s.teacherStage);
    const auto& studentMap = student.stages[size_t(s.studentStage)];
    const auto teacherMap = teacher.stages[size_t(s.teacherStage)].detach();
    const auto projected = projections_[spot] ? projections_[spot]->forward(studentMap) : studentMap;
    const auto studentStatistics = channelStatistics(projected);
    const auto teacherStatistics = channelStatistics(teacherMap);
    if (collectDiagnostics) {
        const auto perChannel = [](const at::Tensor& t) { return t.detach().mean(0).flatten(); };
        lastStatistics_[spot] = {perChannel(teacherStatistics.mean), perChannel(teacherStatistics.std),
                                 perChannel(studentStatistics.mean), perChannel(studentStatistics.std)};
    }
    return statisticsLoss(spot, studentStatistics, teacherStatistics, teacherMap, teacher.logits, labels);
}

std::vector<LossTerm> StatisticsTransfer::losses(const StepInputs& inputs) {
    TORCH_CHECK(inputs.teacher, name(), " needs a teacher");
    lastStatistics_.assign(inputs.collectDiagnostics ? spots_.size() : 0, {});
    at::Tensor sum;
    for (size_t k = 0; k < spots_.size(); ++k) {
        const auto l = unweightedSpotLoss(k, inputs.student, *inputs.teacher, &inputs.labels, inputs.collectDiagnostics);
        sum = sum.defined() ? sum + l : l;
    }
    std::vector<LossTerm> terms{{"ce", labelLoss(inputs.student.logits, inputs.labels)}, {"feat", beta_ * sum}};
    appendKd(terms, inputs);
    return terms;
}

at::Tensor StatisticsTransfer::spotLoss(size_t spot, const models::FeatureSet& student,
                                        const models::FeatureSet& teacher) {
    return beta_ * unweightedSpotLoss(spot, student, teacher, nullptr, false);
}

Diagnostics StatisticsTransfer::diagnostics() {
    Diagnostics out;
    const auto spots = ownSpots();
    for (size_t k = 0; k < lastStatistics_.size(); ++k) {
        const auto& s = lastStatistics_[k];
        auto rows = channelStatRows(spots[k].name, s.teacherMean, s.teacherStd, s.studentMean, s.studentStd);
        out.channelStats.insert(out.channelStats.end(), rows.begin(), rows.end());
    }
    return out;
}

// ---- AdaIn -------------------------------------------------------------------------------------

AdaIn::AdaIn(double beta, double temperature, Target target, std::vector<StatisticsSpot> spots,
             models::StagedNet& teacher)
    : StatisticsTransfer(beta, std::move(spots)), temperature_(temperature), target_(target), teacher_(&teacher) {}

at::Tensor AdaIn::renormalisedLogits(int64_t teacherStage, const ChannelStatistics& student,
                                     const ChannelStatistics& teacher, const at::Tensor& teacherMap) {
    const auto renormalised = student.std * (teacherMap.detach() - teacher.mean) / teacher.std + student.mean;
    models::AutocastScope autocast(forwardType(), teacherMap.device().type());
    return teacher_->head(teacher_->forwardStages(renormalised, teacherStage + 1, teacher_->numStages())).to(at::kFloat);
}

at::Tensor AdaIn::statisticsLoss(size_t spot, const ChannelStatistics& student, const ChannelStatistics& teacher,
                                 const at::Tensor& teacherMap, const at::Tensor& teacherLogits,
                                 const at::Tensor* labels) {
    if (target_ == Target::Label && !labels)
        throw std::invalid_argument("adain with target=label has no per-spot loss: a spot loss is given no labels");
    const auto logits = renormalisedLogits(statisticsSpots()[spot].teacherStage, student, teacher, teacherMap);
    // The label target is the method's own comparison, not the run's "ce": no label smoothing.
    if (target_ == Target::Label) return torch::nn::functional::cross_entropy(logits, *labels);
    TORCH_CHECK(teacherLogits.defined(), "adain: the teacher's features lack its logits");
    return HintonKd::klDivergence(logits, teacherLogits.detach(), temperature_);
}

// ---- StatL2 ------------------------------------------------------------------------------------

StatL2::StatL2(double beta, std::vector<StatisticsSpot> spots) : StatisticsTransfer(beta, std::move(spots)) {}

at::Tensor StatL2::statisticsLoss(size_t, const ChannelStatistics& student, const ChannelStatistics& teacher,
                                  const at::Tensor&, const at::Tensor&, const at::Tensor*) {
    return ((student.mean - teacher.mean).pow(2) + (student.std - teacher.std).pow(2)).mean();
}

// ---- factories ---------------------------------------------------------------------------------

std::shared_ptr<Distiller> makeAdaIn(const MethodBuild& build) {
    auto& teacher = stagedTeacher(build);
    const auto& method = build.method;
    const auto target = method.choice("target") == "label" ? AdaIn::Target::Label : AdaIn::Target::Teacher;
    return std::make_shared<AdaIn>(method.param("beta"), method.param("T"), target,
                                   statisticsSpots(method, build.student, teacher), teacher);
}

std::shared_ptr<Distiller> makeStatL2(const MethodBuild& build) {
    auto& teacher = stagedTeacher(build);
    return std::make_shared<StatL2>(build.method.param("beta"), statisticsSpots(build.method, build.student, teacher));
}

}  // namespace distillery::methods
