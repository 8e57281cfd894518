#include "data/Dataset.h"

#include <stdexcept>
#include <vector>

#include "data/ImageFiles.h"

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
    out.classNames = classNames;
    if (files) {
        const at::Tensor contiguous = index.contiguous();
        const int64_t* p = contiguous.data_ptr<int64_t>();
        out.files = files->subset(std::vector<int64_t>(p, p + contiguous.numel()));
    } else {
        out.images = images.index_select(0, index);
    }
    out.labels = labels.index_select(0, index.to(labels.device()));
    return out;
}

int64_t Dataset::channels() const { return files ? 3 : images.size(1); }
int64_t Dataset::height() const { return files ? files->imageSize : images.size(2); }
int64_t Dataset::width() const { return files ? files->imageSize : images.size(3); }

}  // namespace distillery::data
