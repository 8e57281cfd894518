#pragma once
// The bytes of a checkpoint on disk: a LibTorch archive followed by a 28-byte trailer (the training
// step, the archive's length, a CRC-32 of both, and a magic), written atomically: a temporary file,
// fsync, rename, fsync of the folder. A kill at any moment leaves either the old file or the new one,
// never a mix; a file cut short or damaged later fails its CRC and is reported instead of reaching
// LibTorch's reader. No torch here: the format is plain bytes.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace distillery::engine {

// A checkpoint that is missing, cut short, damaged or cannot be written: the message names the file,
// what is wrong and what to do.
class CheckpointError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The archive with its trailer appended.
std::string sealCheckpoint(std::string archive, int64_t step);

struct OpenedCheckpoint {
    std::string archive;             // the LibTorch archive, trailer removed
    std::optional<int64_t> step;     // from the trailer; empty for a file of an older Distillery
};
// Reads and verifies a checkpoint file. A file without a trailer (written before checkpoints had
// one) is returned whole, unverified. Throws CheckpointError.
OpenedCheckpoint readCheckpointFile(const std::string& path);
// The step of a verified checkpoint; empty when the file is missing or fails verification (why).
std::optional<int64_t> verifiedCheckpointStep(const std::string& path, std::string* why = nullptr);

// Writes bytes to path atomically. With keepPrevious, the file it replaces stays as "<path>.prev"
// (a hard link, so path exists at every moment). Throws CheckpointError (disk full, file too large,
// no permission) and leaves no temporary file behind.
void writeFileAtomically(const std::string& path, const std::string& bytes, bool keepPrevious = false);
std::string previousCheckpointPath(const std::string& path);   // "<path>.prev"

}  // namespace distillery::engine
