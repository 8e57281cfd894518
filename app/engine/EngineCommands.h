#pragma once
// The sub-commands of distillery-engine. Each returns the process exit code:
// 0 finished (or cancelled), 1 failed (run or validation), 2 bad usage.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

enum class ProgressMode { Auto, Bar, Json, None };

struct EngineOptions {
    std::string db = "runs.distillery";
    ProgressMode progress = ProgressMode::Auto;
    std::string checkpointDir;          // "" = beside the store
    int64_t threads = 0;                // for runs whose spec leaves threads at 0 (e.g. the queue's share); 0 = all cores
    int64_t processes = 0;              // run --nproc: each run of the file with this many processes; 0 = as its spec says
    // Process 0 of a run whose processes Slurm's srun started (`job` under an array with --ntasks): it
    // starts no workers, and meets the others at the c10d FileStore in this file.
    std::string placedRendezvousFile;
};

// A run spec, an experiment or a study file. A study (spec/Study.h) is recorded in the store under
// its name; running the same study file again continues it: finished and pruned runs are kept,
// interrupted ones resume, queued ones train.
int runExperimentFile(const std::string& specPath, const EngineOptions& options);
// Prints what a study file expands to (the run count and a table of the varied fields) without
// queuing anything.
int planExperiment(const std::string& specPath);
int runQueuedRun(int64_t runId, const EngineOptions& options);
// Continues a killed or failed run (or a running one whose engine died) from its newest checkpoint
// that verifies; from the beginning when it has none.
int resumeRun(int64_t runId, const EngineOptions& options);
// Trains a killed or failed run (or a running one whose engine died) again from the beginning.
int retryRun(int64_t runId, const EngineOptions& options);
int validateSpec(const std::string& specPath);
// Writes a run's student weights (its best checkpoint, or the last) as a PyTorch state_dict.
int exportStateDict(int64_t runId, const std::string& db, const std::string& out, bool last);
int listModels(int64_t channels, int64_t size, int64_t classes);
int listMethods();
// The designer's pair view: parses one run spec (specPath "-" reads standard input), builds its teacher,
// student and distiller without loading data or weights, and prints one JSON object with both nets'
// stage shapes, the spots the method distils with their connectors, and the spec's errors by field
// path. Spec errors exit 0 (they are part of the answer); only an unreadable file exits 1.
int describePair(const std::string& specPath, const std::string& db);

// Folds shard stores into the store db (store/Shards.h): each argument is a shard file, or a folder
// searched for files named shard.sqlite. One line per shard and a total; a shard that fails is
// reported and the others are merged; exits 1 when any failed.
int mergeShards(const std::string& db, const std::vector<std::string>& arguments);

// Tags and a note, for one run or one study.
struct Annotation {
    int64_t runId = 0;
    std::string study;                  // a study's name instead of a run
    std::vector<std::string> addTags, removeTags;
    std::optional<std::string> note;    // replaces the note; "" clears it
};
int annotate(const Annotation& annotation, const std::string& db);
