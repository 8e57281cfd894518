// Reader of the IDX format (MNIST, Fashion-MNIST). zlib's gzread reads gzip files and, transparently,
// uncompressed ones, so one code path serves both `.gz` and raw files.
#include "data/IdxReader.h"

#include <zlib.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "data/DataLoading.h"
#include "data/Dataset.h"

namespace distillery::data {
namespace {

namespace fs = std::filesystem;

// Limits beyond which a header is certainly corrupt rather than a real data set.
constexpr int64_t kMaxItems = 100'000'000;
constexpr int64_t kMaxSide = 16'384;
constexpr int64_t kMaxBytes = int64_t(1) << 32;   // 4 GiB of uint8 data: far beyond any IDX data set
// Deflate expands at most 1032-fold (a 258-byte match per ~2 bits), so a gzip file of n bytes holds at
// most 1032·n bytes: a header declaring more is corrupt or a decompression bomb, refused before allocating.
constexpr int64_t kMaxGzipExpansion = 1032;
// Bytes after the declared data are counted up to here: an error either way, and a bomb's gigabytes of
// trailing zeros would otherwise be decompressed just to count them.
constexpr int64_t kMaxTrailingCounted = int64_t(1) << 20;

std::string hex32(uint32_t value) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "0x%08X", static_cast<unsigned>(value));
    return buffer;
}

uint32_t bigEndian32(const unsigned char* p) {
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

bool isUnderDefaultRoot(const std::string& path) {
    std::error_code ec;
    const fs::path file = fs::absolute(fs::path(path), ec).lexically_normal();
    const fs::path root = fs::path(kDefaultFashionMnistRoot).lexically_normal();
    auto fileIt = file.begin();
    for (auto rootIt = root.begin(); rootIt != root.end(); ++rootIt, ++fileIt) {
        if (fileIt == file.end() || *fileIt != *rootIt) return false;
    }
    return true;
}

class GzReader {
public:
    explicit GzReader(const std::string& path) : path_(path) {
        std::error_code ec;
        if (!fs::exists(path, ec)) {
            std::string message = "IDX data file not found: " + path + ".";
            if (isUnderDefaultRoot(path)) {
                message += " Fashion-MNIST comes from Debian's `dataset-fashion-mnist` package: install it with "
                           "`sudo apt install dataset-fashion-mnist`, or point the data set's root at a folder "
                           "holding the IDX files.";
            }
            throw DataError(message);
        }
        if (fs::is_directory(path, ec)) throw DataError("IDX data file " + path + " is a directory, not a file.");
        // A pipe would block gzopen until a writer comes, a device (/dev/zero) never ends.
        if (!fs::is_regular_file(path, ec)) {
            throw DataError("IDX data file " + path +
                            " is not a regular file (a pipe, device or socket); point the data set's root at a folder "
                            "holding the IDX files.");
        }
        errno = 0;
        file_ = gzopen(path.c_str(), "rb");
        if (!file_) {
            throw DataError("cannot open IDX data file " + path + ": " +
                            (errno ? std::strerror(errno) : "out of memory"));
        }
        gzbuffer(file_, 1 << 17);
    }
    ~GzReader() {
        if (file_) gzclose(file_);
    }
    GzReader(const GzReader&) = delete;
    GzReader& operator=(const GzReader&) = delete;

    // Reads up to n bytes; returns how many were read (fewer only at the end of the data).
    // A gzip stream that ends early counts as the end of the data (the caller reports truncation);
    // corrupt compressed data throws.
    int64_t read(void* destination, int64_t n) {
        auto* out = static_cast<unsigned char*>(destination);
        int64_t total = 0;
        while (total < n) {
            const auto chunk = static_cast<unsigned>(std::min<int64_t>(n - total, int64_t(1) << 26));
            const int got = gzread(file_, out + total, chunk);
            if (got < 0) {
                int errnum = Z_OK;
                const char* text = gzerror(file_, &errnum);
                if (errnum == Z_BUF_ERROR) break;   // the gzip stream ends early: truncated
                throw DataError("corrupt gzip data in " + path_ + " (zlib: " + (text ? text : "unknown error") +
                                "). Re-download or reinstall the file.");
            }
            if (got == 0) break;
            total += got;
        }
        return total;
    }

    // True when the file is not gzip-compressed (valid after the first read).
    bool isRaw() { return gzdirect(file_) == 1; }

    bool streamEndedEarly() {
        int errnum = Z_OK;
        gzerror(file_, &errnum);
        return errnum == Z_BUF_ERROR;
    }

private:
    std::string path_;
    gzFile file_ = nullptr;
};

// Reads an IDX file of unsigned bytes with `expectedDims` dimensions; returns the data as a flat uint8
// tensor and the dimensions.
at::Tensor readIdx(const std::string& path, int expectedDims, const char* what, std::vector<int64_t>& dims) {
    GzReader reader(path);
    const uint32_t expectedMagic = 0x00000800u | uint32_t(expectedDims);

    unsigned char header[4 + 4 * 3];
    const int64_t headerBytes = 4 + 4 * int64_t(expectedDims);
    const int64_t gotHeader = reader.read(header, headerBytes);
    if (gotHeader < 4) {
        throw DataError("IDX data file " + path + " is truncated: expected a " + std::to_string(headerBytes) +
                        "-byte header, got " + std::to_string(gotHeader) + " bytes.");
    }
    const uint32_t magic = bigEndian32(header);
    if (magic != expectedMagic) {
        std::string message = "IDX data file " + path + " has a bad magic number: expected " + hex32(expectedMagic) +
                              " (" + what + "), got " + hex32(magic) + ".";
        if ((magic & 0xFFFFFF00u) == 0x00000800u) {
            message += " The file holds unsigned bytes with " + std::to_string(magic & 0xFFu) +
                       " dimensions: is it the wrong file of the pair (images vs labels)?";
        } else if ((magic >> 16) == 0x1F8Bu) {
            message += " The data is gzip-compressed twice.";
        } else {
            message += " It is not an IDX file, or it is corrupt.";
        }
        throw DataError(message);
    }
    if (gotHeader < headerBytes) {
        throw DataError("IDX data file " + path + " is truncated: expected a " + std::to_string(headerBytes) +
                        "-byte header, got " + std::to_string(gotHeader) + " bytes.");
    }

    dims.clear();
    int64_t total = 1;
    const char* dimNames[] = {"item count", "row count", "column count"};
    for (int d = 0; d < expectedDims; ++d) {
        const int64_t value = bigEndian32(header + 4 + 4 * d);
        const int64_t limit = d == 0 ? kMaxItems : kMaxSide;
        if (value <= 0 || value > limit) {
            throw DataError("IDX data file " + path + " has an invalid header: " + dimNames[d] + " is " +
                            std::to_string(value) + ", expected 1.." + std::to_string(limit) +
                            ". The file is corrupt.");
        }
        dims.push_back(value);
        total *= value;
    }

    const char* payload = expectedDims == 1 ? "label" : "pixel";
    if (total > kMaxBytes) {
        throw DataError("IDX data file " + path + " has an invalid header: it declares " + std::to_string(total) +
                        " bytes of " + payload + " data, more than 4 GiB. The file is corrupt.");
    }
    // Nothing is allocated beyond what the file can hold: an uncompressed file's size is known, a gzip
    // file's bounds its content.
    std::error_code ec;
    const auto fileSize = int64_t(fs::file_size(path, ec));
    if (ec) throw DataError("cannot read the size of IDX data file " + path + ": " + ec.message() + ".");
    if (reader.isRaw() && fileSize - headerBytes < total) {
        throw DataError("IDX data file " + path + " is truncated: expected " + std::to_string(total) + " bytes of " +
                        payload + " data, got " + std::to_string(fileSize - headerBytes) +
                        ". Re-download or reinstall the file.");
    }
    if (!reader.isRaw() && total > fileSize * kMaxGzipExpansion) {
        throw DataError("IDX data file " + path + " declares " + std::to_string(total) + " bytes of " + payload +
                        " data, but a gzip file of " + std::to_string(fileSize) + " bytes expands to at most " +
                        std::to_string(fileSize * kMaxGzipExpansion) +
                        ". The file is truncated or corrupt. Re-download or reinstall the file.");
    }

    at::Tensor data = at::empty({total}, at::TensorOptions().dtype(at::kByte));
    const int64_t got = reader.read(data.data_ptr<uint8_t>(), total);
    if (got < total) {
        throw DataError("IDX data file " + path + " is truncated: expected " + std::to_string(total) + " bytes of " +
                        payload + " data, got " + std::to_string(got) +
                        (reader.streamEndedEarly() ? " (the gzip stream ends early)" : "") +
                        ". Re-download or reinstall the file.");
    }
    unsigned char extra[4096];
    int64_t trailing = 0;
    for (int64_t n; trailing <= kMaxTrailingCounted && (n = reader.read(extra, sizeof extra)) > 0;) trailing += n;
    if (trailing > 0) {
        const std::string count = trailing > kMaxTrailingCounted ? "more than " + std::to_string(kMaxTrailingCounted)
                                                                 : std::to_string(trailing);
        throw DataError("IDX data file " + path + " has " + count + " bytes after the " + std::to_string(total) +
                        " bytes of " + payload + " data its header declares. The file is corrupt or not an IDX file.");
    }
    return data;
}

}  // namespace

at::Tensor readIdxImages(const std::string& path) {
    std::vector<int64_t> dims;
    at::Tensor data = readIdx(path, 3, "IDX images: unsigned bytes, 3 dimensions", dims);
    return data.view({dims[0], 1, dims[1], dims[2]});
}

at::Tensor readIdxLabels(const std::string& path) {
    std::vector<int64_t> dims;
    at::Tensor data = readIdx(path, 1, "IDX labels: unsigned bytes, 1 dimension", dims);
    return data.to(at::kLong);
}

}  // namespace distillery::data
