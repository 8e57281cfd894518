// Training throughput of a fixed KD configuration — resnet32x4 → resnet8x4, synthetic 3×32×32,
// batch 64, SGD — for Distillery's Trainer in fp32 and bf16 and for the plain PyTorch loop of
// pytorch_kd_loop.py (Debian's python3-torch) in fp32 and under bf16 autocast, with the same number
// of threads, in one run; then every other method in Distillery, with its step's cost against kd's and,
// for a seed method, against its base's. Each headline figure is also given as a ratio to the PyTorch
// fp32 loop and as a fraction of the ceiling this CPU's measured convolution rate allows. Last, where a step's time goes (data, teacher, student forward, loss, backward, optimiser),
// and what folding batch norm into the frozen teacher's convolutions saves of its forward.
//
//   bench_kd_throughput [--threads N] [--warmup N] [--steps N] [--repeats N] [--profile-steps N] [--batch N] [--methods a,b]
// (--methods: only these besides kd, at, at + kd and fitnet, the bases; default all. --repeats: rounds of
// every measurement, default 3; each figure is the median of its rounds, each ratio the median of the
// rounds' ratios, so a drift of the machine between rounds moves both sides of a ratio alike)
//   bench_kd_throughput --device cuda [--precisions fp32,bf16,fp16] [--batch N] [--warmup N] [--steps N]
// The second form compares KD alone, Distillery against the PyTorch loop on that device (no ceiling, no
// profile: both are measured on the CPU only). DISTILLERY_PYTHON names the Python with torch
// (default /usr/bin/python3).
#include <torch/torch.h>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>

#include "BenchSupport.h"
#include "engine/OptimizerFactory.h"
#include "engine/Precision.h"
#include "methods/Distiller.h"
#include "models/FoldableBatchNorm.h"
#include "models/ModelRegistry.h"

using namespace distillery;

namespace {

int batchSize = 64;   // --batch

// The median of a configuration's rounds; NaN (a diverged run) when any round is NaN.
double median(std::vector<double> values) {
    if (values.empty()) return std::nan("");
    for (double v : values)
        if (std::isnan(v)) return v;
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// The median of the per-round ratios numerator[r] / denominator[r].
double medianRatio(const std::vector<double>& numerator, const std::vector<double>& denominator) {
    std::vector<double> ratios;
    for (size_t r = 0; r < std::min(numerator.size(), denominator.size()); ++r) ratios.push_back(numerator[r] / denominator[r]);
    return median(ratios);
}

nlohmann::json syntheticData(int images) {
    return {{"name", "synthetic"}, {"channels", 3},   {"height", 32},      {"width", 32},
            {"num_classes", 100},  {"train_size", images}, {"test_size", batchSize}, {"val_size", batchSize},
            {"augment", false}};
}

// Images per second of the real Trainer for one method and precision.
double distilleryImagesPerSecond(store::Store& db, int64_t teacherId, const nlohmann::json& method,
                                 const std::string& precision, int threads, int warmup, int steps,
                                 const std::string& device = "cpu") {
    const auto spec = bench::parsedSpec({{"name", "bench-" + method["name"].get<std::string>() + "-" + precision},
                                         {"data", syntheticData(batchSize * (warmup + steps))},
                                         {"teacher", {{"run_id", teacherId}}}, {"student", {{"model", "resnet8x4"}}},
                                         {"method", method}, {"epochs", 1}, {"batch_size", batchSize},
                                         {"threads", threads}, {"precision", precision}, {"log_every", 50},
                                         {"diagnostics_every", 0}, {"device", device}});
    // A method that diverges on these random images gives NaN ("diverged" in the table) and the others go on.
    return batchSize / bench::secondsPerStep(db, spec, warmup, /*orNan=*/true);
}

// The PyTorch loop's command-line arguments for one precision (and device; "" = its default, the CPU).
std::string loopArguments(int threads, int warmup, int steps, const std::string& precision,
                          const std::string& device = "") {
    std::string arguments = std::to_string(threads) + " " + std::to_string(warmup) + " " + std::to_string(steps) +
                            " " + std::to_string(batchSize) + " " + precision;
    return device.empty() ? arguments : arguments + " " + device;
}

std::string pythonLoop(const std::string& arguments) {
    const char* python = std::getenv("DISTILLERY_PYTHON");
    const std::string command = std::string(python ? python : "/usr/bin/python3") + " " + std::string(DISTILLERY_SOURCE_DIR) +
                                "/tests/benchmarks/pytorch_kd_loop.py " + arguments;
    FILE* pipe = popen(command.c_str(), "r");
    char line[256] = {};
    if (!pipe || !std::fgets(line, sizeof line, pipe)) {
        std::fprintf(stderr, "the PyTorch loop did not run: %s (is python3-torch installed?)\n", command.c_str());
        std::exit(1);
    }
    pclose(pipe);
    return line;
}

// GFLOP/s of the convolutions that carry these nets' work: one 3×3 convolution per stage width of
// resnet32x4 (64 channels on 32×32, 128 on 16×16, 256 on 8×8; each stage costs about the same), batch
// 64, forward, in the given precision and layout; the best of several repeats.
double convolutionRate(const engine::Precision& precision, int repeats = 10) {
    torch::NoGradGuard noGrad;
    struct Shape {
        int64_t channels, size;
    };
    double flops = 0, seconds = 0;
    for (const Shape shape : {Shape{64, 32}, Shape{128, 16}, Shape{256, 8}}) {
        auto conv = torch::nn::Conv2d(torch::nn::Conv2dOptions(shape.channels, shape.channels, 3).padding(1).bias(false));
        if (precision.channelsLast) engine::toChannelsLast(*conv);
        const auto x = engine::inComputeLayout(torch::randn({batchSize, shape.channels, shape.size, shape.size}), precision);
        double best = 1e30;
        for (int r = 0; r < repeats; ++r) {
            const auto start = bench::Clock::now();
            {
                models::AutocastScope autocast(precision.computeType, torch::kCPU);
                conv->forward(x);
            }
            best = std::min(best, std::chrono::duration<double>(bench::Clock::now() - start).count());
        }
        flops += 2.0 * batchSize * shape.channels * shape.size * shape.size * shape.channels * 9;
        seconds += best;
    }
    return flops / seconds / 1e9;
}

// Milliseconds of the frozen teacher's forward on one batch (the best of `repeats`), with its batch
// norms as trained or folded into its convolutions.
double teacherForwardMs(const engine::Precision& precision, bool foldNorms, int repeats) {
    auto teacher = models::createModel("resnet32x4", 3, 100);
    teacher->eval();
    if (foldNorms) models::foldBatchNorm(*teacher);
    if (precision.channelsLast) engine::toChannelsLast(*teacher);
    const auto images = engine::inComputeLayout(torch::rand({batchSize, 3, 32, 32}), precision);
    torch::NoGradGuard noGrad;
    double best = 1e30;
    for (int r = -3; r < repeats; ++r) {   // 3 warm-up forwards
        const auto start = bench::Clock::now();
        {
            models::AutocastScope autocast(precision.computeType, torch::kCPU);
            teacher->forward(images);
        }
        if (r >= 0) best = std::min(best, std::chrono::duration<double, std::milli>(bench::Clock::now() - start).count());
    }
    return best;
}

// One KD step of the Trainer taken apart, each phase timed on its own (the CPU computes
// synchronously, so the clock reads are exact); milliseconds per step for each phase.
std::map<std::string, double> profileStep(const engine::Precision& precision, int steps) {
    auto teacher = models::createModel("resnet32x4", 3, 100);
    auto student = models::createModel("resnet8x4", 3, 100);
    teacher->eval();
    models::foldBatchNorm(*teacher);   // as the trainer loads a teacher
    if (precision.channelsLast) {
        engine::toChannelsLast(*teacher);
        engine::toChannelsLast(*student);
    }
    spec::MethodSpec kd;
    kd.name = "kd";
    auto distiller = methods::createDistiller(kd, teacher.get(), *student);
    std::vector<at::Tensor> parameters = student->parameters();
    auto optimizer = engine::makeOptimizer(spec::OptimSpec{}, parameters);
    const auto pool = torch::rand({batchSize * 8, 3, 32, 32});
    const auto labels = torch::randint(0, 100, {batchSize});
    const auto mean = torch::full({1, 3, 1, 1}, 0.5), std = torch::full({1, 3, 1, 1}, 0.25);

    std::map<std::string, double> ms;
    const auto timed = [&](const char* phase, auto&& work) {
        const auto start = bench::Clock::now();
        work();
        ms[phase] += std::chrono::duration<double, std::milli>(bench::Clock::now() - start).count();
    };
    for (int step = -3; step < steps; ++step) {   // 3 warm-up steps, then cleared
        if (step == 0) ms.clear();
        at::Tensor images;
        timed("data", [&] {
            const auto index = torch::randperm(pool.size(0)).narrow(0, 0, batchSize);
            images = engine::inComputeLayout((pool.index_select(0, index) - mean) / std, precision);
        });
        models::FeatureSet teacherOut, studentOut;
        timed("teacher forward", [&] {
            torch::NoGradGuard noGrad;
            models::AutocastScope autocast(precision.computeType, torch::kCPU);
            teacherOut.logits = teacher->forward(images).to(at::kFloat);
        });
        timed("student forward", [&] {
            models::AutocastScope autocast(precision.computeType, torch::kCPU);
            studentOut.logits = student->forward(images).to(at::kFloat);
        });
        at::Tensor total;
        timed("loss", [&] {
            methods::StepInputs inputs{studentOut, &teacherOut, labels, step, 0, {}};
            const auto terms = distiller->losses(inputs);
            total = terms.front().value;
            for (size_t i = 1; i < terms.size(); ++i) total = total + terms[i].value;
        });
        timed("student backward", [&] {
            optimizer->zero_grad();
            total.backward();
        });
        timed("optimiser", [&] { optimizer->step(); });
    }
    for (auto& [phase, value] : ms) value /= steps;
    return ms;
}

// KD on one device (a GPU): the PyTorch loop and Distillery in each precision, side by side.
int compareOnDevice(const std::string& device, const std::string& precisions, int threads, int warmup, int steps,
                    const std::filesystem::path& dir) {
    std::printf("KD resnet32x4 -> resnet8x4 on %s, synthetic 3x32x32, batch %d, %d warm-up + %d timed steps\n\n",
                device.c_str(), batchSize, warmup, steps);
    store::Store db((dir / "bench.sqlite").string());
    const int64_t teacherId = bench::teacherRun(db, syntheticData(batchSize), "resnet32x4", threads, batchSize, device);
    std::printf("%-10s %18s %18s %12s\n", "precision", "PyTorch images/s", "Distillery images/s", "Distillery x");
    std::stringstream list(precisions);
    for (std::string precision; std::getline(list, precision, ',');) {
        const double pytorch = std::atof(pythonLoop(loopArguments(threads, warmup, steps, precision, device)).c_str());
        const double distillery =
            distilleryImagesPerSecond(db, teacherId, {{"name", "kd"}}, precision, threads, warmup, steps, device);
        std::printf("%-10s %18.1f %18.1f %11.2fx\n", precision.c_str(), pytorch, distillery, distillery / pytorch);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    spdlog::set_level(spdlog::level::warn);   // the figures, not the trainer's log
    int threads = static_cast<int>(std::thread::hardware_concurrency()), warmup = 5, steps = 25, profileSteps = 20,
        repeats = 3;
    bench::readIntFlags(argc, argv,
                        {{"--threads", &threads}, {"--warmup", &warmup}, {"--steps", &steps}, {"--profile-steps", &profileSteps},
                         {"--batch", &batchSize}, {"--repeats", &repeats}});
    repeats = std::max(1, repeats);
    at::set_num_threads(threads);
    const auto dir = std::filesystem::temp_directory_path() / ("distillery-bench-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const std::string device = bench::textFlag(argc, argv, "--device", "");
    if (!device.empty())
        return compareOnDevice(device, bench::textFlag(argc, argv, "--precisions", "fp32,bf16,fp16"), threads, warmup, steps, dir);
    const engine::Precision fp32 = engine::resolvePrecision("fp32", torch::kCPU);
    const engine::Precision bf16 = engine::resolvePrecision("bf16", torch::kCPU);
    std::printf("KD resnet32x4 -> resnet8x4, synthetic 3x32x32, batch %d, %d threads, %d warm-up + %d timed steps, "
                "%d rounds (figures: medians); CPU bf16 native: %s\n\n",
                batchSize, threads, warmup, steps, repeats, engine::cpuComputesBf16() ? "yes" : "no");

    // The ceiling: a step costs the teacher's forward and the student's forward and backward
    // (≈ 2 × its forward), 2 FLOP per multiply-accumulate.
    double teacherMacs = 0, studentMacs = 0;
    std::sscanf(pythonLoop("macs").c_str(), "%lf %lf", &teacherMacs, &studentMacs);
    const double flopsPerImage = 2.0 * (teacherMacs + 3.0 * studentMacs);
    engine::Precision fp32Nchw = fp32;
    fp32Nchw.channelsLast = false;
    // fp32's ceiling from the faster of its two layouts; bf16 computes in channels-last.
    const double fp32Rate = std::max(convolutionRate(fp32), convolutionRate(fp32Nchw)), bf16Rate = convolutionRate(bf16);
    const double fp32Ceiling = fp32Rate * 1e9 / flopsPerImage, bf16Ceiling = bf16Rate * 1e9 / flopsPerImage;
    std::printf("per image: teacher forward %.3f GMAC, student forward %.3f GMAC -> %.2f GFLOP per training image\n",
                teacherMacs / 1e9, studentMacs / 1e9, flopsPerImage / 1e9);
    std::printf("3x3 convolutions of resnet32x4's stage widths: fp32 %.0f GFLOP/s (best layout), bf16 channels-last %.0f GFLOP/s\n",
                fp32Rate, bf16Rate);
    std::printf("ceiling: fp32 %.0f images/s, bf16 %.0f images/s\n\n", fp32Ceiling, bf16Ceiling);

    store::Store db((dir / "bench.sqlite").string());
    const int64_t teacherId = bench::teacherRun(db, syntheticData(batchSize), "resnet32x4", threads, batchSize);
    // Every method, in both precisions; a seed method is also compared with its base (the method it
    // adds its adaptivity to): sakd over at and multipath's default kd@logits + at@stages with at + kd,
    // adain with kd, amap with at, channel with fitnet.
    struct Method {
        std::string label;
        nlohmann::json spec;
        std::string base;   // "" for a baseline
    };
    const std::vector<Method> methods = {
        {"kd", {{"name", "kd"}}, ""},
        {"fitnet", {{"name", "fitnet"}}, ""},
        {"at", {{"name", "at"}}, ""},
        {"at + kd", {{"name", "at"}, {"kd_alpha", 1.0}}, ""},
        {"sp", {{"name", "sp"}}, ""},
        {"rkd", {{"name", "rkd"}}, ""},
        {"pkt", {{"name", "pkt"}}, ""},
        {"dkd", {{"name", "dkd"}}, ""},
        {"crd", {{"name", "crd"}}, ""},
        {"nst", {{"name", "nst"}}, ""},
        {"vid", {{"name", "vid"}}, ""},
        {"cc", {{"name", "cc"}}, ""},
        {"ft", {{"name", "ft"}}, ""},
        {"stat_l2", {{"name", "stat_l2"}}, ""},
        {"adain", {{"name", "adain"}}, "kd"},
        // adain's cheaper settings (experiments/laptop/adain-cost.json has their accuracy)
        {"adain, stages 1-2", {{"name", "adain"}, {"stages", {1, 2}}}, "kd"},
        {"adain, stage 2", {{"name", "adain"}, {"stages", {2}}}, "kd"},
        {"adain, eval next", {{"name", "adain"}, {"eval", "next"}, {"distance", "mse"}}, "kd"},
        {"sakd over at", {{"name", "sakd"}, {"base", "at"}}, "at + kd"},
        {"channel", {{"name", "channel"}}, "fitnet"},
        {"multipath", {{"name", "multipath"}}, "at + kd"},
        {"amap", {{"name", "amap"}}, "at"},
    };
    // --methods a,b: those (by method name) and the bases, which every comparison needs.
    const std::string only = "," + bench::textFlag(argc, argv, "--methods", "all") + ",";
    const auto wanted = [&](const Method& method) {
        for (const Method& other : methods)
            if (other.base == method.label) return true;
        return only == ",all," || only.find("," + method.spec["name"].get<std::string>() + ",") != std::string::npos;
    };

    // Rounds: each measures every configuration once, the PyTorch loops first, so a configuration's
    // figure and its comparisons come from the same stretch of the machine's time.
    using Rounds = std::vector<double>;
    Rounds pytorchFp32, pytorchBf16;
    std::map<std::string, std::map<std::string, Rounds>> measured;   // label -> precision -> images/s per round
    for (int round = 0; round < repeats; ++round) {
        pytorchFp32.push_back(std::atof(pythonLoop(loopArguments(threads, warmup, steps, "fp32")).c_str()));
        pytorchBf16.push_back(std::atof(pythonLoop(loopArguments(threads, warmup, steps, "bf16")).c_str()));
        for (const Method& method : methods) {
            if (method.label != "kd" && !wanted(method)) continue;
            for (const auto& precision : {fp32, bf16})
                measured[method.label][precision.name].push_back(
                    distilleryImagesPerSecond(db, teacherId, method.spec, precision.name, threads, warmup, steps));
        }
        const auto& kd = measured["kd"];
        std::printf("round %d of %d: PyTorch fp32 %.1f, bf16 %.1f images/s; kd fp32 %.1f (%.2fx), bf16 %.1f (%.2fx)\n",
                    round + 1, repeats, pytorchFp32.back(), pytorchBf16.back(), kd.at("fp32").back(),
                    kd.at("fp32").back() / pytorchFp32.back(), kd.at("bf16").back(), kd.at("bf16").back() / pytorchBf16.back());
        std::fflush(stdout);
    }

    struct Row {
        std::string what;
        Rounds imagesPerSecond;
        double ceiling;
    };
    std::vector<Row> rows = {{"PyTorch loop, fp32", pytorchFp32, fp32Ceiling},
                             {"PyTorch loop, bf16 autocast + channels-last", pytorchBf16, bf16Ceiling}};
    for (const char* label : {"kd", "at", "sakd over at"})
        if (measured.count(label))
            for (const auto& [precision, ceiling] : {std::pair{fp32, fp32Ceiling}, std::pair{bf16, bf16Ceiling}})
                rows.push_back({"Distillery " + std::string(label) + ", " + precision.name,
                                measured[label][precision.name], ceiling});
    std::printf("\n%-46s %12s %16s %18s\n", "configuration", "images/s", "x PyTorch fp32", "of its ceiling");
    for (const Row& row : rows)
        std::printf("%-46s %12.1f %15.2fx %17.0f%%\n", row.what.c_str(), median(row.imagesPerSecond),
                    medianRatio(row.imagesPerSecond, pytorchFp32), 100.0 * median(row.imagesPerSecond) / row.ceiling);
    const auto roundsText = [](const Rounds& numerator, const Rounds& denominator) {
        std::string text;
        for (size_t r = 0; r < numerator.size(); ++r)
            text += (r ? ", " : "") + fmt::format("{:.2f}", numerator[r] / denominator[r]);
        return text;
    };
    std::printf("\nkd bf16 against the PyTorch bf16 + channels-last loop: %.2fx (rounds: %s)\n"
                "kd fp32 against the PyTorch fp32 loop: %.2fx (rounds: %s)\n",
                medianRatio(measured["kd"]["bf16"], pytorchBf16), roundsText(measured["kd"]["bf16"], pytorchBf16).c_str(),
                medianRatio(measured["kd"]["fp32"], pytorchFp32), roundsText(measured["kd"]["fp32"], pytorchFp32).c_str());

    // A step's cost relative to kd's (and to the base's): the ratio of images per second inverted.
    std::printf("\nevery method: images/s, and its step's cost against kd's and against its base's\n");
    std::printf("%-18s %10s %10s %9s %9s %-10s %10s %10s\n", "method", "fp32", "bf16", "fp32/kd", "bf16/kd", "base",
                "fp32/base", "bf16/base");
    const auto cell = [](double value, int width, const char* unit) {
        char text[32];
        if (std::isnan(value)) std::snprintf(text, sizeof text, "%*s", width, "diverged");
        else std::snprintf(text, sizeof text, "%*.2f%s", width - int(std::strlen(unit)), value, unit);
        return std::string(text);
    };
    for (const Method& method : methods) {
        if (!measured.count(method.label)) continue;
        auto& m = measured[method.label];
        auto& kd = measured["kd"];
        std::printf("%-18s %s %s %s %s", method.label.c_str(), cell(median(m["fp32"]), 10, "").c_str(),
                    cell(median(m["bf16"]), 10, "").c_str(), cell(medianRatio(kd["fp32"], m["fp32"]), 9, "x").c_str(),
                    cell(medianRatio(kd["bf16"], m["bf16"]), 9, "x").c_str());
        if (!method.base.empty()) {
            auto& b = measured[method.base];
            std::printf(" %-10s %s %s", method.base.c_str(), cell(medianRatio(b["fp32"], m["fp32"]), 10, "x").c_str(),
                        cell(medianRatio(b["bf16"], m["bf16"]), 10, "x").c_str());
        }
        std::printf("\n");
    }

    std::printf("\nwhere a KD step goes (ms per step of %d images, %d steps):\n", batchSize, profileSteps);
    const std::vector<std::pair<std::string, engine::Precision>> columns = {
        {"fp32 NCHW", fp32Nchw}, {"fp32 NHWC", fp32}, {"bf16 NHWC", bf16}};
    std::vector<std::map<std::string, double>> profiles;
    std::printf("%-18s", "phase");
    for (const auto& [name, precision] : columns) {
        profiles.push_back(profileStep(precision, profileSteps));
        std::printf(" %10s", name.c_str());
    }
    std::printf("\n");
    std::vector<double> totals(columns.size(), 0);
    for (const char* phase : {"data", "teacher forward", "student forward", "loss", "student backward", "optimiser"}) {
        std::printf("%-18s", phase);
        for (size_t c = 0; c < columns.size(); ++c) {
            std::printf(" %10.1f", profiles[c].at(phase));
            totals[c] += profiles[c].at(phase);
        }
        std::printf("\n");
    }
    std::printf("%-18s", "total");
    for (double total : totals) std::printf(" %10.1f", total);
    std::printf("\n%-18s", "images/s");
    for (double total : totals) std::printf(" %10.0f", batchSize * 1000.0 / total);
    std::printf("\n");

    std::printf("\nthe frozen teacher's forward, batch %d (best of %d, ms):\n%-18s %14s %14s %8s\n", batchSize, profileSteps,
                "layout", "BN as trained", "BN folded", "saved");
    for (const auto& [name, precision] : columns) {
        const double asTrained = teacherForwardMs(precision, false, profileSteps);
        const double folded = teacherForwardMs(precision, true, profileSteps);
        std::printf("%-18s %14.1f %14.1f %7.0f%%\n", name.c_str(), asTrained, folded, 100.0 * (1.0 - folded / asTrained));
    }
    std::filesystem::remove_all(dir);
    return 0;
}
