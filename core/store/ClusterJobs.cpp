#include "store/ClusterJobs.h"

#include <sqlite3.h>

#include "store/Statement.h"

namespace distillery::store {

namespace {

constexpr const char* kSelect =
    "SELECT c.run_id, r.uuid, c.shared_root, c.slurm_task, c.submitted_at FROM cluster_jobs c JOIN runs r ON r.id = c.run_id";

bool hasTable(const Store& store) { return store.schemaVersion() >= 8; }

ClusterJobRow readRow(const Statement& s) {
    return {s.int64(0), s.text(1), s.text(2), s.text(3), s.real(4)};
}

}  // namespace

void recordClusterJob(Store& store, int64_t runId, const std::string& sharedRoot) {
    Statement s(store.handle(), "INSERT INTO cluster_jobs (run_id, shared_root, slurm_task, submitted_at) VALUES (?, ?, '', ?) "
                                "ON CONFLICT (run_id) DO UPDATE SET shared_root = excluded.shared_root, "
                                "slurm_task = '', submitted_at = excluded.submitted_at");
    s.bind(1, runId).bind(2, sharedRoot).bind(3, nowSeconds());
    s.run();
}

void setClusterJobTask(Store& store, int64_t runId, const std::string& slurmTask) {
    Statement s(store.handle(), "UPDATE cluster_jobs SET slurm_task = ? WHERE run_id = ?");
    s.bind(1, slurmTask).bind(2, runId);
    s.run();
}

void forgetClusterJob(Store& store, int64_t runId) {
    Statement s(store.handle(), "DELETE FROM cluster_jobs WHERE run_id = ?");
    s.bind(1, runId);
    s.run();
}

std::vector<ClusterJobRow> clusterJobs(const Store& store) {
    std::vector<ClusterJobRow> rows;
    if (!hasTable(store)) return rows;
    Statement s(store.handle(), (std::string(kSelect) + " ORDER BY c.run_id").c_str());
    while (s.step()) rows.push_back(readRow(s));
    return rows;
}

std::optional<ClusterJobRow> clusterJob(const Store& store, int64_t runId) {
    if (!hasTable(store)) return std::nullopt;
    Statement s(store.handle(), (std::string(kSelect) + " WHERE c.run_id = ?").c_str());
    s.bind(1, runId);
    if (!s.step()) return std::nullopt;
    return readRow(s);
}

std::optional<int64_t> runIdWithUuid(const Store& store, const std::string& uuid) {
    Statement s(store.handle(), "SELECT id FROM runs WHERE uuid = ?");
    s.bind(1, uuid);
    if (!s.step()) return std::nullopt;
    return s.int64(0);
}

}  // namespace distillery::store
