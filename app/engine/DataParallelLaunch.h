#pragma once
// A run of several processes (spec "distributed": world_size > 1) on this machine: the engine that
// claimed the run is rank 0; it starts the other ranks as `distillery-engine worker` children, which
// meet it at a c10d FileStore in the run's checkpoint folder, and it stops them when the run ends.
// Under Slurm, srun starts every process (`job` in each task) and they meet in the run's folder.
// Each worker writes a scratch store and its own checkpoints under <checkpoint folder>/rank-R/; only
// rank 0 writes the run's store.
#include <cstdint>
#include <string>

#include "EngineCommands.h"
#include "engine/Trainer.h"
#include "spec/RunSpec.h"
#include "store/Store.h"

// Trains a claimed run with spec.distributed.world_size processes (rank 0 here), as trainClaimedRun does
// for one. With a rendezvous file (a c10d FileStore), the other processes were started by someone else (Slurm's
// srun) with their own share of the cores: none are started here, and the threads are left as given.
distillery::engine::Outcome trainDataParallel(distillery::store::Store& store, int64_t runId,
                                              const distillery::spec::RunSpec& spec,
                                              distillery::engine::TrainerOptions trainerOptions,
                                              const std::string& placedRendezvousFile = "");

// `distillery-engine worker`: rank `rank` of run `runId` of the store at db.
struct WorkerOptions {
    std::string db;
    int64_t runId = 0;
    int rank = 0;
    int worldSize = 0;
    int localIndex = 0;          // among the run's processes on this machine: which GPU it takes
    std::string rendezvous;
    std::string checkpointDir;   // this rank's folder
    bool resume = false;
    int64_t threads = 0;
};
int runWorker(const WorkerOptions& options);
