#pragma once
// The image-folder data set ("folder"): root/train/CLASS/*.{jpg,jpeg,png} and root/val/CLASS/…, ImageNet's layout.
// Only the file lists and labels are read here; the images are decoded while training (BatchStream).
#include <cstdint>
#include <string>
#include <vector>

#include "data/Dataset.h"

namespace distillery::data {

// torchvision's ImageNet statistics (of pixel/255), the default normalisation.
inline const std::vector<double> kImageNetMean = {0.485, 0.456, 0.406};
inline const std::vector<double> kImageNetStd = {0.229, 0.224, 0.225};

struct ImageFolderOptions {
    int64_t imageSize = 224;            // data.image_size
    bool computedStatistics = false;    // data.normalize "computed": the training split's own mean/std
    int64_t statisticsSample = 1000;    // training images (seeded choice, evaluation transform) they are taken from
    int64_t workers = 2;                // data.workers
    bool skipBadImages = false;         // data.on_bad_image "skip"
};

// The splits: test = root/val (what ImageNet papers report as the test set), validation = a seeded valSize
// hold-out of root/train, training = trainSubset of the rest (0 = all), as splitTrainingFiles builds them for every
// data set. The files and classes are spec::listImageFolder's (classes are the sorted folder names of root/train,
// kept in each split's classNames); its problem with the folder, if any, is thrown as a DataError.
DatasetSplits loadImageFolder(const std::string& root, int64_t valSize, int64_t trainSubset, uint64_t seed,
                              const ImageFolderOptions& options);

// The data-set table's loader: loadImageFolder with ImageFolderOptions' defaults.
DatasetSplits loadImageFolderDefaults(const std::string& name, const std::string& root, int64_t valSize,
                                      int64_t trainSubset, uint64_t seed);

}  // namespace distillery::data
