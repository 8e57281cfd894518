#include "ClusterCommands.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <unistd.h>

#include "DataParallelLaunch.h"
#include "EngineTraining.h"
#include "spec/RunQueue.h"
#include "spec/StudyQueue.h"
#include "store/ClusterJobs.h"
#include "store/Shards.h"

using namespace distillery;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string readText(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeText(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + path.string() + " (is the shared folder writable?)");
}


// One run of the submission: its main-store row and what it waits for.
struct PlannedRun {
    store::RunRow row;
    spec::RunSpec spec;
    int teacher = -1;   // index of the run of this submission whose finished checkpoint it distils from
    std::optional<std::string> teacherShard;   // else the shard of a teacher an earlier submission trained
};

// One sbatch call: the runs of one array and the array task it waits for ("" for none).
struct PlannedArray {
    std::string name;
    std::vector<int> runs;   // indices into the planned runs, in task order
    int waitsFor = -1;       // the planned run whose task must end OK first
    int64_t processes = 1;   // each task's Slurm tasks (--ntasks): its runs' distributed.world_size
};

std::vector<PlannedArray> planArrays(const std::vector<PlannedRun>& runs) {
    // Independent runs (the teachers among them) go first, then the students of each teacher trained
    // here, waiting for that teacher's task; within each, one array per number of processes a run
    // trains with, since sbatch's --ntasks is the array's.
    std::vector<PlannedArray> arrays;
    std::map<std::pair<int, int64_t>, size_t> arrayOf;   // (teacher or -1, processes) -> array
    for (int i = 0; i < int(runs.size()); ++i) {
        const int t = runs[size_t(i)].teacher;
        const int64_t processes = std::max<int64_t>(1, runs[size_t(i)].spec.distributed.worldSize);
        const auto key = std::make_pair(t, processes);
        if (!arrayOf.count(key)) {
            arrayOf[key] = arrays.size();
            std::string name = t < 0 ? "runs" : "students-of-" + runs[size_t(t)].row.name;
            if (processes > 1) name += "-" + std::to_string(processes) + "procs";
            arrays.push_back({name, {}, t, processes});
        }
        arrays[arrayOf[key]].runs.push_back(i);
    }
    // Independent arrays first: the others wait for their tasks.
    std::stable_partition(arrays.begin(), arrays.end(), [](const PlannedArray& a) { return a.waitsFor < 0; });
    return arrays;
}

}  // namespace

int submitToSlurm(const std::string& specPath, const EngineOptions& options, const SubmitOptions& submit) {
    const auto experiment = spec::parseExperimentFile(specPath);
    if (!experiment.ok()) {
        std::fprintf(stderr, "%s is not a valid spec:\n%s", specPath.c_str(), experiment.errorText().c_str());
        return 1;
    }
    std::string templateText = cluster::defaultBatchScript();
    if (!submit.templatePath.empty()) templateText = readText(submit.templatePath);
    cluster::checkBatchScriptTemplate(templateText);   // before anything is queued

    store::Store main(options.db);
    std::vector<int64_t> ids;
    std::vector<spec::RunSpec> specs;
    if (experiment.study) {
        const spec::QueuedStudy queued = spec::queueStudy(main, *experiment.study);
        ids = queued.runIds;
        for (const auto& run : experiment.study->runs) specs.push_back(run.spec);
    } else {
        for (const auto& run : experiment.runs) ids.push_back(spec::queueRun(main, run));
        specs = experiment.runs;
    }

    cluster::SharedLayout layout{fs::absolute(submit.sharedDir.empty() ? options.db + ".cluster" : submit.sharedDir)
                                     .lexically_normal()
                                     .string()};
    for (const std::string& dir : {layout.root + "/runs", layout.root + "/arrays", layout.logDir()})
        fs::create_directories(dir);

    // The runs to submit: queued ones without a shard yet. Finished ones (a study's shared teachers)
    // are used as they are; others are left alone with a word on why.
    std::vector<PlannedRun> runs;
    std::map<std::string, int> byName;
    for (size_t i = 0; i < ids.size(); ++i) {
        const auto row = main.run(ids[i]);
        if (!row) continue;
        if (row->status != store::RunStatus::Queued) {
            if (row->status != store::RunStatus::Finished && row->status != store::RunStatus::Pruned)
                spdlog::warn("run {} (\"{}\") is {}, not queued: not submitted (resume it with `distillery-engine "
                             "resume`, or queue it again)", row->id, row->name, store::statusName(row->status));
            continue;
        }
        if (fs::exists(layout.shardPath(row->uuid))) {
            spdlog::warn("run {} (\"{}\") was submitted before (its shard {} exists): not submitted again; merge it "
                         "with `distillery-engine merge`", row->id, row->name, layout.shardPath(row->uuid));
            continue;
        }
        byName[row->name] = int(runs.size());
        runs.push_back({*row, specs[i], -1});
    }
    // A teacher that is a run of the main store: trained by this submission, or by an earlier one (a
    // study submitted again after some students failed), whose shard holds it with its checkpoints on
    // the shared path. A teacher trained elsewhere has its checkpoints where the compute nodes may not
    // see them: refused, with what to do.
    bool refused = false;
    for (auto& run : runs) {
        const spec::TeacherSpec& teacher = run.spec.teacher;
        if (teacher.runName.empty() && !teacher.runId) continue;
        const auto found = byName.find(teacher.runName);
        if (!teacher.runName.empty() && found != byName.end()) {
            run.teacher = found->second;
            continue;
        }
        const auto row = teacher.runId ? main.run(*teacher.runId) : main.latestFinishedRunNamed(teacher.runName);
        if (row && fs::exists(layout.shardPath(row->uuid))) {
            run.teacherShard = layout.shardPath(row->uuid);
            continue;
        }
        std::fprintf(stderr,
                     "run \"%s\": its teacher %s was not trained on the cluster (no shard of it in %s/runs), so its "
                     "checkpoint may not be visible to the compute nodes; give the teacher as a checkpoint file on "
                     "the shared path (teacher: {\"model\", \"checkpoint\"}), or submit the teacher too\n",
                     run.row.name.c_str(), row ? ("run \"" + row->name + "\"").c_str() : "(not a finished run)",
                     layout.root.c_str());
        refused = true;
    }
    if (refused) return 1;
    if (runs.empty()) {
        std::printf("nothing to submit: every run of %s is finished, submitted or not queued\n", specPath.c_str());
        return 0;
    }

    // Recorded first, so that a desktop queue reading the store from now on leaves these runs alone.
    if (!submit.dryRun)
        for (const auto& run : runs) store::recordClusterJob(main, run.row.id, layout.root);

    // A folder per run: its shard (a copy of its queued row, plus the finished teacher it names when
    // that teacher is already in the main store) and job.json, which names the shard of a teacher
    // trained by this submission (the job copies it in once it has finished).
    for (const auto& run : runs) {
        const std::string dir = layout.runDir(run.row.uuid);
        fs::create_directories(dir);
        store::createShard(main, run.row.id, layout.shardPath(run.row.uuid));
        json job{{"uuid", run.row.uuid}, {"name", run.row.name}, {"teacher_shards", json::array()}};
        if (run.teacher >= 0) job["teacher_shards"].push_back(layout.shardPath(runs[size_t(run.teacher)].row.uuid));
        else if (run.teacherShard) job["teacher_shards"].push_back(*run.teacherShard);
        writeText(fs::path(dir) / "job.json", job.dump(2) + "\n");
    }

    const std::string engine = submit.engine.empty() ? thisEngine() : submit.engine;
    const std::string jobName =
        "distillery-" + (experiment.study ? experiment.study->name : experiment.name.empty() ? "runs" : experiment.name);
    std::map<int, std::string> taskOf;   // planned run -> "JOB_TASK"
    bool failed = false;
    for (const PlannedArray& array : planArrays(runs)) {
        const std::string stem = jobName + "-" + array.name;
        const std::string list = layout.arrayList(stem);
        std::string lines;
        for (int r : array.runs) lines += layout.runDir(runs[size_t(r)].row.uuid) + "\n";
        writeText(list, lines);
        const std::string script = layout.root + "/arrays/" + stem + ".sh";
        writeText(script, cluster::renderBatchScript(templateText, engine, list));
        fs::permissions(script, fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add);
        std::string afterOk;
        if (array.waitsFor >= 0) {
            const auto task = taskOf.find(array.waitsFor);
            if (task == taskOf.end()) {   // its teacher's array was not submitted
                failed = true;
                continue;
            }
            afterOk = task->second;
        }
        cluster::SlurmOptions slurm = submit.slurm;
        slurm.tasks = array.processes;
        const auto args = cluster::sbatchArguments(slurm, jobName, array.runs.size(), layout.logDir(), afterOk, script);
        std::string commandLine;
        for (const auto& a : args) commandLine += (commandLine.empty() ? "" : " ") + a;
        if (submit.dryRun) {
            std::printf("%s\n", commandLine.c_str());
            for (size_t t = 0; t < array.runs.size(); ++t) taskOf[array.runs[t]] = "JOB_" + std::to_string(t);
            continue;
        }
        const cluster::CommandResult result = cluster::runProgram(args);
        const auto jobId = result.ok() ? cluster::parseSubmittedJobId(result.out) : std::nullopt;
        if (!jobId) {
            std::fprintf(stderr, "sbatch refused the array %s: %s\n  command: %s\n", stem.c_str(),
                         result.message().c_str(), commandLine.c_str());
            // Its runs stay queued in the main store without a shard, so a later submit (or the
            // desktop queue) takes them.
            for (int r : array.runs) {
                fs::remove_all(layout.runDir(runs[size_t(r)].row.uuid));
                store::forgetClusterJob(main, runs[size_t(r)].row.id);
            }
            failed = true;
            continue;
        }
        for (size_t t = 0; t < array.runs.size(); ++t) {
            const std::string task = std::to_string(*jobId) + "_" + std::to_string(t);
            taskOf[array.runs[t]] = task;
            writeText(fs::path(layout.runDir(runs[size_t(array.runs[t])].row.uuid)) / "slurm-job", task + "\n");
            store::setClusterJobTask(main, runs[size_t(array.runs[t])].row.id, task);
        }
        std::printf("submitted job %lld: %zu run(s) (%s)%s\n", static_cast<long long>(*jobId), array.runs.size(),
                    stem.c_str(), afterOk.empty() ? "" : (", after " + afterOk + " ends OK").c_str());
    }
    if (submit.dryRun) {
        // A dry run leaves nothing behind but the queued runs: their folders would block a real submit.
        for (const auto& run : runs) fs::remove_all(layout.runDir(run.row.uuid));
        std::printf("(dry run: nothing submitted; the scripts are in %s/arrays)\n", layout.root.c_str());
    } else {
        std::printf("run folders: %s/runs; logs: %s; follow with `squeue -n %s` and bring results home with "
                    "`distillery-engine merge --db %s %s` (the desktop app does both while the store is open)\n",
                    layout.root.c_str(), layout.logDir().c_str(), jobName.c_str(), options.db.c_str(), layout.root.c_str());
    }
    return failed ? 1 : 0;
}

namespace {

// This process's place among the srun tasks of a run of several processes: rank and world from
// Slurm's variables; nullopt for a task of one process.
struct SrunTask {
    int rank = 0, world = 1;
    int local = 0;                // among the job's tasks on this node (SLURM_LOCALID): its GPU
    std::string rendezvousFile;   // in the run's folder, one per attempt of the task
};
std::optional<SrunTask> srunTask(const fs::path& runDir) {
    const auto number = [](const char* name, long fallback) {
        const char* value = std::getenv(name);
        return value && *value ? std::strtol(value, nullptr, 10) : fallback;
    };
    const long world = number("SLURM_NTASKS", number("SLURM_NPROCS", 1));
    if (world <= 1) return std::nullopt;
    SrunTask task{int(number("SLURM_PROCID", 0)), int(world), int(number("SLURM_LOCALID", 0)), ""};
    task.rendezvousFile = (runDir / ("rendezvous-" + std::to_string(number("SLURM_JOB_ID", 0)) + "-" +
                                     std::to_string(number("SLURM_RESTART_COUNT", 0))))
                              .string();
    return task;
}

// Why the job's tasks cannot train the run ("" when they can): one task per process, every task.
std::string processCountMismatch(const SrunTask& task, const store::RunRow& row) {
    const auto parsed = spec::parseRunSpec(row.specJson);
    const int64_t processes = parsed.ok() ? parsed.spec->distributed.worldSize : 0;
    if (!parsed.ok() || processes == task.world) return "";
    return "the Slurm job has " + std::to_string(task.world) + " tasks, but run " + row.name +
           " trains with distributed.world_size " + std::to_string(processes) +
           " processes; submit it with `distillery-engine submit --slurm`, which asks for one task per process "
           "(and drop any --ntasks from --sbatch-option)";
}

}  // namespace

int runClusterJob(const std::string& runDir, const EngineOptions& options) {
    const fs::path dir = fs::absolute(runDir).lexically_normal();
    const json job = json::parse(readText(dir / "job.json"));
    const std::string uuid = job.at("uuid").get<std::string>();
    const auto task = srunTask(dir);
    if (task && task->rank > 0) {
        // Another process of the run: it trains its share and writes only a scratch store of its own;
        // the task of rank 0 brings the teacher in, claims the run and writes the shard.
        std::optional<store::RunRow> row;
        {
            const store::Store shard((dir / "shard.sqlite").string(), true);
            for (const auto& r : shard.runs()) if (r.uuid == uuid) row = r;
        }
        if (!row) {
            std::fprintf(stderr, "the shard %s holds no run %s\n", (dir / "shard.sqlite").c_str(), uuid.c_str());
            return 1;
        }
        if (row->status == store::RunStatus::Finished || row->status == store::RunStatus::Pruned) return 0;
        if (const std::string why = processCountMismatch(*task, *row); !why.empty()) {
            std::fprintf(stderr, "%s\n", why.c_str());
            return 1;
        }
        WorkerOptions worker;
        worker.db = (dir / "shard.sqlite").string();
        worker.runId = row->id;
        worker.rank = task->rank;
        worker.worldSize = task->world;
        worker.localIndex = task->local;
        worker.rendezvous = "file:" + task->rendezvousFile;
        worker.checkpointDir = (dir / "checkpoints" / ("run-" + std::to_string(row->id)) /
                                ("rank-" + std::to_string(task->rank))).string();
        // From its own checkpoint when it has one; the trainer checks that every process starts at
        // process 0's step.
        worker.resume = true;
        worker.threads = options.threads;
        return runWorker(worker);
    }
    store::Store shard((dir / "shard.sqlite").string(), false, store::Journal::Rollback);

    // A teacher trained by this submission: its finished run (with its checkpoints' absolute paths)
    // is copied in, so that the student's teacher.run_name finds it here.
    for (const auto& teacherShard : job.value("teacher_shards", json::array())) {
        const std::string path = teacherShard.get<std::string>();
        store::mergeShard(shard, path);
    }
    std::optional<store::RunRow> row;
    for (const auto& r : shard.runs()) if (r.uuid == uuid) row = r;
    if (!row) {
        std::fprintf(stderr, "the shard %s holds no run %s\n", (dir / "shard.sqlite").c_str(), uuid.c_str());
        return 1;
    }
    const auto parsed = spec::parseRunSpec(row->specJson);
    if (!parsed.ok()) {
        std::fprintf(stderr, "run %s has an invalid spec:\n%s", row->name.c_str(), parsed.errorText().c_str());
        return 1;
    }
    EngineOptions jobOptions = options;
    jobOptions.db = shard.path();
    jobOptions.checkpointDir = (dir / "checkpoints").string();
    if (task) {
        if (const std::string why = processCountMismatch(*task, *row); !why.empty()) {
            std::fprintf(stderr, "%s\n", why.c_str());
            return 1;
        }
        jobOptions.placedRendezvousFile = task->rendezvousFile;
    }
    const char* slurmJob = std::getenv("SLURM_JOB_ID");
    const std::string where = slurmJob ? std::string("Slurm job ") + slurmJob : std::string("outside Slurm");
    engine::Outcome outcome;
    switch (row->status) {
    case store::RunStatus::Finished:
    case store::RunStatus::Pruned:
        spdlog::info("run {} is {} already: nothing to do", row->name, store::statusName(row->status));
        return 0;
    case store::RunStatus::Queued:
        if (!shard.claimRun(row->id, getpid(), store::hostName(), deviceLabel(*parsed.spec))) return 1;
        spdlog::info("training run {} ({})", row->name, where);
        outcome = trainClaimedRun(shard, row->id, *parsed.spec, jobOptions, false);
        break;
    default: {
        // Slurm runs one attempt of a task at a time: an earlier attempt's engine is gone even when
        // its heartbeat is fresh (pre-empted, killed), so the run is taken over at once.
        const store::Claim claim = shard.reclaimRun(row->id, getpid(), store::hostName(), deviceLabel(*parsed.spec), 0);
        if (!claim) {
            std::fprintf(stderr, "%s\n", claim.refusal.c_str());
            return 1;
        }
        spdlog::info("run {} was {}: continuing it from its last checkpoint ({})", row->name,
                     store::statusName(row->status), where);
        outcome = trainClaimedRun(shard, row->id, *parsed.spec, jobOptions, true);
    }
    }
    if (outcome == engine::Outcome::Killed) {
        // The trainer's message says how to resume locally; on the cluster, Slurm requeues the task.
        const auto stopped = shard.run(row->id);
        std::string what = stopped ? stopped->error.substr(0, stopped->error.find("; continue with")) : "stopped";
        const char* task = std::getenv("SLURM_ARRAY_JOB_ID");
        const char* index = std::getenv("SLURM_ARRAY_TASK_ID");
        const std::string requeue = task && index ? std::string("scontrol requeue ") + task + "_" + index
                                                  : "scontrol requeue <the task>";
        shard.finishRun(row->id, store::RunStatus::Killed,
                        what + " (" + where + " was stopped: pre-empted, requeued, cancelled or at its time limit); "
                        "a requeued task continues from the checkpoint: " + requeue);
        return kExitStopped;
    }
    return outcome == engine::Outcome::Failed ? 1 : 0;
}

namespace {

// The last lines of a file, for a failure message.
std::string tailOf(const fs::path& path, size_t lines) {
    std::ifstream in(path);
    if (!in) return "(no log at " + path.string() + ")";
    std::vector<std::string> last;
    std::string line;
    while (std::getline(in, line)) {
        last.push_back(line);
        if (last.size() > lines) last.erase(last.begin());
    }
    std::string text;
    for (const auto& l : last) text += "\n  " + l;
    return text;
}

// Slurm's record of an ended task: scontrol's while slurmctld remembers the job (MinJobAge), else sacct's.
std::map<std::string, std::string> endedJobRecord(const std::string& task) {
    const cluster::CommandResult shown = cluster::runProgram({"scontrol", "show", "job", "-o", task});
    if (shown.ok() && shown.out.find("JobState=") != std::string::npos) return cluster::parseScontrolRecord(shown.out);
    const cluster::CommandResult accounted =
        cluster::runProgram({"sacct", "-n", "-P", "-X", "-j", task, "-o", "State,ExitCode,Reason"});
    std::map<std::string, std::string> record;
    if (accounted.ok() && !accounted.out.empty()) {
        std::istringstream fields(accounted.out.substr(0, accounted.out.find('\n')));
        std::getline(fields, record["JobState"], '|');
        std::getline(fields, record["ExitCode"], '|');
        std::getline(fields, record["Reason"], '|');
    }
    return record;
}

}  // namespace

std::vector<std::string> reconcileWithSlurm(const std::string& sharedRoot) {
    std::vector<std::string> said;
    const cluster::SharedLayout layout{fs::absolute(sharedRoot).lexically_normal().string()};
    std::optional<std::vector<cluster::QueuedJob>> queue;   // this user's pending and running tasks
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(layout.root + "/runs", error)) {
        const fs::path dir = entry.path();
        std::ifstream taskFile(dir / "slurm-job");
        std::string task;
        if (!std::getline(taskFile, task) || task.find('_') == std::string::npos) continue;
        std::string uuid;
        try {
            uuid = json::parse(readText(dir / "job.json")).at("uuid").get<std::string>();
        } catch (const std::exception&) {
            continue;
        }
        std::optional<store::RunRow> row;
        try {
            store::Store shard((dir / "shard.sqlite").string(), /*readOnly=*/true);
            for (const auto& r : shard.runs(false)) if (r.uuid == uuid) row = r;
        } catch (const store::StoreError&) {
            continue;   // merge reports an unreadable shard
        }
        if (!row || (row->status != store::RunStatus::Running && row->status != store::RunStatus::Queued)) continue;

        const int64_t jobId = std::stoll(task.substr(0, task.find('_')));
        const int64_t index = std::stoll(task.substr(task.find('_') + 1));
        if (!queue) {   // one squeue for every run: hundreds of calls would load slurmctld
            const cluster::CommandResult listed = cluster::runProgram({"squeue", "--me", "-h", "-o", "%i|%T|%r"});
            if (!listed.ok()) {
                said.push_back("cannot ask Slurm about the runs (" + listed.message() + "); their states are left as they are");
                return said;
            }
            queue = cluster::parseSqueue(listed.out);
        }
        bool waiting = false;
        for (const auto& queuedJob : *queue) {
            if (!cluster::idHoldsTask(queuedJob.id, jobId, index)) continue;
            waiting = true;
            said.push_back(row->name + ": " + queuedJob.state + " in Slurm (job " + task + ", " + queuedJob.reason + ")");
        }
        if (waiting) continue;

        const auto record = endedJobRecord(task);
        const auto field = [&](const char* key) {
            const auto it = record.find(key);
            return it == record.end() ? std::string("?") : it->second;
        };
        const std::string state = record.empty() ? std::string("(Slurm no longer knows the job)") : field("JobState");
        const std::string message =
            "Slurm job " + task + " ended " + state + " (exit code " + field("ExitCode") + ", reason " + field("Reason") +
            ") " + (row->status == store::RunStatus::Running ? "while the engine trained the run" : "before the run started") +
            ", without the engine recording an end (killed, out of memory, or its node failed). Continue it from its "
            "checkpoint with `scontrol requeue " + task + "`. The end of its log " + layout.logDir() + "/" + task +
            ".out:" + tailOf(fs::path(layout.logDir()) / (task + ".out"), 12);
        // A task between two attempts, or one that ended just now and recorded its end: nothing to mend.
        for (const char* alive : {"PENDING", "RUNNING", "REQUEUED", "REQUEUE_HOLD", "COMPLETING", "CONFIGURING",
                                  "SUSPENDED", "RESIZING", "SIGNALING", "STAGE_OUT"})
            if (state == alive) waiting = true;
        if (waiting) continue;
        store::Store shard((dir / "shard.sqlite").string(), false, store::Journal::Rollback);
        const auto now = shard.run(row->id);
        if (!now || (now->status != store::RunStatus::Running && now->status != store::RunStatus::Queued)) continue;
        shard.finishRun(row->id, store::RunStatus::Failed, message);
        said.push_back(row->name + ": failed (Slurm job " + task + " ended " + state + ")");
    }
    return said;
}
