// distillery-engine: trains runs of a Distillery results store, headless.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <unistd.h>

#include "BuildInfo.h"
#include "ClusterCommands.h"
#include "DataParallelLaunch.h"
#include "EngineCommands.h"
#include "engine/CrashPoints.h"
#include "engine/Trainer.h"
#include "store/Store.h"

namespace {

void onStopSignal(int signal) {
    distillery::engine::Trainer::requestStop();
    // A second Ctrl+C ends the process at once. SIGTERM stays an orderly stop however often it comes:
    // Slurm signals a job's every process and its batch script forwards the signal once more.
    if (signal == SIGINT) std::signal(signal, SIG_DFL);
}

void addProgressOption(CLI::App* command, EngineOptions& options) {
    command->add_option("--progress", options.progress,
                        "auto: a bar on a terminal, JSON lines otherwise; bar; json (one line a second, for the GUI); none")
        ->transform(CLI::CheckedTransformer(std::map<std::string, ProgressMode>{{"auto", ProgressMode::Auto},
                                                                                {"bar", ProgressMode::Bar},
                                                                                {"json", ProgressMode::Json},
                                                                                {"none", ProgressMode::None}},
                                            CLI::ignore_case));
    command->add_option("--checkpoint-dir", options.checkpointDir,
                        "where run checkpoints go (default: beside the store, in <store>.checkpoints/)");
    command->add_option("--threads", options.threads,
                        "intra-op threads for runs whose spec leaves \"threads\" at 0 (all cores); the desktop app's "
                        "queue gives each of its concurrent runs its share this way. A spec's own threads win")
        ->check(CLI::Range(int64_t(1), int64_t(1024)));
}

}  // namespace

int main(int argc, char** argv) {
    // Logs go to stderr so that stdout carries only progress (a bar, or JSON lines for the GUI).
    auto logger = spdlog::stderr_color_mt("engine");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern(isatty(fileno(stderr)) ? "\r\033[K[%H:%M:%S] [%^%l%$] %v" : "[%H:%M:%S] [%l] %v");

    CLI::App app{"distillery-engine: trains knowledge-distillation runs into a Distillery results store (SQLite).\n"
                 "The desktop app starts it for queued runs; on a server, run it directly."};
    app.set_version_flag("--version", distillery::versionLine("distillery-engine"));
    app.require_subcommand(1);
    EngineOptions options;

    std::string specPath;
    int64_t runId = 0;
    auto* run = app.add_subcommand("run", "train the runs of a spec file, or one queued run of the store");
    auto* specOption = run->add_option("--spec", specPath, "a run spec or an experiment ({\"runs\": [...]}) as JSON")
                           ->check(CLI::ExistingFile);
    auto* runOption = run->add_option("--run", runId, "the id of a queued run in --db");
    specOption->excludes(runOption);
    run->add_option("--db", options.db, "the results store (created when missing)")->capture_default_str();
    run->add_option("--nproc", options.processes,
                    "train each run of the spec file with N processes on this machine (data parallel, torch's c10d): "
                    "the spec's distributed.world_size, each process taking its share of every batch and of the cores")
        ->check(CLI::Range(int64_t(1), int64_t(1024)));
    addProgressOption(run, options);

    auto* resume = app.add_subcommand(
        "resume", "continue a killed or failed run (or one whose engine died) from its newest checkpoint that verifies; "
                  "a run without one starts again from the beginning");
    resume->add_option("--run", runId, "the run's id")->required();
    resume->add_option("--db", options.db, "the results store")->required()->check(CLI::ExistingFile);
    addProgressOption(resume, options);

    auto* retry = app.add_subcommand(
        "retry", "train a killed or failed run (or one whose engine died) again from the beginning; its earlier "
                 "metrics, diagnostics and checkpoints are removed");
    retry->add_option("--run", runId, "the run's id")->required();
    retry->add_option("--db", options.db, "the results store")->required()->check(CLI::ExistingFile);
    addProgressOption(retry, options);

    auto* validate = app.add_subcommand("validate", "check a spec file and print every error with its field");
    validate->add_option("spec", specPath, "the spec or experiment file")->required();

    int64_t channels = 3, size = 32, classes = 100;
    auto* models = app.add_subcommand("models", "list the model zoo with stage shapes and parameter counts");
    models->add_option("--channels", channels, "input channels")->capture_default_str();
    models->add_option("--size", size, "input height and width")->capture_default_str()->check(CLI::Range(28, 4096));
    models->add_option("--classes", classes, "number of classes")->capture_default_str();

    auto* methods = app.add_subcommand("methods", "list the distillation methods with their parameters");

    std::string describeDb;
    auto* describe = app.add_subcommand(
        "describe", "print a spec's teacher and student stage shapes, the spots its method distils and its errors, "
                    "as one JSON object (the designer's pair view)");
    describe->add_option("--spec", specPath, "one run spec as JSON; - reads standard input")->required();
    describe->add_option("--db", describeDb, "the store whose finished runs a teacher run_id or run_name refers to");

    auto* plan = app.add_subcommand("plan", "print what a study file expands to (run count, varied fields) without "
                                            "queuing anything");
    plan->add_option("spec", specPath, "the study file")->required();

    Annotation annotation;
    std::string note;
    auto* tag = app.add_subcommand("tag", "add or remove tags of a run or a study (the runs list filters by tag:NAME)");
    auto* note_ = app.add_subcommand("note", "set the free-text note of a run or a study (\"\" clears it)");
    for (auto* command : {tag, note_}) {
        auto* runTarget = command->add_option("--run", annotation.runId, "the run's id");
        auto* studyTarget = command->add_option("--study", annotation.study, "a study's name");
        runTarget->excludes(studyTarget);
        command->add_option("--db", options.db, "the results store")->required()->check(CLI::ExistingFile);
    }
    tag->add_option("--add", annotation.addTags, "tags to add (repeat, or separate with commas)")->delimiter(',');
    tag->add_option("--remove", annotation.removeTags, "tags to remove")->delimiter(',');
    note_->add_option("text", note, "the note")->required();

    std::string exportPath, exportFormat = "state-dict";
    bool exportLast = false;
    auto* exporter = app.add_subcommand("export", "write a run's trained student for use elsewhere");
    exporter->add_option("--run", runId, "the run's id")->required();
    exporter->add_option("--db", options.db, "the results store")->required()->check(CLI::ExistingFile);
    exporter->add_option("--format", exportFormat, "state-dict: a PyTorch state_dict with the CRD code base's names")
        ->capture_default_str()
        ->check(CLI::IsMember({"state-dict"}));
    exporter->add_option("--out", exportPath, "the file to write, e.g. student.pth; its description (model, "
                                             "input shape, normalisation, classes, run, metrics) goes beside it "
                                             "as student.json")->required();
    exporter->add_flag("--last", exportLast, "the last checkpoint instead of the best-validation one");

    std::vector<std::string> shardPaths;
    auto* merge = app.add_subcommand(
        "merge", "fold shard stores (one per Slurm job, on a shared file system) into the main store by run uuid; "
                 "merging again takes what the jobs wrote since, and an old copy of a shard is skipped");
    merge->add_option("--db", options.db, "the main store")->required()->check(CLI::ExistingFile);
    merge->add_option("shards", shardPaths, "shard files, or folders searched for files named shard.sqlite")
        ->required();

    SubmitOptions submitOptions;
    bool printTemplate = false;
    auto* submit = app.add_subcommand(
        "submit", "queue a study (or experiment) in --db and submit its runs to a Slurm cluster as job arrays: "
                  "each job trains one run into its own shard store on the shared path; bring results home with "
                  "`merge`");
    submit->add_option("spec", specPath, "the study or experiment file");
    submit->add_flag("--slurm", "submit with Slurm's sbatch (the only scheduler for now)");
    submit->add_option("--db", options.db, "the main results store (created when missing)")->capture_default_str();
    submit->add_option("--shared-dir", submitOptions.sharedDir,
                       "a folder every compute node sees at the same path, for the runs' shards, checkpoints and "
                       "logs (default: <db>.cluster beside the store)");
    submit->add_option("--partition", submitOptions.slurm.partition, "sbatch --partition");
    submit->add_option("--gres", submitOptions.slurm.gres, "sbatch --gres, e.g. gpu:1");
    submit->add_option("--cpus", submitOptions.slurm.cpus, "sbatch --cpus-per-task; the engine uses that many threads")
        ->check(CLI::Range(int64_t(1), int64_t(1024)));
    submit->add_option("--mem", submitOptions.slurm.memory, "sbatch --mem, e.g. 16G");
    submit->add_option("--time", submitOptions.slurm.time, "sbatch --time per run, e.g. 4:00:00; a run stopped at "
                                                           "the limit is requeued and resumes from its checkpoint");
    submit->add_option("--account", submitOptions.slurm.account, "sbatch --account");
    submit->add_option("--qos", submitOptions.slurm.qos, "sbatch --qos");
    submit->add_option("--max-parallel", submitOptions.slurm.maxParallel,
                       "at most K runs of an array at once (the array's %K)")
        ->check(CLI::Range(int64_t(1), int64_t(100000)));
    submit->add_option("--sbatch-option", submitOptions.slurm.extra, "a further sbatch option, e.g. "
                                                                      "--sbatch-option=--constraint=a100 (repeat)");
    submit->add_option("--template", submitOptions.templatePath,
                       "your batch script (from --print-template, with @ENGINE@ and @LIST@ kept)")
        ->check(CLI::ExistingFile);
    submit->add_option("--engine", submitOptions.engine, "the distillery-engine the jobs run (default: this one)");
    submit->add_flag("--dry-run", submitOptions.dryRun, "print the sbatch commands and write the scripts; submit nothing");
    submit->add_flag("--print-template", printTemplate, "print the default batch script and exit");

    std::string runDir;
    auto* job = app.add_subcommand("job", "train the run of one Slurm array task (the batch script runs this): "
                                          "its folder's shard store, resumed from its checkpoint after a requeue");
    job->add_option("--run-dir", runDir, "the run's folder on the shared path")->required()->check(CLI::ExistingDirectory);
    addProgressOption(job, options);

    // Started by the engine that trains a data-parallel run (DataParallelLaunch.h), not by users: hidden.
    WorkerOptions worker;
    auto* workerCommand = app.add_subcommand("worker", "one more process of a run of several (distributed.world_size)");
    workerCommand->group("");
    workerCommand->add_option("--db", worker.db)->required();
    workerCommand->add_option("--run", worker.runId)->required();
    workerCommand->add_option("--rank", worker.rank)->required();
    workerCommand->add_option("--world", worker.worldSize)->required();
    workerCommand->add_option("--rendezvous", worker.rendezvous)->required();
    workerCommand->add_option("--checkpoint-dir", worker.checkpointDir)->required();
    workerCommand->add_option("--threads", worker.threads);
    workerCommand->add_flag("--resume", worker.resume);

    CLI11_PARSE(app, argc, argv);

    std::signal(SIGTERM, onStopSignal);
    std::signal(SIGINT, onStopSignal);
    // A file size limit (ulimit -f) must fail the write with EFBIG, reported like a full disk, not
    // kill the engine in the middle of it.
    std::signal(SIGXFSZ, SIG_IGN);
    distillery::engine::installCrashPoints();
    try {
        if (*run) {
            if (specPath.empty() && runId == 0) {
                std::fprintf(stderr, "run: give --spec FILE (train its runs) or --run ID (a queued run of --db)\n");
                return 2;
            }
            return specPath.empty() ? runQueuedRun(runId, options) : runExperimentFile(specPath, options);
        }
        if (*resume) return resumeRun(runId, options);
        if (*submit) {
            if (printTemplate) {
                std::fputs(distillery::cluster::defaultBatchScript().c_str(), stdout);
                return 0;
            }
            if (specPath.empty()) {
                std::fprintf(stderr, "submit: give the study or experiment file\n");
                return 2;
            }
            return submitToSlurm(specPath, options, submitOptions);
        }
        if (*job) return runClusterJob(runDir, options);
        if (*workerCommand) {
            worker.localIndex = worker.rank;   // every process of the run on this machine
            return runWorker(worker);
        }
        if (*retry) return retryRun(runId, options);
        if (*validate) return validateSpec(specPath);
        if (*models) return listModels(channels, size, classes);
        if (*methods) return listMethods();
        if (*describe) return describePair(specPath, describeDb);
        if (*exporter) return exportStateDict(runId, options.db, exportPath, exportLast);
        if (*plan) return planExperiment(specPath);
        if (*merge) {
            // A submission's folder: first ask Slurm about runs whose jobs ended without a word.
            for (const auto& path : shardPaths)
                if (std::filesystem::is_directory(std::filesystem::path(path) / "runs"))
                    for (const auto& line : reconcileWithSlurm(path)) std::printf("%s\n", line.c_str());
            return mergeShards(options.db, shardPaths);
        }
        if (*tag || *note_) {
            if (annotation.runId == 0 && annotation.study.empty()) {
                std::fprintf(stderr, "%s: give --run ID or --study NAME\n", *tag ? "tag" : "note");
                return 2;
            }
            if (*note_) annotation.note = note;
            return annotate(annotation, options.db);
        }
    } catch (const distillery::store::StoreError& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 2;
}
