#pragma once
// Building the splits of a data set and turning index batches into normalised, augmented tensors.
#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

#include "data/Dataset.h"

namespace distillery::data {

inline const char* kDefaultFashionMnistRoot = "/usr/share/datasets/fashion-mnist";

// train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz), t10k-… in root.
// Throws DataError naming the missing or malformed file and how to get it.
DatasetSplits loadIdxDataset(const std::string& name, const std::string& root, int64_t valSize,
                             int64_t trainSubset, uint64_t seed);

// CIFAR-10 ("cifar10": data_batch_1.bin … data_batch_5.bin, test_batch.bin) or CIFAR-100 ("cifar100": train.bin,
// test.bin, fine labels), the official binary batches, in root or in the folder the official archive extracts to
// (root/cifar-10-batches-bin, root/cifar-100-binary). Images uint8 N×3×32×32. The splits are built as by
// loadIdxDataset: a seeded validation split of the training files, trainSubset of the rest (0 = all), the test
// files as the test split. Throws DataError naming the missing or malformed file and where to get it.
DatasetSplits loadCifar(const std::string& name, const std::string& root, int64_t valSize, int64_t trainSubset,
                        uint64_t seed);

// The validation split is the first valSize entries of a seeded permutation of full's samples, the training split
// the next trainSubset (all the rest when 0), both in file order; the test split is `test`. Throws DataError when
// the sizes do not fit. Statistics are left as they are in full and test.
DatasetSplits splitTrainingFiles(const Dataset& full, const Dataset& test, int64_t valSize, int64_t trainSubset,
                                 uint64_t seed);

// Dispatches on the data set's name through the data-set table: "fashion-mnist" (root defaults to
// kDefaultFashionMnistRoot when empty), "mnist" (IDX files), "cifar10", "cifar100". mnist and the CIFARs need a
// root: an empty one throws DataError naming data.root. The synthetic data set is not loaded from files: see
// makeSynthetic.
DatasetSplits loadNamedDataset(const std::string& name, const std::string& root, int64_t valSize,
                               int64_t trainSubset, uint64_t seed);

// One row per data set the engine knows, in the order of spec::datasetNames() (tests/methods/test_registry
// checks the two). Adding a data set read from files is its reader and a row here.
struct DatasetEntry {
    using Loader = DatasetSplits (*)(const std::string& name, const std::string& root, int64_t valSize,
                                     int64_t trainSubset, uint64_t seed);
    std::string name;
    Loader load = nullptr;             // nullptr: generated, not read from files (synthetic: makeSynthetic)
    std::string defaultRoot;           // "" = data.root must be given
    std::string files;                 // what data.root must hold, named when it is not given
    std::vector<double> mean, stddev;  // per channel, of pixel/255; empty = the training split's own statistics
};
const std::vector<DatasetEntry>& datasetTable();
// The row named `name`, or nullptr.
const DatasetEntry* findDataset(const std::string& name);

struct SyntheticOptions {
    int64_t channels = 1, height = 28, width = 28, numClasses = 10;
    int64_t trainSize = 1024, testSize = 256;
    uint64_t seed = 0;              // the same seed gives the same images
};
// Learnable: each class is a fixed random template plus noise.
DatasetSplits makeSynthetic(const SyntheticOptions& options, int64_t valSize);

// uint8 images -> float, (x/255 - mean)/std per channel, on device.
at::Tensor normalise(const at::Tensor& uint8Images, const Dataset& meta, const at::Device& device);
// Random crop after zero padding by `pad` and random horizontal flip, per sample, on the whole batch
// as tensor ops. The generator makes it reproducible.
at::Tensor augment(const at::Tensor& images, int64_t pad, bool flip, at::Generator& generator);

}  // namespace distillery::data
