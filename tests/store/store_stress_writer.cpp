// Writes batches of `rows` metric rows for one new run, as an engine does: at least `batches` of them,
// and then on until STOP_FILE exists, so a reader can be sure its reads overlap the writes however
// fast this machine is. Prints "RUN ROWS" and exits 0; any StoreError (e.g. "database is locked") is
// printed and exits 1.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "store/Store.h"

using namespace distillery::store;

int main(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr, "usage: store_stress_writer DB NAME MIN_BATCHES ROWS STOP_FILE\n");
        return 2;
    }
    try {
        Store store(argv[1]);
        const int minBatches = std::atoi(argv[3]), rows = std::atoi(argv[4]);
        const std::filesystem::path stopFile = argv[5];
        const int64_t run = store.insertRun({argv[2], "{}", "t", "s", "kd", "synthetic", 0});
        store.claimRun(run, 0, "test", "cpu");
        StoreWriter writer(store, 0.0);
        int64_t step = 0;
        for (int b = 0; b < minBatches || !std::filesystem::exists(stopFile); ++b) {
            for (int r = 0; r < rows; ++r, ++step) writer.add(MetricPoint{run, "train/loss", step, 0, 1.0 / (1 + step), 0});
            writer.flush();
            store.heartbeat(run, b < minBatches ? double(b) / minBatches : 0.99);
        }
        store.finishRun(run, RunStatus::Finished);
        std::printf("%lld %lld\n", static_cast<long long>(run), static_cast<long long>(step));
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}
