// Writes `batches` batches of `rows` metric rows for one new run, as an engine does, then exits 0.
// Any StoreError (e.g. "database is locked") is printed and exits 1.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "store/Store.h"

using namespace distillery::store;

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: store_stress_writer DB NAME BATCHES ROWS\n");
        return 2;
    }
    try {
        Store store(argv[1]);
        const int batches = std::atoi(argv[3]), rows = std::atoi(argv[4]);
        const int64_t run = store.insertRun({argv[2], "{}", "t", "s", "kd", "synthetic", 0});
        store.claimRun(run, 0, "test", "cpu");
        StoreWriter writer(store, 0.0);
        int64_t step = 0;
        for (int b = 0; b < batches; ++b) {
            for (int r = 0; r < rows; ++r, ++step) writer.add(MetricPoint{run, "train/loss", step, 0, 1.0 / (1 + step), 0});
            writer.flush();
            store.heartbeat(run, double(b) / batches);
        }
        store.finishRun(run, RunStatus::Finished);
        std::printf("%lld\n", static_cast<long long>(run));
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}
