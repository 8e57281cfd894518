#include "data/Dataset.h"

#include <stdexcept>

namespace distillery::data {

Dataset Dataset::subset(const at::Tensor& indices) const {
    if (!indices.defined() || indices.dim() != 1) {
        throw std::invalid_argument("Dataset::subset: indices must be a 1-D tensor");
    }
    const at::Tensor index = indices.to(at::kCPU, at::kLong);
    Dataset out;
    out.name = name;
    out.numClasses = numClasses;
    out.mean = mean;
    out.std = std;
    out.images = images.index_select(0, index);
    out.labels = labels.index_select(0, index);
    return out;
}

}  // namespace distillery::data
