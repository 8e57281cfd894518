#pragma once
#include <cstdio>

#include "engine/Progress.h"

// A one-line progress bar for a terminal: run, epoch, step, loss, accuracy, speed, ETA.
class BarProgress : public distillery::engine::ProgressSink {
public:
    explicit BarProgress(std::FILE* out) : out_(out) {}
    void report(const distillery::engine::Progress& p) override;
    void finish(const distillery::engine::Progress& p) override;

private:
    std::FILE* out_;
};
