#pragma once
// The frozen teacher's outputs per training image, kept for runs in which an image is the same tensor at
// every epoch (no augmentation) and whose method reads only the teacher's logits (kd, dkd) or its
// logits and pooled last stage (rkd, pkt, crd, cc): from the second time a batch's images are seen,
// these come from here instead of the teacher's forward pass, which is most of a KD step.
// torchdistill's cache_output and TextBrewer's cached teacher outputs do the same for their users.
//
// An output is reused only in a batch of the size it was computed in. oneDNN computes an image's
// outputs bit for bit the same in any batch of one size, whatever the other images, but not across
// sizes (the last, smaller batch of an epoch; a data-parallel share): so a run computes every number
// the same with the cache as without it.
#include <ATen/ATen.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/StagedNet.h"

namespace distillery::engine {

class TeacherOutputCache {
public:
    // At most this much memory, on the run's device: a CIFAR-100 training set's logits and pooled
    // features from a 256-channel last stage are 71 MB.
    static constexpr int64_t kMaxBytes = int64_t(512) << 20;

    // Why a run cannot use the cache, or nullopt when it can: `images` rows of `valuesPerImage` floats
    // (the logits, and the pooled features when the method reads them), kept only when the images do
    // not change between epochs and the method reads nothing else of the teacher.
    static std::optional<std::string> unusable(bool augmented, bool methodReadsTeacherStages, int64_t images,
                                               int64_t valuesPerImage);

    // pooledWidth: the channels of the teacher's pooled last stage to keep, 0 = the logits alone.
    TeacherOutputCache(int64_t images, int64_t classes, int64_t pooledWidth, const at::Device& device);

    // The float32 logits (and pooled features) of the batch's images (`index`: their rows in the training
    // split) when each was stored from a batch of this batch's size; nullopt otherwise (the teacher must run).
    std::optional<models::FeatureSet> lookup(const at::Tensor& index);
    // Keeps what the teacher computed for the batch's images.
    void store(const at::Tensor& index, const models::FeatureSet& outputs);

    bool keepsPooled() const { return pooled_.defined(); }
    int64_t hits() const { return hits_; }
    int64_t misses() const { return misses_; }
    int64_t bytes() const { return (logits_.numel() + (pooled_.defined() ? pooled_.numel() : 0)) * int64_t(sizeof(float)); }

private:
    at::Tensor logits_;                  // images × classes, float32, on the run's device
    at::Tensor pooled_;                  // images × pooledWidth, or undefined
    std::vector<int64_t> storedAtSize_;  // per image: the batch size its outputs were computed in; 0 = none
    int64_t hits_ = 0, misses_ = 0;
};

}  // namespace distillery::engine
