#pragma once
// The frozen teacher's logits per training image, kept for runs in which an image is the same tensor at
// every epoch (no augmentation) and whose method reads only the teacher's logits (kd, dkd): from the
// second time a batch's images are seen, their logits come from here instead of the teacher's forward
// pass, which is most of a KD step. torchdistill's cache_output and TextBrewer's cached teacher outputs
// do the same for their users.
//
// A logit is reused only in a batch of the size it was computed in. oneDNN computes an image's logits
// bit for bit the same in any batch of one size, whatever the other images, but not across sizes (the
// last, smaller batch of an epoch; a data-parallel share): so a run computes every number the same
// with the cache as without it.
#include <ATen/ATen.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace distillery::engine {

class TeacherLogitCache {
public:
    // At most this much memory, on the run's device: a CIFAR-100 training set is 20 MB.
    static constexpr int64_t kMaxBytes = int64_t(512) << 20;

    // Why a run cannot use the cache, or nullopt when it can: `images` rows of `classes` logits, kept
    // only when the images do not change between epochs and the method needs no teacher features.
    static std::optional<std::string> unusable(bool augmented, bool methodNeedsFeatures, int64_t images,
                                               int64_t classes);

    TeacherLogitCache(int64_t images, int64_t classes, const at::Device& device);

    // The float32 logits of the batch's images (`index`: their rows in the training split) when each was
    // stored from a batch of this batch's size; an undefined tensor otherwise (the teacher must run).
    at::Tensor lookup(const at::Tensor& index);
    // Keeps the logits the teacher computed for the batch's images.
    void store(const at::Tensor& index, const at::Tensor& logits);

    int64_t hits() const { return hits_; }
    int64_t misses() const { return misses_; }
    int64_t bytes() const { return logits_.numel() * int64_t(sizeof(float)); }

private:
    at::Tensor logits_;                  // images × classes, float32, on the run's device
    std::vector<int64_t> storedAtSize_;  // per image: the batch size its logits were computed in; 0 = none
    int64_t hits_ = 0, misses_ = 0;
};

}  // namespace distillery::engine
