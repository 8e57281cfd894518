#pragma once
// A Distiller is one distillation method: it sees teacher and student as StagedNets, owns its extra
// trainable modules (registered as submodules, so the trainer optimises them with the student), and
// returns its loss terms by name. The trainer sums the terms and logs each as train/loss/<name>.
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/ProcessShare.h"
#include "models/StagedNet.h"
#include "spec/RunSpec.h"
#include "store/StoreTypes.h"

namespace distillery::methods {

struct LossTerm {
    std::string name;       // "ce", "kd", "feat", …
    at::Tensor value;       // scalar, already weighted: the trainer adds the terms as they are
};

struct StepInputs {
    const models::FeatureSet& student;
    const models::FeatureSet* teacher;   // nullptr for methods without a teacher
    const at::Tensor& labels;
    int64_t step = 0;
    int64_t epoch = 0;
    at::Tensor indices;                  // the batch's positions in the training split (memory banks)
    const at::Tensor* images = nullptr;  // the normalised, augmented batch (SAKD's multi-path forward)
    double learningRate = 0;             // the student's learning rate at this step
    bool collectDiagnostics = false;     // diagnostics() follows this step: compute what it reports
};

// What a method may need to size itself beyond the two networks.
struct DistillerContext {
    int64_t trainSize = 0;               // images in the training split
    int64_t channels = 1, height = 28, width = 28;
    int64_t epochs = 1;
    int64_t totalSteps = 1;              // optimiser steps of the whole run (annealing schedules)
    uint64_t seed = 0;                   // the run's seed: methods draw per-step randomness from (seed, step)
    at::ScalarType forwardType = at::kFloat;   // what the networks' forward passes compute in (the run's precision)
};

// Where a method distils: a student position, the teacher position it is compared with, and the
// connector between them. The designer's pair view draws these.
struct Spot {
    static constexpr int64_t kLastStage = -1;
    static constexpr int64_t kPooled = -2;   // the globally pooled last stage
    static constexpr int64_t kLogits = -3;
    std::string name;                        // "stage 2", "pooled", "logits"
    int64_t studentStage = kLogits;          // a stage index or one of the constants above
    int64_t teacherStage = kLogits;
    std::string connector;                   // what maps the student's side, "" when nothing does
};

// A number a method reports about itself that is not a loss term (a gate's logit margin, a path's
// gradient norm): stored as the metric store::metric::diagnostic(key), "diag/<key>", so it is plotted
// and compared like any other metric. Keys read "<method>/<what>[/<spot or path>]".
struct DiagnosticScalar {
    std::string key;
    double value = 0;
};

// Rows for the diagnostic tables; run id and step are filled in by the trainer.
struct Diagnostics {
    std::vector<store::GateRow> gates;
    std::vector<store::GateClassRow> gateClasses;
    std::vector<store::ChannelStatRow> channelStats;
    std::vector<store::PathWeightRow> pathWeights;
    std::vector<DiagnosticScalar> scalars;
    bool empty() const {
        return gates.empty() && gateClasses.empty() && channelStats.empty() && pathWeights.empty() && scalars.empty();
    }
};

class Distiller : public torch::nn::Module {
public:
    virtual ~Distiller() = default;
    virtual std::string name() const = 0;
    virtual bool needsTeacher() const = 0;
    // false: the trainer runs plain forward passes and fills only FeatureSet::logits (cheaper).
    virtual bool needsFeatures() const { return false; }
    // Whether losses() reads the teacher's stages (or stem) when needsFeatures(); false: only its pooled
    // last stage and logits, which the trainer may then take from its per-image cache
    // (engine/TeacherOutputCache.h) in a run without augmentation.
    virtual bool readsTeacherStages() const { return needsFeatures(); }
    virtual std::vector<LossTerm> losses(const StepInputs& inputs) = 0;
    // What the method reports at the spec's diagnostics cadence: about the last losses() call, which
    // was made with collectDiagnostics set, or (gates) averaged over the steps since the last report.
    virtual Diagnostics diagnostics() { return {}; }

    // The parameters the student's optimiser trains. A method with an optimiser of its own (SAKD's
    // agent) leaves those out and steps them itself inside losses(); the checkpoint saves it too.
    virtual std::vector<at::Tensor> studentParameters() { return parameters(); }
    virtual torch::optim::Optimizer* ownOptimizer() { return nullptr; }

    // The method's weighted feature loss at spots()[spot], on whatever samples the two feature sets
    // hold (at least minSpotSamples()): SAKD wraps a method through this, distilling each spot only
    // on the samples whose gate is open. Methods that cannot be wrapped keep the default, which throws.
    virtual at::Tensor spotLoss(size_t spot, const models::FeatureSet& student, const models::FeatureSet& teacher);
    virtual int64_t minSpotSamples() const { return 1; }

    // Evaluation-time diagnostics (SAKD's open rate per class): after every epoch the trainer shows
    // the method each batch of the validation split (both nets in eval mode, no gradients), then
    // writes evaluationDiagnostics().
    virtual bool observesEvaluation() const { return false; }
    virtual void observeEvaluation(const models::FeatureSet& /*student*/, const models::FeatureSet& /*teacher*/,
                                   const at::Tensor& /*labels*/) {}
    virtual Diagnostics evaluationDiagnostics() { return {}; }

    // Every spot the method distils at, the optional KD term's logits included.
    std::vector<Spot> spots() const;

    // Choices the method made from the pair and its parameters that a reader of the run needs (SAKD's
    // start-up prior, a capped negative count): the trainer stores each as an info event at the start.
    virtual std::vector<std::string> notes() const { return {}; }

    // A run trained by several processes (spec "distributed"): each process's losses() sees its share
    // of the batch, and the method keeps its own state (memory banks, agents, learnt weights) the same
    // in every process through `processes`. A method that wraps others passes it on. Null: one process.
    virtual void shareWith(std::shared_ptr<models::ProcessShare> processes) { processes_ = std::move(processes); }

    void setLabelSmoothing(double smoothing) { labelSmoothing_ = smoothing; }
    // The type the networks' forward passes compute in (the run's precision): methods that run network
    // stages inside their losses run them under autocast with it, as the trainer runs the step's.
    void setForwardType(at::ScalarType type) { forwardType_ = type; }
    // Feature methods add Hinton KD on the logits when alpha > 0 ("method + KD", SAKD's baseline)
    // and leave it out otherwise ("method alone", RepDistiller's); the spec's kd_alpha and kd_T.
    void setKd(double alpha, double temperature) {
        kdAlpha_ = alpha;
        kdTemperature_ = temperature;
    }

protected:
    // The method's own spots; methods on the labels alone have none.
    virtual std::vector<Spot> ownSpots() const { return {}; }
    // Cross-entropy on the labels with the run's label smoothing: every method's "ce" term.
    at::Tensor labelLoss(const at::Tensor& logits, const at::Tensor& labels) const;
    // Appends the term "kd" (kd_alpha · T² · KL) when kd_alpha > 0.
    void appendKd(std::vector<LossTerm>& terms, const StepInputs& inputs) const;
    // "ce", "feat" = the sum of spotLoss over ownSpots(), and the optional "kd": the losses of every
    // method made of per-spot losses, so one definition serves the method alone and gated by SAKD.
    std::vector<LossTerm> spotTerms(const StepInputs& inputs);
    at::ScalarType forwardType() const { return forwardType_; }
    models::ProcessShare* processes() const { return processes_.get(); }

private:
    std::shared_ptr<models::ProcessShare> processes_;
    double labelSmoothing_ = 0;
    at::ScalarType forwardType_ = at::kFloat;
    double kdAlpha_ = 0, kdTemperature_ = 4;
};

// What a method's factory builds it from: the spec's method (its declared parameters), the nets, which
// let it size its connectors and are not owned, and the run's context. Every factory takes this one
// argument, so the registry (methods/MethodRegistry.h) holds them all in one table.
struct MethodBuild {
    const spec::MethodSpec& method;
    models::StagedNet* teacher;          // nullptr when the run has no teacher
    models::StagedNet& student;
    const DistillerContext& context;
};

// Methods sized from the teacher's stages need a teacher with stages (a TorchScript teacher may have
// none); throws a spec::FieldError naming the method otherwise.
models::StagedNet& stagedTeacher(const MethodBuild& build);

// Builds the method the spec names through the method registry (methods/MethodRegistry.cpp), then
// gives it the run's KD option and forward type. Throws std::invalid_argument for an unknown name.
std::shared_ptr<Distiller> createDistiller(const spec::MethodSpec& method, models::StagedNet* teacher,
                                           models::StagedNet& student, const DistillerContext& context = {});

}  // namespace distillery::methods
