#pragma once
// The files of one split of an image-folder data set, and turning one of them into the transformed 3 × S × S
// uint8 sample the batches hold. No torch: decode threads call loadSample on plain buffers.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/BadImageRegistry.h"

namespace distillery::data {

struct ImageFiles {
    std::vector<std::string> paths;           // one per sample, in the split's order (its labels' order)
    int64_t imageSize = 224;                  // S: samples are 3 × S × S
    bool skipBadImages = false;               // data.on_bad_image: "skip"
    int64_t workers = 2;                      // data.workers: decode threads of its streams (0 = the caller's)
    std::shared_ptr<BadImageRegistry> bad;    // shared by every split of the data set
    // The same settings, the chosen samples.
    std::shared_ptr<const ImageFiles> subset(const std::vector<int64_t>& samples) const;
};

// Which transform a sample gets: training (RandomResizedCrop + flip, drawn from SampleRandom(seed, epoch,
// position)) or evaluation (resize + centre crop, no randomness).
struct SampleTransform {
    bool randomCrop = false;
    bool flip = false;
    uint64_t seed = 0;
    int64_t epoch = 0;
    static SampleTransform evaluation() { return {}; }
    static SampleTransform training(bool augment, uint64_t seed, int64_t epoch) { return {augment, augment, seed, epoch}; }
};

// Decodes files.paths[sample] and writes its transformed pixels, planar 3 × S × S, to dst. position is the
// sample's place in the epoch's order (the random crop's seed). A file that cannot be decoded throws DataError
// naming it and the decoder's message; with skipBadImages it is recorded in files.bad and false is returned
// (true: dst holds the sample). A file recorded before is skipped without decoding it again.
bool loadSample(const ImageFiles& files, int64_t sample, int64_t position, const SampleTransform& transform,
                uint8_t* dst);

}  // namespace distillery::data
