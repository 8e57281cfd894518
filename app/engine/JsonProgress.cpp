#include "JsonProgress.h"

#include "spec/ProgressLine.h"

void JsonProgress::report(const distillery::engine::Progress& p) {
    std::fprintf(out_, "%s\n", distillery::spec::toJson(p).dump().c_str());
    std::fflush(out_);
}
