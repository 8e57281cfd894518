#include "BuildInfo.h"
#include "BuildDescription.h"

namespace distillery {

std::string describeBuild(const BuildInfo& build, const std::string& separator) {
    std::string line = build.version;
    if (!build.commit.empty()) line += " (git " + build.commit + ")";
    if (!build.torchVersion.empty()) line += separator + "LibTorch " + build.torchVersion;
    if (!build.qtVersion.empty()) line += separator + "Qt " + build.qtVersion;
    return line;
}

std::string versionDetails() { return describeBuild(buildInfo(), ", "); }

std::string versionLine(const std::string& program) { return program + " " + versionDetails(); }

}  // namespace distillery
