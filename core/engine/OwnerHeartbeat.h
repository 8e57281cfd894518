#pragma once
// Keeps the heartbeat of the run an engine trains fresh from a thread of its own, with its own store
// connection, so that a fresh heartbeat means "this engine is alive" even while the training loop
// evaluates, loads data or writes a large checkpoint. With an owner (pid, host) it also notices when
// the run stops being this engine's (another engine took it over after deciding this one was dead,
// or the run was marked failed): the loop then stops without writing anything more.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace distillery::engine {

struct EngineOwner {
    int64_t pid = 0;
    std::string host;
};

class OwnerHeartbeat {
public:
    static constexpr double kIntervalSeconds = 2.0;

    OwnerHeartbeat(std::string storePath, int64_t runId, std::optional<EngineOwner> owner,
                   double intervalSeconds = kIntervalSeconds);
    ~OwnerHeartbeat();   // stops the thread
    OwnerHeartbeat(const OwnerHeartbeat&) = delete;
    OwnerHeartbeat& operator=(const OwnerHeartbeat&) = delete;

    void setProgress(double fraction) { progress_.store(fraction); }
    // True once the store says the run is no longer this engine's.
    bool lost() const { return lost_.load(); }

private:
    void loop();
    std::string storePath_;
    int64_t runId_;
    std::optional<EngineOwner> owner_;
    double interval_;
    std::atomic<double> progress_{0};
    std::atomic<bool> lost_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace distillery::engine
