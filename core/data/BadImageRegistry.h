#pragma once
// The image files of a folder data set that could not be decoded, when the run skips them (data.on_bad_image:
// "skip"). Shared by the splits and the decode threads: a file found bad once is never decoded again, and the
// trainer takes the new ones to name each in a warning event.
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace distillery::data {

struct BadImage {
    std::string path;
    std::string reason;   // the decoder's message
};

class BadImageRegistry {
public:
    bool contains(const std::string& path) const;
    // Records the file; a file already recorded is ignored.
    void add(const std::string& path, const std::string& reason);
    // The files recorded since the last call, in the order they were found.
    std::vector<BadImage> takeNew();
    int64_t count() const;

private:
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::string> reasons_;
    std::vector<BadImage> unreported_;
};

}  // namespace distillery::data
