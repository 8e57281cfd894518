// The CIFAR-10 and CIFAR-100 batch readers on arbitrary bytes: whole records with labels in range, or a
// DataError naming the file; nothing else.
#include <ATen/Parallel.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "FuzzFile.h"
#include "data/CifarReader.h"
#include "data/Dataset.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    at::set_num_threads(1);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace distillery;
    const std::string& path = fuzz::writeInput("data_batch_1.bin", data, size);
    for (const data::CifarKind kind : {data::CifarKind::Cifar10, data::CifarKind::Cifar100}) {
        try {
            const data::CifarBatch batch = data::readCifarBatches({path}, kind);
            const int64_t n = batch.labels.size(0);
            if (n * data::cifarFormat(kind).recordBytes() != int64_t(size)) fuzz::fail("records do not fill the file");
            if (batch.images.sizes() != at::IntArrayRef({n, 3, 32, 32})) fuzz::fail("images are not N×3×32×32");
            if (n > 0 && (batch.labels.min().item<int64_t>() < 0 ||
                          batch.labels.max().item<int64_t>() >= data::cifarFormat(kind).numClasses))
                fuzz::fail("a label out of range was accepted");
        } catch (const data::DataError& e) {
            if (std::string(e.what()).find(path) == std::string::npos)
                fuzz::fail(std::string("a DataError without the file's path: ") + e.what());
        }
    }
    return 0;
}
