#pragma once
// What the engine's commands share to train one run of a store (EngineCommands, ClusterCommands).
#include <cstdint>
#include <string>

#include "EngineCommands.h"
#include "engine/Trainer.h"
#include "spec/RunSpec.h"
#include "store/Store.h"

// The device column of the run: what "auto" resolves to here, or the spec's text when it cannot be
// resolved (the trainer then fails the run with the reason).
std::string deviceLabel(const distillery::spec::RunSpec& spec);

// This engine's executable by its absolute path, for the processes it starts (data-parallel workers)
// and the jobs it submits (the compute nodes see the same shared paths).
std::string thisEngine();

// Trains a claimed run with the options' progress, threads and checkpoint folder
// (<checkpointDir>/run-<id>, or beside the store).
distillery::engine::Outcome trainClaimedRun(distillery::store::Store& store, int64_t runId,
                                            const distillery::spec::RunSpec& spec, const EngineOptions& options,
                                            bool resume);
