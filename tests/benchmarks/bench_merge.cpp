// How long bringing a cluster study home takes: N shard stores (one run each, written as a Slurm job
// writes them: rollback journal, M metric rows) merged into one main store, then merged again (the
// idempotent second pass `merge` makes when it is run twice or while jobs still write).
//
//   bench_merge [--shards N] [--points M] [--dir DIR]      defaults: 100 shards × 10,000 points
//
// Figures: the time to write the shards (not what is measured, printed for scale), the first merge
// (every run inserted or updated), the second (every run replaced by the same rows), rows per second.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "store/Shards.h"
#include "store/Store.h"

using namespace distillery;
using Clock = std::chrono::steady_clock;

namespace {
double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }
}  // namespace

int main(int argc, char** argv) {
    int shards = 100, points = 10000;
    std::string dir = "/tmp/distillery-bench-merge";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--shards") shards = std::atoi(argv[i + 1]);
        else if (flag == "--points") points = std::atoi(argv[i + 1]);
        else if (flag == "--dir") dir = argv[i + 1];
        else {
            std::fprintf(stderr, "bench_merge: unknown flag %s (flags: --shards, --points, --dir)\n", argv[i]);
            return 2;
        }
    }
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    store::Store main(dir + "/main.sqlite");

    // The shards: a queued run of main each, trained by "a job": claimed, its points written in
    // batches of 100 (the engine's flush size), finished.
    const auto writing = Clock::now();
    std::vector<std::string> paths;
    const char* keys[] = {"train/loss", "train/acc1", "lr", "train/loss/kd"};
    for (int s = 0; s < shards; ++s) {
        store::NewRun run;
        run.name = "bench-" + std::to_string(s);
        run.specJson = "{}";
        run.student = "resnet8";
        run.method = "kd";
        const int64_t id = main.insertRun(run);
        paths.push_back(dir + "/shard-" + std::to_string(s) + ".sqlite");
        store::createShard(main, id, paths.back());
        store::Store shard(paths.back(), false, store::Journal::Rollback);
        shard.claimRun(id, 1, "node", "cpu");
        store::RowBatch batch;
        for (int p = 0; p < points; ++p) {
            const int64_t step = p / 4;
            batch.metrics.push_back({id, keys[p % 4], step, double(step) / 100, 1.0 / (1 + p), 0});
            if (batch.metrics.size() == 100) {
                shard.writeBatch(batch);
                batch.clear();
            }
        }
        if (batch.size() > 0) shard.writeBatch(batch);
        shard.finishRun(id, store::RunStatus::Finished);
    }
    std::printf("wrote %d shards × %d points in %.1f s\n", shards, points, since(writing));

    for (const char* pass : {"first", "second"}) {
        const auto merging = Clock::now();
        int64_t rows = 0;
        for (const auto& path : paths) rows += store::mergeShard(main, path).totalRows();
        const double seconds = since(merging);
        std::printf("%s merge: %d shards, %lld rows in %.2f s (%.0f rows/s, %.1f ms per shard)\n", pass, shards,
                    static_cast<long long>(rows), seconds, double(rows) / seconds, 1000 * seconds / shards);
    }
    return 0;
}
