// Building the splits of a data set (IDX files, CIFAR binary batches, synthetic) and turning uint8 batches
// into normalised, augmented tensors.
#include "data/DataLoading.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "data/CifarReader.h"
#include "data/ImageFolder.h"
#include "data/IdxReader.h"

namespace distillery::data {
namespace {

namespace fs = std::filesystem;

// Prefer the gzip file (as Debian ships it); fall back to the uncompressed one. When neither exists,
// the .gz path is returned so that the reader's "not found" error names the file Debian provides.
std::string idxFile(const std::string& root, const std::string& base) {
    const fs::path gz = fs::path(root) / (base + ".gz");
    const fs::path raw = fs::path(root) / base;
    std::error_code ec;
    if (fs::exists(gz, ec)) return gz.string();
    if (fs::exists(raw, ec)) return raw.string();
    return gz.string();
}

struct IdxPair {
    at::Tensor images;
    at::Tensor labels;
};

IdxPair readPair(const std::string& root, const std::string& imagesBase, const std::string& labelsBase,
                 int64_t numClasses) {
    const std::string imagesPath = idxFile(root, imagesBase);
    const std::string labelsPath = idxFile(root, labelsBase);
    IdxPair pair{readIdxImages(imagesPath), readIdxLabels(labelsPath)};
    const int64_t numImages = pair.images.size(0);
    const int64_t numLabels = pair.labels.size(0);
    if (numImages != numLabels) {
        throw DataError("IDX files do not match: " + imagesPath + " has " + std::to_string(numImages) +
                        " images but " + labelsPath + " has " + std::to_string(numLabels) +
                        " labels. One of them is corrupt or from another data set.");
    }
    const int64_t maxLabel = pair.labels.max().item<int64_t>();
    if (maxLabel >= numClasses) {
        const int64_t at = pair.labels.ge(numClasses).nonzero()[0][0].item<int64_t>();
        throw DataError("IDX labels file " + labelsPath + " holds the label " +
                        std::to_string(pair.labels[at].item<int64_t>()) + " (item " + std::to_string(at) +
                        "), expected 0.." + std::to_string(numClasses - 1) + ".");
    }
    return pair;
}

// Per-channel mean and std of pixel/255 over N×C×H×W uint8 images. A constant channel gets std 1.
void channelStats(const at::Tensor& images, std::vector<double>& mean, std::vector<double>& std) {
    const at::Tensor x = images.to(at::kDouble).div_(255.0);
    const at::Tensor m = x.mean({0, 2, 3});
    const at::Tensor s = x.std({0, 2, 3}, /*unbiased=*/false);
    mean.clear();
    std.clear();
    for (int64_t c = 0; c < images.size(1); ++c) {
        mean.push_back(m[c].item<double>());
        const double sc = s[c].item<double>();
        std.push_back(sc > 1e-12 ? sc : 1.0);
    }
}

at::Tensor sortedIndices(const at::Tensor& indices) { return std::get<0>(indices.sort()); }

// Before reading: every IDX file of the set must exist (gzip-compressed or raw). A missing one gives an error
// naming it, the four files the set needs and where this data set comes from.
void requireIdxFiles(const std::string& name, const std::string& root) {
    const char* bases[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                           "t10k-labels-idx1-ubyte"};
    for (const char* base : bases) {
        std::error_code ec;
        const fs::path gz = fs::path(root) / (std::string(base) + ".gz");
        const fs::path raw = fs::path(root) / base;
        if (fs::exists(gz, ec) || fs::exists(raw, ec)) continue;

        std::string message = "IDX data file not found: " + gz.string() + " (nor " + raw.string() +
                              ", uncompressed). The " + name + " data set needs train-images-idx3-ubyte, "
                              "train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte "
                              "(gzip-compressed as .gz, or raw) in " + root + ".";
        if (!fs::exists(root, ec)) message += " The folder " + root + " does not exist.";
        if (name == "mnist") {
            message += " MNIST's IDX files are needed at that root, under those names, as published on MNIST's "
                       "website; Debian has no MNIST package and the engine never downloads data.";
        } else if (name == "fashion-mnist") {
            const bool isDefault = fs::path(root).lexically_normal() ==
                                   fs::path(kDefaultFashionMnistRoot).lexically_normal();
            message += isDefault ? std::string(" Fashion-MNIST comes from Debian's `dataset-fashion-mnist` package: "
                                               "install it with `sudo apt install dataset-fashion-mnist`.")
                                 : std::string(" Debian's `dataset-fashion-mnist` package installs them in ") +
                                       kDefaultFashionMnistRoot + ", used when data.root is empty.";
        }
        throw DataError(message);
    }
}

// The splits of a data set read from files with its statistics: splitTrainingFiles, then mean/std for all three
// splits; empty ones are the training split's own statistics.
DatasetSplits buildSplits(const std::string& name, int64_t numClasses, const at::Tensor& trainImages,
                          const at::Tensor& trainLabels, const at::Tensor& testImages, const at::Tensor& testLabels,
                          int64_t valSize, int64_t trainSubset, uint64_t seed, std::vector<double> mean,
                          std::vector<double> stddev) {
    Dataset full;
    full.name = name;
    full.numClasses = numClasses;
    full.images = trainImages;
    full.labels = trainLabels;
    Dataset test = full;
    test.images = testImages;
    test.labels = testLabels;
    DatasetSplits splits = splitTrainingFiles(full, test, valSize, trainSubset, seed);
    if (mean.empty()) channelStats(splits.train.images, mean, stddev);
    for (Dataset* d : {&splits.train, &splits.val, &splits.test}) {
        d->mean = mean;
        d->std = stddev;
    }
    return splits;
}

}  // namespace

DatasetSplits loadIdxDataset(const std::string& name, const std::string& root, int64_t valSize,
                             int64_t trainSubset, uint64_t seed) {
    constexpr int64_t numClasses = 10;
    requireIdxFiles(name, root);
    IdxPair train = readPair(root, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", numClasses);
    IdxPair test = readPair(root, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", numClasses);
    if (train.images.size(2) != test.images.size(2) || train.images.size(3) != test.images.size(3)) {
        throw DataError("IDX files in " + root + " disagree on the image size: training images are " +
                        std::to_string(train.images.size(2)) + "x" + std::to_string(train.images.size(3)) +
                        ", test images " + std::to_string(test.images.size(2)) + "x" +
                        std::to_string(test.images.size(3)) + ".");
    }
    // The table's statistics for an IDX set it knows; any other name: the training split's own.
    const DatasetEntry* entry = findDataset(name);
    const bool known = entry && entry->load == loadIdxDataset;
    const std::vector<double> none;
    return buildSplits(name, numClasses, train.images, train.labels, test.images, test.labels, valSize, trainSubset,
                       seed, known ? entry->mean : none, known ? entry->stddev : none);
}

DatasetSplits loadCifar(const std::string& name, const std::string& root, int64_t valSize, int64_t trainSubset,
                        uint64_t seed) {
    if (name != "cifar10" && name != "cifar100")
        throw DataError("loadCifar: unknown CIFAR data set \"" + name + "\", expected cifar10 or cifar100.");
    const CifarKind kind = name == "cifar10" ? CifarKind::Cifar10 : CifarKind::Cifar100;
    const DatasetEntry& entry = *findDataset(name);
    const CifarFormat& format = cifarFormat(kind);
    const fs::path folder = findCifarFolder(root, kind);
    auto paths = [&](const std::vector<std::string>& names) {
        std::vector<std::string> out;
        for (const std::string& file : names) out.push_back((folder / file).string());
        return out;
    };
    const CifarBatch train = readCifarBatches(paths(format.trainFiles), kind);
    const CifarBatch test = readCifarBatches(paths(format.testFiles), kind);
    return buildSplits(name, format.numClasses, train.images, train.labels, test.images, test.labels, valSize,
                       trainSubset, seed, entry.mean, entry.stddev);
}

DatasetSplits splitTrainingFiles(const Dataset& full, const Dataset& test, int64_t valSize, int64_t trainSubset,
                                 uint64_t seed) {
    const std::string& name = full.name;
    const int64_t n = full.size();
    if (valSize < 0 || valSize >= n) {
        throw DataError("data set " + name + ": the validation split must hold 0.." + std::to_string(n - 1) +
                        " of the " + std::to_string(n) + " training images, got " + std::to_string(valSize) + ".");
    }
    const int64_t remaining = n - valSize;
    if (trainSubset < 0 || trainSubset > remaining) {
        throw DataError("data set " + name + ": a training subset of " + std::to_string(trainSubset) +
                        " images was asked for, but only " + std::to_string(remaining) + " remain after the " +
                        std::to_string(valSize) + "-image validation split (use 0 for all).");
    }
    // Both splits are put back in file order: the trainer shuffles anyway, and file order keeps index_select
    // cache-friendly.
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    const at::Tensor perm = at::randperm(n, generator, at::TensorOptions().dtype(at::kLong));
    const int64_t trainCount = trainSubset > 0 ? trainSubset : remaining;

    DatasetSplits splits;
    splits.val = full.subset(sortedIndices(perm.narrow(0, 0, valSize)));
    splits.train = full.subset(sortedIndices(perm.narrow(0, valSize, trainCount)));
    splits.test = test;
    return splits;
}

const std::vector<DatasetEntry>& datasetTable() {
    static const std::vector<DatasetEntry> table = {
        {"fashion-mnist", loadIdxDataset, kDefaultFashionMnistRoot, "Fashion-MNIST's four IDX files", {0.2860},
         {0.3530}},
        {"mnist", loadIdxDataset, "", "MNIST's four IDX files (train-images-idx3-ubyte.gz and the others)",
         {0.1307}, {0.3081}},
        {"cifar10", loadCifar, "", "CIFAR-10's binary batches (data_batch_1.bin … data_batch_5.bin, test_batch.bin)",
         {0.4914, 0.4822, 0.4465}, {0.2470, 0.2435, 0.2616}},
        {"cifar100", loadCifar, "", "CIFAR-100's binary batches (train.bin, test.bin)", {0.5071, 0.4865, 0.4409},
         {0.2673, 0.2564, 0.2762}},
        {"synthetic", nullptr, "", "", {}, {}},
        {"folder", loadImageFolderDefaults, "", "train/CLASS/*.jpg|png and val/CLASS/… (ImageNet's layout)",
         kImageNetMean, kImageNetStd},
    };
    return table;
}

const DatasetEntry* findDataset(const std::string& name) {
    for (const DatasetEntry& entry : datasetTable())
        if (entry.name == name) return &entry;
    return nullptr;
}

DatasetSplits loadNamedDataset(const std::string& name, const std::string& root, int64_t valSize,
                               int64_t trainSubset, uint64_t seed) {
    const DatasetEntry* entry = findDataset(name);
    if (!entry || !entry->load) {
        std::vector<std::string> readable;
        for (const DatasetEntry& e : datasetTable())
            if (e.load) readable.push_back(e.name);
        std::string expected;
        for (size_t i = 0; i < readable.size(); ++i)
            expected += (i == 0 ? "" : i + 1 == readable.size() ? " or " : ", ") + readable[i];
        throw DataError("unknown data set \"" + name + "\": expected " + expected +
                        (entry ? " (the " + name + " data set is generated, not read from files)" : "") + ".");
    }
    const std::string& folder = root.empty() ? entry->defaultRoot : root;
    if (folder.empty()) {
        throw DataError("data.root: the " + name + " data set has no default location; set data.root to the folder "
                        "holding " + entry->files + ". The engine never downloads data.");
    }
    return entry->load(name, folder, valSize, trainSubset, seed);
}

DatasetSplits makeSynthetic(const SyntheticOptions& o, int64_t valSize) {
    if (o.channels < 1 || o.height < 1 || o.width < 1 || o.numClasses < 1 || o.trainSize < 1 || o.testSize < 0 ||
        valSize < 0) {
        throw DataError("synthetic data set: channels, height, width, classes and training size must be positive, "
                        "test and validation sizes non-negative (got " +
                        std::to_string(o.channels) + "x" + std::to_string(o.height) + "x" + std::to_string(o.width) +
                        ", " + std::to_string(o.numClasses) + " classes, train " + std::to_string(o.trainSize) +
                        ", val " + std::to_string(valSize) + ", test " + std::to_string(o.testSize) + ").");
    }
    const int64_t K = o.numClasses, C = o.channels, H = o.height, W = o.width;
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(o.seed);
    const auto f32 = at::TensorOptions().dtype(at::kFloat);

    // Class templates: a fixed random pattern per class. A per-pixel random template alone is hard for
    // a small CNN with global pooling (every class has the same pixel statistics: a tiny CNN reached
    // ~35% after 30 SGD steps), so each class also gets its own brightness (40..215 grey levels),
    // contrast (5..90) per channel and blob size (1, 2, 4 or 7 px): visible to pooled features. The
    // tiny CNN then reaches 52..100% (mean 73%) test accuracy after 30 SGD steps (lr 0.1, batch 64, over
    // ten seeds), far above chance but not trivially separable.
    const at::Tensor level = at::rand({K, C, 1, 1}, generator, f32).mul_(175.0).add_(40.0);
    const at::Tensor contrast = at::rand({K, C, 1, 1}, generator, f32).mul_(85.0).add_(5.0);
    const at::Tensor cellChoice = at::randint(0, 4, {K}, generator, at::TensorOptions().dtype(at::kLong));
    constexpr int64_t kCells[4] = {1, 2, 4, 7};
    std::vector<at::Tensor> templates;
    for (int64_t k = 0; k < K; ++k) {
        const int64_t cell = kCells[cellChoice[k].item<int64_t>()];
        const int64_t h = (H + cell - 1) / cell, w = (W + cell - 1) / cell;
        at::Tensor pattern = at::randn({C, h, w}, generator, f32)
                                 .repeat_interleave(cell, 1)
                                 .repeat_interleave(cell, 2)
                                 .narrow(1, 0, H)
                                 .narrow(2, 0, W);
        templates.push_back(pattern.mul(contrast[k]).add(level[k]));
    }
    const at::Tensor templ = at::stack(templates).clamp_(0.0, 255.0).round_();   // K×C×H×W, uint8 values

    constexpr double kNoise = 15.0;   // per-pixel noise std, in grey levels
    auto makeSamples = [&](int64_t count) {
        at::Tensor labels = at::arange(count, at::TensorOptions().dtype(at::kLong)).remainder_(K);
        labels = labels.index_select(0, at::randperm(count, generator, at::TensorOptions().dtype(at::kLong)));
        at::Tensor noise = at::randn({count, C, H, W}, generator, f32).mul_(kNoise);
        at::Tensor images = templ.index_select(0, labels).add_(noise).clamp_(0.0, 255.0).round_().to(at::kByte);
        return std::make_pair(images, labels);
    };

    Dataset base;
    base.name = "synthetic";
    base.numClasses = K;

    // The validation split is carved from valSize extra samples drawn after the training ones.
    auto [trainValImages, trainValLabels] = makeSamples(o.trainSize + valSize);
    auto [testImages, testLabels] = makeSamples(o.testSize);

    DatasetSplits splits;
    splits.train = base;
    splits.train.images = trainValImages.narrow(0, 0, o.trainSize).contiguous();
    splits.train.labels = trainValLabels.narrow(0, 0, o.trainSize).contiguous();
    splits.val = base;
    splits.val.images = trainValImages.narrow(0, o.trainSize, valSize).contiguous();
    splits.val.labels = trainValLabels.narrow(0, o.trainSize, valSize).contiguous();
    splits.test = base;
    splits.test.images = testImages;
    splits.test.labels = testLabels;

    std::vector<double> mean, std;
    channelStats(splits.train.images, mean, std);
    for (Dataset* d : {&splits.train, &splits.val, &splits.test}) {
        d->mean = mean;
        d->std = std;
    }
    return splits;
}

at::Tensor normalise(const at::Tensor& uint8Images, const Dataset& meta, const at::Device& device) {
    TORCH_CHECK(uint8Images.scalar_type() == at::kByte, "normalise: expected uint8 images, got ",
                uint8Images.scalar_type());
    TORCH_CHECK(uint8Images.dim() == 4, "normalise: expected N×C×H×W images, got ", uint8Images.sizes());
    const int64_t C = uint8Images.size(1);
    TORCH_CHECK(int64_t(meta.mean.size()) == C && int64_t(meta.std.size()) == C, "normalise: the data set ",
                meta.name, " has mean/std for ", meta.mean.size(), "/", meta.std.size(), " channels, images have ",
                C);
    // (x/255 - mean)/std = x * (1/(255 std)) - mean/std, one fused pass after the conversion.
    std::vector<float> scale(C), shift(C);
    for (int64_t c = 0; c < C; ++c) {
        scale[c] = float(1.0 / (255.0 * meta.std[c]));
        shift[c] = float(meta.mean[c] / meta.std[c]);
    }
    const auto f32 = at::TensorOptions().dtype(at::kFloat);
    const at::Tensor scaleT = at::tensor(scale, f32).view({1, C, 1, 1}).to(device);
    const at::Tensor shiftT = at::tensor(shift, f32).view({1, C, 1, 1}).to(device);
    // Move the uint8 data (4x smaller than float) first, then convert on the device.
    at::Tensor x = uint8Images.to(device).to(at::kFloat);
    return x.mul_(scaleT).sub_(shiftT);
}

at::Tensor augment(const at::Tensor& images, int64_t pad, bool flip, at::Generator& generator) {
    TORCH_CHECK(images.dim() == 4, "augment: expected N×C×H×W images, got ", images.sizes());
    TORCH_CHECK(pad >= 0, "augment: pad must be >= 0, got ", pad);
    if (pad == 0 && !flip) return images.clone();

    const int64_t B = images.size(0), C = images.size(1), H = images.size(2), W = images.size(3);
    const int64_t Hp = H + 2 * pad, Wp = W + 2 * pad;
    const auto i64 = at::TensorOptions().dtype(at::kLong);

    // Random numbers are drawn on the CPU generator, in this order: row offsets, column offsets, flips.
    at::Tensor offsetY = pad > 0 ? at::randint(0, 2 * pad + 1, {B}, generator, i64) : at::zeros({B}, i64);
    at::Tensor offsetX = pad > 0 ? at::randint(0, 2 * pad + 1, {B}, generator, i64) : at::zeros({B}, i64);
    at::Tensor flips =
        flip ? at::randint(0, 2, {B}, generator, i64).to(at::kBool) : at::zeros({B}, i64.dtype(at::kBool));

    // Output pixel (b, y, x) reads padded pixel (offsetY_b + y, offsetX_b + (flip_b ? W-1-x : x)):
    // one gather over the whole batch with flat indices into each padded H'×W' plane.
    const at::Tensor ys = at::arange(H, i64);
    const at::Tensor xs = at::arange(W, i64);
    const at::Tensor rows = offsetY.unsqueeze(1) + ys;                                          // B×H
    const at::Tensor cols = offsetX.unsqueeze(1) + at::where(flips.unsqueeze(1), (W - 1) - xs, xs);   // B×W
    const at::Tensor flat = (rows.unsqueeze(2) * Wp + cols.unsqueeze(1)).view({B, 1, H * W});
    const at::Tensor index = flat.expand({B, C, H * W}).to(images.device());

    const at::Tensor padded = pad > 0 ? at::constant_pad_nd(images, {pad, pad, pad, pad}, 0) : images;
    return padded.reshape({B, C, Hp * Wp}).gather(2, index).view({B, C, H, W});
}

}  // namespace distillery::data
