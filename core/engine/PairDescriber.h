#pragma once
// The designer's pair view, computed: a run spec's teacher and student built without data or weights,
// their stage shapes, the spots the method distils with their connectors, and the spec's errors by
// field path. `distillery-engine describe` prints the result (spec/DescribeProtocol.h).
#include <torch/nn/module.h>

#include <cstdint>
#include <string>

#include "models/StagedNet.h"
#include "spec/Catalog.h"
#include "spec/DescribeProtocol.h"

namespace distillery::engine {

// Describes one run spec given as JSON text. Errors of the spec (its text, its fields, a teacher or a
// method that cannot be built) are part of the answer; each part that parses on its own is still
// described. db: the store a teacher run_id/run_name refers to, "" for none; it is opened read-only
// only when the teacher names a run, and a store that cannot be read throws store::StoreError.
spec::PairDescription describePair(const std::string& specText, const std::string& db);

// One net as the description shows it: the stage shapes of one shape-sized image through it.
spec::NetDescription describeNet(const std::string& model, models::StagedNet& net, int64_t parameters,
                                 const spec::DataShape& shape);
int64_t parameterCount(torch::nn::Module& net);

}  // namespace distillery::engine
