#include "BuildDescription.h"

namespace distillery {

std::string describeBuild(const BuildInfo& build, const std::string& separator) {
    std::string line = build.version;
    if (!build.commit.empty()) line += " (git " + build.commit + ")";
    if (!build.torchVersion.empty()) line += separator + "LibTorch " + build.torchVersion;
    if (!build.qtVersion.empty()) line += separator + "Qt " + build.qtVersion;
    return line;
}

}  // namespace distillery
