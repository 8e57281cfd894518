#pragma once
// What a PyTorch user needs beside an exported state dict (StateDictExport.h) to use it: which
// network it is and which Python code defines it, the input shape, the normalisation the run trained
// with, the class names, and the run it came from with its headline numbers. Written as FILE.json next
// to FILE.pth; pythonLines() prints the Python that rebuilds the model and its transform.
#include <nlohmann/json.hpp>

#include <string>

#include "models/StagedNet.h"
#include "spec/RunSpec.h"
#include "store/Store.h"

namespace distillery::engine {

struct ExportManifest {
    nlohmann::json json;
    std::string python;   // the lines that rebuild the model and its transform in Python
};

// net: the exported network (its first convolution tells the input channels). checkpointKind: "best"
// or "last". The mean and std are the data set's constants where it has them, else the training
// split's own statistics, computed again from the run's data (loadRunData): then the data set must be
// readable, as for training. Throws data::DataError when it is not.
ExportManifest describeExport(const store::Store& store, const store::RunRow& run, const spec::RunSpec& spec,
                              const models::StagedNet& net, const std::string& statePath,
                              const std::string& checkpointKind);

// "FILE.json" for "FILE.pth" (any extension replaced; ".json" appended to a name without one).
std::string manifestPath(const std::string& statePath);

// Writes the manifest's JSON to path; throws std::runtime_error when it cannot.
void writeManifest(const ExportManifest& manifest, const std::string& path);

}  // namespace distillery::engine
