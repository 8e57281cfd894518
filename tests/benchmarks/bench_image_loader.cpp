// The image-folder loader's speed: decoded and transformed images per second. It writes a temporary folder of
// JPEGs with libjpeg's compressor (ImageNet-like 500x375 photos and CIFAR-like 32x32 ones, textured so that they
// compress like photos), then times
//   - decoding alone, at full size and at 1/2 in the DCT domain;
//   - the resampling of a crop to 224 px: ours (uint8, interleaved) against ATen's _upsample_bilinear2d_aa (float);
//   - the training transform (decode + RandomResizedCrop + flip) per sample on 1 and 2 threads, output 224 and 32 px;
//   - the same through the prefetch queue (BatchStream, batches of 64) with 1 and 2 decode threads.
//
// Each rate is given per wall-clock second and per CPU second of the process (user + system, all threads): on a
// shared machine the wall-clock rate measures the contention, the CPU-time rate the loader (images per core-second).
//
//   bench_image_loader [--images N] [--repeats N]
#include <torch/torch.h>

#include <cstddef>   // jpeglib.h needs size_t and FILE declared first
#include <cstdio>
#include <jpeglib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <time.h>
#include <unistd.h>
#include <vector>

#include "BenchSupport.h"
#include "data/BatchStream.h"
#include "data/ImageDecoder.h"
#include "data/ImageFiles.h"
#include "data/ImageTransforms.h"

using namespace distillery;
using namespace distillery::data;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double secondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double cpuSeconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

// Best of the repeats: images per wall second and per CPU second.
struct Rate {
    double wall = 0, cpu = 0;
    void keep(double images, Clock::time_point start, double cpuStart) {
        wall = std::max(wall, images / secondsSince(start));
        cpu = std::max(cpu, images / std::max(1e-9, cpuSeconds() - cpuStart));
    }
};

// A photo-like RGB image: smooth gradients, a few edges and mild noise (JPEG quality 90 makes ~40-60 KB of a
// 500x375 one, as ImageNet's average file).
void writeJpeg(const std::string& path, int width, int height, std::mt19937& random) {
    std::vector<uint8_t> pixels(size_t(width * height * 3));
    std::uniform_real_distribution<float> unit(0, 1);
    const float fx = 0.02f + 0.05f * unit(random), fy = 0.02f + 0.05f * unit(random), phase = 6.28f * unit(random);
    std::normal_distribution<float> noise(0, 6);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            for (int c = 0; c < 3; ++c) {
                const float v = 128 + 70 * std::sin(fx * x * (c + 1) + fy * y + phase) + (((x / 37 + y / 29) % 2) ? 30 : -30) +
                                noise(random);
                pixels[size_t((y * width + x) * 3 + c)] = uint8_t(std::clamp(v, 0.0f, 255.0f));
            }
    jpeg_compress_struct info;
    jpeg_error_mgr errors;
    info.err = jpeg_std_error(&errors);
    jpeg_create_compress(&info);
    FILE* file = std::fopen(path.c_str(), "wb");
    jpeg_stdio_dest(&info, file);
    info.image_width = JDIMENSION(width);
    info.image_height = JDIMENSION(height);
    info.input_components = 3;
    info.in_color_space = JCS_RGB;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, 90, TRUE);
    jpeg_start_compress(&info, TRUE);
    while (info.next_scanline < info.image_height) {
        JSAMPROW row = &pixels[size_t(info.next_scanline) * size_t(width) * 3];
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    std::fclose(file);
    jpeg_destroy_compress(&info);
}

std::shared_ptr<ImageFiles> makeFiles(const fs::path& dir, int count, int width, int height, int64_t size) {
    fs::create_directories(dir);
    std::mt19937 random(uint32_t(width * 7 + height));
    auto files = std::make_shared<ImageFiles>();
    files->imageSize = size;
    files->bad = std::make_shared<BadImageRegistry>();
    for (int i = 0; i < count; ++i) {
        const std::string path = (dir / (std::to_string(i) + ".jpg")).string();
        writeJpeg(path, width, height, random);
        files->paths.push_back(path);
    }
    return files;
}

// Images per second of the training transform over all files, `threads` threads each taking every threads-th file.
Rate transformRate(const ImageFiles& files, int threads, int repeats) {
    const int64_t S = files.imageSize;
    Rate best;
    for (int r = 0; r < repeats; ++r) {
        const auto start = Clock::now();
        const double cpu = cpuSeconds();
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&, t] {
                std::vector<uint8_t> out(size_t(3 * S * S));
                for (size_t i = size_t(t); i < files.paths.size(); i += size_t(threads))
                    loadSample(files, int64_t(i), int64_t(i), SampleTransform::training(true, 1, r), out.data());
            });
        for (auto& thread : pool) thread.join();
        best.keep(double(files.paths.size()), start, cpu);
    }
    return best;
}

Rate queueRate(const std::shared_ptr<ImageFiles>& files, int workers, int repeats) {
    std::vector<int64_t> order(files->paths.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = int64_t(i);
    const int64_t batch = 64, batches = int64_t(order.size()) / batch;
    Rate best;
    for (int r = 0; r < repeats; ++r) {
        const auto start = Clock::now();
        const double cpu = cpuSeconds();
        BatchStream stream(files, order, batch, 0, batches, SampleTransform::training(true, 1, r), workers);
        int64_t images = 0;
        while (!stream.done()) images += stream.next().images.size(0);
        best.keep(double(images), start, cpu);
    }
    return best;
}

// eighths: the DCT scale asked for (8 = full size), through the MinimumSize the decoder picks its scale from.
Rate decodeRate(const ImageFiles& files, int eighths, int repeats) {
    Rate best;
    const MinimumSize need = [eighths](ImageSize full) {
        return ImageSize{full.width * eighths / 8, full.height * eighths / 8};
    };
    for (int r = 0; r < repeats; ++r) {
        const auto start = Clock::now();
        const double cpu = cpuSeconds();
        for (const auto& path : files.paths) decodeImage(path, need);
        best.keep(double(files.paths.size()), start, cpu);
    }
    return best;
}

// A 300x250 crop of a 500x375 image resized to 224x224: ours against ATen's antialiased bilinear (float in, as
// torchvision feeds it: the conversions to and from uint8 counted).
void resampleComparison(int repeats) {
    const int W = 500, H = 375, S = 224;
    std::vector<uint8_t> src(size_t(W * H * 3));
    std::mt19937 random(3);
    for (auto& v : src) v = uint8_t(random());
    std::vector<uint8_t> dst(size_t(3 * S * S));
    const CropBox box{100, 60, 300, 250};
    const int n = 200;
    double ours = 1e9, aten = 1e9;   // CPU seconds per image (one thread)
    at::set_num_threads(1);
    const at::Tensor image = at::from_blob(src.data(), {H, W, 3}, at::kByte).permute({2, 0, 1}).unsqueeze(0);
    for (int r = 0; r < repeats; ++r) {
        double start = cpuSeconds();
        for (int i = 0; i < n; ++i) resampleBilinearAA(src.data(), W, H, box, S, S, 0, 0, S, S, false, dst.data());
        ours = std::min(ours, (cpuSeconds() - start) / n);
        start = cpuSeconds();
        for (int i = 0; i < n; ++i) {
            const at::Tensor crop = image.narrow(2, 60, 250).narrow(3, 100, 300).to(at::kFloat);
            const at::Tensor out = at::_upsample_bilinear2d_aa(crop, {S, S}, false, c10::nullopt, c10::nullopt);
            (void)out.round().to(at::kByte).contiguous();
        }
        aten = std::min(aten, (cpuSeconds() - start) / n);
    }
    std::printf("resample 300x250 -> 224x224 crop, one thread: ours %.3f ms, ATen _upsample_bilinear2d_aa %.3f ms "
                "(%.1fx)\n", ours * 1e3, aten * 1e3, aten / ours);
}

}  // namespace

int main(int argc, char** argv) {
    int images = 256, repeats = 3;
    bench::readIntFlags(argc, argv, {{"--images", &images}, {"--repeats", &repeats}});
    const fs::path dir = fs::temp_directory_path() / ("distillery-bench-images-" + std::to_string(getpid()));
    std::printf("writing %d JPEGs of 500x375 and %d of 32x32 (quality 90) to %s\n", images, images, dir.c_str());
    const auto large = makeFiles(dir / "large", images, 500, 375, 224);
    const auto small = makeFiles(dir / "small", images, 32, 32, 32);
    uintmax_t bytes = 0;
    for (const auto& p : large->paths) bytes += fs::file_size(p);
    std::printf("500x375 files: %.1f KB on average; %u hardware threads\n", double(bytes) / images / 1024.0,
                std::thread::hardware_concurrency());

    const auto print = [](const std::string& what, Rate r) {
        std::printf("%-72s %7.0f images/s wall, %7.0f per CPU second\n", what.c_str(), r.wall, r.cpu);
    };
    print("decode only, 500x375, full size", decodeRate(*large, 8, repeats));
    print("decode only, 500x375, at 1/2 in the DCT domain (250x188)", decodeRate(*large, 4, repeats));
    print("decode only, 32x32", decodeRate(*small, 8, repeats));
    resampleComparison(repeats);
    for (const auto& [files, label] : {std::make_pair(large, "500x375 -> 224 px"), std::make_pair(small, "32x32 -> 32 px")}) {
        for (int threads : {1, 2})
            print(std::string("decode + training transform, ") + label + ", " + std::to_string(threads) + " thread(s)",
                  transformRate(*files, threads, repeats));
        for (int workers : {1, 2})
            print(std::string("prefetch queue, ") + label + ", " + std::to_string(workers) +
                      " decode thread(s), batches of 64",
                  queueRate(files, workers, repeats));
    }
    fs::remove_all(dir);
    return 0;
}
