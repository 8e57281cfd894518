#include "BuildInfo.h"

namespace distillery {

std::string versionDetails() {
    const BuildInfo& info = buildInfo();
    std::string line = info.version;
    if (!info.commit.empty()) line += " (git " + info.commit + ")";
    if (!info.torchVersion.empty()) line += ", LibTorch " + info.torchVersion;
    if (!info.qtVersion.empty()) line += ", Qt " + info.qtVersion;
    return line;
}

std::string versionLine(const std::string& program) { return program + " " + versionDetails(); }

}  // namespace distillery
