// What writing diagnostics costs a training step. For each seed method (resnet20 -> resnet8,
// synthetic 1x28x28, batch 128, float32) the step time with diagnostics off, at the default
// cadence (every 10 steps) and at every step, measured in alternating repetitions; the median of
// each is printed with the overhead against "off".
//
//   bench_diagnostics [--threads N] [--warmup N] [--steps N] [--repeats N]
#include <torch/torch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "BenchSupport.h"

using namespace distillery;

namespace {
double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}
}  // namespace

int main(int argc, char** argv) {
    spdlog::set_level(spdlog::level::warn);
    int threads = static_cast<int>(std::thread::hardware_concurrency()), warmup = 10, steps = 60, repeats = 3;
    const int batch = 128;
    bench::readIntFlags(argc, argv, {{"--threads", &threads}, {"--warmup", &warmup}, {"--steps", &steps},
                                     {"--repeats", &repeats}});
    const auto dir = std::filesystem::temp_directory_path() / ("distillery-bench-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    store::Store db((dir / "bench.sqlite").string());
    const auto data = nlohmann::json{{"name", "synthetic"}, {"channels", 1}, {"height", 28}, {"width", 28},
                                     {"num_classes", 10}, {"train_size", batch * (warmup + steps)},
                                     {"test_size", batch}, {"val_size", batch}, {"augment", false}};
    const int64_t teacher = bench::teacherRun(db, data, "resnet20", threads, batch);

    const std::vector<nlohmann::json> methods = {
        {{"name", "sakd"}, {"base", "at"}}, {{"name", "adain"}},     {{"name", "stat_l2"}},
        {{"name", "channel"}},              {{"name", "multipath"}}, {{"name", "amap"}}};
    const std::vector<int> cadences = {0, 10, 1};
    std::printf("diagnostics overhead: resnet20 -> resnet8, synthetic 1x28x28, batch %d, %d threads, "
                "%d warm-up + %d timed steps, median of %d\n",
                batch, threads, warmup, steps, repeats);
    std::printf("%-12s %14s %14s %9s %14s %9s\n", "method", "off ms/step", "every 10", "overhead", "every step",
                "overhead");
    for (const auto& method : methods) {
        std::vector<std::vector<double>> times(cadences.size());
        for (int r = 0; r < repeats; ++r) {
            for (size_t c = 0; c < cadences.size(); ++c) {
                const auto spec = bench::parsedSpec(
                    {{"name", "bench-" + method["name"].get<std::string>()}, {"data", data},
                     {"teacher", {{"run_id", teacher}}}, {"student", {{"model", "resnet8"}}}, {"method", method},
                     {"epochs", 1}, {"batch_size", batch}, {"threads", threads}, {"log_every", 10},
                     {"diagnostics_every", cadences[c]}});
                times[c].push_back(1000 * bench::secondsPerStep(db, spec, warmup));
            }
        }
        const double off = median(times[0]), every10 = median(times[1]), every = median(times[2]);
        std::printf("%-12s %14.2f %14.2f %8.1f%% %14.2f %8.1f%%\n", method["name"].get<std::string>().c_str(), off,
                    every10, 100 * (every10 / off - 1), every, 100 * (every / off - 1));
        std::fflush(stdout);
    }
    std::filesystem::remove_all(dir);
    return 0;
}
