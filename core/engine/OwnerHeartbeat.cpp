#include "engine/OwnerHeartbeat.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "store/Store.h"

namespace distillery::engine {

OwnerHeartbeat::OwnerHeartbeat(std::string storePath, int64_t runId, std::optional<EngineOwner> owner,
                               double intervalSeconds)
    : storePath_(std::move(storePath)), runId_(runId), owner_(std::move(owner)), interval_(intervalSeconds) {
    thread_ = std::thread([this] { loop(); });
}

OwnerHeartbeat::~OwnerHeartbeat() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void OwnerHeartbeat::loop() {
    std::optional<store::Store> store;
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
        lock.unlock();
        try {
            if (!store) store.emplace(storePath_);
            const bool ours = owner_ ? store->heartbeat(runId_, progress_.load(), owner_->pid, owner_->host)
                                     : (store->heartbeat(runId_, progress_.load()), true);
            if (!ours && !lost_.exchange(true))
                spdlog::error("run {} is no longer this engine's (pid {} on {}): another engine took it over or it "
                              "was marked failed; stopping without writing more",
                              runId_, owner_->pid, owner_->host);
        } catch (const std::exception& e) {
            // A busy or full store: the next beat tries again; the training loop reports lasting failures.
            spdlog::debug("heartbeat of run {} not written: {}", runId_, e.what());
        }
        lock.lock();
        wake_.wait_for(lock, std::chrono::duration<double>(interval_), [this] { return stopping_; });
    }
}

}  // namespace distillery::engine
