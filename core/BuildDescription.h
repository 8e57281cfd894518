#pragma once
// One sentence for a build, shared by the --version line (this build) and a run's "trained by"
// (the build a store recorded): "0.1.0 (git 2cd4186a1b2c)<sep>LibTorch 1.13.0<sep>Qt 6.4.2". Parts
// that are empty are left out.
#include <string>

#include "BuildInfo.h"

namespace distillery {

std::string describeBuild(const BuildInfo& build, const std::string& separator);

}  // namespace distillery
