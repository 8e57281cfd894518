#include "BuildInfo.h"
#include "BuildDescription.h"

namespace distillery {

std::string versionDetails() { return describeBuild(buildInfo(), ", "); }

std::string versionLine(const std::string& program) { return program + " " + versionDetails(); }

}  // namespace distillery
