#include "engine/TeacherLogitCache.h"

#include <stdexcept>

namespace distillery::engine {

namespace {

// The batch's rows as host integers: the bookkeeping is on the host (one small copy when the labels
// live on a GPU).
at::Tensor hostIndex(const at::Tensor& index) { return index.to(at::kCPU, at::kLong).contiguous(); }

}  // namespace

std::optional<std::string> TeacherLogitCache::unusable(bool augmented, bool methodNeedsFeatures, int64_t images,
                                                      int64_t classes) {
    if (augmented) return "the images are augmented, so the teacher sees a new image at every epoch";
    if (methodNeedsFeatures) return "the method reads the teacher's features, not only its logits";
    const int64_t bytes = images * classes * int64_t(sizeof(float));
    if (bytes > kMaxBytes)
        return "the logits of " + std::to_string(images) + " images × " + std::to_string(classes) + " classes take " +
               std::to_string(bytes >> 20) + " MB, more than the cache's " + std::to_string(kMaxBytes >> 20) + " MB";
    return std::nullopt;
}

TeacherLogitCache::TeacherLogitCache(int64_t images, int64_t classes, const at::Device& device)
    : logits_(at::empty({images, classes}, at::TensorOptions().dtype(at::kFloat).device(device))),
      storedAtSize_(static_cast<size_t>(images), 0) {}

at::Tensor TeacherLogitCache::lookup(const at::Tensor& index) {
    const at::Tensor rows = hostIndex(index);
    const int64_t size = rows.numel();
    const int64_t* row = rows.data_ptr<int64_t>();
    for (int64_t i = 0; i < size; ++i)
        if (storedAtSize_.at(static_cast<size_t>(row[i])) != size) {
            ++misses_;
            return {};
        }
    ++hits_;
    return logits_.index_select(0, index.to(logits_.device()));
}

void TeacherLogitCache::store(const at::Tensor& index, const at::Tensor& logits) {
    if (logits.dim() != 2 || logits.size(1) != logits_.size(1) || logits.size(0) != index.numel())
        throw std::logic_error("teacher logit cache: logits of shape " + std::to_string(logits.size(0)) + " × " +
                               std::to_string(logits.dim() > 1 ? logits.size(1) : 0) + " for " +
                               std::to_string(index.numel()) + " images of " + std::to_string(logits_.size(1)) +
                               " classes");
    logits_.index_copy_(0, index.to(logits_.device()), logits.detach().to(at::kFloat));
    const at::Tensor rows = hostIndex(index);
    const int64_t* row = rows.data_ptr<int64_t>();
    for (int64_t i = 0; i < rows.numel(); ++i) storedAtSize_.at(static_cast<size_t>(row[i])) = rows.numel();
}

}  // namespace distillery::engine
