#pragma once
// Reader of the official binary batches of CIFAR-10 and CIFAR-100 (the data sets' "binary version").
#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

namespace distillery::data {

enum class CifarKind {
    Cifar10,    // record: 1 label byte (0..9) + 3072 pixel bytes
    Cifar100,   // record: 1 coarse label byte + 1 fine label byte (0..99) + 3072 pixel bytes
};

struct CifarFormat {
    const char* name;               // "cifar10"
    const char* title;              // "CIFAR-10"
    const char* subfolder;          // the folder the official archive extracts to: "cifar-10-batches-bin"
    const char* archive;            // the official archive: "cifar-10-binary.tar.gz"
    std::vector<std::string> trainFiles;
    std::vector<std::string> testFiles;
    int64_t labelBytes;             // label bytes before the pixels of a record; the last one is the label used
    int64_t numClasses;
    int64_t recordBytes() const { return labelBytes + 3 * 32 * 32; }
};

const CifarFormat& cifarFormat(CifarKind kind);

struct CifarBatch {
    at::Tensor images;              // uint8, N×3×32×32 (the R, G and B planes of each record, row-major)
    at::Tensor labels;              // int64, N (CIFAR-100: the fine label; the coarse one is ignored)
};

// The folder holding the batch files: `root` itself, or its subfolder of the official archive's name
// (e.g. root/cifar-10-batches-bin). Throws DataError naming the missing files, the folders looked in
// and where the binary version comes from (the data set's website; nothing is downloaded).
std::string findCifarFolder(const std::string& root, CifarKind kind);

// Reads and concatenates batch files in the given order. Throws DataError naming the file: missing,
// empty, a size that is not a multiple of the record size, a label out of range.
CifarBatch readCifarBatches(const std::vector<std::string>& paths, CifarKind kind);

}  // namespace distillery::data
