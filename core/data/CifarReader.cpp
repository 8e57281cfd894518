// Reader of CIFAR-10 / CIFAR-100 binary batches: fixed-size records of label byte(s) then the R, G and B
// planes of a 32×32 image, row-major. The pixel bytes are already in C×H×W order.
#include "data/CifarReader.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data/Dataset.h"

namespace distillery::data {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kPixelBytes = 3 * 32 * 32;
// The official batches hold 30 MB (CIFAR-10) and 150 MB (CIFAR-100 train); a file of more than 4 GiB is
// not one, and reading it would allocate twice its size.
constexpr int64_t kMaxFileBytes = int64_t(1) << 32;

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
    return out;
}

bool isFile(const fs::path& path) {
    std::error_code ec;
    return fs::is_regular_file(path, ec);
}

bool pathExists(const fs::path& path) {
    std::error_code ec;
    return fs::exists(path, ec);
}

std::string recordDescription(const CifarFormat& f) {
    return std::to_string(f.recordBytes()) + "-byte record (" +
           (f.labelBytes == 1 ? std::string("1 label byte") : std::string("a coarse and a fine label byte")) +
           " and " + std::to_string(kPixelBytes) + " pixel bytes)";
}

std::string whereFrom(const CifarFormat& f) {
    return std::string(" ") + f.title + "'s official \"binary version\" comes from the data set's website "
           "(https://www.cs.toronto.edu/~kriz/cifar.html, the file " + f.archive + "); extract it and set data.root "
           "to the folder holding the batch files or to the folder above " + f.subfolder +
           ". The engine never downloads data.";
}

// Hints for common mistakes in a root without the batch files: no such folder, the archive not extracted,
// the Python (pickle) version instead of the binary one.
std::string rootHints(const CifarFormat& f, const fs::path& root) {
    std::error_code ec;
    if (!fs::exists(root, ec)) return " The folder " + root.string() + " does not exist.";
    std::string hints;
    if (pathExists(root / f.archive)) {
        hints += " " + (root / f.archive).string() + " is there but not extracted: run `tar xzf " + f.archive +
                 "` in " + root.string() + ".";
    }
    const std::string python = f.labelBytes == 1 ? "cifar-10-batches-py" : "cifar-100-python";
    const std::string pythonFile = f.labelBytes == 1 ? "data_batch_1" : "train";
    if (pathExists(root / python) || isFile(root / pythonFile)) {
        hints += " The folder holds CIFAR's Python version (pickled " + pythonFile +
                 " files); the engine reads the binary version.";
    }
    return hints;
}

}  // namespace

const CifarFormat& cifarFormat(CifarKind kind) {
    static const CifarFormat cifar10{"cifar10",
                                     "CIFAR-10",
                                     "cifar-10-batches-bin",
                                     "cifar-10-binary.tar.gz",
                                     {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                                      "data_batch_5.bin"},
                                     {"test_batch.bin"},
                                     1,
                                     10};
    static const CifarFormat cifar100{"cifar100",  "CIFAR-100", "cifar-100-binary", "cifar-100-binary.tar.gz",
                                      {"train.bin"}, {"test.bin"}, 2,                  100};
    return kind == CifarKind::Cifar10 ? cifar10 : cifar100;
}

std::string findCifarFolder(const std::string& root, CifarKind kind) {
    const CifarFormat& f = cifarFormat(kind);
    std::vector<std::string> names = f.trainFiles;
    names.insert(names.end(), f.testFiles.begin(), f.testFiles.end());
    const fs::path base(root);

    // The first of root and root/<subfolder> holding any of the files is the data set's folder; all of
    // them must be there (a half-extracted archive is an error, not a silent fallback to the other folder).
    for (const fs::path& dir : {base, base / f.subfolder}) {
        std::vector<std::string> missing;
        for (const std::string& name : names) {
            if (!isFile(dir / name)) missing.push_back((dir / name).string());
        }
        if (missing.size() == names.size()) continue;
        if (missing.empty()) return dir.string();
        throw DataError(std::string(f.title) + " data file" + (missing.size() > 1 ? "s" : "") +
                        " not found: " + join(missing) + ". The " + f.name + " data set needs all of " + join(names) +
                        " in " + dir.string() + "." + whereFrom(f));
    }
    throw DataError(std::string(f.title) + " data files not found: " + (base / names.front()).string() +
                    " does not exist, nor " + (base / f.subfolder / names.front()).string() + ". The " + f.name +
                    " data set needs " + join(names) + " in " + base.string() + " or in " +
                    (base / f.subfolder).string() + "." + rootHints(f, base) + whereFrom(f));
}

CifarBatch readCifarBatches(const std::vector<std::string>& paths, CifarKind kind) {
    const CifarFormat& f = cifarFormat(kind);
    const CifarFormat& other = cifarFormat(kind == CifarKind::Cifar10 ? CifarKind::Cifar100 : CifarKind::Cifar10);
    const int64_t recordBytes = f.recordBytes();
    const std::string what = std::string(f.title) + " batch file ";

    // Sizes first: every file is checked before anything is allocated or read.
    std::vector<int64_t> counts;
    int64_t total = 0;
    for (const std::string& path : paths) {
        std::error_code ec;
        if (!fs::exists(path, ec)) throw DataError(what + "not found: " + path + "." + whereFrom(f));
        if (fs::is_directory(path, ec)) throw DataError(what + path + " is a directory, not a file.");
        if (!fs::is_regular_file(path, ec)) {
            throw DataError(what + path + " is not a regular file (a pipe, device or socket): expected whole " +
                            recordDescription(f) + "s.");
        }
        const auto size = int64_t(fs::file_size(path, ec));
        if (ec) throw DataError("cannot read the size of " + what + path + ": " + ec.message() + ".");
        if (size == 0) {
            throw DataError(what + path + " is empty: expected whole " + recordDescription(f) + "s.");
        }
        if (size > kMaxFileBytes) {
            throw DataError(what + path + " has " + std::to_string(size) + " bytes, more than 4 GiB: the official " +
                            f.title + " batches hold 10,000 to 50,000 records of " + std::to_string(recordBytes) +
                            " bytes. It is not a " + f.title + " binary batch.");
        }
        if (size % recordBytes != 0) {
            std::string message = what + path + " has " + std::to_string(size) + " bytes, not a multiple of the " +
                                   recordDescription(f) + ": " + std::to_string(size / recordBytes) +
                                   " whole records and " + std::to_string(size % recordBytes) +
                                   " bytes over. It is truncated or not a " + f.title + " binary batch.";
            if (size % other.recordBytes() == 0) {
                message += " Its size fits " + std::string(other.title) + "'s " +
                           std::to_string(other.recordBytes()) + "-byte records: is it a " + other.title + " file?";
            }
            throw DataError(message);
        }
        counts.push_back(size / recordBytes);
        total += size / recordBytes;
    }

    CifarBatch out;
    out.images = at::empty({total, 3, 32, 32}, at::TensorOptions().dtype(at::kByte));
    out.labels = at::empty({total}, at::TensorOptions().dtype(at::kLong));
    std::vector<uint8_t> buffer;
    int64_t offset = 0;
    for (size_t i = 0; i < paths.size(); ++i) {
        const std::string& path = paths[i];
        const int64_t n = counts[i];
        buffer.resize(size_t(n * recordBytes));
        errno = 0;
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            throw DataError("cannot open " + what + path + ": " + (errno ? std::strerror(errno) : "unknown error") +
                            ".");
        }
        in.read(reinterpret_cast<char*>(buffer.data()), std::streamsize(buffer.size()));
        if (int64_t(in.gcount()) != n * recordBytes) {
            throw DataError(what + path + " is truncated: expected " + std::to_string(n * recordBytes) +
                            " bytes, read " + std::to_string(in.gcount()) + " (did the file change while read?).");
        }

        const at::Tensor records = at::from_blob(buffer.data(), {n, recordBytes}, at::TensorOptions().dtype(at::kByte));
        // CIFAR-100: byte 0 is the coarse label (20 superclasses), byte 1 the fine label used here.
        const at::Tensor labels = records.select(1, f.labelBytes - 1).to(at::kLong);
        const at::Tensor bad = labels.ge(f.numClasses).nonzero();
        if (bad.size(0) > 0) {
            const int64_t record = bad[0][0].item<int64_t>();
            throw DataError(what + path + " holds the " + (f.labelBytes == 1 ? "label " : "fine label ") +
                            std::to_string(labels[record].item<int64_t>()) + " at record " + std::to_string(record) +
                            " (counting from 0), expected 0.." + std::to_string(f.numClasses - 1) +
                            ". The file is corrupt or not a " + f.title + " binary batch.");
        }
        out.labels.narrow(0, offset, n).copy_(labels);
        out.images.narrow(0, offset, n).view({n, kPixelBytes}).copy_(records.narrow(1, f.labelBytes, kPixelBytes));
        offset += n;
    }
    return out;
}

}  // namespace distillery::data
