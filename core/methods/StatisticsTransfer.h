#pragma once
// Methods on per-channel feature statistics (METHODS.md `adain`): AdaIn, the AdaIN-KD loss that lets
// the teacher evaluate the student's statistics, and StatL2, the plain L2 on those statistics that
// the AdaIN-KD paper reports as of limited effectiveness. Both share the spots, the projection of the
// student onto the teacher's channels, the statistics and their diagnostics.
#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "methods/Connector.h"
#include "methods/Distiller.h"

namespace distillery::methods {

// Per-sample, per-channel statistics of an N×C×H×W map over H×W, each N×C×1×1:
// mean, and std = sqrt(biased variance + 1e-5) (AdaIN's ε).
struct ChannelStatistics {
    at::Tensor mean, std;
};
ChannelStatistics channelStatistics(const at::Tensor& map);

// One ChannelStatRow per channel from four per-channel (length C) tensors; run id and step left 0.
std::vector<store::ChannelStatRow> channelStatRows(const std::string& spot, const at::Tensor& teacherMean,
                                                   const at::Tensor& teacherStd, const at::Tensor& studentMean,
                                                   const at::Tensor& studentStd);

// A student stage and the teacher stage whose statistics it is compared with.
struct StatisticsSpot {
    int64_t studentStage = 0, teacherStage = 0;
    int64_t studentChannels = 0, teacherChannels = 0;
};

// The `stage` parameter of the seed feature methods (adain, stat_l2, channel, amap): -1 (the method's
// default spots) or a student stage; throws spec::FieldError at method.stage, naming the method, when
// the student has no such stage.
int64_t chosenStudentStage(const spec::MethodSpec& method, const models::StagedNet& student);

// The spots of the `stage` parameter: -1 = one spot per stage of the net with fewer stages, both
// sides paired by relative depth (as `at`); k ≥ 0 = student stage k with the teacher stage at the
// same relative depth.
std::vector<StatisticsSpot> statisticsSpots(const spec::MethodSpec& method, const models::StagedNet& student,
                                            const models::StagedNet& teacher);

// The common part of adain and stat_l2: CE + beta·Σ_k L(μ_s, σ_s, μ_t, σ_t) over the spots.
class StatisticsTransfer : public Distiller {
public:
    bool needsTeacher() const override { return true; }
    bool needsFeatures() const override { return true; }
    std::vector<LossTerm> losses(const StepInputs& inputs) override;
    // Per spot and teacher channel: the batch-averaged μ and σ of teacher and (projected) student.
    Diagnostics diagnostics() override;
    at::Tensor spotLoss(size_t spot, const models::FeatureSet& student, const models::FeatureSet& teacher) override;
    // The projection's BN needs two samples to normalise over when a spot's map is 1×1.
    int64_t minSpotSamples() const override;

    const std::vector<StatisticsSpot>& statisticsSpots() const { return spots_; }
    // The projection onto the teacher's channels at a spot (no ReLU, which would clip the means the
    // losses compare), or an empty holder when student and teacher channels match.
    ChannelProjection projection(size_t spot) const { return projections_.at(spot); }

protected:
    StatisticsTransfer(double beta, std::vector<StatisticsSpot> spots);
    // The unweighted loss at one spot from the student's statistics (after the projection) and the
    // teacher's (from its detached map). labels is null when the caller has none (spotLoss).
    virtual at::Tensor statisticsLoss(size_t spot, const ChannelStatistics& student, const ChannelStatistics& teacher,
                                      const at::Tensor& teacherMap, const at::Tensor& teacherLogits,
                                      const at::Tensor* labels) = 0;
    std::vector<Spot> ownSpots() const override;

private:
    at::Tensor unweightedSpotLoss(size_t spot, const models::FeatureSet& student, const models::FeatureSet& teacher,
                                  const at::Tensor* labels, bool collectDiagnostics);

    struct BatchStatistics {   // per channel, batch-averaged, detached
        at::Tensor teacherMean, teacherStd, studentMean, studentStd;
    };
    double beta_;
    std::vector<StatisticsSpot> spots_;
    std::vector<ChannelProjection> projections_;
    std::vector<BatchStatistics> lastStatistics_;   // filled only by a losses() call collecting diagnostics
};

// adain (Yang et al. 2020, workbench interpretation): at each spot the teacher's map is re-normalised
// with the student's statistics, F̃_t = σ_s·(F_t − μ_t)/σ_t + μ_s, and run through the teacher's
// remaining stages and head; loss T²·KL(softmax(z_t/T) ‖ softmax(z̃_t/T)), or CE(z̃_t, y) with the
// label target. The teacher runs with autograd (its parameters frozen by the trainer), so the
// gradient reaches the student through μ_s and σ_s only.
class AdaIn : public StatisticsTransfer {
public:
    enum class Target { Teacher, Label };
    // teacher is not owned and never registered: its parameters stay out of the student's optimiser.
    AdaIn(double beta, double temperature, Target target, std::vector<StatisticsSpot> spots,
          models::StagedNet& teacher);
    std::string name() const override { return "adain"; }
    // spotLoss() throws std::invalid_argument with the label target: a spot loss is given no labels.

    // The teacher's logits on its map at teacherStage re-normalised with the student's statistics.
    at::Tensor renormalisedLogits(int64_t teacherStage, const ChannelStatistics& student,
                                  const ChannelStatistics& teacher, const at::Tensor& teacherMap);

protected:
    at::Tensor statisticsLoss(size_t spot, const ChannelStatistics& student, const ChannelStatistics& teacher,
                              const at::Tensor& teacherMap, const at::Tensor& teacherLogits,
                              const at::Tensor* labels) override;

private:
    double temperature_;
    Target target_;
    models::StagedNet* teacher_;
};

// stat_l2: mean over samples and channels of (μ_s − μ_t)² + (σ_s − σ_t)² at each spot.
class StatL2 : public StatisticsTransfer {
public:
    StatL2(double beta, std::vector<StatisticsSpot> spots);
    std::string name() const override { return "stat_l2"; }

protected:
    at::Tensor statisticsLoss(size_t spot, const ChannelStatistics& student, const ChannelStatistics& teacher,
                              const at::Tensor& teacherMap, const at::Tensor& teacherLogits,
                              const at::Tensor* labels) override;
};

// The methods from their declared parameters (spec/Catalog.cpp).
std::shared_ptr<Distiller> makeAdaIn(const MethodBuild& build);
std::shared_ptr<Distiller> makeStatL2(const MethodBuild& build);

}  // namespace distillery::methods
