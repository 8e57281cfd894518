#include "engine/TeacherOutputCache.h"

#include <stdexcept>

namespace distillery::engine {

namespace {

// The batch's rows as host integers: the bookkeeping is on the host (one small copy when the labels
// live on a GPU).
at::Tensor hostIndex(const at::Tensor& index) { return index.to(at::kCPU, at::kLong).contiguous(); }

void keepRows(at::Tensor& kept, const at::Tensor& index, const at::Tensor& rows, const char* what) {
    if (!rows.defined() || rows.dim() != 2 || rows.size(1) != kept.size(1) || rows.size(0) != index.numel())
        throw std::logic_error(std::string("teacher output cache: the teacher's ") + what + " do not have " +
                               std::to_string(index.numel()) + " rows of " + std::to_string(kept.size(1)));
    kept.index_copy_(0, index.to(kept.device()), rows.detach().to(at::kFloat));
}

}  // namespace

std::optional<std::string> TeacherOutputCache::unusable(bool augmented, bool methodReadsTeacherStages, int64_t images,
                                                        int64_t valuesPerImage) {
    if (augmented) return "the images are augmented, so the teacher sees a new image at every epoch";
    if (methodReadsTeacherStages) return "the method reads the teacher's stages";
    const int64_t bytes = images * valuesPerImage * int64_t(sizeof(float));
    if (bytes > kMaxBytes)
        return "the outputs of " + std::to_string(images) + " images × " + std::to_string(valuesPerImage) +
               " values take " + std::to_string(bytes >> 20) + " MB, more than the cache's " +
               std::to_string(kMaxBytes >> 20) + " MB";
    return std::nullopt;
}

TeacherOutputCache::TeacherOutputCache(int64_t images, int64_t classes, int64_t pooledWidth, const at::Device& device)
    : logits_(at::empty({images, classes}, at::TensorOptions().dtype(at::kFloat).device(device))),
      storedAtSize_(static_cast<size_t>(images), 0) {
    if (pooledWidth > 0) pooled_ = at::empty({images, pooledWidth}, logits_.options());
}

std::optional<models::FeatureSet> TeacherOutputCache::lookup(const at::Tensor& index) {
    const at::Tensor rows = hostIndex(index);
    const int64_t size = rows.numel();
    const int64_t* row = rows.data_ptr<int64_t>();
    for (int64_t i = 0; i < size; ++i)
        if (storedAtSize_.at(static_cast<size_t>(row[i])) != size) {
            ++misses_;
            return std::nullopt;
        }
    ++hits_;
    const at::Tensor onDevice = index.to(logits_.device());
    models::FeatureSet outputs;
    outputs.logits = logits_.index_select(0, onDevice);
    if (pooled_.defined()) outputs.pooled = pooled_.index_select(0, onDevice);
    return outputs;
}

void TeacherOutputCache::store(const at::Tensor& index, const models::FeatureSet& outputs) {
    keepRows(logits_, index, outputs.logits, "logits");
    if (pooled_.defined()) keepRows(pooled_, index, outputs.pooled, "pooled features");
    const at::Tensor rows = hostIndex(index);
    const int64_t* row = rows.data_ptr<int64_t>();
    for (int64_t i = 0; i < rows.numel(); ++i) storedAtSize_.at(static_cast<size_t>(row[i])) = rows.numel();
}

}  // namespace distillery::engine
