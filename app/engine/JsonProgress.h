#pragma once
#include <cstdio>

#include "engine/Progress.h"

// One JSON object per line, for the GUI's progress bar:
// {"type":"progress","run":7,"epoch":1,"epochs":5,"step":120,"total_steps":4300,"loss":0.53,"acc":81.2,
//  "val_acc":-1,"eta_s":312.5,"progress":0.028,"images_per_s":410.0,"phase":"train"}
class JsonProgress : public distillery::engine::ProgressSink {
public:
    explicit JsonProgress(std::FILE* out) : out_(out) {}
    void report(const distillery::engine::Progress& p) override;
    void finish(const distillery::engine::Progress& p) override { report(p); }

private:
    std::FILE* out_;
};
