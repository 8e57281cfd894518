#include "data/ImageTransforms.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace distillery::data {

namespace {

uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// One axis of the resampling: for each output index of the window, the first source index and its weights.
struct AxisWeights {
    std::vector<int64_t> first, count;
    std::vector<float> weights;   // count.size() rows of `stride` weights
    int64_t stride = 0;
};

// PIL's ImagingResample coefficients (and ATen's _compute_indices_weights_aa, interp_size 2): support 1 source
// pixel when upscaling, `scale` source pixels when downscaling; taps at (j + xmin - centre + 0.5) / max(scale, 1).
AxisWeights axisWeights(double boxStart, double boxSize, int64_t grid, int64_t windowStart, int64_t windowSize,
                        int64_t inputSize) {
    const double scale = boxSize / double(grid);
    const double support = scale >= 1.0 ? scale : 1.0;
    const double inverse = scale >= 1.0 ? 1.0 / scale : 1.0;
    AxisWeights a;
    a.stride = int64_t(std::ceil(support)) * 2 + 1;
    a.first.resize(size_t(windowSize));
    a.count.resize(size_t(windowSize));
    a.weights.assign(size_t(windowSize * a.stride), 0.0f);
    for (int64_t i = 0; i < windowSize; ++i) {
        const double centre = boxStart + (double(windowStart + i) + 0.5) * scale;
        int64_t xmin = std::max<int64_t>(int64_t(centre - support + 0.5), 0);
        int64_t xmax = std::min<int64_t>(int64_t(centre + support + 0.5), inputSize);
        xmin = std::min(xmin, inputSize - 1);
        xmax = std::max(xmax, xmin + 1);
        const int64_t n = std::min(xmax - xmin, a.stride);
        float* w = &a.weights[size_t(i * a.stride)];
        float total = 0;
        for (int64_t j = 0; j < n; ++j) {
            const double x = std::abs((double(j + xmin) - centre + 0.5) * inverse);
            w[j] = x < 1.0 ? float(1.0 - x) : 0.0f;
            total += w[j];
        }
        if (total > 0)
            for (int64_t j = 0; j < n; ++j) w[j] /= total;
        else
            w[0] = 1.0f;   // a box narrower than a pixel far from any centre: the nearest pixel
        a.first[size_t(i)] = xmin;
        a.count[size_t(i)] = n;
    }
    return a;
}

uint8_t toByte(float v) {
    const float r = std::nearbyint(v);   // half to even, as torch.round
    return uint8_t(r < 0 ? 0 : r > 255 ? 255 : r);
}

}  // namespace

SampleRandom::SampleRandom(uint64_t seed, int64_t epoch, int64_t position) {
    // Three rounds of splitmix64 fold the three numbers into one well-mixed state.
    uint64_t s = seed ^ 0x5eed5eed5eed5eedull;
    s = splitmix64(s) ^ uint64_t(epoch);
    s = splitmix64(s) ^ uint64_t(position);
    state_ = splitmix64(s);
}

uint64_t SampleRandom::next() { return splitmix64(state_); }

double SampleRandom::uniform(double low, double high) {
    const double unit = double(next() >> 11) * 0x1.0p-53;
    return low + (high - low) * unit;
}

int64_t SampleRandom::integer(int64_t low, int64_t high) {
    const uint64_t span = uint64_t(high - low);
    return low + int64_t(next() % span);
}

CropBox randomResizedCropBox(int64_t width, int64_t height, SampleRandom& random, double scaleLow, double scaleHigh,
                             double ratioLow, double ratioHigh) {
    const double area = double(width) * double(height);
    const double logLow = std::log(ratioLow), logHigh = std::log(ratioHigh);
    for (int attempt = 0; attempt < 10; ++attempt) {
        const double targetArea = area * random.uniform(scaleLow, scaleHigh);
        const double aspect = std::exp(random.uniform(logLow, logHigh));
        const int64_t w = int64_t(std::nearbyint(std::sqrt(targetArea * aspect)));
        const int64_t h = int64_t(std::nearbyint(std::sqrt(targetArea / aspect)));
        if (0 < w && w <= width && 0 < h && h <= height) {
            const int64_t top = random.integer(0, height - h + 1);
            const int64_t left = random.integer(0, width - w + 1);
            return {double(left), double(top), double(w), double(h)};
        }
    }
    // torchvision's fallback: the central crop, its ratio clamped into [ratioLow, ratioHigh].
    const double inRatio = double(width) / double(height);
    int64_t w = width, h = height;
    if (inRatio < ratioLow) h = int64_t(std::nearbyint(double(w) / ratioLow));
    else if (inRatio > ratioHigh) w = int64_t(std::nearbyint(double(h) * ratioHigh));
    return {double((width - w) / 2), double((height - h) / 2), double(w), double(h)};
}

int64_t evaluationResize(int64_t size) { return int64_t(std::nearbyint(double(size) / 0.875)); }

ResizeWindow centreCropWindow(int64_t width, int64_t height, int64_t resizeTo, int64_t size) {
    ResizeWindow r;
    // torchvision 0.14 _compute_resized_output_size: the shorter side becomes resizeTo, the longer int(resizeTo * long / short).
    if (width <= height) {
        r.gridWidth = resizeTo;
        r.gridHeight = int64_t(double(resizeTo) * double(height) / double(width));
    } else {
        r.gridHeight = resizeTo;
        r.gridWidth = int64_t(double(resizeTo) * double(width) / double(height));
    }
    r.top = int64_t(std::nearbyint(double(r.gridHeight - size) / 2.0));
    r.left = int64_t(std::nearbyint(double(r.gridWidth - size) / 2.0));
    return r;
}

void resampleBilinearAA(const uint8_t* src, int64_t width, int64_t height, const CropBox& box, int64_t gridWidth,
                        int64_t gridHeight, int64_t left, int64_t top, int64_t outWidth, int64_t outHeight, bool flip,
                        uint8_t* dst) {
    const AxisWeights xs = axisWeights(box.x, box.width, gridWidth, left, outWidth, width);
    const AxisWeights ys = axisWeights(box.y, box.height, gridHeight, top, outHeight, height);
    // The source rows the vertical pass reads, resampled horizontally first (float, interleaved RGB).
    const int64_t rowFirst = ys.first.front();
    int64_t rowEnd = rowFirst;
    for (int64_t i = 0; i < outHeight; ++i) rowEnd = std::max(rowEnd, ys.first[size_t(i)] + ys.count[size_t(i)]);
    const int64_t rows = rowEnd - rowFirst;
    std::vector<float> horizontal(size_t(rows * outWidth * 3));
    for (int64_t r = 0; r < rows; ++r) {
        const uint8_t* line = src + (rowFirst + r) * width * 3;
        float* out = &horizontal[size_t(r * outWidth * 3)];
        for (int64_t x = 0; x < outWidth; ++x) {
            const float* w = &xs.weights[size_t(x * xs.stride)];
            const uint8_t* p = line + xs.first[size_t(x)] * 3;
            float c0 = 0, c1 = 0, c2 = 0;
            for (int64_t j = 0; j < xs.count[size_t(x)]; ++j, p += 3) {
                c0 += w[j] * p[0];
                c1 += w[j] * p[1];
                c2 += w[j] * p[2];
            }
            out[x * 3] = c0;
            out[x * 3 + 1] = c1;
            out[x * 3 + 2] = c2;
        }
    }
    const int64_t plane = outWidth * outHeight;
    for (int64_t y = 0; y < outHeight; ++y) {
        const float* w = &ys.weights[size_t(y * ys.stride)];
        const int64_t first = ys.first[size_t(y)] - rowFirst, n = ys.count[size_t(y)];
        for (int64_t x = 0; x < outWidth; ++x) {
            float c0 = 0, c1 = 0, c2 = 0;
            for (int64_t j = 0; j < n; ++j) {
                const float* p = &horizontal[size_t(((first + j) * outWidth + x) * 3)];
                c0 += w[j] * p[0];
                c1 += w[j] * p[1];
                c2 += w[j] * p[2];
            }
            const int64_t column = flip ? outWidth - 1 - x : x;
            uint8_t* o = dst + y * outWidth + column;
            o[0] = toByte(c0);
            o[plane] = toByte(c1);
            o[2 * plane] = toByte(c2);
        }
    }
}

}  // namespace distillery::data
