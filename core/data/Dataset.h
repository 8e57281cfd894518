#pragma once
// Data sets held in memory as one uint8 tensor; batches by index; augmentation on whole batches. An image-folder
// data set holds its labels only: its images stay files, streamed from disk (ImageFiles, BatchStream).
#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/DataError.h"

namespace distillery::data {

struct ImageFiles;

struct Dataset {
    std::string name;               // "fashion-mnist", "mnist", "cifar10", "cifar100", "synthetic", "folder"
    at::Tensor images;              // uint8, N×C×H×W, on the CPU; undefined when streamed from files
    at::Tensor labels;              // int64, N
    int64_t numClasses = 0;
    std::vector<double> mean;       // per channel, of pixel/255, used to normalise
    std::vector<double> std;
    // Image folders: the split's files (images stay undefined) and the class names, the sorted folder names.
    std::shared_ptr<const ImageFiles> files;
    std::vector<std::string> classNames;   // empty: the catalog's names for the data set

    bool streamed() const { return files != nullptr; }
    int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
    int64_t channels() const;
    int64_t height() const;
    int64_t width() const;
    Dataset subset(const at::Tensor& indices) const;   // same metadata, the chosen rows (or files)
};

struct DatasetSplits {
    Dataset train;
    Dataset val;                    // held out from the training files, seeded
    Dataset test;
};

}  // namespace distillery::data
