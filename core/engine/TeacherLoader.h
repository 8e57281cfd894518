#pragma once
// Finds and loads a run's teacher: a finished run of the store (its best checkpoint), a checkpoint
// file, or a TorchScript file. The teacher comes back frozen, in eval mode, on the device, with its
// batch norms folded into the convolutions before them (models/FoldableBatchNorm.h).
#include <c10/core/Device.h>

#include <cstdint>
#include <memory>
#include <string>

#include "models/StagedNet.h"
#include "spec/Catalog.h"
#include "spec/RunSpec.h"
#include "store/Store.h"

namespace distillery::engine {

struct LoadedTeacher {
    std::shared_ptr<models::StagedNet> net;
    std::string model;          // the zoo name, or "torchscript" — the runs table's teacher column
    std::string description;    // where it came from, for the log
    int64_t foldedNorms = 0;    // batch norms folded into convolutions (none in a TorchScript teacher)
};

// Throws std::runtime_error with the spec field and how to fix it.
LoadedTeacher loadTeacher(const store::Store& store, const spec::TeacherSpec& teacher, const spec::DataShape& shape,
                          const c10::Device& device);

}  // namespace distillery::engine
