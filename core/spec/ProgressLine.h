#pragma once
// The engine's progress line (`distillery-engine … --progress json`), declared once for both ends:
// the engine writes one per second on stdout, the GUI's run queue reads them. One JSON object a line:
// {"type":"progress","run":7,"epoch":1,"epochs":5,"step":120,"total_steps":4300,"loss":0.53,"acc":81.2,
//  "val_acc":-1,"eta_s":312.5,"progress":0.028,"images_per_s":410.0,"phase":"train"}
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace distillery::spec {

// What a running trainer reports about itself, about once a second.
struct ProgressLine {
    int64_t runId = 0;          // 0 when a line names no run
    std::string runName;        // for a terminal's progress bar; not part of the line
    std::string phase;          // "train", "eval", "done"
    int64_t epoch = 0;          // 1-based epoch in progress
    int64_t epochs = 0;
    int64_t step = 0;           // optimiser steps done
    int64_t totalSteps = 0;
    double loss = 0;            // mean training loss over the last logging window
    double trainAcc = 0;        // % over the last logging window
    double valAcc = -1;         // % at the last evaluation, -1 before the first
    double etaSeconds = 0;      // a line without one reads as -1: unknown
    double fraction = 0;        // 0..1
    double imagesPerSecond = 0;
};

nlohmann::json toJson(const ProgressLine& progress);
// One line of the engine's stdout. Anything that is not a progress object (a library's stray print,
// a truncated line, another JSON object) is nothing: stdout is a channel the engine shares. Fields
// of the wrong type read as their defaults; fraction is clamped to 0..1. Never throws.
std::optional<ProgressLine> parseProgressLine(const std::string& line);

}  // namespace distillery::spec
