#include "methods/StatisticsTransfer.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
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

Spread spreadFromName(const std::string& name) {
    if (name == "variance") return Spread::Variance;
    if (name == "std") return Spread::Std;
    if (name == "none") return Spread::None;
    throw std::invalid_argument("unknown spread \"" + name + "\"; known: variance, std, none");
}

at::Tensor statisticsDistance(const ChannelStatistics& student, const ChannelStatistics& teacher, Spread spread) {
    const auto means = (student.mean - teacher.mean).pow(2);
    switch (spread) {
    case Spread::Variance: return (means + (student.std.pow(2) - teacher.std.pow(2)).pow(2)).mean();   // ε cancels
    case Spread::Std: return (means + (student.std - teacher.std).pow(2)).mean();
    case Spread::None: break;
    }
    return means.mean();
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

std::vector<int64_t> chosenStudentStages(const spec::MethodSpec& method, const models::StagedNet& student) {
    const int64_t stage = chosenStudentStage(method, student);
    const auto listed = method.numbers("stages");
    if (listed.empty()) return stage >= 0 ? std::vector<int64_t>{stage} : std::vector<int64_t>{};
    const std::string where = method.name + ".stages: ";
    if (stage >= 0)
        throw spec::FieldError("method.stages", where + "give either stage (one) or stages (a list), not both; "
                                                        "stage is " + std::to_string(stage));
    std::vector<int64_t> stages;
    for (const double value : listed) {
        const auto s = int64_t(value);
        if (double(s) != value || s < 0 || s >= student.numStages())
            throw spec::FieldError("method.stages", where + "each entry must be a student stage, 0 to " +
                                                        std::to_string(student.numStages() - 1) + " (0-based), got " +
                                                        std::to_string(value));
        if (std::find(stages.begin(), stages.end(), s) != stages.end())
            throw spec::FieldError("method.stages", where + "stage " + std::to_string(s) + " is listed twice");
        stages.push_back(s);
    }
    std::sort(stages.begin(), stages.end());   // spots in forward order, as sakd's graft needs them
    return stages;
}

std::vector<StatisticsSpot> statisticsSpots(const spec::MethodSpec& method, const models::StagedNet& student,
                                            const models::StagedNet& teacher) {
    const auto chosen = chosenStudentStages(method, student);
    const int64_t studentStages = student.numStages(), teacherStages = teacher.numStages();
    const auto spotAt = [&](int64_t s, int64_t t) {
        return StatisticsSpot{s, t, student.stageChannels(s), teacher.stageChannels(t)};
    };
    std::vector<StatisticsSpot> spots;
    for (const int64_t s : chosen) spots.push_back(spotAt(s, stageAtDepth(s, studentStages, teacherStages)));
    if (!spots.empty()) return spots;
    const int64_t count = std::min(studentStages, teacherStages);
    for (int64_t k = 0; k < count; ++k)
        spots.push_back(spotAt(stageAtDepth(k, count, studentStages), stageAtDepth(k, count, teacherStages)));
    return spots;
}

// ---- StatisticsTransfer ------------------------------------------------------------------------

StatisticsTransfer::StatisticsTransfer(double beta, std::vector<StatisticsSpot> spots, double statWeight,
                                       Spread statSpread)
    : beta_(beta), spots_(std::move(spots)), statWeight_(statWeight), statSpread_(statSpread) {
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
        out.push_back({spotName(k), spots_[k].studentStage, spots_[k].teacherStage,
                       projections_[k] ? projections_[k]->describe() : ""});
    return out;
}

int64_t StatisticsTransfer::minSpotSamples() const {
    const bool projects = std::any_of(projections_.begin(), projections_.end(), [](const auto& p) { return bool(p); });
    return projects ? 2 : 1;
}

StatisticsTransfer::SpotLosses StatisticsTransfer::unweightedSpotLoss(size_t spot, const models::FeatureSet& student,
                                                                      const models::FeatureSet& teacher,
                                                                      const at::Tensor* labels) {
    TORCH_CHECK(spot < spots_.size(), name(), ": no spot ", spot, " of ", spots_.size());
    const auto& s = spots_[spot];
    TORCH_CHECK(s.studentStage < int64_t(student.stages.size()) && s.teacherStage < int64_t(teacher.stages.size()),
                name(), ": features lack student stage ", s.studentStage, " or teacher stage ", s.teacherStage);
    const auto& studentMap = student.stages[size_t(s.studentStage)];
    const auto teacherMap = teacher.stages[size_t(s.teacherStage)].detach();
    const auto projected = projections_[spot] ? projections_[spot]->forward(studentMap) : studentMap;
    const auto studentStatistics = channelStatistics(projected);
    const auto teacherStatistics = channelStatistics(teacherMap);
    if (collecting_) {
        const auto perChannel = [](const at::Tensor& t) { return t.detach().mean(0).flatten(); };
        lastStatistics_[spot] = {perChannel(teacherStatistics.mean), perChannel(teacherStatistics.std),
                                 perChannel(studentStatistics.mean), perChannel(studentStatistics.std)};
    }
    SpotLosses out;
    out.main = statisticsLoss(spot, studentStatistics, teacherStatistics, teacherMap, teacher, labels);
    if (statWeight_ > 0) out.stat = statisticsDistance(studentStatistics, teacherStatistics, statSpread_);
    if (collecting_) {
        addScalar(name() + "/loss/" + spotName(spot), out.main.item<double>());
        if (out.stat.defined()) addScalar(name() + "/stat/" + spotName(spot), out.stat.item<double>());
    }
    return out;
}

std::vector<LossTerm> StatisticsTransfer::losses(const StepInputs& inputs) {
    TORCH_CHECK(inputs.teacher, name(), " needs a teacher");
    collecting_ = inputs.collectDiagnostics;
    lastStatistics_.assign(collecting_ ? spots_.size() : 0, {});
    lastScalars_.clear();
    at::Tensor sum, statSum;
    const auto add = [](at::Tensor& total, const at::Tensor& l) { total = total.defined() ? total + l : l; };
    try {
        for (size_t k = 0; k < spots_.size(); ++k) {
            const auto l = unweightedSpotLoss(k, inputs.student, *inputs.teacher, &inputs.labels);
            add(sum, l.main);
            if (l.stat.defined()) add(statSum, l.stat);
        }
    } catch (...) {
        collecting_ = false;
        throw;
    }
    collecting_ = false;
    std::vector<LossTerm> terms{{"ce", labelLoss(inputs.student.logits, inputs.labels)}, {"feat", beta_ * sum}};
    if (statSum.defined()) terms.push_back({"stat", statWeight_ * statSum});
    appendKd(terms, inputs);
    return terms;
}

at::Tensor StatisticsTransfer::spotLoss(size_t spot, const models::FeatureSet& student,
                                        const models::FeatureSet& teacher) {
    const auto l = unweightedSpotLoss(spot, student, teacher, nullptr);
    return l.stat.defined() ? beta_ * l.main + statWeight_ * l.stat : beta_ * l.main;
}

Diagnostics StatisticsTransfer::diagnostics() {
    Diagnostics out;
    for (size_t k = 0; k < lastStatistics_.size(); ++k) {
        const auto& s = lastStatistics_[k];
        auto rows = channelStatRows(spotName(k), s.teacherMean, s.teacherStd, s.studentMean, s.studentStd);
        out.channelStats.insert(out.channelStats.end(), rows.begin(), rows.end());
    }
    out.scalars = lastScalars_;
    return out;
}

// ---- AdaIn -------------------------------------------------------------------------------------

namespace {
// Percent of the samples whose arg-max logit is their label.
double accuracyPercent(const at::Tensor& logits, const at::Tensor& labels) {
    return 100.0 * logits.detach().argmax(1).eq(labels).to(at::kDouble).mean().item<double>();
}
}  // namespace

AdaIn::AdaIn(double beta, AdaInOptions options, std::vector<StatisticsSpot> spots, models::StagedNet& teacher)
    : StatisticsTransfer(beta, std::move(spots), options.statWeight, options.statSpread),
      options_(options),
      teacher_(&teacher) {}

bool AdaIn::givesLogits(int64_t teacherStage) const {
    return options_.eval == AdaInOptions::Eval::Rest || teacherStage + 1 >= teacher_->numStages();
}

at::Tensor AdaIn::renormalisedOutput(int64_t teacherStage, const ChannelStatistics& student,
                                     const ChannelStatistics& teacher, const at::Tensor& teacherMap) {
    models::AutocastScope autocast(forwardType(), teacherMap.device().type());
    const int64_t stages = teacher_->numStages();
    // After the last stage comes the head, GAP + classifier, and GAP(σ_s·(F_t − μ_t)/σ_t + μ_s) = μ_s:
    // the re-normalised map's only trace is the student's means. Computed as such, so that σ_s and F_t
    // take no part exactly instead of up to rounding.
    if (teacherStage + 1 >= stages) return teacher_->classify(student.mean.flatten(1)).to(at::kFloat);
    const auto renormalised = student.std * (teacherMap.detach() - teacher.mean) / teacher.std + student.mean;
    if (options_.eval == AdaInOptions::Eval::Next)
        return teacher_->forwardStages(renormalised, teacherStage + 1, teacherStage + 2).to(at::kFloat);
    return teacher_->head(teacher_->forwardStages(renormalised, teacherStage + 1, stages)).to(at::kFloat);
}

at::Tensor AdaIn::statisticsLoss(size_t spot, const ChannelStatistics& student, const ChannelStatistics& teacher,
                                 const at::Tensor& teacherMap, const models::FeatureSet& teacherFeatures,
                                 const at::Tensor* labels) {
    using Options = AdaInOptions;
    if (options_.target == Options::Target::Label && !labels)
        throw std::invalid_argument("adain with target=label has no per-spot loss: a spot loss is given no labels");
    const int64_t teacherStage = statisticsSpots()[spot].teacherStage;
    const auto output = renormalisedOutput(teacherStage, student, teacher, teacherMap);
    at::Tensor loss;
    if (!givesLogits(teacherStage)) {
        // eval next: the next stage's map against the teacher's own map there (the factory allows only MSE).
        TORCH_CHECK(teacherStage + 1 < int64_t(teacherFeatures.stages.size()), "adain: features lack teacher stage ",
                    teacherStage + 1);
        loss = torch::mse_loss(output, teacherFeatures.stages[size_t(teacherStage + 1)].detach().to(at::kFloat));
    } else if (options_.target == Options::Target::Label) {
        // The label target is the method's own comparison, not the run's "ce": no label smoothing.
        loss = torch::nn::functional::cross_entropy(output, *labels);
    } else {
        TORCH_CHECK(teacherFeatures.logits.defined(), "adain: the teacher's features lack its logits");
        const auto teacherLogits = teacherFeatures.logits.detach().to(at::kFloat);
        loss = options_.distance == Options::Distance::Mse ? torch::mse_loss(output, teacherLogits)
                                                           : HintonKd::klDivergence(output, teacherLogits,
                                                                                    options_.temperature);
    }
    if (collecting() && labels) {
        // The evaluation itself: how often the teacher, fed the student's statistics, is right.
        at::Tensor logits = output;
        if (!givesLogits(teacherStage)) {
            torch::NoGradGuard noGrad;
            models::AutocastScope autocast(forwardType(), output.device().type());
            logits = teacher_->head(teacher_->forwardStages(output.detach(), teacherStage + 2, teacher_->numStages()));
        }
        if (spot == 0 && teacherFeatures.logits.defined())
            addScalar("adain/teacher_acc", accuracyPercent(teacherFeatures.logits, *labels));
        addScalar("adain/renorm_acc/" + spotName(spot), accuracyPercent(logits, *labels));
    }
    return loss;
}

// ---- StatL2 ------------------------------------------------------------------------------------

StatL2::StatL2(double beta, std::vector<StatisticsSpot> spots, Spread spread)
    : StatisticsTransfer(beta, std::move(spots)), spread_(spread) {}

at::Tensor StatL2::statisticsLoss(size_t, const ChannelStatistics& student, const ChannelStatistics& teacher,
                                  const at::Tensor&, const models::FeatureSet&, const at::Tensor*) {
    return statisticsDistance(student, teacher, spread_);
}

// ---- factories ---------------------------------------------------------------------------------

std::shared_ptr<Distiller> makeAdaIn(const MethodBuild& build) {
    auto& teacher = stagedTeacher(build);
    const auto& method = build.method;
    AdaInOptions o;
    o.temperature = method.param("T");
    o.target = method.choice("target") == "label" ? AdaInOptions::Target::Label : AdaInOptions::Target::Teacher;
    o.eval = method.choice("eval") == "next" ? AdaInOptions::Eval::Next : AdaInOptions::Eval::Rest;
    o.distance = method.choice("distance") == "mse" ? AdaInOptions::Distance::Mse : AdaInOptions::Distance::Kl;
    o.statWeight = method.param("stat_weight");
    o.statSpread = spreadFromName(method.choice("spread"));
    auto spots = statisticsSpots(method, build.student, teacher);
    if (o.target == AdaInOptions::Target::Label && o.distance == AdaInOptions::Distance::Mse)
        throw spec::FieldError("method.distance", "adain.distance: mse compares with the teacher's logits, but target "
                                                  "is label (CE on the labels); set target: teacher or distance: kl");
    if (o.eval == AdaInOptions::Eval::Next) {
        for (const auto& spot : spots) {
            const bool mapOut = spot.teacherStage + 1 < teacher.numStages();
            if (mapOut && (o.target == AdaInOptions::Target::Label || o.distance == AdaInOptions::Distance::Kl))
                throw spec::FieldError(
                    "method.eval", "adain.eval: next evaluates student stage " + std::to_string(spot.studentStage) +
                                       " by teacher stage " + std::to_string(spot.teacherStage + 1) +
                                       " alone, whose output is a feature map, not logits: compare it with "
                                       "distance: mse and target: teacher, or set eval: rest");
        }
    }
    return std::make_shared<AdaIn>(method.param("beta"), o, std::move(spots), teacher);
}

std::shared_ptr<Distiller> makeStatL2(const MethodBuild& build) {
    auto& teacher = stagedTeacher(build);
    const auto& method = build.method;
    return std::make_shared<StatL2>(method.param("beta"), statisticsSpots(method, build.student, teacher),
                                    spreadFromName(method.choice("spread")));
}

}  // namespace distillery::methods
