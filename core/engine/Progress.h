#pragma once
// What a running trainer reports about itself, about once a second, to whoever shows it
// (a terminal progress bar, or JSON lines that the GUI reads).
#include "spec/ProgressLine.h"

namespace distillery::engine {

// The progress line's struct (spec/ProgressLine.h): what the trainer reports is what the line carries.
using Progress = spec::ProgressLine;

class ProgressSink {
public:
    virtual ~ProgressSink() = default;
    virtual void report(const Progress& progress) = 0;
    virtual void finish(const Progress& /*last*/) {}
};

}  // namespace distillery::engine
