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

// What the L2 on statistics compares besides the means: the variances (the AdaIN-KD paper's wording,
// "the mean and variance"), the stds, or nothing (means only, as SRRL's statm_loss).
enum class Spread { Variance, Std, None };
Spread spreadFromName(const std::string& name);   // "variance" | "std" | "none"
// mean over samples and channels of (μ_s − μ_t)² + the spread term: (σ_s² − σ_t²)², (σ_s − σ_t)² or 0.
at::Tensor statisticsDistance(const ChannelStatistics& student, const ChannelStatistics& teacher, Spread spread);

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

// The student stages of the `stage` and `stages` parameters (adain, stat_l2, channel): the list
// `stages` in forward order, else {stage}, else empty (the method's default spots). Throws
// spec::FieldError at method.stages for a stage the student lacks, a fraction, a repeat, or both
// parameters given.
std::vector<int64_t> chosenStudentStages(const spec::MethodSpec& method, const models::StagedNet& student);

// The spots of `stage`/`stages`: none given = one spot per stage of the net with fewer stages, both
// sides paired by relative depth (as `at`); else each chosen student stage with the teacher stage at
// the same relative depth.
std::vector<StatisticsSpot> statisticsSpots(const spec::MethodSpec& method, const models::StagedNet& student,
                                            const models::StagedNet& teacher);

// The common part of adain and stat_l2: CE + beta·Σ_k L(μ_s, σ_s, μ_t, σ_t) over the spots, and an
// optional statWeight·Σ_k statisticsDistance (the term "stat": adain's L_AdaIN + L_stat).
class StatisticsTransfer : public Distiller {
public:
    bool needsTeacher() const override { return true; }
    bool needsFeatures() const override { return true; }
    std::vector<LossTerm> losses(const StepInputs& inputs) override;
    // Per spot and teacher channel: the batch-averaged μ and σ of teacher and (projected) student;
    // per spot the unweighted loss ("<method>/loss/<spot>") and the methods' own scalars.
    Diagnostics diagnostics() override;
    // beta·L + statWeight·L_stat at one spot.
    at::Tensor spotLoss(size_t spot, const models::FeatureSet& student, const models::FeatureSet& teacher) override;
    // The projection's BN needs two samples to normalise over when a spot's map is 1×1.
    int64_t minSpotSamples() const override;

    const std::vector<StatisticsSpot>& statisticsSpots() const { return spots_; }
    // The projection onto the teacher's channels at a spot (no ReLU, which would clip the means the
    // losses compare), or an empty holder when student and teacher channels match.
    ChannelProjection projection(size_t spot) const { return projections_.at(spot); }

protected:
    StatisticsTransfer(double beta, std::vector<StatisticsSpot> spots, double statWeight = 0,
                       Spread statSpread = Spread::Variance);
    // The unweighted loss at one spot from the student's statistics (after the projection) and the
    // teacher's (from its detached map at the spot); `teacher` holds the teacher's whole feature set.
    // labels is null when the caller has none (spotLoss).
    virtual at::Tensor statisticsLoss(size_t spot, const ChannelStatistics& student, const ChannelStatistics& teacher,
                                      const at::Tensor& teacherMap, const models::FeatureSet& teacherFeatures,
                                      const at::Tensor* labels) = 0;
    std::vector<Spot> ownSpots() const override;
    // True inside a losses() call that collects diagnostics: statisticsLoss may then addScalar().
    bool collecting() const { return collecting_; }
    void addScalar(const std::string& key, double value) { lastScalars_.push_back({key, value}); }
    std::string spotName(size_t spot) const { return "stage " + std::to_string(spots_.at(spot).studentStage + 1); }

private:
    struct SpotLosses {
        at::Tensor main, stat;   // stat undefined when statWeight is 0
    };
    SpotLosses unweightedSpotLoss(size_t spot, const models::FeatureSet& student, const models::FeatureSet& teacher,
                                  const at::Tensor* labels);

    struct BatchStatistics {   // per channel, batch-averaged, detached
        at::Tensor teacherMean, teacherStd, studentMean, studentStd;
    };
    double beta_;
    std::vector<StatisticsSpot> spots_;
    double statWeight_;
    Spread statSpread_;
    std::vector<ChannelProjection> projections_;
    bool collecting_ = false;
    std::vector<BatchStatistics> lastStatistics_;    // filled only by a losses() call collecting diagnostics
    std::vector<DiagnosticScalar> lastScalars_;      // likewise
};

// adain (Yang et al. 2020, workbench interpretation): at each spot the teacher's map is re-normalised
// with the student's statistics, F̃_t = σ_s·(F_t − μ_t)/σ_t + μ_s, and evaluated by the teacher:
//   eval rest: the teacher's remaining stages and head → z̃_t, compared with its own logits z_t by
//              T²·KL(softmax(z_t/T) ‖ softmax(z̃_t/T)) or MSE(z̃_t, z_t) (SRRL's form), or with the
//              labels by CE(z̃_t, y) (target label);
//   eval next: the next teacher stage only, its output compared with the teacher's own map there by MSE.
// At the teacher's last stage both reduce to the head, and GAP(F̃_t) = μ_s exactly: z̃_t = fc_t(μ_s), so
// σ_s gets no gradient and F_t plays no part (SRRL's softmax regression on the student's means). The
// code computes it so, which makes that exact. The teacher runs with autograd (its parameters frozen by
// the trainer), so the gradient reaches the student through μ_s and σ_s only.
struct AdaInOptions {
    enum class Target { Teacher, Label };
    enum class Eval { Rest, Next };
    enum class Distance { Kl, Mse };
    double temperature = 4;
    Target target = Target::Teacher;
    Eval eval = Eval::Rest;
    Distance distance = Distance::Kl;
    double statWeight = 0;               // weight of the added L_stat term; 0 leaves it out
    Spread statSpread = Spread::Variance;
};

class AdaIn : public StatisticsTransfer {
public:
    // teacher is not owned and never registered: its parameters stay out of the student's optimiser.
    AdaIn(double beta, AdaInOptions options, std::vector<StatisticsSpot> spots, models::StagedNet& teacher);
    std::string name() const override { return "adain"; }
    // spotLoss() throws std::invalid_argument with the label target: a spot loss is given no labels.

    // What the teacher makes of its map at teacherStage re-normalised with the student's statistics:
    // logits (eval rest, or the last stage), else the next stage's map.
    at::Tensor renormalisedOutput(int64_t teacherStage, const ChannelStatistics& student,
                                  const ChannelStatistics& teacher, const at::Tensor& teacherMap);
    // Whether renormalisedOutput at teacherStage is logits.
    bool givesLogits(int64_t teacherStage) const;
    const AdaInOptions& options() const { return options_; }

protected:
    at::Tensor statisticsLoss(size_t spot, const ChannelStatistics& student, const ChannelStatistics& teacher,
                              const at::Tensor& teacherMap, const models::FeatureSet& teacherFeatures,
                              const at::Tensor* labels) override;

private:
    AdaInOptions options_;
    models::StagedNet* teacher_;
};

// stat_l2: statisticsDistance at each spot (mean over samples and channels).
class StatL2 : public StatisticsTransfer {
public:
    StatL2(double beta, std::vector<StatisticsSpot> spots, Spread spread = Spread::Variance);
    std::string name() const override { return "stat_l2"; }

protected:
    at::Tensor statisticsLoss(size_t spot, const ChannelStatistics& student, const ChannelStatistics& teacher,
                              const at::Tensor& teacherMap, const models::FeatureSet& teacherFeatures,
                              const at::Tensor* labels) override;

private:
    Spread spread_;
};

// The methods from their declared parameters (spec/Catalog.cpp).
std::shared_ptr<Distiller> makeAdaIn(const MethodBuild& build);
std::shared_ptr<Distiller> makeStatL2(const MethodBuild& build);

}  // namespace distillery::methods
