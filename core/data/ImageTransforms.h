#pragma once
// The image-folder transforms on decoded RGB pixels, torchvision's ImageNet recipe: RandomResizedCrop + horizontal
// flip for training, Resize(round(S / 0.875)) + CenterCrop(S) for evaluation, both resampled bilinearly with
// antialiasing (torchvision's antialias=True, PIL's BILINEAR). No torch: the decode threads run these on plain
// buffers.
#include <cstdint>

namespace distillery::data {

// The random numbers of one sample. Seeded by splitmix64 from (run seed, epoch, position of the sample in the
// epoch's order) alone, so that a sample's crop and flip are a pure function of where it stands in the run:
// decode threads may take samples in any order, any number of threads gives the same batches, and a run resumed
// from any checkpoint (which holds the epoch and the batch within it) draws the same crops again. That is why
// the image-folder augmentation needs no generator state in the checkpoint.
class SampleRandom {
public:
    SampleRandom(uint64_t seed, int64_t epoch, int64_t position);
    uint64_t next();                             // splitmix64
    double uniform(double low, double high);     // [low, high)
    int64_t integer(int64_t low, int64_t high);  // [low, high), high > low

private:
    uint64_t state_;
};

// A crop of the source image, in source pixels; fractional after a JPEG was decoded at a reduced scale.
struct CropBox {
    double x = 0, y = 0, width = 0, height = 0;
};

// torchvision 0.14's RandomResizedCrop.get_params: up to ten draws of an area fraction in scale and a log-uniform
// aspect ratio in ratio, the first that fits the image; else the centre crop with the ratio clamped into range.
CropBox randomResizedCropBox(int64_t width, int64_t height, SampleRandom& random, double scaleLow = 0.08,
                             double scaleHigh = 1.0, double ratioLow = 3.0 / 4.0, double ratioHigh = 4.0 / 3.0);

// The evaluation transform's geometry: the image resized so that its shorter side is `resizeTo` (the longer one
// int(resizeTo * long / short), as torchvision's Resize(int)), then the centre size × size window of that grid
// (torchvision's CenterCrop: offsets round((grid - size) / 2)).
struct ResizeWindow {
    int64_t gridWidth = 0, gridHeight = 0;   // the whole resized image
    int64_t left = 0, top = 0;               // the window's offset in it
};
ResizeWindow centreCropWindow(int64_t width, int64_t height, int64_t resizeTo, int64_t size);
// round(S / 0.875): 256 for 224, torchvision's ImageNet evaluation resize.
int64_t evaluationResize(int64_t size);

// Resamples `box` of the interleaved RGB source (width × height × 3) onto a gridWidth × gridHeight grid and writes
// the window [left, left + outWidth) × [top, top + outHeight) of that grid planar (3 × outHeight × outWidth) to
// dst, mirrored left-right when flip. Bilinear with antialiasing: PIL's and ATen's _upsample_bilinear2d_aa
// coefficients (a triangle filter widened by the scale when downscaling), accumulated in float and rounded half
// to even as torchvision rounds a uint8 tensor's resize.
void resampleBilinearAA(const uint8_t* src, int64_t width, int64_t height, const CropBox& box, int64_t gridWidth,
                        int64_t gridHeight, int64_t left, int64_t top, int64_t outWidth, int64_t outHeight, bool flip,
                        uint8_t* dst);

}  // namespace distillery::data
