// The torch.save reader (engine/TorchSaveFile.h, the unpickler behind teacher.state_dict and
// student.init) on arbitrary pickle bytes: it returns a value or throws TorchSaveError; never a
// crash, never another exception. Each input is the archive's data.pkl; the target wraps it in a
// fresh zip archive with LibTorch's writer, beside one float storage "data/0" of 4 elements, so every
// mutation reaches our unpickler rather than failing the zip's CRC. The corpus seeds are data.pkl
// files of Python's torch.save (a plain state dict; a RepDistiller checkpoint with an optimiser).
// DISTILLERY_FUZZ_VERBOSE=1 prints why each input was refused.
#include <caffe2/serialize/inline_container.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "FuzzFile.h"
#include "engine/TorchSaveFile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string& path = distillery::fuzz::inputPath("input.pth");
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        caffe2::serialize::PyTorchStreamWriter writer([&](const void* bytes, size_t n) {
            out.write(static_cast<const char*>(bytes), std::streamsize(n));
            return n;
        });
        writer.writeRecord("data.pkl", data, size);
        const float storage[4] = {1, 2, 3, 4};
        writer.writeRecord("data/0", storage, sizeof storage);
        writer.writeEndOfFile();
    }
    static const bool verbose = std::getenv("DISTILLERY_FUZZ_VERBOSE") != nullptr;
    try {
        const auto value = distillery::engine::readTorchSaveFile(path);
        if (verbose) std::fprintf(stderr, "read %s\n", value.describe().c_str());
    } catch (const distillery::engine::TorchSaveError& e) {
        if (verbose) std::fprintf(stderr, "refused: %s\n", e.what());
    } catch (const std::exception& e) {
        distillery::fuzz::fail(std::string("an exception other than TorchSaveError: ") + e.what());
    }
    return 0;
}
