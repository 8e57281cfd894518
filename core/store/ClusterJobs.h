#pragma once
// A store's record of the runs it sent to a Slurm cluster (schema 8, table cluster_jobs). Such a run
// stays queued in the store while its job trains it into a shard on the shared file system; merging
// the shard brings its rows home. The desktop queue and `distillery-engine run --id` leave a run with
// a record alone: it trains on the cluster. Retrying it here (Store::requeueRun) drops the record.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/Store.h"

namespace distillery::store {

struct ClusterJobRow {
    int64_t runId = 0;
    std::string uuid;          // the run's
    std::string sharedRoot;    // the submission's folder; the shard is sharedRoot/runs/<uuid>/shard.sqlite
    std::string slurmTask;     // "JOB_INDEX"; "" until sbatch has taken it
    double submittedAt = 0;    // seconds since the Unix epoch

    std::string runDir() const { return sharedRoot + "/runs/" + uuid; }
    std::string shardPath() const { return runDir() + "/shard.sqlite"; }
};

// Records (or re-records, after a refused sbatch) that run runId goes to the cluster through sharedRoot.
void recordClusterJob(Store& store, int64_t runId, const std::string& sharedRoot);
void setClusterJobTask(Store& store, int64_t runId, const std::string& slurmTask);
// The run trains here after all (sbatch refused it, or the user retries it locally).
void forgetClusterJob(Store& store, int64_t runId);
// By run id. Empty for a store older than schema 8 (opened read-only).
std::vector<ClusterJobRow> clusterJobs(const Store& store);
std::optional<ClusterJobRow> clusterJob(const Store& store, int64_t runId);
// The id of the store's run with this uuid (a shard's run is the same run where its uuid is).
std::optional<int64_t> runIdWithUuid(const Store& store, const std::string& uuid);

}  // namespace distillery::store
