#pragma once
// Slurm through its own commands (sbatch, squeue, scontrol, scancel): the command lines Distillery
// runs, the batch script each job runs, and the parsing of what the commands print. No scheduling
// of our own: Slurm queues, throttles (%K), orders (afterok), requeues and cancels.
// No torch, no Qt: the engine's submit command and the GUI's cluster view share it.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace distillery::cluster {

// What a program printed and how it ended. Run without a shell: arguments are never re-split.
struct CommandResult {
    int exitCode = -1;       // -1: it could not be started (error says why)
    std::string out, err;
    std::string error;       // why it could not be started
    bool ok() const { return exitCode == 0; }
    // "sbatch: error: invalid partition specified: gpu" — the first line that says what went wrong.
    std::string message() const;
};
CommandResult runProgram(const std::vector<std::string>& argv);

// The sbatch options of `distillery-engine submit --slurm` (and the GUI's "Run on: Slurm").
struct SlurmOptions {
    std::string partition;            // --partition; "" = the cluster's default
    std::string gres;                 // --gres, e.g. "gpu:1"
    std::string time;                 // --time, e.g. "4:00:00"; "" = the partition's limit
    std::string account;              // --account
    std::string qos;                  // --qos
    int64_t cpus = 0;                 // --cpus-per-task; 0 = Slurm's default (1)
    std::string memory;               // --mem, e.g. "16G"
    int64_t maxParallel = 0;          // the array's %K: at most K of its runs at once; 0 = no limit
    int64_t tasks = 1;                // --ntasks: the processes of each run (distributed.world_size), started by srun
    std::vector<std::string> extra;   // further sbatch options, as written ("--constraint=a100")
};

// The options of `distillery-engine submit --slurm` that give these (--partition P, --cpus N, …),
// for a program that runs the engine's submit command (the GUI).
std::vector<std::string> submitCommandOptions(const SlurmOptions& options);

// Where a submission keeps its files on the shared file system: one folder per run (its shard
// store, checkpoints and Slurm log), the array lists and the batch script.
struct SharedLayout {
    std::string root;   // absolute
    std::string runDir(const std::string& uuid) const { return root + "/runs/" + uuid; }
    std::string shardPath(const std::string& uuid) const { return runDir(uuid) + "/shard.sqlite"; }
    std::string scriptPath() const { return root + "/job.sh"; }
    std::string arrayList(const std::string& name) const { return root + "/arrays/" + name + ".list"; }
    std::string logDir() const { return root + "/logs"; }
};

// The default batch script: Distillery's, with the markers @ENGINE@ (the distillery-engine to run)
// and @LIST@ (the file naming one run folder per array task). Users copy it, add their module
// loads or container, and pass it with --template.
std::string defaultBatchScript();
// Throws std::invalid_argument naming a marker the template lacks.
void checkBatchScriptTemplate(const std::string& templateText);
// The template with its markers replaced; throws as checkBatchScriptTemplate.
std::string renderBatchScript(const std::string& templateText, const std::string& engine, const std::string& list);

// The sbatch command line for an array of `tasks` runs: always --requeue (a pre-empted run comes
// back and resumes) and --signal=B:TERM@120 (two minutes before the time limit the script is told
// to checkpoint and stop); --dependency=afterok:ID when the runs wait for a teacher's job.
std::vector<std::string> sbatchArguments(const SlurmOptions& options, const std::string& jobName, size_t tasks,
                                         const std::string& logDir, const std::string& afterOk,
                                         const std::string& script);

// sbatch --parsable prints "ID" or "ID;CLUSTER".
std::optional<int64_t> parseSubmittedJobId(const std::string& out);

// One array task or job as squeue lists it (squeue -h -o "%i|%T|%r").
struct QueuedJob {
    std::string id;       // "123_4", or "123_[5-9%2]" for tasks not started yet
    std::string state;    // PENDING, RUNNING, COMPLETING, …
    std::string reason;   // why it waits: Dependency, Resources, DependencyNeverSatisfied, …
};
std::vector<QueuedJob> parseSqueue(const std::string& out);
// Whether an squeue id names array task `task` of job `jobId`: "123_4", or a pending range
// "123_[0-3,5,7-9%2]" that holds it.
bool idHoldsTask(const std::string& id, int64_t jobId, int64_t task);

// `scontrol show job -o ID`: one line of KEY=VALUE pairs (values may hold spaces only in the last
// field, Command=…, which this keeps whole).
std::map<std::string, std::string> parseScontrolRecord(const std::string& line);

}  // namespace distillery::cluster
