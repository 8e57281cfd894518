#include "models/StagedNet.h"

#include <torch/torch.h>

#include <utility>

namespace distillery::models {

void StagedNet::setLayout(std::vector<StageLayout> stages, int64_t numClasses) {
    layout_ = std::move(stages);
    numClasses_ = numClasses;
}

int64_t StagedNet::stageChannels(int64_t stage) const {
    TORCH_CHECK(stage >= 0 && stage < numStages(), "stageChannels: no stage ", stage, " in a network of ",
                numStages(), " stages");
    return layout_[static_cast<size_t>(stage)].channels;
}

int64_t StagedNet::stageStride(int64_t stage) const {
    TORCH_CHECK(stage >= 0 && stage < numStages(), "stageStride: no stage ", stage, " in a network of ",
                numStages(), " stages");
    return layout_[static_cast<size_t>(stage)].stride;
}

at::Tensor StagedNet::forwardStages(const at::Tensor& x, int64_t begin, int64_t end) {
    TORCH_CHECK(0 <= begin && begin <= end && end <= numStages(), "forwardStages: bad range [", begin, ", ", end,
                ") of ", numStages(), " stages");
    at::Tensor h = begin == 0 ? stem(x) : x;
    for (int64_t s = begin; s < end; ++s) h = runStage(s, h, nullptr);
    return h;
}

at::Tensor StagedNet::head(const at::Tensor& lastStageOutput) {
    return classifier(at::adaptive_avg_pool2d(lastStageOutput, {1, 1}).flatten(1));
}

FeatureSet StagedNet::forwardFeatures(const at::Tensor& image) {
    FeatureSet f;
    f.stem = stem(image);
    at::Tensor h = f.stem;
    for (int64_t s = 0; s < numStages(); ++s) {
        at::Tensor pre;
        h = runStage(s, h, &pre);
        f.stages.push_back(h);
        f.preReLU.push_back(pre);
    }
    f.pooled = at::adaptive_avg_pool2d(h, {1, 1}).flatten(1);
    f.logits = classifier(f.pooled);
    return f;
}

}  // namespace distillery::models
