#include "data/ImageFolder.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <iterator>
#include <memory>

#include "data/BatchStream.h"
#include "data/DataLoading.h"
#include "data/ImageFiles.h"
#include "spec/Catalog.h"

namespace distillery::data {

namespace {

namespace fs = std::filesystem;

const char* kLayout = "an image folder needs ROOT/train/CLASS/*.jpg|*.jpeg|*.png and ROOT/val/CLASS/… with the same "
                      "class folders (ImageNet's layout)";

bool isImageFile(const fs::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

// One folder's files (paths) and labels, class by class.
struct FileList {
    std::vector<std::string> paths;
    std::vector<int64_t> labels;
};

FileList listFiles(const fs::path& dir, const std::vector<std::string>& classes) {
    FileList list;
    for (size_t c = 0; c < classes.size(); ++c) {
        const fs::path classDir = dir / classes[c];
        std::vector<std::string> files;
        std::error_code error;
        for (fs::directory_iterator it(classDir, error), end; !error && it != end; it.increment(error)) {
            if (!it->is_directory(error) && isImageFile(it->path())) files.push_back(it->path().string());
        }
        if (error) throw DataError("data.root: the folder " + classDir.string() + " cannot be read: " + error.message());
        if (files.empty())
            throw DataError("data.root: the class folder " + classDir.string() + " holds no .jpg, .jpeg or .png file; " +
                            kLayout + ". Remove the empty folder or add its images.");
        std::sort(files.begin(), files.end());
        for (auto& f : files) {
            list.paths.push_back(std::move(f));
            list.labels.push_back(int64_t(c));
        }
    }
    return list;
}

Dataset makeSplit(FileList list, const std::vector<std::string>& classes, const ImageFolderOptions& options,
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

std::string listed(const std::vector<std::string>& names) {
    std::string out;
    const size_t shown = std::min<size_t>(names.size(), 5);
    for (size_t i = 0; i < shown; ++i) out += (i ? ", " : "") + names[i];
    if (names.size() > shown) out += " and " + std::to_string(names.size() - shown) + " more";
    return out;
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
    std::error_code error;
    if (root.empty()) throw DataError(std::string("data.root: the folder data set needs data.root; ") + kLayout + ".");
    if (!fs::is_directory(root, error))
        throw DataError("data.root: the folder " + root + " does not exist; " + kLayout + ".");
    const fs::path trainDir = fs::path(root) / "train", valDir = fs::path(root) / "val";
    if (!fs::is_directory(trainDir, error))
        throw DataError("data.root: " + trainDir.string() + " not found; " + kLayout + ".");
    if (!fs::is_directory(valDir, error))
        throw DataError("data.root: " + valDir.string() + " not found (its images are the test split); " + kLayout + ".");
    const std::vector<std::string> classes = spec::imageFolderClasses(trainDir.string());
    if (classes.empty())
        throw DataError("data.root: " + trainDir.string() + " holds no class folders; " + kLayout + ".");
    const std::vector<std::string> valClasses = spec::imageFolderClasses(valDir.string());
    if (valClasses != classes) {
        std::vector<std::string> missing, extra;
        std::set_difference(classes.begin(), classes.end(), valClasses.begin(), valClasses.end(), std::back_inserter(missing));
        std::set_difference(valClasses.begin(), valClasses.end(), classes.begin(), classes.end(), std::back_inserter(extra));
        std::string what;
        if (!missing.empty()) what += " it lacks " + listed(missing);
        if (!extra.empty()) what += std::string(missing.empty() ? "" : ";") + " it has " + listed(extra) + " that " +
                                    trainDir.string() + " has not";
        throw DataError("data.root: the class folders of " + valDir.string() + " differ from those of " +
                        trainDir.string() + ":" + what + ". Both must hold the same class folders.");
    }
    auto bad = std::make_shared<BadImageRegistry>();
    const Dataset full = makeSplit(listFiles(trainDir, classes), classes, options, bad);
    const Dataset test = makeSplit(listFiles(valDir, classes), classes, options, bad);
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
