#pragma once
// Shard stores, for runs trained where the main store cannot be written (Slurm jobs on a shared file
// system). Each job writes its run into a shard of its own, with a rollback journal (WAL does not work
// over NFS); the shards are merged into the main store, by run uuid, while the jobs run and after.
// Integer ids differ between stores: a run is the same run where its uuid is. Whoever writes a shard
// opens it with Journal::Rollback: a Store opened with the default would turn it to WAL.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "store/Store.h"

namespace distillery::store {

// Creates the shard file shardPath (rollback journal) holding run runId of main, a queued run, under
// the same uuid and id (so the job's --run and checkpoint folder match main's), with its study (by name), tags, note and any rows it has (a retried run keeps
// the events of its earlier attempts). Throws StoreError when the file exists, the run is missing or
// not queued, or main is not at this program's schema; no file is left behind then.
void createShard(const Store& main, int64_t runId, const std::string& shardPath);

// What one mergeShard did.
struct MergeResult {
    int64_t inserted = 0;                    // runs new to the store (with their study, created by name if missing)
    int64_t updated = 0;                     // runs brought up to the shard's copy
    std::vector<std::string> skipped;        // uuids of runs the store holds a newer copy of (a stale shard)
    std::map<std::string, int64_t> rows;     // per table, the merged runs' rows the store now holds
    int64_t totalRows() const;
};

// Folds every run of the shard at shardPath into `into`, in one transaction on `into`. A run new
// there is inserted. One it has is updated from the shard, keeping into's note, study membership and
// tags (the shard's tags are added, so a tag removed in `into` while the shard still has it comes
// back), and its rows in every per-run table are replaced by the shard's. One whose copy in `into` is
// ahead (a later heartbeat, or ended while the shard's copy has not) is skipped. Merging the same
// shard again changes nothing. The shard is opened read-only and read in one read transaction, so a
// job writing it waits at most that long. `into` is any writable store: the main store, or a
// student's shard receiving its finished teacher from the teacher's shard. Throws StoreError naming
// the shard, and leaves `into` untouched, for a file that is missing, damaged, not a store, or of
// another schema version.
MergeResult mergeShard(Store& into, const std::string& shardPath);

}  // namespace distillery::store
