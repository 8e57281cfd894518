#pragma once
// Reader of the IDX format of MNIST and Fashion-MNIST, gzip-compressed (.gz) or raw.
#include <ATen/ATen.h>

#include <string>

namespace distillery::data {

// uint8 N×1×H×W. Throws DataError naming the file: missing, bad magic, truncated, wrong dimensions.
at::Tensor readIdxImages(const std::string& path);
// int64 N. Same errors.
at::Tensor readIdxLabels(const std::string& path);

}  // namespace distillery::data
