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
#include <regex>
#include <unistd.h>

#include "BarProgress.h"
#include "JsonProgress.h"
#include "engine/Checkpoint.h"
#include "engine/Device.h"
#include "engine/StateDictExport.h"
#include "engine/Trainer.h"
#include "methods/Distiller.h"
#include "models/ModelRegistry.h"
#include "models/TorchScriptNet.h"
#include "spec/Catalog.h"
#include "spec/JsonText.h"
#include "spec/RunQueue.h"
#include "spec/RunSpec.h"
#include "store/Store.h"

using namespace distillery;

namespace {

std::unique_ptr<engine::ProgressSink> makeProgress(ProgressMode mode) {
    if (mode == ProgressMode::Auto) mode = isatty(fileno(stdout)) ? ProgressMode::Bar : ProgressMode::Json;
    if (mode == ProgressMode::Bar) return std::make_unique<BarProgress>(stdout);
    if (mode == ProgressMode::Json) return std::make_unique<JsonProgress>(stdout);
    return nullptr;
}

// The device column of the run: what "auto" resolves to here, or the spec's text when it cannot be
// resolved (the trainer then fails the run with the reason).
std::string deviceLabel(const spec::RunSpec& spec) {
    try {
        return engine::resolveDevice(spec.device).str();
    } catch (const std::exception&) {
        return spec.device;
    }
}

engine::Outcome train(store::Store& store, int64_t runId, const spec::RunSpec& spec, const EngineOptions& options,
                      bool resume) {
    auto progress = makeProgress(options.progress);
    engine::TrainerOptions trainerOptions;
    trainerOptions.checkpointDir =
        options.checkpointDir.empty() ? std::string() : options.checkpointDir + "/run-" + std::to_string(runId);
    trainerOptions.progress = progress.get();
    trainerOptions.resume = resume;
    trainerOptions.threads = options.threads;
    trainerOptions.owner = engine::EngineOwner{getpid(), store::hostName()};
    engine::Trainer trainer(store, runId, spec, trainerOptions);
    return trainer.run();
}

int64_t parameterCount(torch::nn::Module& net) {
    int64_t count = 0;
    for (const auto& p : net.parameters()) count += p.numel();
    return count;
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

// The test accuracy at the epoch whose validation accuracy was best: the number a paper would report.
std::optional<double> testAccAtBestVal(const store::Store& store, int64_t runId) {
    const auto val = store.metrics(runId, "val/acc1");
    const auto test = store.metrics(runId, "test/acc1");
    if (val.empty() || test.empty()) return std::nullopt;
    size_t best = 0;
    for (size_t i = 1; i < val.size(); ++i)
        if (val[i].value > val[best].value) best = i;
    for (const auto& t : test)
        if (t.step == val[best].step) return t.value;
    return std::nullopt;
}

void printSummary(const store::Store& store, const std::vector<int64_t>& runIds) {
    std::printf("\n%-26s %-8s %-24s %-6s %8s %12s %10s %7s\n", "run", "status", "teacher -> student", "method",
                "best val", "test@bestval", "last test", "time");
    for (int64_t id : runIds) {
        const auto row = store.run(id);
        if (!row) continue;
        const auto val = store.summary(id, "val/acc1");
        const auto test = store.summary(id, "test/acc1");
        const auto atBest = testAccAtBestVal(store, id);
        const std::string pair = (row->teacher.empty() ? std::string("-") : row->teacher) + " -> " + row->student;
        char bestVal[16] = "-", testBest[16] = "-", lastTest[16] = "-", wall[16] = "-";
        if (val) std::snprintf(bestVal, sizeof bestVal, "%.2f%%", val->best());
        if (atBest) std::snprintf(testBest, sizeof testBest, "%.2f%%", *atBest);
        if (test) std::snprintf(lastTest, sizeof lastTest, "%.2f%%", test->lastValue);
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

int runExperimentFile(const std::string& specPath, const EngineOptions& options) {
    const auto experiment = spec::parseExperimentFile(specPath);
    if (!experiment.ok()) {
        std::fprintf(stderr, "%s is not a valid spec:\n%s", specPath.c_str(), experiment.errorText().c_str());
        return 1;
    }
    store::Store store(options.db);
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
        failed |= train(store, ids[i], experiment.runs[i], options, false) == engine::Outcome::Failed;
    }
    printSummary(store, ids);
    return failed ? 1 : 0;
}

int runQueuedRun(int64_t runId, const EngineOptions& options) {
    store::Store store(options.db);
    const auto row = existingRun(store, runId);
    if (!row) return 1;
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
    return exitCode(train(store, runId, *spec, options, false));
}

namespace {
// resume and retry: take the run over (refused while its engine is alive), then train it.
int reclaimAndTrain(int64_t runId, const EngineOptions& options, bool resume) {
    store::Store store(options.db);
    const auto row = existingRun(store, runId);
    if (!row) return 1;
    const auto spec = specOfRun(*row);
    if (!spec) return 1;
    const store::Claim claim = store.reclaimRun(runId, getpid(), store::hostName(), deviceLabel(*spec));
    if (!claim) {
        std::fprintf(stderr, "%s: %s\n", resume ? "resume" : "retry", claim.refusal.c_str());
        return 1;
    }
    if (!claim.previousEngine.empty())
        spdlog::warn("run {}: its engine ({}) is gone; this engine takes the run over", runId, claim.previousEngine);
    return exitCode(train(store, runId, *spec, options, resume));
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
    std::string best, latest;
    for (const auto& c : store.checkpoints(runId)) {
        if (c.kind == "best") best = c.path;
        if (c.kind == "last") latest = c.path;
    }
    const std::string from = last || best.empty() ? latest : best;
    if (from.empty()) {
        std::fprintf(stderr, "run %lld has no checkpoint yet: it has not finished an epoch\n", static_cast<long long>(runId));
        return 1;
    }
    const spec::DataShape shape = spec::dataShape(spec->data);
    auto student = models::createModel(spec->studentModel, shape.channels, shape.numClasses);
    engine::loadModuleWeights(*student, from, "export of run " + std::to_string(runId));
    engine::exportStateDict(*student, out);
    std::printf("wrote %s: the %s weights of run %lld (\"%s\", %s checkpoint) as a PyTorch state_dict;\n"
                "load it with: model.load_state_dict(torch.load(\"%s\"))\n",
                out.c_str(), spec->studentModel.c_str(), static_cast<long long>(runId), row->name.c_str(),
                from == best ? "best" : "last", out.c_str());
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
        net->eval();
        const int64_t parameters = parameterCount(*net);
        const auto features = net->forwardFeatures(torch::zeros({1, channels, size, size}));
        std::string stages;
        for (size_t i = 0; i < features.stages.size(); ++i) {
            const auto s = features.stages[i].sizes();
            stages += (i ? "  " : "") + std::to_string(s[1]) + "x" + std::to_string(s[2]) + "x" + std::to_string(s[3]);
        }
        std::printf("%-13s %10lld params  stages: %s\n              %s\n", info.name.c_str(),
                    static_cast<long long>(parameters), stages.c_str(), info.description.c_str());
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

namespace {

using nlohmann::json;

// Errors thrown while building a net or a method name their field in front ("fitnet.stage: …",
// "teacher.torchscript: …"); the designer shows each under its field, so the prefix becomes the path.
// A method's own name stands for the method object ("fitnet.stage" → "method.stage").
spec::SpecError errorAt(const std::string& fallbackPath, const std::string& methodName, const std::string& message) {
    static const std::regex prefixed(R"(^([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+)*): )");
    std::smatch match;
    if (std::regex_search(message, match, prefixed)) {
        const std::string head = match[1].str(), rest = match[2].str();
        if (head == "teacher") return {head + rest, message};
        if (head == methodName) return {"method" + rest, message};
    }
    if (message.rfind(methodName + " path ", 0) == 0) return {"method.paths", message};   // multipath's paths
    return {fallbackPath, message};
}

// The training images a data spec yields, known without reading files: sizes a method's memory bank.
int64_t estimatedTrainSize(const spec::DataSpec& data) {
    if (data.trainSubset > 0) return data.trainSubset;
    const int64_t files = data.name == "synthetic" ? data.trainSize
                          : data.name == "cifar10" || data.name == "cifar100" ? 50000
                                                                               : 60000;
    return std::max<int64_t>(2, files - (data.name == "synthetic" ? 0 : data.valSize));
}

json netJson(const std::string& model, models::StagedNet& net, int64_t parameters, const spec::DataShape& shape) {
    json stages = json::array();
    if (net.numStages() > 0) {
        torch::NoGradGuard noGrad;
        models::EvalModeScope eval(net);
        const auto features = net.forwardFeatures(torch::zeros({1, shape.channels, shape.height, shape.width}));
        for (const auto& s : features.stages)
            stages.push_back({{"channels", s.size(1)}, {"height", s.size(2)}, {"width", s.size(3)}});
    }
    return {{"model", model}, {"params", parameters}, {"stages", stages}};
}

struct BuiltTeacher {
    std::shared_ptr<models::StagedNet> net;
    json description;
};

// The teacher's network without its weights: the zoo model named in the spec, the model a finished
// run of the store trained, or the TorchScript file (whose weights come with it). Throws with the field.
BuiltTeacher buildTeacher(const spec::TeacherSpec& teacher, const spec::DataShape& shape, const std::string& db) {
    if (!teacher.torchscript.empty()) {
        auto net = std::make_shared<models::TorchScriptNet>(teacher.torchscript, teacher.stem, teacher.stages,
                                                            teacher.classifier, shape.channels, shape.height,
                                                            shape.width);
        // The jit module's parameters are not the StagedNet's own: count them in the file.
        int64_t parameters = 0;
        for (const auto& p : torch::jit::load(teacher.torchscript, torch::kCPU).parameters()) parameters += p.numel();
        const std::string file = std::filesystem::path(teacher.torchscript).filename().string();
        return {net, netJson("torchscript " + file, *net, parameters, shape)};
    }
    std::string model = teacher.model;
    if (teacher.runId || !teacher.runName.empty()) {
        const std::string field = teacher.runId ? "teacher.run_id" : "teacher.run_name";
        if (db.empty())
            throw std::runtime_error(field + ": names a run of a store, but no store was given (describe --db FILE)");
        store::Store store(db, /*readOnly=*/true);
        const auto row = teacher.runId ? store.run(*teacher.runId) : store.latestFinishedRunNamed(teacher.runName);
        if (!row)
            throw std::runtime_error(field + ": " +
                                     (teacher.runId ? "there is no run " + std::to_string(*teacher.runId)
                                                    : "there is no finished run named \"" + teacher.runName + "\"") +
                                     " in " + db + "; pick a finished run of this store");
        if (row->status != store::RunStatus::Finished)
            throw std::runtime_error(field + ": run " + std::to_string(row->id) + " (\"" + row->name + "\") is " +
                                     store::statusName(row->status) + ", not finished; wait for it or pick a finished run");
        model = row->student;
    }
    auto net = models::createModel(model, shape.channels, shape.numClasses);
    return {net, netJson(model, *net, parameterCount(*net), shape)};
}

// What the method inserts at a spot. Convolutional connectors map the student's channels onto the
// teacher's, so the channel counts are appended when the text does not give them already.
std::string connectorText(const methods::Spot& spot, int64_t studentStage, int64_t teacherStage,
                          const models::StagedNet& student, const models::StagedNet& teacher) {
    if (spot.connector.empty()) return "none";
    const bool mapsStudentChannels = spot.connector.find("conv") != std::string::npos &&
                                     spot.connector.find("→") == std::string::npos &&
                                     spot.connector.find("adaptive module") == std::string::npos;
    if (!mapsStudentChannels || studentStage < 0 || teacherStage < 0) return spot.connector;
    return spot.connector + ", " + std::to_string(student.stageChannels(studentStage)) + "→" +
           std::to_string(teacher.stageChannels(teacherStage));
}

json errorJson(const std::vector<spec::SpecError>& errors) {
    json out = json::array();
    for (const auto& e : errors) out.push_back({{"path", e.path}, {"message", e.message}});
    return out;
}

// One part of a spec that does not parse as a whole: the JSON's members `keys` (and `extra`) parsed
// alone, so that a wrong learning rate does not hide the pair.
std::optional<spec::RunSpec> parsePart(const json& root, const std::vector<std::string>& keys, json extra = json::object()) {
    for (const auto& key : keys)
        if (root.contains(key)) extra[key] = root[key];
    auto parsed = spec::parseRunSpec(extra);
    return parsed.ok() ? parsed.spec : std::nullopt;
}

}  // namespace

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
    json out = {{"teacher", nullptr}, {"student", nullptr}, {"spots", json::array()}, {"errors", json::array()}};
    const auto print = [&out] {
        std::printf("%s\n", out.dump().c_str());
        return 0;
    };

    spec::JsonText parsed = spec::parseJsonText(text);
    if (!parsed.ok()) {
        out["errors"] = errorJson({*parsed.error});
        return print();
    }
    const json root = std::move(parsed.value);
    const auto whole = spec::parseRunSpec(root);
    std::vector<spec::SpecError> errors = whole.errors;

    // The pair and the method are drawn even while another field is wrong; each part that parses
    // on its own is used.
    std::optional<spec::RunSpec> runSpec = whole.spec;
    if (!runSpec) runSpec = parsePart(root, {"data", "teacher", "student", "method"});
    const auto data = runSpec ? runSpec : parsePart(root, {"data"});
    const spec::DataShape shape = spec::dataShape(data ? data->data : spec::DataSpec{});
    std::optional<spec::RunSpec> studentPart = runSpec ? runSpec : parsePart(root, {"student"});
    std::optional<spec::RunSpec> teacherPart =
        runSpec ? runSpec : (root.is_object() && root.contains("teacher") ? parsePart(root, {"teacher"}, {{"method", {{"name", "kd"}}}})
                                                                   : std::nullopt);

    torch::NoGradGuard noGrad;
    std::shared_ptr<models::StagedNet> student, teacher;
    if (studentPart) {
        student = models::createModel(studentPart->studentModel, shape.channels, shape.numClasses);
        out["student"] = netJson(studentPart->studentModel, *student, parameterCount(*student), shape);
    }
    const std::string methodName = runSpec ? runSpec->method.name : "";
    if (teacherPart && teacherPart->teacher.present()) {
        try {
            auto built = buildTeacher(teacherPart->teacher, shape, db);
            teacher = built.net;
            out["teacher"] = built.description;
        } catch (const store::StoreError&) {
            throw;   // an unreadable store is the caller's problem, not the spec's
        } catch (const std::exception& e) {
            errors.push_back(errorAt("teacher", methodName, e.what()));
        }
    }
    if (runSpec && student && (teacher || !runSpec->teacher.present())) {
        try {
            methods::DistillerContext context;
            context.channels = shape.channels;
            context.height = shape.height;
            context.width = shape.width;
            context.epochs = runSpec->epochs;
            context.trainSize = estimatedTrainSize(runSpec->data);
            context.seed = uint64_t(runSpec->seed);
            const auto distiller = methods::createDistiller(runSpec->method, teacher.get(), *student, context);
            const auto resolve = [](int64_t stage, const models::StagedNet* net) {
                return stage == methods::Spot::kLastStage && net ? net->numStages() - 1 : stage;
            };
            for (const auto& spot : distiller->spots()) {
                const int64_t s = resolve(spot.studentStage, student.get()), t = resolve(spot.teacherStage, teacher.get());
                out["spots"].push_back({{"name", spot.name},
                                        {"teacher_stage", t},
                                        {"student_stage", s},
                                        {"connector", teacher ? connectorText(spot, s, t, *student, *teacher)
                                                              : (spot.connector.empty() ? "none" : spot.connector)}});
            }
        } catch (const std::exception& e) {
            errors.push_back(errorAt("method.name", methodName, e.what()));
        }
    }
    out["errors"] = errorJson(errors);
    return print();
}
