#include "engine/CheckpointFile.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fcntl.h>
#include <unistd.h>

#include "engine/CrashPoints.h"

namespace distillery::engine {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'D', 'S', 'T', 'L', 'C', 'K', '0', '1'};
constexpr size_t kTrailerSize = 8 + 8 + 4 + sizeof kMagic;

void putU64(std::string& out, uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void putU32(std::string& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t getU64(const char* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}
uint32_t getU32(const char* p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}

uint32_t crcOf(const char* data, size_t size) {
    uLong crc = crc32(0L, Z_NULL, 0);
    // zlib's length is a uInt: feed large archives in pieces.
    while (size > 0) {
        const uInt piece = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
        crc = crc32(crc, reinterpret_cast<const Bytef*>(data), piece);
        data += piece;
        size -= piece;
    }
    return static_cast<uint32_t>(crc);
}

// A zip file ends with its end-of-central-directory record (signature PK\5\6, 22 bytes and a comment);
// one cut short does not.
bool endsWithZipDirectory(const std::string& bytes) {
    constexpr size_t kRecord = 22;
    if (bytes.size() < kRecord) return false;
    const size_t earliest = bytes.size() > kRecord + 65535 ? bytes.size() - kRecord - 65535 : 0;
    for (size_t at = bytes.size() - kRecord + 1; at-- > earliest;) {
        if (bytes.compare(at, 4, "PK\x05\x06") != 0) continue;
        const size_t comment = static_cast<unsigned char>(bytes[at + 20]) | (static_cast<unsigned char>(bytes[at + 21]) << 8);
        return at + kRecord + comment == bytes.size();
    }
    return false;
}

std::string systemError(int error) {
    std::string text = std::strerror(error);
    if (error == ENOSPC || error == EDQUOT) text += ": the disk is full; free some space";
    if (error == EFBIG) text += ": a file size limit (ulimit -f) or the file system's limit was reached";
    if (error == EACCES || error == EROFS) text += ": the folder is not writable";
    return text;
}

[[noreturn]] void writeFailed(const std::string& path, const std::string& temporary, int error) {
    ::unlink(temporary.c_str());
    throw CheckpointError("cannot write checkpoint \"" + path + "\": " + systemError(error) +
                          ". The previous checkpoint is intact; once the cause is fixed, continue the run with "
                          "distillery-engine resume");
}

void syncFolder(const std::string& path) {
    const std::string folder = fs::path(path).parent_path().string();
    const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) return;
    ::fsync(fd);   // makes the rename durable; a failure here cannot undo it, so it is not an error
    ::close(fd);
}

}  // namespace

std::string previousCheckpointPath(const std::string& path) { return path + ".prev"; }

std::string sealCheckpoint(std::string archive, int64_t step) {
    const uint64_t size = archive.size();
    std::string stepBytes;
    putU64(stepBytes, static_cast<uint64_t>(step));
    archive += stepBytes;
    const uint32_t crc = crcOf(archive.data(), archive.size());   // archive and step
    putU64(archive, size);
    putU32(archive, crc);
    archive.append(kMagic, sizeof kMagic);
    return archive;
}

OpenedCheckpoint readCheckpointFile(const std::string& path) {
    std::error_code error;
    if (!fs::exists(path, error))
        throw CheckpointError("checkpoint \"" + path + "\" does not exist");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw CheckpointError("checkpoint \"" + path + "\" cannot be opened: " + std::strerror(errno));
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw CheckpointError("checkpoint \"" + path + "\" cannot be read: " + std::strerror(errno));

    OpenedCheckpoint opened;
    const bool sealed = bytes.size() >= kTrailerSize &&
                        std::memcmp(bytes.data() + bytes.size() - sizeof kMagic, kMagic, sizeof kMagic) == 0;
    if (!sealed) {
        // A LibTorch archive is a zip file, which starts with "PK". Anything else is not a checkpoint
        // (or one cut short, which the trailer-less files of older versions cannot tell apart).
        if (bytes.size() < 4 || bytes.compare(0, 2, "PK") != 0 || !endsWithZipDirectory(bytes))
            throw CheckpointError("checkpoint \"" + path + "\" is cut short or is not a Distillery checkpoint (" +
                                  std::to_string(bytes.size()) + " bytes, no checkpoint trailer)");
        opened.archive = std::move(bytes);
        return opened;
    }
    const char* trailer = bytes.data() + bytes.size() - kTrailerSize;
    const uint64_t size = getU64(trailer + 8);
    if (size != bytes.size() - kTrailerSize)
        throw CheckpointError("checkpoint \"" + path + "\" is damaged: its trailer gives " + std::to_string(size) +
                              " bytes of archive, the file holds " + std::to_string(bytes.size() - kTrailerSize));
    const uint32_t expected = getU32(trailer + 16);
    if (crcOf(bytes.data(), size + 8) != expected)
        throw CheckpointError("checkpoint \"" + path + "\" is damaged: its CRC-32 does not match its contents");
    opened.step = static_cast<int64_t>(getU64(trailer));
    bytes.resize(size);
    opened.archive = std::move(bytes);
    return opened;
}

std::optional<int64_t> verifiedCheckpointStep(const std::string& path, std::string* why) {
    try {
        const OpenedCheckpoint opened = readCheckpointFile(path);
        if (!opened.step && why) *why = "checkpoint \"" + path + "\" has no trailer to verify";
        return opened.step;
    } catch (const CheckpointError& e) {
        if (why) *why = e.what();
        return std::nullopt;
    }
}

void writeFileAtomically(const std::string& path, const std::string& bytes, bool keepPrevious) {
    const std::string temporary = path + ".tmp";
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) writeFailed(path, temporary, errno);
    auto writeAll = [&](const char* data, size_t size) {
        while (size > 0) {
            const ssize_t n = ::write(fd, data, size);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                const int error = n < 0 ? errno : ENOSPC;
                ::close(fd);
                writeFailed(path, temporary, error);
            }
            data += n;
            size -= static_cast<size_t>(n);
        }
    };
    const size_t half = bytes.size() / 2;
    writeAll(bytes.data(), half);
    crashPoint("checkpoint_write");
    writeAll(bytes.data() + half, bytes.size() - half);
    if (::fsync(fd) != 0 || ::close(fd) != 0) writeFailed(path, temporary, errno);

    std::error_code error;
    if (keepPrevious && fs::exists(path, error)) {
        // A hard link keeps the old file as *.prev while `path` itself never disappears.
        const std::string previous = previousCheckpointPath(path), link = previous + ".tmp";
        fs::remove(link, error);
        fs::create_hard_link(path, link, error);
        if (error) fs::copy_file(path, link, fs::copy_options::overwrite_existing, error);
        if (!error) fs::rename(link, previous, error);
        crashPoint("checkpoint_swap");
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) writeFailed(path, temporary, errno);
    syncFolder(path);
}

}  // namespace distillery::engine
