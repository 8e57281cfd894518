// The checkpoint loader (loadModuleWeights, as a teacher is loaded) on arbitrary bytes, into a tiny
// network: the weights load or a std::exception says why; never a crash. With
// DISTILLERY_FUZZ_WRITE_SEED=PATH the target writes a valid checkpoint of that network to PATH and
// exits: run-fuzz.sh makes the seed of the corpus so, in the current format. DISTILLERY_FUZZ_VERBOSE=1
// prints why each input was refused.
//
// Mutated bytes almost never pass the checkpoint trailer's CRC, so this exercises our reading of the
// file. DISTILLERY_FUZZ_RESEAL=1 mutates the archive inside the trailer and seals it again, so that the
// inputs reach LibTorch's archive reader: what a crafted (not a damaged) file can do. Crashes in that
// mode are LibTorch's; CI does not run it.
#include <torch/torch.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "FuzzFile.h"
#include "engine/Checkpoint.h"
#include "engine/CheckpointFile.h"
#include "engine/LogWindow.h"

namespace {

// A parameter, a buffer and a child module: every path of the loader's recursion.
struct TinyNet : torch::nn::Module {
    TinyNet() {
        fc = register_module("fc", torch::nn::Linear(2, 3));
        bn = register_module("bn", torch::nn::BatchNorm1d(3));
        scale = register_parameter("scale", torch::ones({1}));
    }
    torch::nn::Linear fc{nullptr};
    torch::nn::BatchNorm1d bn{nullptr};
    torch::Tensor scale;
};

void writeSeed(const std::string& path) {
    TinyNet net;
    torch::nn::Module distiller;
    torch::optim::SGD optimizer(net.parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(1);
    distillery::engine::LogWindow window;
    distillery::engine::TrainingState state{net, distiller, optimizer, nullptr, generator, window};
    distillery::engine::saveCheckpoint(path, state, distillery::engine::TrainingPosition{});
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    at::set_num_threads(1);
    if (const char* seed = std::getenv("DISTILLERY_FUZZ_WRITE_SEED")) {
        writeSeed(seed);
        std::exit(0);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static TinyNet net;
    const std::string& path = distillery::fuzz::writeInput("input.ckpt", data, size);
    static const bool verbose = std::getenv("DISTILLERY_FUZZ_VERBOSE") != nullptr;   // to see why an input fails
    try {
        distillery::engine::loadModuleWeights(net, path, "fuzzed teacher");
        if (verbose) std::fprintf(stderr, "loaded\n");
    } catch (const std::exception& e) {
        // The message is the loader's business; the property is only that it is an exception.
        if (verbose) std::fprintf(stderr, "refused: %s\n", e.what());
    }
    return 0;
}

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t maxSize);

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t maxSize, unsigned int /*seed*/) {
    static const bool reseal = std::getenv("DISTILLERY_FUZZ_RESEAL") != nullptr;
    static const size_t trailer = distillery::engine::sealCheckpoint(std::string(), 0).size();
    if (!reseal || size < trailer || maxSize < 2 * trailer) return LLVMFuzzerMutate(data, size, maxSize);
    const size_t archiveSize = LLVMFuzzerMutate(data, size - trailer, maxSize - trailer);
    const std::string sealed =
        distillery::engine::sealCheckpoint(std::string(reinterpret_cast<const char*>(data), archiveSize), 1);
    std::memcpy(data, sealed.data(), sealed.size());
    return sealed.size();
}
