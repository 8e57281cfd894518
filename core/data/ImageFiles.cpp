#include "data/ImageFiles.h"

#include <algorithm>
#include <cmath>

#include "data/DataError.h"
#include "data/ImageDecoder.h"
#include "data/ImageTransforms.h"

namespace distillery::data {

std::shared_ptr<const ImageFiles> ImageFiles::subset(const std::vector<int64_t>& samples) const {
    auto out = std::make_shared<ImageFiles>();
    out->imageSize = imageSize;
    out->skipBadImages = skipBadImages;
    out->workers = workers;
    out->bad = bad;
    out->paths.reserve(samples.size());
    for (int64_t i : samples) out->paths.push_back(paths.at(size_t(i)));
    return out;
}

bool loadSample(const ImageFiles& files, int64_t sample, int64_t position, const SampleTransform& transform,
                uint8_t* dst) {
    const std::string& path = files.paths.at(size_t(sample));
    if (files.skipBadImages && files.bad->contains(path)) return false;
    const int64_t S = files.imageSize;
    CropBox crop;        // the training crop, in the file's full-size pixels
    ResizeWindow window; // the evaluation resize, of the file's full size
    const int64_t resizeTo = evaluationResize(S);
    SampleRandom random(transform.seed, transform.epoch, position);   // the crop's draws, then the flip's
    // Called with the file's full size before its pixels are decoded: the transform's geometry is drawn there,
    // and a JPEG is decoded at the smallest DCT scale that still gives the crop at least S pixels a side.
    const auto minimumSize = [&](ImageSize full) -> ImageSize {
        if (transform.randomCrop) {
            crop = randomResizedCropBox(full.width, full.height, random);
            return {int64_t(std::ceil(double(S) * double(full.width) / crop.width)),
                    int64_t(std::ceil(double(S) * double(full.height) / crop.height))};
        }
        const int64_t shorter = std::min(full.width, full.height);
        return {full.width * resizeTo / shorter, full.height * resizeTo / shorter};
    };
    DecodedImage image;
    try {
        image = decodeImage(path, minimumSize);
    } catch (const ImageDecodeError& e) {
        if (!files.skipBadImages)
            throw DataError("image " + path + " cannot be decoded: " + e.reason() +
                            ". Replace or remove the file, or set data.on_bad_image to \"skip\" to train without it.");
        files.bad->add(path, e.reason());
        return false;
    }
    // The decoded pixels may be a DCT-scaled version of the file: geometry in full-size pixels is scaled to them.
    const double sx = double(image.width) / double(image.fullWidth), sy = double(image.height) / double(image.fullHeight);
    if (transform.randomCrop) {
        const CropBox box{crop.x * sx, crop.y * sy, crop.width * sx, crop.height * sy};
        const bool flip = transform.flip && random.uniform(0, 1) < 0.5;   // drawn after the crop's numbers
        resampleBilinearAA(image.pixels.data(), image.width, image.height, box, S, S, 0, 0, S, S, flip, dst);
    } else {
        window = centreCropWindow(image.fullWidth, image.fullHeight, resizeTo, S);
        const CropBox whole{0, 0, double(image.width), double(image.height)};
        resampleBilinearAA(image.pixels.data(), image.width, image.height, whole, window.gridWidth, window.gridHeight,
                           window.left, window.top, S, S, false, dst);
    }
    return true;
}

}  // namespace distillery::data
