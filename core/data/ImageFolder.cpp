#include "data/ImageFolder.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include "data/BatchStream.h"
#include "data/DataLoading.h"
#include "data/ImageFiles.h"
#include "spec/ImageFolderListing.h"

namespace distillery::data {

namespace {

Dataset makeSplit(spec::ImageFolderSplitFiles list, const std::vector<std::string>& classes, const ImageFolderOptions& options,
                  const std::shared_ptr<BadImageRegistry>& bad) {
    auto files = std::make_shared<ImageFiles>();
    files->paths = std::move(list.paths);
    files->imageSize = options.imageSize;
    files->skipBadImages = options.skipBadImages;
    files->workers = options.workers;
    files->bad = bad;
    Dataset d;
    d.name = "folder";
    d.numClasses = int64_t(classes.size());
    d.classNames = classes;
    d.files = files;
    d.labels = at::tensor(list.labels, at::TensorOptions().dtype(at::kLong));
    return d;
}

// Per-channel mean and std of pixel/255 over a seeded sample of the training split at the evaluation transform:
// the "computed" normalisation. The sample is streamed like an evaluation, so it costs decoding time, not memory.
void sampleStatistics(const Dataset& train, int64_t sampleSize, uint64_t seed, std::vector<double>& mean,
                      std::vector<double>& stddev) {
    const int64_t n = train.size();
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed + 0x5747u);
    const at::Tensor perm = at::randperm(n, generator, at::TensorOptions().dtype(at::kLong));
    const at::Tensor chosen = std::get<0>(perm.narrow(0, 0, std::min(n, sampleSize)).sort());
    std::vector<int64_t> order(chosen.data_ptr<int64_t>(), chosen.data_ptr<int64_t>() + chosen.numel());
    const int64_t batch = 64;
    BatchStream stream(train.files, order, batch, 0, (int64_t(order.size()) + batch - 1) / batch,
                       SampleTransform::evaluation(), train.files->workers);
    at::Tensor sum = at::zeros({3}, at::kDouble), squares = at::zeros({3}, at::kDouble);
    int64_t pixels = 0;
    while (!stream.done()) {
        const StreamedBatch b = stream.next();
        const at::Tensor x = b.images.to(at::kDouble).div_(255.0);
        sum += x.sum({0, 2, 3});
        squares += x.mul(x).sum({0, 2, 3});
        pixels += x.size(0) * x.size(2) * x.size(3);
    }
    if (pixels == 0) throw DataError("data.normalize \"computed\": no training image could be decoded");
    mean.clear();
    stddev.clear();
    for (int c = 0; c < 3; ++c) {
        const double m = sum[c].item<double>() / double(pixels);
        const double v = std::max(0.0, squares[c].item<double>() / double(pixels) - m * m);
        mean.push_back(m);
        stddev.push_back(v > 1e-24 ? std::sqrt(v) : 1.0);
    }
}

}  // namespace

DatasetSplits loadImageFolder(const std::string& root, int64_t valSize, int64_t trainSubset, uint64_t seed,
                              const ImageFolderOptions& options) {
    spec::ImageFolderListing listing = spec::listImageFolder(root);
    if (!listing.problem.empty()) throw DataError(listing.problem);
    const std::vector<std::string>& classes = listing.classes;
    auto bad = std::make_shared<BadImageRegistry>();
    const Dataset full = makeSplit(std::move(listing.train), classes, options, bad);
    const Dataset test = makeSplit(std::move(listing.val), classes, options, bad);
    DatasetSplits splits = splitTrainingFiles(full, test, valSize, trainSubset, seed);
    std::vector<double> mean = kImageNetMean, stddev = kImageNetStd;
    if (options.computedStatistics) sampleStatistics(splits.train, options.statisticsSample, seed, mean, stddev);
    for (Dataset* d : {&splits.train, &splits.val, &splits.test}) {
        d->mean = mean;
        d->std = stddev;
    }
    return splits;
}

DatasetSplits loadImageFolderDefaults(const std::string&, const std::string& root, int64_t valSize,
                                      int64_t trainSubset, uint64_t seed) {
    return loadImageFolder(root, valSize, trainSubset, seed, ImageFolderOptions{});
}

}  // namespace distillery::data
