#pragma once
#include <cstdio>

#include "engine/Progress.h"

// One JSON object per line, for the GUI's progress bar; the line is declared in spec/ProgressLine.h.
class JsonProgress : public distillery::engine::ProgressSink {
public:
    explicit JsonProgress(std::FILE* out) : out_(out) {}
    void report(const distillery::engine::Progress& p) override;
    void finish(const distillery::engine::Progress& p) override { report(p); }

private:
    std::FILE* out_;
};
