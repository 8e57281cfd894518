#pragma once
// The sub-commands of distillery-engine. Each returns the process exit code:
// 0 finished (or cancelled), 1 failed (run or validation), 2 bad usage.
#include <cstdint>
#include <string>

enum class ProgressMode { Auto, Bar, Json, None };

struct EngineOptions {
    std::string db = "runs.distillery";
    ProgressMode progress = ProgressMode::Auto;
    std::string checkpointDir;          // "" = beside the store
    int64_t threads = 0;                // for runs whose spec leaves threads at 0 (e.g. the queue's share); 0 = all cores
};

int runExperimentFile(const std::string& specPath, const EngineOptions& options);
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
