#include "data/BadImageRegistry.h"

namespace distillery::data {

bool BadImageRegistry::contains(const std::string& path) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return reasons_.count(path) > 0;
}

void BadImageRegistry::add(const std::string& path, const std::string& reason) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (reasons_.emplace(path, reason).second) unreported_.push_back({path, reason});
}

std::vector<BadImage> BadImageRegistry::takeNew() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<BadImage> out;
    out.swap(unreported_);
    return out;
}

int64_t BadImageRegistry::count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return int64_t(reasons_.size());
}

}  // namespace distillery::data
