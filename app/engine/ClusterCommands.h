#pragma once
// distillery-engine's Slurm commands: submit a study (or experiment) as job arrays, and train one
// array task's run. See docs/cluster.md for the design: one shard store per run on the shared file
// system, merged into the main store by `distillery-engine merge`.
#include <string>
#include <vector>

#include "EngineCommands.h"
#include "cluster/Slurm.h"

struct SubmitOptions {
    distillery::cluster::SlurmOptions slurm;
    std::string sharedDir;      // "" = <db>.cluster beside the main store
    std::string templatePath;   // "" = the default batch script
    std::string engine;         // the distillery-engine jobs run; "" = this one
    bool dryRun = false;        // print the sbatch commands and the script, submit nothing
};

// Queues the file's runs in the main store (a study as `run --spec` does), gives each queued run a
// folder with its shard store on the shared path, and submits job arrays: the teachers the file
// trains first, then for each such teacher an array of its students depending on it (afterok), then
// the other runs. Prints each array's job id. Exit 0 when every array was submitted.
int submitToSlurm(const std::string& specPath, const EngineOptions& options, const SubmitOptions& submit);

// One array task: trains the run of runDir's shard store, resuming from its checkpoint when an
// earlier attempt was stopped (pre-empted, requeued, killed). A student's teacher is first copied
// from the teacher's shard. Exit 0 finished (or pruned, or already finished), 3 stopped by a
// signal (checkpointed: requeue to continue), 1 failed.
int runClusterJob(const std::string& runDir, const EngineOptions& options);
inline constexpr int kExitStopped = 3;

// Before a submission folder is merged: each run whose shard says queued or running although Slurm
// has ended its job (killed, out of memory, its node failed, cancelled) is marked failed in its shard,
// with Slurm's state, exit code and reason and the end of the job's log; `scontrol requeue TASK`
// resumes it from its checkpoint. Runs still waiting are listed with Slurm's reason (Dependency,
// DependencyNeverSatisfied, Resources, …). Returns one line per run it has something to say about.
std::vector<std::string> reconcileWithSlurm(const std::string& sharedRoot);
