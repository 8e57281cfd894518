#include "EngineCommands.h"

#include <torch/torch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <unistd.h>

#include "BarProgress.h"
#include "DataParallelLaunch.h"
#include "EngineTraining.h"
#include "JsonProgress.h"
#include "engine/Checkpoint.h"
#include "engine/Device.h"
#include "engine/ExportManifest.h"
#include "engine/PairDescriber.h"
#include "engine/StateDictExport.h"
#include "engine/Trainer.h"
#include "models/ModelRegistry.h"
#include "spec/Catalog.h"
#include "spec/DescribeProtocol.h"
#include "spec/RunQueue.h"
#include "spec/RunSpec.h"
#include "spec/StudyQueue.h"
#include "store/Results.h"
#include "store/ClusterJobs.h"
#include "store/RunLifecycle.h"
#include "store/Shards.h"
#include "store/Store.h"

using namespace distillery;

namespace {

std::unique_ptr<engine::ProgressSink> makeProgress(ProgressMode mode) {
    if (mode == ProgressMode::Auto) mode = isatty(fileno(stdout)) ? ProgressMode::Bar : ProgressMode::Json;
    if (mode == ProgressMode::Bar) return std::make_unique<BarProgress>(stdout);
    if (mode == ProgressMode::Json) return std::make_unique<JsonProgress>(stdout);
    return nullptr;
}

int exitCode(engine::Outcome outcome) { return outcome == engine::Outcome::Failed ? 1 : 0; }

std::optional<store::RunRow> existingRun(const store::Store& store, int64_t runId) {
    auto row = store.run(runId);
    if (!row)
        std::fprintf(stderr, "there is no run %lld in %s; open it with `distillery %s` to see its runs\n",
                     static_cast<long long>(runId), store.path().c_str(), store.path().c_str());
    return row;
}

std::optional<spec::RunSpec> specOfRun(const store::RunRow& row) {
    const auto parsed = spec::parseRunSpec(row.specJson);
    if (!parsed.ok()) {
        spdlog::error("run {} has an invalid spec in the store:\n{}", row.id, parsed.errorText());
        return std::nullopt;
    }
    return parsed.spec;
}

void printSummary(const store::Store& store, const std::vector<int64_t>& runIds) {
    std::printf("\n%-26s %-8s %-24s %-6s %8s %12s %10s %7s\n", "run", "status", "teacher -> student", "method",
                "best val", "test@bestval", "last test", "time");
    for (int64_t id : runIds) {
        const auto row = store.run(id);
        if (!row) continue;
        // The number a paper reports: the test accuracy at the epoch whose validation accuracy was best.
        const store::ValidationSelection result = store::selectByValidation(
            store.metrics(id, store::metric::kValAcc1), store.metrics(id, store::metric::kTestAcc1));
        const std::string pair = (row->teacher.empty() ? std::string("-") : row->teacher) + " -> " + row->student;
        char bestVal[16] = "-", testBest[16] = "-", lastTest[16] = "-", wall[16] = "-";
        if (result.bestVal) std::snprintf(bestVal, sizeof bestVal, "%.2f%%", *result.bestVal);
        if (result.testAtBestVal) std::snprintf(testBest, sizeof testBest, "%.2f%%", *result.testAtBestVal);
        if (result.lastTest) std::snprintf(lastTest, sizeof lastTest, "%.2f%%", *result.lastTest);
        if (row->startedAt && row->finishedAt)
            std::snprintf(wall, sizeof wall, "%.0f s", *row->finishedAt - *row->startedAt);
        std::printf("%-26s %-8s %-24s %-6s %8s %12s %10s %7s\n", row->name.c_str(), store::statusName(row->status).c_str(),
                    pair.c_str(), row->method.c_str(), bestVal, testBest, lastTest, wall);
        if (!row->error.empty() && row->status != store::RunStatus::Finished)
            std::printf("    %s\n", row->error.c_str());
    }
    std::printf("\nResults are in %s (open it with: distillery %s)\n", store.path().c_str(), store.path().c_str());
}

}  // namespace

std::string deviceLabel(const spec::RunSpec& spec) {
    try {
        return engine::resolveDevice(spec.device).str();
    } catch (const std::exception&) {
        return spec.device;
    }
}

std::string thisEngine() {
    std::error_code error;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
    return error ? std::string("distillery-engine") : self.string();
}

engine::Outcome trainClaimedRun(store::Store& store, int64_t runId, const spec::RunSpec& spec,
                                const EngineOptions& options, bool resume) {
    auto progress = makeProgress(options.progress);
    engine::TrainerOptions trainerOptions;
    trainerOptions.checkpointDir =
        options.checkpointDir.empty() ? std::string() : options.checkpointDir + "/run-" + std::to_string(runId);
    trainerOptions.progress = progress.get();
    trainerOptions.resume = resume;
    trainerOptions.threads = options.threads;
    trainerOptions.owner = engine::EngineOwner{getpid(), store::hostName()};
    if (spec.distributed.worldSize > 1) return trainDataParallel(store, runId, spec, trainerOptions, options.placedRendezvousFile);
    engine::Trainer trainer(store, runId, spec, trainerOptions);
    return trainer.run();
}

namespace {

// A study's runs in the plan's order (teachers first). A run an earlier invocation finished (or
// pruned) is kept; one it left killed or failed, or running under an engine that died, continues
// from its checkpoint; a queued one trains; one another live engine trains is left to it.
bool trainStudy(store::Store& store, const spec::StudyPlan& plan, const EngineOptions& options) {
    const spec::QueuedStudy queued = spec::queueStudy(store, plan);
    if (queued.reused > 0)
        spdlog::info("study \"{}\" is already in {}: continuing it ({} of its {} runs were queued before)", plan.name,
                     options.db, queued.reused, queued.runIds.size());
    else
        spdlog::info("queued study \"{}\": {} runs in {}", plan.name, queued.runIds.size(), options.db);
    bool failed = false;
    for (size_t i = 0; i < queued.runIds.size(); ++i) {
        if (engine::Trainer::stopRequested()) break;   // cancelled: the rest stay queued for later
        const int64_t id = queued.runIds[i];
        const auto row = store.run(id);
        if (!row) continue;
        const spec::RunSpec& spec = plan.runs[i].spec;
        switch (row->status) {
        case store::RunStatus::Finished:
        case store::RunStatus::Pruned: continue;
        case store::RunStatus::Queued:
            if (!store.claimRun(id, getpid(), store::hostName(), deviceLabel(spec))) {
                spdlog::warn("run {} was claimed by another engine; skipping it here", id);
                continue;
            }
            failed |= trainClaimedRun(store, id, spec, options, false) == engine::Outcome::Failed;
            break;
        case store::RunStatus::Running:
        case store::RunStatus::Killed:
        case store::RunStatus::Failed: {
            const store::Claim claim = store.reclaimRun(id, getpid(), store::hostName(), deviceLabel(spec));
            if (!claim) {
                spdlog::warn("run {} (\"{}\"): {}", id, row->name, claim.refusal);
                continue;
            }
            spdlog::info("run {} (\"{}\") was {}: continuing it from its last checkpoint", id, row->name,
                         store::statusName(row->status));
            failed |= trainClaimedRun(store, id, spec, options, true) == engine::Outcome::Failed;
            break;
        }
        }
    }
    printSummary(store, queued.runIds);
    return !failed;
}

}  // namespace

namespace {
// `run --nproc N`: every run of the file trains with N processes, checked as if the spec said so.
std::string withProcesses(spec::RunSpec& run, int64_t processes) {
    nlohmann::json json = spec::toJson(run);
    json["distributed"]["world_size"] = processes;
    const auto parsed = spec::parseRunSpec(json);
    if (!parsed.ok()) return "run \"" + run.name + "\" with --nproc " + std::to_string(processes) + ":\n" + parsed.errorText();
    run = *parsed.spec;
    return {};
}
}  // namespace

int runExperimentFile(const std::string& specPath, const EngineOptions& options) {
    auto experiment = spec::parseExperimentFile(specPath);
    if (!experiment.ok()) {
        std::fprintf(stderr, "%s is not a valid spec:\n%s", specPath.c_str(), experiment.errorText().c_str());
        return 1;
    }
    if (options.processes > 0) {
        std::string errors;
        for (auto& run : experiment.runs) errors += withProcesses(run, options.processes);
        if (experiment.study)   // the same runs as above: their errors are said once
            for (auto& run : experiment.study->runs) withProcesses(run.spec, options.processes);
        if (!errors.empty()) {
            std::fprintf(stderr, "%s", errors.c_str());
            return 1;
        }
    }
    store::Store store(options.db);
    if (experiment.study) return trainStudy(store, *experiment.study, options) ? 0 : 1;
    std::vector<int64_t> ids;
    for (const auto& run : experiment.runs) ids.push_back(spec::queueRun(store, run));
    spdlog::info("queued {} run(s) of \"{}\" in {}", ids.size(), experiment.name, options.db);
    bool failed = false;
    for (size_t i = 0; i < ids.size(); ++i) {
        if (engine::Trainer::stopRequested()) break;   // cancelled: leave the rest queued for later
        if (!store.claimRun(ids[i], getpid(), store::hostName(), deviceLabel(experiment.runs[i]))) {
            spdlog::warn("run {} was claimed by another engine; skipping it here", ids[i]);
            continue;
        }
        failed |= trainClaimedRun(store, ids[i], experiment.runs[i], options, false) == engine::Outcome::Failed;
    }
    printSummary(store, ids);
    return failed ? 1 : 0;
}

int planExperiment(const std::string& specPath) {
    const auto experiment = spec::parseExperimentFile(specPath);
    if (!experiment.ok()) {
        std::fprintf(stderr, "%s is not valid:\n%s", specPath.c_str(), experiment.errorText().c_str());
        return 1;
    }
    if (experiment.study) {
        std::fputs(spec::formatPlan(*experiment.study).c_str(), stdout);
        return 0;
    }
    std::printf("%s is not a study: it lists %zu run(s) and varies nothing\n", specPath.c_str(), experiment.runs.size());
    for (const auto& run : experiment.runs) std::printf("  %s\n", run.name.c_str());
    return 0;
}

int annotate(const Annotation& annotation, const std::string& db) {
    store::Store store(db);
    std::optional<int64_t> studyId;
    if (!annotation.study.empty()) {
        const auto study = store.studyNamed(annotation.study);
        if (!study) {
            std::fprintf(stderr, "there is no study \"%s\" in %s\n", annotation.study.c_str(), db.c_str());
            return 1;
        }
        studyId = study->id;
    } else if (!existingRun(store, annotation.runId)) {
        return 1;
    }
    try {
        if (studyId) {
            store.addStudyTags(*studyId, annotation.addTags);
            store.removeStudyTags(*studyId, annotation.removeTags);
            if (annotation.note) store.setStudyNote(*studyId, *annotation.note);
            const auto study = store.study(*studyId);
            std::printf("study \"%s\": tags [%s]%s%s\n", study->name.c_str(), spec::joinNames(study->tags).c_str(),
                        study->note.empty() ? "" : "; note: ", study->note.c_str());
        } else {
            store.addRunTags(annotation.runId, annotation.addTags);
            store.removeRunTags(annotation.runId, annotation.removeTags);
            if (annotation.note) store.setRunNote(annotation.runId, *annotation.note);
            const auto run = store.run(annotation.runId);
            std::printf("run %lld (\"%s\"): tags [%s]%s%s\n", static_cast<long long>(run->id), run->name.c_str(),
                        spec::joinNames(run->tags).c_str(), run->note.empty() ? "" : "; note: ", run->note.c_str());
        }
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "%s; nothing was changed\n", e.what());
        return 1;
    }
    return 0;
}

namespace {
// The shards an argument names: the file itself, or every shard.sqlite under a folder, in path order.
// "" and an error when a folder cannot be listed or holds none.
std::vector<std::string> shardFiles(const std::string& argument, std::string& error) {
    namespace fs = std::filesystem;
    std::error_code code;
    if (!fs::is_directory(argument, code)) return {argument};   // a missing file fails in the merge, by name
    std::vector<std::string> shards;
    for (fs::recursive_directory_iterator it(argument, fs::directory_options::skip_permission_denied, code), end;
         !code && it != end; it.increment(code))
        if (std::error_code ignored; it->path().filename() == "shard.sqlite" && it->is_regular_file(ignored))
            shards.push_back(it->path().string());
    std::sort(shards.begin(), shards.end());
    if (code) error = "cannot list the folder " + argument + ": " + code.message();
    else if (shards.empty()) error = "there is no file named shard.sqlite under the folder " + argument;
    return shards;
}
}  // namespace

int mergeShards(const std::string& db, const std::vector<std::string>& arguments) {
    store::Store store(db);
    int merged = 0, failed = 0;
    int64_t inserted = 0, updated = 0, skipped = 0, rows = 0;
    auto fail = [&](const std::string& what) {
        std::fflush(stdout);   // in order when both streams go to one file
        std::fprintf(stderr, "error: %s\n", what.c_str());
        ++failed;
    };
    for (const auto& argument : arguments) {
        std::string error;
        const auto shards = shardFiles(argument, error);
        if (!error.empty()) fail(error);
        for (const auto& shard : shards) {
            try {
                // A submission's shard (ROOT/runs/UUID/shard.sqlite) of a run this store has taken back
                // (retried here after it failed on the cluster) is left out: its rows would undo the retry.
                const std::filesystem::path runDir = std::filesystem::path(shard).parent_path();
                const std::string uuid = runDir.filename().string();
                const bool submission = runDir.parent_path().filename() == "runs";
                const std::optional<int64_t> known = submission ? store::runIdWithUuid(store, uuid) : std::nullopt;
                if (known && !store::clusterJob(store, *known)) {
                    std::printf("%s: left out: run %lld of %s trains here now (it was retried or resumed here)\n",
                                shard.c_str(), static_cast<long long>(*known), db.c_str());
                    continue;
                }
                const store::MergeResult result = store::mergeShard(store, shard);
                // A run new to this store (merged into another store than the one it was submitted
                // from) is recorded as the submission's, so the desktop queue leaves it alone too.
                if (submission && !known) {
                    if (const auto id = store::runIdWithUuid(store, uuid)) {
                        store::recordClusterJob(store, *id, runDir.parent_path().parent_path().string());
                        std::ifstream taskFile(runDir / "slurm-job");
                        std::string task;
                        if (std::getline(taskFile, task)) store::setClusterJobTask(store, *id, task);
                    }
                }
                std::printf("%s: %lld inserted, %lld updated, %zu skipped, %lld rows\n", shard.c_str(),
                            static_cast<long long>(result.inserted), static_cast<long long>(result.updated),
                            result.skipped.size(), static_cast<long long>(result.totalRows()));
                for (const auto& uuid : result.skipped)
                    std::printf("  skipped run %s: %s holds a newer copy of it (this shard is an old copy)\n",
                                uuid.c_str(), db.c_str());
                ++merged;
                inserted += result.inserted;
                updated += result.updated;
                skipped += static_cast<int64_t>(result.skipped.size());
                rows += result.totalRows();
            } catch (const store::StoreError& e) {
                fail(e.what());
            }
        }
    }
    const std::string failures = failed ? "; " + std::to_string(failed) + " failed" : "";
    std::printf("total: %d shard(s) merged into %s: %lld inserted, %lld updated, %lld skipped, %lld rows%s\n", merged,
                db.c_str(), static_cast<long long>(inserted), static_cast<long long>(updated),
                static_cast<long long>(skipped), static_cast<long long>(rows), failures.c_str());
    return failed ? 1 : 0;
}

int runQueuedRun(int64_t runId, const EngineOptions& options) {
    store::Store store(options.db);
    const auto row = existingRun(store, runId);
    if (!row) return 1;
    if (const auto job = store::clusterJob(store, runId)) {
        std::fprintf(stderr,
                     "run %lld was submitted to Slurm (%s, folder %s): it trains there. Follow it with `distillery-engine "
                     "merge --db %s %s`; to train it here instead, cancel its job (`scancel %s`), merge, then `distillery-engine "
                     "retry --db %s --run %lld`\n",
                     static_cast<long long>(runId), job->slurmTask.empty() ? "not in sbatch yet" : ("job " + job->slurmTask).c_str(),
                     job->runDir().c_str(), options.db.c_str(), job->sharedRoot.c_str(),
                     job->slurmTask.empty() ? "<its job>" : job->slurmTask.c_str(), options.db.c_str(),
                     static_cast<long long>(runId));
        return 1;
    }
    const auto spec = specOfRun(*row);
    if (!spec) {
        if (store.claimRun(runId, getpid(), store::hostName(), ""))
            store.finishRun(runId, store::RunStatus::Failed, "the run's spec is invalid; queue a corrected spec");
        return 1;
    }
    if (!store.claimRun(runId, getpid(), store::hostName(), deviceLabel(*spec))) {
        // Read again: another engine may have claimed it since the row above was read.
        const auto now = store.run(runId).value_or(*row);
        const std::string by = now.status == store::RunStatus::Running
                                   ? " (claimed by the engine pid " + std::to_string(now.pid.value_or(0)) + " on " +
                                         now.host + ")"
                                   : std::string();
        std::fprintf(stderr,
                     "run %lld is %s%s, not queued: only queued runs can be started; continue a killed or failed run "
                     "with `distillery-engine resume --db %s --run %lld`, or start it again from the beginning with "
                     "`distillery-engine retry --db %s --run %lld`\n",
                     static_cast<long long>(runId), store::statusName(now.status).c_str(), by.c_str(),
                     options.db.c_str(), static_cast<long long>(runId), options.db.c_str(),
                     static_cast<long long>(runId));
        return 1;
    }
    return exitCode(trainClaimedRun(store, runId, *spec, options, false));
}

namespace {
// resume and retry: take the run over (refused while its engine is alive), then train it.
int reclaimAndTrain(int64_t runId, const EngineOptions& options, bool resume) {
    store::Store store(options.db);
    const auto row = existingRun(store, runId);
    if (!row) return 1;
    const auto spec = specOfRun(*row);
    if (!spec) return 1;
    // A finished or queued run is refused by the lifecycle rules the GUI's queue shares
    // (store/RunLifecycle.h) without taking the write lock; reclaimRun checks again under it.
    store::Claim claim;
    if (const auto refusal = store::reclaimRefusal(*row, store.path())) claim.refusal = *refusal;
    else claim = store.reclaimRun(runId, getpid(), store::hostName(), deviceLabel(*spec));
    if (!claim) {
        std::fprintf(stderr, "%s: %s\n", resume ? "resume" : "retry", claim.refusal.c_str());
        return 1;
    }
    if (!claim.previousEngine.empty())
        spdlog::warn("run {}: its engine ({}) is gone; this engine takes the run over", runId, claim.previousEngine);
    if (const auto job = store::clusterJob(store, runId)) {
        store::forgetClusterJob(store, runId);
        spdlog::warn("run {} was submitted to Slurm ({}): it trains here now, and merges leave its shard {} out",
                     runId, job->slurmTask.empty() ? "no job" : "job " + job->slurmTask, job->shardPath());
    }
    return exitCode(trainClaimedRun(store, runId, *spec, options, resume));
}
}  // namespace

int resumeRun(int64_t runId, const EngineOptions& options) { return reclaimAndTrain(runId, options, true); }

int retryRun(int64_t runId, const EngineOptions& options) { return reclaimAndTrain(runId, options, false); }

int exportStateDict(int64_t runId, const std::string& db, const std::string& out, bool last) {
    store::Store store(db, /*readOnly=*/true);
    const auto row = existingRun(store, runId);
    if (!row) return 1;
    const auto spec = specOfRun(*row);
    if (!spec) return 1;
    const spec::RunCheckpoints checkpoints = spec::runCheckpoints(store, runId);
    const std::string from = last ? checkpoints.last : checkpoints.preferred();
    if (from.empty()) {
        std::fprintf(stderr, "run %lld has no checkpoint yet: it has not finished an epoch\n", static_cast<long long>(runId));
        return 1;
    }
    const spec::DataShape shape = spec::dataShape(spec->data);
    auto student = models::createModel(spec->studentModel, shape.channels, shape.numClasses);
    engine::loadModuleWeights(*student, from, "export of run " + std::to_string(runId));
    const std::string kind = from == checkpoints.best ? "best" : "last";
    // The description first: a data set that cannot be read (for its statistics) leaves no half export.
    const engine::ExportManifest manifest = engine::describeExport(store, *row, *spec, *student, out, kind);
    const std::string manifestFile = engine::manifestPath(out);
    engine::exportStateDict(*student, out);
    engine::writeManifest(manifest, manifestFile);
    std::printf("wrote %s: the %s weights of run %lld (\"%s\", %s checkpoint) as a PyTorch state_dict,\n"
                "and %s: its model, input shape, normalisation, class names, run and metrics.\n"
                "Rebuild the model and its transform in Python:\n\n%s",
                out.c_str(), spec->studentModel.c_str(), static_cast<long long>(runId), row->name.c_str(), kind.c_str(),
                manifestFile.c_str(), manifest.python.c_str());
    return 0;
}

int validateSpec(const std::string& specPath) {
    const auto experiment = spec::parseExperimentFile(specPath);
    if (!experiment.ok()) {
        std::fprintf(stderr, "%s is not valid:\n%s", specPath.c_str(), experiment.errorText().c_str());
        return 1;
    }
    std::printf("%s is valid: %zu run(s)\n", specPath.c_str(), experiment.runs.size());
    for (const auto& run : experiment.runs)
        std::printf("  %-24s %-6s %s%s on %s, %lld epochs\n", run.name.c_str(), run.method.name.c_str(),
                    run.teacher.present() ? (run.teacher.model.empty() ? run.teacher.runName + " -> " : run.teacher.model + " -> ").c_str() : "",
                    run.studentModel.c_str(), run.data.name.c_str(), static_cast<long long>(run.epochs));
    return 0;
}

int listModels(int64_t channels, int64_t size, int64_t classes) {
    torch::NoGradGuard noGrad;
    std::printf("models for %lldx%lldx%lld input, %lld classes\n\n", static_cast<long long>(channels),
                static_cast<long long>(size), static_cast<long long>(size), static_cast<long long>(classes));
    for (const auto& info : models::modelInfos()) {
        auto net = models::createModel(info.name, channels, classes);
        const auto described =
            engine::describeNet(info.name, *net, engine::parameterCount(*net), {channels, size, size, classes});
        std::string stages;
        for (const auto& s : described.stages)
            stages += (stages.empty() ? "" : "  ") + std::to_string(s.channels) + "x" + std::to_string(s.height) + "x" +
                      std::to_string(s.width);
        std::printf("%-13s %10lld params  stages: %s\n              %s\n", info.name.c_str(),
                    static_cast<long long>(described.params), stages.c_str(), info.description.c_str());
    }
    return 0;
}

int listMethods() {
    for (const auto& method : spec::methodCatalog()) {
        std::printf("%s%s\n    %s\n", method.name.c_str(), method.needsTeacher ? "  (needs a teacher)" : "",
                    method.summary.c_str());
        for (const auto& p : method.params) {
            switch (p.kind) {
            case spec::ParamKind::Number:
                std::printf("    %-8s default %-8g range [%g, %g]  %s\n", p.name.c_str(), p.defaultValue, p.min,
                            p.max, p.help.c_str());
                break;
            case spec::ParamKind::Choice:
                std::printf("    %-8s default %-8s one of %s  %s\n", p.name.c_str(), p.defaultNames.front().c_str(),
                            spec::joinNames(p.choices).c_str(), p.help.c_str());
                break;
            case spec::ParamKind::Names:
                std::printf("    %-8s default [%s], each of %s  %s\n", p.name.c_str(),
                            spec::joinNames(p.defaultNames).c_str(), spec::joinNames(p.choices).c_str(), p.help.c_str());
                break;
            case spec::ParamKind::Numbers:
                std::printf("    %-8s list of numbers in [%g, %g]  %s\n", p.name.c_str(), p.min, p.max, p.help.c_str());
                break;
            }
        }
    }
    return 0;
}

int describePair(const std::string& specPath, const std::string& db) {
    std::string text;
    if (specPath == "-") {
        text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
        std::ifstream in(specPath);
        if (!in) {
            std::fprintf(stderr, "describe: cannot read the spec file \"%s\"; give a readable JSON file or - for stdin\n",
                         specPath.c_str());
            return 1;
        }
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    if (!db.empty() && !std::filesystem::exists(db)) {
        std::fprintf(stderr, "describe: the store \"%s\" does not exist\n", db.c_str());
        return 1;
    }
    std::printf("%s\n", spec::toJson(engine::describePair(text, db)).dump().c_str());
    return 0;
}
