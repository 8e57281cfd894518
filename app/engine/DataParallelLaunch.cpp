#include "DataParallelLaunch.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ClusterCommands.h"
#include "EngineTraining.h"
#include "engine/DataParallel.h"
#include "engine/Device.h"
#include "store/Results.h"

extern char** environ;

using namespace distillery;
namespace fs = std::filesystem;

namespace {

// The run's device for the process group (NCCL needs it); the CPU when the spec's cannot be had here
// (the trainer then fails the run saying why).
c10::Device deviceOf(const spec::RunSpec& spec) {
    try {
        return engine::resolveDevice(spec.device);
    } catch (const std::exception&) {
        return c10::Device(c10::kCPU);
    }
}


// The worker processes of one run: started together, ended together.
class Workers {
public:
    ~Workers() { stop(std::chrono::seconds(0)); }

    void start(const std::vector<std::string>& argv) {
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        pid_t pid = 0;
        const int error = posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ);
        if (error != 0) throw std::runtime_error("cannot start the worker " + argv[0] + ": " + std::strerror(error));
        pids_.push_back(pid);
    }

    // Waits up to `grace` for every worker to end, then kills the rest. Returns what became of each
    // worker that did not end normally: "process 1 (pid 4242) was killed by signal 9".
    std::string stop(std::chrono::milliseconds grace) {
        const auto deadline = std::chrono::steady_clock::now() + grace;
        std::string said;
        for (size_t i = 0; i < pids_.size(); ++i) {
            if (pids_[i] <= 0) continue;
            int status = 0;
            pid_t ended = 0;
            while ((ended = waitpid(pids_[i], &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline)
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            if (ended == 0) {   // still running: its run is over
                kill(pids_[i], SIGKILL);
                waitpid(pids_[i], &status, 0);
                continue;
            }
            const std::string who = "process " + std::to_string(i + 1) + " (pid " + std::to_string(pids_[i]) + ")";
            if (WIFSIGNALED(status)) said += (said.empty() ? "" : "; ") + who + " was killed by signal " + std::to_string(WTERMSIG(status));
            else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 3)
                said += (said.empty() ? "" : "; ") + who + " failed (exit code " + std::to_string(WEXITSTATUS(status)) + ")";
            pids_[i] = 0;
        }
        return said;
    }
    // What became of workers that have already ended, without waiting for the others.
    std::string endedSoFar() { return stop(std::chrono::milliseconds(200)); }

private:
    std::vector<pid_t> pids_;
};

}  // namespace

engine::Outcome trainDataParallel(store::Store& store, int64_t runId, const spec::RunSpec& spec,
                                  engine::TrainerOptions trainerOptions, const std::string& placedRendezvousFile) {
    const int world = int(spec.distributed.worldSize);
    const std::string checkpointDir = trainerOptions.checkpointDir.empty()
                                          ? engine::Trainer::defaultCheckpointDir(store.path(), runId)
                                          : trainerOptions.checkpointDir;
    trainerOptions.checkpointDir = checkpointDir;
    fs::create_directories(checkpointDir);
    // A FileStore of this attempt's own (a file left by an earlier attempt would hold its keys).
    const bool placed = !placedRendezvousFile.empty();
    const std::string rendezvous =
        placed ? placedRendezvousFile : checkpointDir + "/rendezvous-" + std::to_string(getpid());
    if (!placed) fs::remove(rendezvous);
    // Each process takes its share of the cores the run may use.
    const int64_t cores = spec.threads > 0 ? spec.threads * world
                                           : (trainerOptions.threads > 0 ? trainerOptions.threads
                                                                         : int64_t(std::thread::hardware_concurrency()));
    const int64_t threadsEach = std::max<int64_t>(1, cores / world);
    if (!placed) trainerOptions.threads = threadsEach;

    Workers workers;
    engine::ProcessPlace place{0, world, "file:" + rendezvous};
    try {
        for (int rank = 1; rank < world && !placed; ++rank) {
            std::vector<std::string> argv = {thisEngine(), "worker", "--db", store.path(), "--run", std::to_string(runId),
                                             "--rank", std::to_string(rank), "--world", std::to_string(world),
                                             "--rendezvous", place.rendezvous, "--checkpoint-dir",
                                             checkpointDir + "/rank-" + std::to_string(rank), "--threads",
                                             std::to_string(threadsEach)};
            if (trainerOptions.resume) argv.push_back("--resume");
            workers.start(argv);
        }
    } catch (const std::exception& e) {
        store.finishRun(runId, store::RunStatus::Failed, e.what());
        return engine::Outcome::Failed;
    }
    engine::Outcome outcome = engine::Outcome::Failed;
    std::string error;
    try {
        engine::DataParallel parallel(place, spec.distributed, deviceOf(spec));
        trainerOptions.parallel = &parallel;
        engine::Trainer trainer(store, runId, spec, trainerOptions);
        outcome = trainer.run();
        error = trainer.error();
    } catch (const std::exception& e) {
        error = e.what();
        store.finishRun(runId, store::RunStatus::Failed, error);
    }
    fs::remove(rendezvous);
    if (outcome == engine::Outcome::Failed) {
        // Say which process ended first, when one did; the others are stopped.
        const std::string workersSaid = workers.endedSoFar();
        if (!workersSaid.empty()) {
            spdlog::error("{}", workersSaid);
            if (const auto row = store.run(runId); row && row->status == store::RunStatus::Failed)
                store.finishRun(runId, store::RunStatus::Failed, row->error + " (" + workersSaid + ")");
        }
        return outcome;
    }
    workers.stop(std::chrono::seconds(60));
    return outcome;
}

int runWorker(const WorkerOptions& options) {
    try {
        engine::setLocalProcessIndex(options.localIndex);
        const store::Store main(options.db, /*readOnly=*/true);
        const auto row = main.run(options.runId);
        if (!row) throw std::runtime_error("there is no run " + std::to_string(options.runId) + " in " + options.db);
        const auto parsed = spec::parseRunSpec(row->specJson);
        if (!parsed.ok()) throw std::runtime_error("run " + row->name + " has an invalid spec: " + parsed.errorText());
        fs::create_directories(options.checkpointDir);
        // This process's rows go to a scratch store of its own, new for each attempt.
        const std::string scratchPath = options.checkpointDir + "/scratch.sqlite";
        for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(scratchPath + suffix);
        store::Store scratch(scratchPath);
        store::NewRun copy;
        copy.name = row->name;
        copy.specJson = row->specJson;
        const int64_t scratchRun = scratch.insertRun(copy);
        scratch.claimRun(scratchRun, getpid(), store::hostName(), "");

        engine::ProcessPlace place{options.rank, options.worldSize, options.rendezvous};
        engine::DataParallel parallel(place, parsed.spec->distributed, deviceOf(*parsed.spec));
        engine::TrainerOptions trainerOptions;
        trainerOptions.checkpointDir = options.checkpointDir;
        trainerOptions.resume = options.resume;
        trainerOptions.threads = options.threads;
        trainerOptions.parallel = &parallel;
        trainerOptions.teacherStore = &main;
        engine::Trainer trainer(scratch, scratchRun, *parsed.spec, trainerOptions);
        switch (trainer.run()) {
            case engine::Outcome::Finished:
            case engine::Outcome::Pruned: return 0;
            case engine::Outcome::Killed: return kExitStopped;
            case engine::Outcome::Failed: return 1;
        }
    } catch (const std::exception& e) {
        spdlog::error("worker {} of run {}: {}", options.rank, options.runId, e.what());
    }
    return 1;
}
