// The IDX reader (MNIST, Fashion-MNIST; raw or gzip) on arbitrary bytes, read both as images and as
// labels: a valid file or a DataError naming the file, nothing else (no other exception, crash, hang,
// or allocation beyond what the bytes can hold: libFuzzer's -malloc_limit_mb catches those).
#include <ATen/Parallel.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "FuzzFile.h"
#include "data/Dataset.h"
#include "data/IdxReader.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    at::set_num_threads(1);   // no thread pool: one execution at a time, reproducible
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace distillery;
    const std::string& path = fuzz::writeInput("input-idx-ubyte", data, size);
    for (const bool images : {true, false}) {
        try {
            const at::Tensor t = images ? data::readIdxImages(path) : data::readIdxLabels(path);
            if (images && (t.dim() != 4 || t.size(1) != 1)) fuzz::fail("images are not N×1×H×W");
            if (!images && t.dim() != 1) fuzz::fail("labels are not one-dimensional");
        } catch (const data::DataError& e) {
            if (std::string(e.what()).find(path) == std::string::npos)
                fuzz::fail(std::string("a DataError without the file's path: ") + e.what());
        }
    }
    return 0;
}
