#pragma once
// Decoding one JPEG or PNG file into 8-bit RGB pixels (height × width × 3, row-major), for the image-folder data
// set. No torch here: the decode threads fill plain buffers.
//
// Why libjpeg-turbo (Debian's libjpeg62-turbo) and libpng: they are the reference decoders of both formats, the
// ones PIL (and so torchvision's ImageFolder) decode with underneath, so Distillery's pixels are PyTorch's pixels
// (tests/data/test_image_folder checks them against PIL's, bit for bit). libjpeg-turbo decodes with SIMD
// (SSE2/AVX2 IDCT and colour conversion), and can decode a large JPEG straight at 1/2, 1/4 or 1/8 of its size in
// the DCT domain (scale_num/scale_denom): a photo much larger than the crop it ends up as is decoded at no more
// than the resolution the crop needs, which skips most of the IDCT and resampling work. Both libraries are
// well-kept Debian packages with security support; nothing is vendored.
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace distillery::data {

// A file that cannot be decoded: message = the file's path and the decoder's own words.
class ImageDecodeError : public std::runtime_error {
public:
    ImageDecodeError(const std::string& path, const std::string& reason)
        : std::runtime_error(path + ": " + reason), path_(path), reason_(reason) {}
    const std::string& path() const { return path_; }
    const std::string& reason() const { return reason_; }

private:
    std::string path_, reason_;
};

struct ImageSize {
    int64_t width = 0, height = 0;
};

struct DecodedImage {
    int64_t width = 0, height = 0;     // of the pixels below (after any DCT-domain downscaling)
    int64_t fullWidth = 0, fullHeight = 0;   // of the file
    std::vector<uint8_t> pixels;       // RGB, row-major, height × width × 3
};

enum class ImageFormat { Jpeg, Png, Unknown };
// By the file's first bytes (not its extension): a PNG named .jpg still decodes.
ImageFormat sniffImageFormat(const std::string& path);

// What the pixels must be at least as large as, given the file's own size; {0, 0} = any. Called exactly once per
// decoded file, with its full size, before the pixels are used (the caller may draw its crop there). A JPEG is
// decoded at the smallest of the scales 1/8, 1/4, 1/2 and 1 whose output is at least this large in both
// directions (libjpeg-turbo's SIMD scales); a PNG always at full size. It must not throw.
using MinimumSize = std::function<ImageSize(ImageSize full)>;

// Decodes path into RGB: grey images replicated to three channels, palette PNGs looked up, alpha dropped
// (as PIL's convert("RGB") does), 16-bit PNG samples reduced to their high byte. minimumSize (may be empty) picks
// the JPEG scale. Throws ImageDecodeError naming the file: unreadable, truncated, corrupt, CMYK JPEG, or neither
// JPEG nor PNG.
DecodedImage decodeImage(const std::string& path, const MinimumSize& minimumSize = {});

}  // namespace distillery::data
