#pragma once
// Finds and builds a run's teacher: a finished run of the store (its best checkpoint), a checkpoint
// file, a zoo net with a torch.save state dict (StateDictImport.h), or a TorchScript file. createTeacherNet builds the network alone (the designer's describe
// draws it); loadTeacher also loads its weights for training.
#include <c10/core/Device.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "models/StagedNet.h"
#include "spec/Catalog.h"
#include "spec/RunQueue.h"
#include "spec/RunSpec.h"
#include "store/Store.h"

namespace distillery::engine {

struct TeacherNet {
    // A zoo net with fresh weights; a TorchScript net with the file's.
    std::shared_ptr<models::StagedNet> net;
    std::string model;          // the zoo name, or "torchscript" — the runs table's teacher column
    std::string description;    // where it came from, for the log
    std::string checkpoint;     // the weights of a zoo net: the spec's file or the run's checkpoint ("" if none
                                // or a state dict)
    std::optional<spec::TeacherRun> run;   // the finished run it names, if it names one
};

// The network a teacher spec names, without reading a zoo net's weights. A teacher named by run is
// looked up in store (spec::resolveTeacherRun); a null store (describe without --db) is an error then.
// Throws spec::FieldError with the field and how to fix it.
TeacherNet createTeacherNet(const store::Store* store, const spec::TeacherSpec& teacher, const spec::DataShape& shape);

struct LoadedTeacher {
    std::shared_ptr<models::StagedNet> net;
    std::string model;          // the zoo name, or "torchscript" — the runs table's teacher column
    std::string description;    // where it came from, for the log
    int64_t foldedNorms = 0;    // batch norms folded into convolutions (none in a TorchScript teacher)
};

// The teacher with its weights, frozen, in eval mode, on the device, with its batch norms folded
// into the convolutions before them (models/FoldableBatchNorm.h). Throws spec::FieldError with the
// field and how to fix it.
LoadedTeacher loadTeacher(const store::Store& store, const spec::TeacherSpec& teacher, const spec::DataShape& shape,
                          const c10::Device& device);

}  // namespace distillery::engine
