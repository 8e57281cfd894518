#pragma once
// Data sets held in memory as one uint8 tensor; batches by index; augmentation on whole batches.
#include <ATen/ATen.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace distillery::data {

// A malformed or missing data file. The message names the file and what was expected.
class DataError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Dataset {
    std::string name;               // "fashion-mnist", "mnist", "cifar10", "cifar100", "synthetic"
    at::Tensor images;              // uint8, N×C×H×W, on the CPU
    at::Tensor labels;              // int64, N
    int64_t numClasses = 0;
    std::vector<double> mean;       // per channel, of pixel/255, used to normalise
    std::vector<double> std;

    int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
    int64_t channels() const { return images.size(1); }
    int64_t height() const { return images.size(2); }
    int64_t width() const { return images.size(3); }
    Dataset subset(const at::Tensor& indices) const;   // same metadata, the chosen rows
};

struct DatasetSplits {
    Dataset train;
    Dataset val;                    // held out from the training files, seeded
    Dataset test;
};

}  // namespace distillery::data
