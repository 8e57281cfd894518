#pragma once
// Putting runs into the store as `queued`, so that any engine (or the GUI's queue) can claim them.
#include <cstdint>

#include "spec/RunSpec.h"
#include "store/Store.h"

namespace distillery::spec {

// Inserts the run as queued with its spec JSON and the columns the runs table shows. A teacher given
// by run id or name is looked up for its model name; a missing one is not an error here (it may
// finish before this run starts) and shows as "run:<name>".
int64_t queueRun(store::Store& store, const RunSpec& spec);

}  // namespace distillery::spec
