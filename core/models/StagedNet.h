#pragma once
// StagedNet: every model is a stem, a sequence of stages and a pooled head, and can run any range
// of stages on any tensor. SAKD mixes teacher and student stages, AdaIN-KD runs the teacher's later
// stages on a re-normalised feature: both need this. LibTorch modules have no forward hooks, so
// features are returned, never captured.
#include <torch/nn/module.h>
#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

namespace distillery::models {

// Puts a module in eval mode for the scope's life, then back into the mode it was in (also when an
// exception leaves the scope): SAKD's multi-path forward, amap's probe of the teacher's stem.
class EvalModeScope {
public:
    explicit EvalModeScope(torch::nn::Module& net) : net_(net), wasTraining_(net.is_training()) { net_.eval(); }
    ~EvalModeScope() { net_.train(wasTraining_); }
    EvalModeScope(const EvalModeScope&) = delete;
    EvalModeScope& operator=(const EvalModeScope&) = delete;

private:
    torch::nn::Module& net_;
    bool wasTraining_;
};

struct FeatureSet {
    at::Tensor stem;                    // output of the stem (the input to stage 0)
    std::vector<at::Tensor> stages;     // output of each stage, after its final activation
    std::vector<at::Tensor> preReLU;    // each stage's output before its final ReLU (same size as stages)
    at::Tensor pooled;                  // global-pooled last stage, B×C
    at::Tensor logits;                  // B×classes
};

class StagedNet : public torch::nn::Module {
public:
    virtual ~StagedNet() = default;

    // The layout the concrete network set with setLayout(); the same lookups for every model.
    int64_t numStages() const { return static_cast<int64_t>(layout_.size()); }
    int64_t stageChannels(int64_t stage) const;
    // Total downsampling factor from the input image to this stage's output (1, 2, 4, …).
    int64_t stageStride(int64_t stage) const;
    int64_t numClasses() const { return numClasses_; }

    // Runs stages begin..end-1. With begin == 0, x is the image and the stem runs first;
    // otherwise x is the output of stage begin-1.
    at::Tensor forwardStages(const at::Tensor& x, int64_t begin, int64_t end);
    // Global average pool + classifier on the last stage's output.
    at::Tensor head(const at::Tensor& lastStageOutput);
    // The classifier alone, on a B×C pooled feature (SAKD mixes the nets at the pooled spot).
    at::Tensor classify(const at::Tensor& pooled) { return classifier(pooled); }
    // Virtual for networks known only by their output (a TorchScript teacher without stages).
    virtual FeatureSet forwardFeatures(const at::Tensor& image);
    virtual at::Tensor forward(const at::Tensor& image) { return head(forwardStages(image, 0, numStages())); }

protected:
    struct StageLayout {
        int64_t channels;   // of the stage's output
        int64_t stride;     // total downsampling from the input image to the stage's output
    };
    // Every concrete network calls this in its constructor, once its shape is known: one entry per
    // stage, in order, and the class count of the logits.
    void setLayout(std::vector<StageLayout> stages, int64_t numClasses);

    // What a concrete network supplies; the composition above is the same for every model.
    virtual at::Tensor stem(const at::Tensor& image) = 0;
    // Runs one stage on x; when preReLU is given, also returns the output before the final ReLU.
    virtual at::Tensor runStage(int64_t stage, const at::Tensor& x, at::Tensor* preReLU) = 0;
    virtual at::Tensor classifier(const at::Tensor& pooled) = 0;

private:
    std::vector<StageLayout> layout_;
    int64_t numClasses_ = 0;
};

}  // namespace distillery::models
