#pragma once
// What this build of Distillery is: its version, the git commit it was built from and the LibTorch
// and Qt versions it was configured with. Recorded with every run, so a result can be traced to the
// code that produced it. No torch, no Qt: the strings are baked in at build time
// (cmake/GenerateBuildInfo.cmake).
#include <string>

namespace distillery {

struct BuildInfo {
    std::string version;        // the project's version, e.g. "0.1.0"
    std::string commit;         // short git commit, "-dirty" when built from a modified tree; "" outside git
    std::string torchVersion;   // LibTorch's version as its CMake package reports it
    std::string qtVersion;      // Qt's version; "" for a build without Qt
};

const BuildInfo& buildInfo();

// "0.1.0 (git 2cd4186a1b2c), LibTorch 1.13.0, Qt 6.4.2".
std::string versionDetails();
// "distillery-engine 0.1.0 (git 2cd4186a1b2c), LibTorch 1.13.0, Qt 6.4.2": the --version line.
std::string versionLine(const std::string& program);

}  // namespace distillery
