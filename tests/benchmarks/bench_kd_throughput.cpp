// Training throughput of a fixed KD configuration — resnet32x4 → resnet8x4, synthetic 3×32×32,
// batch 64, Hinton KD, SGD, float32 — for Distillery's Trainer and for the plain PyTorch loop of
// pytorch_kd_loop.py (Debian's python3-torch), with the same number of threads, in one run.
//
//   bench_kd_throughput [--threads N] [--warmup N] [--steps N]
#include <torch/torch.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <unistd.h>

#include "BenchSupport.h"

using namespace distillery;

namespace {

double distilleryImagesPerSecond(const std::filesystem::path& dir, int threads, int warmup, int steps, int batch) {
    store::Store db((dir / "bench.sqlite").string());
    const auto shape = nlohmann::json{{"name", "synthetic"}, {"channels", 3}, {"height", 32}, {"width", 32},
                                      {"num_classes", 100}, {"train_size", batch * (warmup + steps)},
                                      {"test_size", batch}, {"val_size", batch}, {"augment", false}};
    const int64_t teacherId = bench::teacherRun(db, shape, "resnet32x4", threads, batch);
    const auto kdSpec = bench::parsedSpec({{"name", "bench-kd"}, {"data", shape}, {"teacher", {{"run_id", teacherId}}},
                                           {"student", {{"model", "resnet8x4"}}}, {"method", {{"name", "kd"}}},
                                           {"epochs", 1}, {"batch_size", batch}, {"threads", threads},
                                           {"log_every", 50}});
    return batch / bench::secondsPerStep(db, kdSpec, warmup);
}

double pytorchImagesPerSecond(int threads, int warmup, int steps, int batch) {
    const std::string command = "/usr/bin/python3 " + std::string(DISTILLERY_SOURCE_DIR) +
                                "/tests/benchmarks/pytorch_kd_loop.py " + std::to_string(threads) + " " +
                                std::to_string(warmup) + " " + std::to_string(steps) + " " + std::to_string(batch);
    FILE* pipe = popen(command.c_str(), "r");
    double value = 0;
    if (!pipe || std::fscanf(pipe, "%lf", &value) != 1) {
        std::fprintf(stderr, "the PyTorch loop did not run: %s (is python3-torch installed?)\n", command.c_str());
        std::exit(1);
    }
    pclose(pipe);
    return value;
}

}  // namespace

int main(int argc, char** argv) {
    spdlog::set_level(spdlog::level::warn);   // the figures, not the trainer's log
    int threads = static_cast<int>(std::thread::hardware_concurrency()), warmup = 5, steps = 25;
    const int batch = 64;
    bench::readIntFlags(argc, argv, {{"--threads", &threads}, {"--warmup", &warmup}, {"--steps", &steps}});
    const auto dir = std::filesystem::temp_directory_path() / ("distillery-bench-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    std::printf("KD resnet32x4 -> resnet8x4, synthetic 3x32x32, batch %d, float32, %d threads, %d warm-up + %d timed steps\n",
                batch, threads, warmup, steps);
    const double pytorch = pytorchImagesPerSecond(threads, warmup, steps, batch);
    std::printf("plain PyTorch loop (Debian python3-torch): %8.1f images/s\n", pytorch);
    const double distillery = distilleryImagesPerSecond(dir, threads, warmup, steps, batch);
    std::printf("Distillery engine (Debian LibTorch):      %8.1f images/s  (%.2fx)\n", distillery,
                distillery / pytorch);
    std::filesystem::remove_all(dir);
    return 0;
}
