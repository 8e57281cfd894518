// Many writers and one reader on one results store, as training engines and the desktop window
// share it. Prints the rows written and read back (with a checksum per run and table), the
// "database is locked"/busy errors, the longest wait of a write transaction and of a reader poll,
// and the throughput. Exits with 1 when a row was lost or a lock error happened.
//
//   bench_store_stress [--writers 4] [--seconds 30] [--rate 20000] [--flush 1.0] [--poll-ms 250]
//                      [--epoch-seconds 5] [--db FILE] [--keep] [--pragma NAME=VALUE]...
//
// Each writer is this program again (`--writer`, one process per engine). Like the training engine
// it claims a queued run and writes through StoreWriter (one transaction per flush, every --flush
// seconds or 20,000 rows): 8 metric keys per step, and every 5th step the diagnostics a feature
// method writes (4 gate spots, 2 spots x 12 channels of channel statistics, 4 path weights), about
// --rate rows per second in all; an event and a heartbeat (own thread and connection, as the
// engine's OwnerHeartbeat) every second; a checkpoint row per "epoch" (--epoch-seconds). The parent
// polls like the window every --poll-ms: runs(false), then per run its summaries, the metrics after
// the last step it has seen of each key, diagnosticPresence and the events after the last it has
// seen. At the end it reads every run back and compares counts and checksums with what the writers
// say they wrote.
//
// --pragma applies "PRAGMA NAME=VALUE" to every connection after Store opened it (writers, their
// heartbeat threads and the reader), to try store settings without changing core/store, e.g.
// --pragma wal_autocheckpoint=10000 or --pragma busy_timeout=60000.
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/Store.h"

extern char** environ;

namespace {

using namespace distillery;
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }
double millisecondsSince(Clock::time_point start) { return secondsSince(start) * 1000.0; }

struct Options {
    int writers = 4;
    double seconds = 30;
    double rate = 20000;          // rows per second per writer, every table together
    double flushSeconds = 1.0;    // StoreWriter's interval, as the engine's
    int pollMs = 250;             // the window's store poller
    double epochSeconds = 5;      // a checkpoint row per epoch
    std::string db;
    bool keep = false;
    std::vector<std::string> pragmas;
    // writer only
    bool writer = false;
    int64_t runId = 0;
};

// ---- checksums: a sum of per-row hashes, so the order rows are read in does not matter ----------

uint64_t mix(uint64_t x) {   // splitmix64's finaliser
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}
uint64_t hashText(const std::string& text) {   // FNV-1a
    uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ULL;
    return h;
}
uint64_t bits(double value) {
    uint64_t b;
    std::memcpy(&b, &value, sizeof b);
    return b;
}
struct RowHash {
    uint64_t h;
    explicit RowHash(uint64_t table) : h(mix(table)) {}
    RowHash& operator<<(uint64_t v) {
        h = mix(h ^ v);
        return *this;
    }
    RowHash& operator<<(int64_t v) { return *this << static_cast<uint64_t>(v); }
    RowHash& operator<<(double v) { return *this << bits(v); }
    RowHash& operator<<(const std::string& v) { return *this << hashText(v); }
};

enum Table { Metrics, Gates, ChannelStats, PathWeights, Events, Checkpoints, TableCount };
const char* kTableNames[TableCount] = {"metrics", "gates", "channel_stats", "path_weights", "events", "checkpoints"};

struct Tally {
    int64_t rows[TableCount] = {};
    uint64_t sums[TableCount] = {};
    void add(Table table, uint64_t hash) {
        ++rows[table];
        sums[table] += hash;
    }
    int64_t total() const {
        int64_t t = 0;
        for (int64_t r : rows) t += r;
        return t;
    }
};

uint64_t metricHash(const std::string& key, int64_t step, double epoch, double value, double wall) {
    return (RowHash(Metrics) << key << step << epoch << value << wall).h;
}
uint64_t gateHash(const std::string& spot, int64_t step, double openRate) {
    return (RowHash(Gates) << spot << step << openRate).h;
}
uint64_t channelHash(const std::string& spot, int64_t step, int64_t channel, double tm, double ts, double sm, double ss,
                     const std::optional<double>& alignment) {
    RowHash h(ChannelStats);
    h << spot << step << channel << tm << ts << sm << ss << static_cast<uint64_t>(alignment.has_value());
    if (alignment) h << *alignment;
    return h.h;
}
uint64_t pathHash(const std::string& path, int64_t step, double weight, double rawLoss) {
    return (RowHash(PathWeights) << path << step << weight << rawLoss).h;
}
uint64_t eventHash(const std::string& level, const std::string& message) {
    return (RowHash(Events) << level << message).h;
}
uint64_t checkpointHash(int64_t step, int64_t epoch, const std::string& kind, const std::string& path) {
    return (RowHash(Checkpoints) << step << epoch << kind << path).h;
}

// ---- waits and errors ----------------------------------------------------------------------------

bool isLockError(const std::string& message) {
    return message.find("locked") != std::string::npos || message.find("busy") != std::string::npos;
}

struct Waits {
    std::vector<double> ms;
    void add(double value) { ms.push_back(value); }
    double longest() const { return ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end()); }
    double quantile(double q) const {
        if (ms.empty()) return 0;
        std::vector<double> sorted = ms;
        std::sort(sorted.begin(), sorted.end());
        return sorted[std::min(sorted.size() - 1, static_cast<size_t>(q * double(sorted.size())))];
    }
};

void applyPragmas(store::Store& store, const std::vector<std::string>& pragmas) {
    for (const std::string& pragma : pragmas) {
        const std::string sql = "PRAGMA " + pragma;
        sqlite3_stmt* statement = nullptr;
        if (sqlite3_prepare_v2(store.handle(), sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
            std::fprintf(stderr, "bench_store_stress: %s: %s\n", sql.c_str(), sqlite3_errmsg(store.handle()));
            std::exit(2);
        }
        while (sqlite3_step(statement) == SQLITE_ROW) {
        }
        sqlite3_finalize(statement);
    }
}

// ---- a writer: one engine ------------------------------------------------------------------------

const std::vector<std::string> kMetricKeys = {"train/loss", "train/loss/ce", "train/loss/kd", "train/acc1",
                                              "lr",         "grad_norm",     "val/acc1",      "val/loss"};
const std::vector<std::string> kGateSpots = {"stage1", "stage2", "stage3", "stage4"};
const std::vector<std::string> kChannelSpots = {"stage2", "stage3"};
constexpr int64_t kChannels = 12;
const std::vector<std::string> kPaths = {"path0", "path1", "path2", "path3"};
constexpr int64_t kDiagnosticsEvery = 5;

// Rows a step writes on average, to turn --rate into steps per second.
double rowsPerStep() {
    const double diagnostics = double(kGateSpots.size() + kChannelSpots.size() * kChannels + kPaths.size());
    return double(kMetricKeys.size()) + diagnostics / double(kDiagnosticsEvery);
}

int runWriter(const Options& options) {
    const int64_t runId = options.runId;
    const int64_t pid = getpid();
    const std::string host = store::hostName();
    Tally written;
    int64_t lockErrors = 0, otherErrors = 0;
    Waits flushes, checkpoints, heartbeats;
    double longestCall = 0;   // any store call of this writer, a flush inside add() included
    std::mutex heartbeatMutex;
    std::atomic<int64_t> heartbeatLockErrors{0}, heartbeatOtherErrors{0};
    auto report = [&](const std::exception& error) {
        const std::string message = error.what();
        const bool locked = isLockError(message);
        (locked ? lockErrors : otherErrors)++;
        if (lockErrors + otherErrors <= 5) std::fprintf(stderr, "writer %" PRId64 ": %s\n", runId, message.c_str());
    };

    store::Store store(options.db);
    applyPragmas(store, options.pragmas);
    const Clock::time_point claimStart = Clock::now();
    if (!store.claimRun(runId, pid, host, "cpu")) {
        std::fprintf(stderr, "writer: run %" PRId64 " could not be claimed\n", runId);
        return 3;
    }
    longestCall = std::max(longestCall, millisecondsSince(claimStart));

    const Clock::time_point start = Clock::now();
    std::atomic<bool> stop{false};
    std::atomic<double> progress{0};
    // The engine's OwnerHeartbeat: its own thread and connection, a beat every second.
    std::thread heartbeat([&] {
        std::optional<store::Store> own;
        while (!stop.load()) {
            const Clock::time_point t = Clock::now();
            try {
                if (!own) {
                    own.emplace(options.db);
                    applyPragmas(*own, options.pragmas);
                }
                own->heartbeat(runId, progress.load(), pid, host);
                std::lock_guard<std::mutex> lock(heartbeatMutex);
                heartbeats.add(millisecondsSince(t));
            } catch (const std::exception& error) {
                (isLockError(error.what()) ? heartbeatLockErrors : heartbeatOtherErrors)++;
                std::fprintf(stderr, "writer %" PRId64 " heartbeat: %s\n", runId, error.what());
            }
            for (int i = 0; i < 20 && !stop.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    });

    std::mt19937_64 random(static_cast<uint64_t>(runId) * 7919);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    store::StoreWriter writer(store, options.flushSeconds, 20000);
    // Times one call that may write: add() flushes by itself when 20,000 rows are buffered.
    auto timed = [&](auto&& call) {
        const size_t before = writer.buffered();
        const Clock::time_point t = Clock::now();
        try {
            call();
        } catch (const store::StoreError& error) {
            report(error);   // the rows stay buffered; the next flush writes them
        }
        const double ms = millisecondsSince(t);
        longestCall = std::max(longestCall, ms);
        if (writer.buffered() < before) flushes.add(ms);   // it wrote its buffer
    };

    const double stepsPerSecond = options.rate / rowsPerStep();
    int64_t step = 0, epoch = 0, events = 0;
    while (true) {
        const double elapsed = secondsSince(start);
        if (elapsed >= options.seconds) break;
        const int64_t due = static_cast<int64_t>(elapsed * stepsPerSecond);
        while (step < due) {
            ++step;
            const double wall = elapsed;
            const double epochPosition = double(step) / (stepsPerSecond * options.epochSeconds);
            for (const std::string& key : kMetricKeys) {
                const double value = unit(random);
                written.add(Metrics, metricHash(key, step, epochPosition, value, wall));
                timed([&] { writer.add(store::MetricPoint{runId, key, step, epochPosition, value, wall}); });
            }
            if (step % kDiagnosticsEvery != 0) continue;
            for (const std::string& spot : kGateSpots) {
                const double open = unit(random);
                written.add(Gates, gateHash(spot, step, open));
                timed([&] { writer.add(store::GateRow{runId, step, spot, open}); });
            }
            for (const std::string& spot : kChannelSpots)
                for (int64_t channel = 0; channel < kChannels; ++channel) {
                    const double tm = unit(random), ts = unit(random), sm = unit(random), ss = unit(random);
                    const std::optional<double> alignment =
                        channel % 2 == 0 ? std::optional<double>(unit(random)) : std::nullopt;
                    written.add(ChannelStats, channelHash(spot, step, channel, tm, ts, sm, ss, alignment));
                    timed([&] {
                        writer.add(store::ChannelStatRow{runId, step, spot, channel, tm, ts, sm, ss, alignment});
                    });
                }
            for (const std::string& path : kPaths) {
                const double weight = unit(random), raw = unit(random);
                written.add(PathWeights, pathHash(path, step, weight, raw));
                timed([&] { writer.add(store::PathWeightRow{runId, step, path, weight, raw}); });
            }
        }
        progress.store(elapsed / options.seconds);
        if (elapsed >= double(events + 1)) {   // an event a second
            ++events;
            const std::string message = "step " + std::to_string(step) + ": train loss " + std::to_string(unit(random));
            written.add(Events, eventHash("info", message));
            timed([&] { writer.addEvent(runId, "info", message, step); });
        }
        if (elapsed >= double(epoch + 1) * options.epochSeconds) {   // end of an epoch: flush, checkpoint row
            ++epoch;
            timed([&] { writer.flush(); });
            const std::string path = options.db + ".checkpoints/run-" + std::to_string(runId) + "/epoch-" +
                                     std::to_string(epoch) + ".pt";
            const Clock::time_point t = Clock::now();
            try {
                store.addCheckpoint({0, runId, step, epoch, path, "periodic", unit(random), 0});
                written.add(Checkpoints, checkpointHash(step, epoch, "periodic", path));
            } catch (const store::StoreError& error) {
                report(error);
            }
            checkpoints.add(millisecondsSince(t));
            longestCall = std::max(longestCall, millisecondsSince(t));
        }
        timed([&] { writer.flushIfDue(); });
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const double activeSeconds = secondsSince(start);
    // The last rows: an engine retries a failed flush at its next step; here, until it works.
    for (int attempt = 0; writer.buffered() > 0 && attempt < 100; ++attempt) timed([&] { writer.flush(); });
    stop.store(true);
    heartbeat.join();
    try {
        const Clock::time_point t = Clock::now();
        store.finishRun(runId, store::RunStatus::Finished);
        longestCall = std::max(longestCall, millisecondsSince(t));
    } catch (const store::StoreError& error) {
        report(error);
    }
    lockErrors += heartbeatLockErrors.load();
    otherErrors += heartbeatOtherErrors.load();

    std::printf("RESULT run=%" PRId64 " seconds=%.3f steps=%" PRId64 " lock_errors=%" PRId64 " other_errors=%" PRId64
                " unflushed=%zu longest_call_ms=%.3f flushes=%zu flush_max_ms=%.3f flush_p50_ms=%.3f flush_p99_ms=%.3f"
                " checkpoint_max_ms=%.3f heartbeats=%zu heartbeat_max_ms=%.3f",
                runId, activeSeconds, step, lockErrors, otherErrors, writer.buffered(), longestCall, flushes.ms.size(),
                flushes.longest(), flushes.quantile(0.5), flushes.quantile(0.99), checkpoints.longest(),
                heartbeats.ms.size(), heartbeats.longest());
    for (int t = 0; t < TableCount; ++t)
        std::printf(" %s=%" PRId64 " %s_sum=%" PRIu64, kTableNames[t], written.rows[t], kTableNames[t],
                    written.sums[t]);
    std::printf("\n");
    return 0;
}

// ---- the parent: spawns the writers, polls like the window, verifies -----------------------------

struct WriterResult {
    int64_t runId = 0;
    pid_t pid = 0;
    int outputFd = -1;
    std::string output;
    int exitStatus = -1;
    std::map<std::string, std::string> values;
    Tally written;
    double number(const std::string& key) const {
        const auto at = values.find(key);
        return at == values.end() ? 0 : std::strtod(at->second.c_str(), nullptr);
    }
};

void parseResult(WriterResult& result) {
    const size_t at = result.output.find("RESULT ");
    if (at == std::string::npos) return;
    std::istringstream words(result.output.substr(at + 7));
    std::string word;
    while (words >> word) {
        const size_t equals = word.find('=');
        if (equals != std::string::npos) result.values[word.substr(0, equals)] = word.substr(equals + 1);
    }
    for (int t = 0; t < TableCount; ++t) {
        result.written.rows[t] = static_cast<int64_t>(result.number(kTableNames[t]));
        const auto sum = result.values.find(std::string(kTableNames[t]) + "_sum");
        if (sum != result.values.end()) result.written.sums[t] = std::strtoull(sum->second.c_str(), nullptr, 10);
    }
}

// Every row of a run, straight from the tables.
Tally readBack(store::Store& store, int64_t runId) {
    Tally tally;
    auto each = [&](const char* sql, const std::function<void(sqlite3_stmt*)>& row) {
        sqlite3_stmt* statement = nullptr;
        if (sqlite3_prepare_v2(store.handle(), sql, -1, &statement, nullptr) != SQLITE_OK)
            throw store::StoreError(std::string(sql) + ": " + sqlite3_errmsg(store.handle()));
        sqlite3_bind_int64(statement, 1, runId);
        int rc;
        while ((rc = sqlite3_step(statement)) == SQLITE_ROW) row(statement);
        const std::string error = rc == SQLITE_DONE ? "" : sqlite3_errmsg(store.handle());
        sqlite3_finalize(statement);
        if (!error.empty()) throw store::StoreError(std::string(sql) + ": " + error);
    };
    auto text = [](sqlite3_stmt* s, int column) {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, column));
        return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, column))) : std::string();
    };
    each("SELECT key, step, epoch, value, wall FROM metrics WHERE run_id = ?", [&](sqlite3_stmt* s) {
        tally.add(Metrics, metricHash(text(s, 0), sqlite3_column_int64(s, 1), sqlite3_column_double(s, 2),
                                      sqlite3_column_double(s, 3), sqlite3_column_double(s, 4)));
    });
    each("SELECT spot, step, open_rate FROM gates WHERE run_id = ?", [&](sqlite3_stmt* s) {
        tally.add(Gates, gateHash(text(s, 0), sqlite3_column_int64(s, 1), sqlite3_column_double(s, 2)));
    });
    each("SELECT spot, step, channel, teacher_mean, teacher_std, student_mean, student_std, alignment_error "
         "FROM channel_stats WHERE run_id = ?",
         [&](sqlite3_stmt* s) {
             const std::optional<double> alignment = sqlite3_column_type(s, 7) == SQLITE_NULL
                                                         ? std::nullopt
                                                         : std::optional<double>(sqlite3_column_double(s, 7));
             tally.add(ChannelStats, channelHash(text(s, 0), sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2),
                                                 sqlite3_column_double(s, 3), sqlite3_column_double(s, 4),
                                                 sqlite3_column_double(s, 5), sqlite3_column_double(s, 6), alignment));
         });
    each("SELECT path, step, weight, raw_loss FROM path_weights WHERE run_id = ?", [&](sqlite3_stmt* s) {
        tally.add(PathWeights, pathHash(text(s, 0), sqlite3_column_int64(s, 1), sqlite3_column_double(s, 2),
                                        sqlite3_column_double(s, 3)));
    });
    each("SELECT level, message FROM events WHERE run_id = ?",
         [&](sqlite3_stmt* s) { tally.add(Events, eventHash(text(s, 0), text(s, 1))); });
    each("SELECT step, epoch, kind, path FROM checkpoints WHERE run_id = ?", [&](sqlite3_stmt* s) {
        tally.add(Checkpoints, checkpointHash(sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), text(s, 2),
                                              text(s, 3)));
    });
    return tally;
}

// Keys whose run_summary row disagrees with the metrics table (count, last step, min, max).
int64_t inconsistentSummaries(store::Store& store, int64_t runId) {
    const char* sql =
        "SELECT count(*) FROM run_summary s LEFT JOIN (SELECT key, count(*) AS n, max(step) AS last, min(value) AS lo, "
        "max(value) AS hi FROM metrics WHERE run_id = ?1 GROUP BY key) m ON m.key = s.key WHERE s.run_id = ?1 AND "
        "(m.n IS NULL OR s.count != m.n OR s.last_step != m.last OR s.min_value != m.lo OR s.max_value != m.hi)";
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(store.handle(), sql, -1, &statement, nullptr);
    sqlite3_bind_int64(statement, 1, runId);
    const int64_t bad = sqlite3_step(statement) == SQLITE_ROW ? sqlite3_column_int64(statement, 0) : -1;
    sqlite3_finalize(statement);
    return bad;
}

std::string withCommas(int64_t value) {
    std::string digits = std::to_string(value < 0 ? -value : value), out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return value < 0 ? "-" + out : out;
}

double fileMegabytes(const std::string& path) {
    std::error_code error;
    const auto size = std::filesystem::file_size(path, error);
    return error ? 0.0 : double(size) / 1e6;
}

int runParent(Options options) {
    std::string tempDir;
    if (options.db.empty()) {
        char pattern[] = "/tmp/bench-store-stress-XXXXXX";
        if (!mkdtemp(pattern)) {
            std::perror("bench_store_stress: mkdtemp");
            return 2;
        }
        tempDir = pattern;
        options.db = tempDir + "/stress.sqlite";
    }
    std::vector<WriterResult> writers(static_cast<size_t>(options.writers));
    {
        store::Store setup(options.db);
        for (int i = 0; i < options.writers; ++i) {
            store::NewRun run;
            run.name = "stress-" + std::to_string(i + 1);
            run.specJson = "{}";
            run.method = "sakd";
            run.student = "resnet8";
            writers[static_cast<size_t>(i)].runId = setup.insertRun(run);
        }
    }
    std::printf("bench_store_stress: %d writers x %.0f s at %.0f rows/s each (flush every %.2f s, checkpoint row every "
                "%.0f s), a reader polling every %d ms; store %s\n",
                options.writers, options.seconds, options.rate, options.flushSeconds, options.epochSeconds,
                options.pollMs, options.db.c_str());
    for (const std::string& pragma : options.pragmas)
        std::printf("  with PRAGMA %s on every connection\n", pragma.c_str());
    std::fflush(stdout);

    char self[4096] = {0};
    if (readlink("/proc/self/exe", self, sizeof self - 1) < 0) {
        std::perror("bench_store_stress: /proc/self/exe");
        return 2;
    }
    const Clock::time_point start = Clock::now();
    for (WriterResult& writer : writers) {
        std::vector<std::string> args = {self,
                                         "--writer",
                                         "--db",
                                         options.db,
                                         "--run",
                                         std::to_string(writer.runId),
                                         "--seconds",
                                         std::to_string(options.seconds),
                                         "--rate",
                                         std::to_string(options.rate),
                                         "--flush",
                                         std::to_string(options.flushSeconds),
                                         "--epoch-seconds",
                                         std::to_string(options.epochSeconds)};
        for (const std::string& pragma : options.pragmas) {
            args.push_back("--pragma");
            args.push_back(pragma);
        }
        std::vector<char*> argv;
        for (std::string& arg : args) argv.push_back(arg.data());
        argv.push_back(nullptr);
        int pipeFds[2];
        if (pipe(pipeFds) != 0) {
            std::perror("bench_store_stress: pipe");
            return 2;
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, pipeFds[1], STDOUT_FILENO);
        posix_spawn_file_actions_addclose(&actions, pipeFds[0]);
        const int rc = posix_spawn(&writer.pid, self, &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        close(pipeFds[1]);
        if (rc != 0) {
            std::fprintf(stderr, "bench_store_stress: cannot start a writer: %s\n", std::strerror(rc));
            return 2;
        }
        writer.outputFd = pipeFds[0];
        fcntl(writer.outputFd, F_SETFL, O_NONBLOCK);
    }

    // The window's poller.
    store::Store reader(options.db);
    applyPragmas(reader, options.pragmas);
    std::map<int64_t, std::map<std::string, int64_t>> lastStep;   // run -> key -> last step seen
    std::map<int64_t, int64_t> lastEvent;
    int64_t polledMetrics = 0, polledEvents = 0, readerLockErrors = 0, readerOtherErrors = 0;
    Waits polls;
    double largestWal = 0;
    auto poll = [&] {
        const Clock::time_point t = Clock::now();
        try {
            for (const store::RunRow& run : reader.runs(/*withSpec=*/false)) {
                for (const store::MetricSummary& summary : reader.summaries(run.id)) {
                    int64_t& seen = lastStep[run.id].emplace(summary.key, -1).first->second;
                    const std::vector<store::MetricPoint> points = reader.metrics(run.id, summary.key, seen);
                    polledMetrics += static_cast<int64_t>(points.size());
                    if (!points.empty()) seen = points.back().step;
                }
                reader.diagnosticPresence(run.id);
                const std::vector<store::EventRow> events = reader.events(run.id, lastEvent[run.id]);
                polledEvents += static_cast<int64_t>(events.size());
                if (!events.empty()) lastEvent[run.id] = events.back().id;
            }
        } catch (const store::StoreError& error) {
            (isLockError(error.what()) ? readerLockErrors : readerOtherErrors)++;
            if (readerLockErrors + readerOtherErrors <= 5) std::fprintf(stderr, "reader: %s\n", error.what());
        }
        polls.add(millisecondsSince(t));
        largestWal = std::max(largestWal, fileMegabytes(options.db + "-wal"));
    };
    size_t running = writers.size();
    const double deadline = options.seconds + 120;
    while (running > 0) {
        const Clock::time_point tick = Clock::now();
        poll();
        for (WriterResult& writer : writers) {
            if (writer.exitStatus >= 0) continue;
            char buffer[4096];
            ssize_t n;
            while ((n = read(writer.outputFd, buffer, sizeof buffer)) > 0) writer.output.append(buffer, size_t(n));
            int status = 0;
            if (waitpid(writer.pid, &status, WNOHANG) == writer.pid) {
                writer.exitStatus = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                while ((n = read(writer.outputFd, buffer, sizeof buffer)) > 0) writer.output.append(buffer, size_t(n));
                close(writer.outputFd);
                --running;
            }
        }
        if (secondsSince(start) > deadline) {
            std::fprintf(stderr, "bench_store_stress: the writers did not end within %.0f s; stopping them\n",
                         deadline);
            for (WriterResult& writer : writers)
                if (writer.exitStatus < 0) kill(writer.pid, SIGKILL);
        }
        std::this_thread::sleep_until(tick + std::chrono::milliseconds(options.pollMs));
    }
    const double wallSeconds = secondsSince(start);
    poll();   // the last rows, as the window's next poll would read them

    // ---- verification -------------------------------------------------------------------------------
    Tally written, readTotal;
    int64_t lostRows = 0, extraRows = 0, checksumMismatches = 0, badSummaries = 0, writerLockErrors = 0,
            writerOtherErrors = 0, unflushed = 0;
    double longestFlush = 0, longestCall = 0, longestCheckpoint = 0, longestHeartbeat = 0, flushP99 = 0, flushP50 = 0;
    double writerSeconds = 0;
    size_t flushCount = 0;
    bool writersOk = true;
    for (WriterResult& writer : writers) {
        parseResult(writer);
        if (writer.exitStatus != 0 || writer.values.empty()) {
            writersOk = false;
            std::fprintf(stderr, "writer of run %" PRId64 " ended with status %d; its output: %s\n", writer.runId,
                         writer.exitStatus, writer.output.c_str());
            continue;
        }
        const Tally back = readBack(reader, writer.runId);
        for (int t = 0; t < TableCount; ++t) {
            written.rows[t] += writer.written.rows[t];
            readTotal.rows[t] += back.rows[t];
            const int64_t difference = writer.written.rows[t] - back.rows[t];
            if (difference > 0) lostRows += difference;
            if (difference < 0) extraRows -= difference;
            if (back.sums[t] != writer.written.sums[t]) {
                ++checksumMismatches;
                std::fprintf(stderr, "run %" PRId64 ", %s: %" PRId64 " rows written, %" PRId64 " read back, checksums "
                             "differ\n", writer.runId, kTableNames[t], writer.written.rows[t], back.rows[t]);
            }
        }
        badSummaries += inconsistentSummaries(reader, writer.runId);
        writerLockErrors += static_cast<int64_t>(writer.number("lock_errors"));
        writerOtherErrors += static_cast<int64_t>(writer.number("other_errors"));
        unflushed += static_cast<int64_t>(writer.number("unflushed"));
        longestFlush = std::max(longestFlush, writer.number("flush_max_ms"));
        flushP50 = std::max(flushP50, writer.number("flush_p50_ms"));
        flushP99 = std::max(flushP99, writer.number("flush_p99_ms"));
        flushCount += static_cast<size_t>(writer.number("flushes"));
        longestCall = std::max(longestCall, writer.number("longest_call_ms"));
        longestCheckpoint = std::max(longestCheckpoint, writer.number("checkpoint_max_ms"));
        longestHeartbeat = std::max(longestHeartbeat, writer.number("heartbeat_max_ms"));
        writerSeconds = std::max(writerSeconds, writer.number("seconds"));
    }

    auto tableLine = [](const char* title, const Tally& tally) {
        std::printf("%-16s", title);
        for (int t = 0; t < TableCount; ++t) std::printf(" %s %s,", kTableNames[t], withCommas(tally.rows[t]).c_str());
        std::printf(" total %s\n", withCommas(tally.total()).c_str());
    };
    std::printf("\n");
    tableLine("rows written:", written);
    tableLine("rows read back:", readTotal);
    std::printf("lost rows:        %s (extra rows %s; per run and table, %s checksum mismatches)\n",
                withCommas(lostRows).c_str(), withCommas(extraRows).c_str(), withCommas(checksumMismatches).c_str());
    std::printf("polled live:      %s of %s metric rows, %s of %s events (the window's incremental reads)\n",
                withCommas(polledMetrics).c_str(), withCommas(written.rows[Metrics]).c_str(),
                withCommas(polledEvents).c_str(), withCommas(written.rows[Events]).c_str());
    std::printf("summaries:        %s keys disagree with the metrics table\n", withCommas(badSummaries).c_str());
    std::printf("lock errors:      %s in the writers, %s in the reader (\"database is locked\"/busy); other errors: "
                "%s writers, %s reader\n",
                withCommas(writerLockErrors).c_str(), withCommas(readerLockErrors).c_str(),
                withCommas(writerOtherErrors).c_str(), withCommas(readerOtherErrors).c_str());
    std::printf("longest waits:    write transaction %.1f ms (batch flushes: %zu, p50 %.1f ms, p99 %.1f ms; "
                "checkpoint row %.1f ms; heartbeat %.1f ms); reader poll %.1f ms (%zu polls, p50 %.1f ms, "
                "p99 %.1f ms)\n",
                longestCall, flushCount, flushP50, flushP99, longestCheckpoint, longestHeartbeat, polls.longest(),
                polls.ms.size(), polls.quantile(0.5), polls.quantile(0.99));
    const double wanted = options.rate * options.writers;
    std::printf("throughput:       %s rows/s written in all over %.1f s (%s rows/s per writer; asked for %s)\n",
                withCommas(static_cast<int64_t>(double(written.total()) / std::max(1e-9, writerSeconds))).c_str(),
                writerSeconds,
                withCommas(static_cast<int64_t>(double(written.total()) / std::max(1e-9, writerSeconds) /
                                                std::max(1, options.writers)))
                    .c_str(),
                withCommas(static_cast<int64_t>(wanted)).c_str());
    std::printf("files:            store %.1f MB, WAL %.1f MB at the end, %.1f MB at most while writing; wall %.1f s\n",
                fileMegabytes(options.db), fileMegabytes(options.db + "-wal"), largestWal, wallSeconds);

    const bool ok = writersOk && lostRows == 0 && extraRows == 0 && checksumMismatches == 0 && unflushed == 0 &&
                    writerLockErrors == 0 && readerLockErrors == 0 && writerOtherErrors == 0 && readerOtherErrors == 0;
    std::printf("result:           %s\n", ok ? "OK: 0 lost rows, 0 lock errors"
                                             : "FAILED: rows lost or changed, or store errors (see above)");
    if (!tempDir.empty() && !options.keep) {
        std::error_code error;
        std::filesystem::remove_all(tempDir, error);
    } else {
        std::printf("kept %s\n", options.db.c_str());
    }
    return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "bench_store_stress: %s needs a value\n", flag.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (flag == "--writer") options.writer = true;
        else if (flag == "--keep") options.keep = true;
        else if (flag == "--writers") options.writers = std::max(1, std::atoi(value().c_str()));
        else if (flag == "--seconds") options.seconds = std::atof(value().c_str());
        else if (flag == "--rate") options.rate = std::max(1.0, std::atof(value().c_str()));
        else if (flag == "--flush") options.flushSeconds = std::atof(value().c_str());
        else if (flag == "--poll-ms") options.pollMs = std::max(1, std::atoi(value().c_str()));
        else if (flag == "--epoch-seconds") options.epochSeconds = std::max(0.1, std::atof(value().c_str()));
        else if (flag == "--db") options.db = value();
        else if (flag == "--run") options.runId = std::atoll(value().c_str());
        else if (flag == "--pragma") options.pragmas.push_back(value());
        else {
            std::fprintf(stderr,
                         "bench_store_stress: unknown flag %s (flags: --writers, --seconds, --rate, --flush, "
                         "--poll-ms, --epoch-seconds, --db, --keep, --pragma NAME=VALUE)\n",
                         flag.c_str());
            return 2;
        }
    }
    try {
        return options.writer ? runWriter(options) : runParent(options);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bench_store_stress: %s\n", error.what());
        return 2;
    }
}
