#include "engine/Trainer.h"

#include <torch/torch.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>

#include "BuildInfo.h"
#include "data/BadImageRegistry.h"
#include "data/DataLoading.h"
#include "data/EpochBatches.h"
#include "data/ImageFiles.h"
#include "engine/CheckpointFile.h"
#include "engine/CrashPoints.h"
#include "engine/DataParallel.h"
#include "engine/Evaluator.h"
#include "engine/OptimizerFactory.h"
#include "engine/TrainingSession.h"
#include "store/Results.h"

namespace distillery::engine {

using Clock = std::chrono::steady_clock;

std::atomic<bool> Trainer::stop_{false};

void Trainer::requestStop() { stop_.store(true); }
bool Trainer::stopRequested() { return stop_.load(); }
void Trainer::clearStop() { stop_.store(false); }

std::string Trainer::defaultCheckpointDir(const std::string& storePath, int64_t runId) {
    // Absolute: the store records it, and the GUI or a resume may run from another folder.
    return std::filesystem::absolute(storePath + ".checkpoints/run-" + std::to_string(runId)).string();
}

namespace {

// The store says another engine trains this run now: stop without writing anything more.
class OwnershipLost : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

const std::string kLast = store::checkpointKindName(store::CheckpointKind::Last);
const std::string kBest = store::checkpointKindName(store::CheckpointKind::Best);
const std::string kPeriodic = store::checkpointKindName(store::CheckpointKind::Periodic);

}  // namespace

Trainer::Trainer(store::Store& store, int64_t runId, spec::RunSpec spec, TrainerOptions options)
    : store_(store), runId_(runId), spec_(std::move(spec)), options_(std::move(options)) {
    if (options_.checkpointDir.empty()) options_.checkpointDir = defaultCheckpointDir(store_.path(), runId_);
}

Trainer::~Trainer() = default;

Outcome Trainer::run() {
    try {
        return train();
    } catch (const OwnershipLost& e) {
        error_ = e.what();
        spdlog::error("{}", error_);
        return Outcome::Failed;   // the run's row belongs to its new engine: leave it alone
    } catch (const std::exception& e) {
        error_ = e.what();
        // c10::Error carries a C++ backtrace after its first line: the user needs the first line.
        if (dynamic_cast<const c10::Error*>(&e)) {
            const auto& c10error = static_cast<const c10::Error&>(e);
            error_ = c10error.what_without_backtrace();
        }
    }
    spdlog::error("run {} failed: {}", runId_, error_);
    try {
        store::StoreWriter writer(store_);
        writer.addEvent(runId_, "error", error_);
        writer.flush();
        store_.finishRun(runId_, store::RunStatus::Failed, error_);
    } catch (const std::exception& e) {
        spdlog::error("could not record the failure in the store: {}", e.what());
    }
    return Outcome::Failed;
}

Trainer::Session::Session(store::Store& store, int64_t runId, const spec::RunSpec& spec, const TrainerOptions& options)
    : recorder(store, runId),
      heartbeat(store.path(), runId, options.owner),
      setup(setUpTraining(spec, options.threads, options.teacherStore ? *options.teacherStore : store,
                          [&](const LoadedTeacher& loaded) {
                              store.setRunTeacher(runId, loaded.model);
                              recorder.log("info", "teacher " + loaded.model + " from " + loaded.description +
                                                       (loaded.foldedNorms > 0
                                                            ? ", " + std::to_string(loaded.foldedNorms) +
                                                                  " batch norms folded into its convolutions"
                                                            : std::string()));
                          })),
      // Each process of a data-parallel run augments its share with a stream of its own (rank 0's is
      // the single-process run's).
      augmentGenerator(at::make_generator<at::CPUGeneratorImpl>(
          static_cast<uint64_t>(spec.seed) + 1 +
          static_cast<uint64_t>(options.parallel ? options.parallel->rank() : 0) * 1000003u)),
      trainingState{*setup.student, *setup.distiller, *setup.optimizer, setup.distiller->ownOptimizer(),
                    augmentGenerator, window},
      lastPath(options.checkpointDir + "/last.pt"),
      bestPath(options.checkpointDir + "/best.pt"),
      skipNonFinite(spec.onNonFinite == "skip_step"),
      stopping(spec::studyStopping(store, runId)) {}

Outcome Trainer::train() {
    const auto& spec = spec_;
    Session s(store_, runId_, spec, options_);
    TrainingSetup& setup = s.setup;
    resumeOrStartAfresh(s);
    if (DataParallel* parallel = options_.parallel) {
        // Every process continues from the same step, or none does: a resume needs each process's own
        // checkpoint (its augmentation stream), which only a run of as many processes left.
        const int64_t firstStep = parallel->fromFirst(s.position.step);
        if (parallel->anyOf({firstStep != s.position.step})[0])
            throw std::runtime_error("the processes of this run cannot continue from the same step (process 0 from step " +
                                     std::to_string(firstStep) + "): resume it with the number of processes it was "
                                     "trained with (distributed.world_size), or retry it from the beginning");
        parallel->prepare(setup, spec.distributed.syncBatchNorm);
        if (parallel->isFirst())
            s.recorder.log("info", "data parallel: " + std::to_string(parallel->worldSize()) + " processes (" +
                                       parallel->group().backendName() + "), " +
                                       std::to_string(setup.batch / parallel->worldSize()) +
                                       " images of every batch each; batch norm " +
                                       (spec.distributed.syncBatchNorm ? "synchronised over the processes"
                                                                       : "per process"));
    }

    s.recorder.log("info", "training " + spec.studentModel + " with " + spec.method.name + " on " +
                               setup.splits.train.name + " (" + std::to_string(setup.splits.train.size()) +
                               " train / " + std::to_string(setup.splits.val.size()) + " val / " +
                               std::to_string(setup.splits.test.size()) + " test images), " +
                               std::to_string(spec.epochs) + " epochs × " + std::to_string(setup.stepsPerEpoch) +
                               " steps, batch " + std::to_string(setup.batch) + ", " + spec.optim.name + ", " +
                               setup.device.str() + ", " + setup.precision.name + " (" +
                               setup.precision.memoryFormat() + "), " + std::to_string(setup.threads) + " threads");
    for (const auto& note : setup.distiller->notes()) s.recorder.log("info", note);
    if (setup.teacher && options_.cacheTeacherOutputs) startTeacherOutputCache(s);
    store_.setRunEnvironment(runId_, setup.threads, setup.precision.name, setup.precision.memoryFormat());
    // An image folder's classes are its folder names as they are now: stored, so the run's pages name them even
    // after the folder changes.
    if (!setup.splits.train.classNames.empty()) store_.setRunClassNames(runId_, setup.splits.train.classNames);
    store_.setRunSoftware(runId_, buildInfo());
    s.recorder.log("info", "engine: " + versionLine("distillery-engine"));
    s.recorder.flush();

    s.progress.runId = runId_;
    s.progress.runName = spec.name;
    s.progress.epochs = spec.epochs;
    s.progress.totalSteps = setup.totalSteps;
    s.progress.step = s.position.step;
    s.stepsAtStart = s.position.step;

    setup.student->train();
    for (int64_t epoch = s.position.epoch; epoch < spec.epochs; ++epoch) {
        s.progress.epoch = epoch + 1;
        s.progress.phase = "train";
        // The order of an epoch depends on (seed, epoch) only, so a resumed run sees the same batches.
        auto orderGenerator = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(spec.seed) * 1000003u +
                                                                       static_cast<uint64_t>(epoch));
        const auto order = torch::randperm(setup.splits.train.size(), orderGenerator,
                                           torch::TensorOptions().dtype(torch::kLong))
                               .to(setup.device);
        const int64_t firstBatch = epoch == s.position.epoch ? s.position.batchInEpoch : 0;
        // An image folder's batches are decoded ahead by threads from here on; leaving the loop (a stop, an
        // error) destroys the stream, which joins them.
        data::EpochBatches batches(setup.splits.train, order, setup.batch, firstBatch, setup.stepsPerEpoch,
                                   static_cast<uint64_t>(spec.seed), epoch, spec.data.augment);
        for (int64_t b = firstBatch; b < setup.stepsPerEpoch; ++b) {
            checkOwnership(s);
            if (DataParallel* parallel = options_.parallel) {
                // The processes stop, and checkpoint on rank 0's clock, at the same step.
                const bool due = parallel->isFirst() && spec.checkpointMinutes > 0 && b > firstBatch &&
                                 Session::secondsSince(s.lastCheckpoint) >= spec.checkpointMinutes * 60.0;
                const std::vector<bool> agreed = parallel->anyOf({stopRequested(), due});
                if (agreed[0]) return stopHere(s, epoch, b);
                if (agreed[1]) saveLast(s, epoch, b);
            } else if (stopRequested()) {
                return stopHere(s, epoch, b);
            }
            trainStep(s, epoch, b, batches);
        }
        if (const auto pruned = endEpoch(s, epoch)) return pruneHere(s, *pruned);
    }

    if (DataParallel* parallel = options_.parallel; parallel && parallel->isFirst()) {
        // What the processes cost each other: the wait for the gradients after each backward pass.
        const int64_t steps = std::max<int64_t>(1, s.progress.step - s.stepsAtStart);
        char line[200];
        std::snprintf(line, sizeof line,
                      "data parallel: %.2f s waiting for the gradients' all-reduce after the backward passes "
                      "(%.2f ms a step over %lld steps)",
                      parallel->communicationSeconds(), 1000.0 * parallel->communicationSeconds() / double(steps),
                      static_cast<long long>(steps));
        s.recorder.log("info", line, s.progress.step);
    }
    if (s.teacherOutputs) {
        const int64_t hits = s.teacherOutputs->hits(), steps = hits + s.teacherOutputs->misses();
        s.recorder.log("info", "the teacher's outputs came from the cache at " + std::to_string(hits) + " of " +
                                   std::to_string(steps) + " steps" + (s.stepsAtStart > 0 ? " of this attempt" : ""));
    }
    s.recorder.flush();
    s.recorder.noteSkippedRows(s.progress.step);
    s.recorder.flush();
    store_.finishRun(runId_, store::RunStatus::Finished);
    s.progress.phase = "done";
    s.progress.fraction = 1;
    s.progress.etaSeconds = 0;
    if (options_.progress) options_.progress->finish(s.progress);
    return Outcome::Finished;
}

void Trainer::trainStep(Session& s, int64_t epoch, int64_t b, data::EpochBatches& batches) {
    const TrainingSetup& setup = s.setup;
    const auto& train = setup.splits.train;
    const double lr = setup.schedule->at(s.progress.step);
    setLearningRate(*setup.optimizer, lr);

    data::TrainingBatch batch = batches.next();
    if (options_.parallel) batch = options_.parallel->share(batch);
    noteBadImages(s);
    const auto& index = batch.index;
    auto images = data::normalise(batch.images, train, setup.device);
    if (spec_.data.augment && !batch.augmented) images = data::augment(images, spec_.data.pad, true, s.augmentGenerator);
    images = inComputeLayout(images, setup.precision);
    const auto& labels = batch.labels;
    // The batch's own size: an image folder's batch is smaller by the bad files it skipped.
    const int64_t batchSize = labels.size(0);

    // The networks' forward passes in the run's precision; the losses in float32. The teacher's outputs
    // for images it has seen before may come from the cache instead.
    models::FeatureSet studentOut, teacherOut;
    auto cachedTeacherOutputs = s.teacherOutputs ? s.teacherOutputs->lookup(index) : std::nullopt;
    {
        models::AutocastScope autocast(setup.precision.computeType, setup.device.type());
        if (setup.teacher && !cachedTeacherOutputs) {
            torch::NoGradGuard noGrad;
            if (setup.distiller->needsFeatures()) teacherOut = setup.teacher->forwardFeatures(images);
            else teacherOut.logits = setup.teacher->forward(images);
        }
        if (setup.distiller->needsFeatures()) studentOut = setup.student->forwardFeatures(images);
        else studentOut.logits = setup.student->forward(images);
    }
    if (setup.precision.autocast()) {
        teacherOut = inFloat32(std::move(teacherOut));
        studentOut = inFloat32(std::move(studentOut));
    }
    if (s.teacherOutputs) {
        if (cachedTeacherOutputs) teacherOut = std::move(*cachedTeacherOutputs);
        else s.teacherOutputs->store(index, teacherOut);
    }

    const bool diagnose = spec_.diagnosticsEvery > 0 && (s.progress.step + 1) % spec_.diagnosticsEvery == 0;
    methods::StepInputs inputs{studentOut, setup.teacher ? &teacherOut : nullptr, labels, s.progress.step, epoch, index};
    inputs.images = &images;
    inputs.learningRate = lr;
    inputs.collectDiagnostics = diagnose;
    auto terms = setup.distiller->losses(inputs);
    if (const std::string& poisoned = poisonedLossTerm(s.progress.step + 1); !poisoned.empty())
        for (auto& term : terms)
            if (term.name == poisoned) term.value = term.value * std::numeric_limits<float>::quiet_NaN();
    torch::Tensor total = terms.front().value;
    for (size_t i = 1; i < terms.size(); ++i) total = total + terms[i].value;

    // With skip_step, a step whose loss is not finite changes nothing but the step count; deciding
    // before the update needs the value on the host: one synchronisation a step.
    auto nonFiniteTerms = s.skipNonFinite ? NonFiniteWatch::nonFiniteTerms(terms, total) : std::vector<std::string>{};
    // Every process skips the step, or none: their gradients are averaged.
    if (s.skipNonFinite && options_.parallel && options_.parallel->anyOf({!nonFiniteTerms.empty()})[0] &&
        nonFiniteTerms.empty())
        nonFiniteTerms.push_back("of another process");
    if (!s.skipNonFinite) s.nonFinite.observe(terms, total, s.progress.step + 1);
    if (nonFiniteTerms.empty()) {
        setup.optimizer->zero_grad();
        bool stepped = true;
        if (options_.parallel) options_.parallel->beforeBackward();
        if (setup.lossScaler) {
            setup.lossScaler->scale(total).backward();
            if (options_.parallel) options_.parallel->averageGradients();
            stepped = setup.lossScaler->unscale(setup.parameters);   // an overflowed step is skipped; the scale halves
        } else {
            total.backward();
            if (options_.parallel) options_.parallel->averageGradients();
        }
        crashPoint("step");
        if (stepped) {
            if (spec_.optim.gradClip > 0) torch::nn::utils::clip_grad_norm_(setup.parameters, spec_.optim.gradClip);
            setup.optimizer->step();
        }
        ++s.progress.step;
        s.window.add(terms, total, studentOut.logits.detach().argmax(1).eq(labels).sum(), batchSize);
        if (diagnose)
            s.recorder.diagnostics(setup.distiller->diagnostics(), s.progress.step,
                                   epoch + double(b + 1) / setup.stepsPerEpoch);
    } else {
        ++s.progress.step;
        ++s.position.skippedSteps;
        std::string names;
        for (const auto& name : nonFiniteTerms) names += (names.empty() ? "" : ", ") + name;
        if (s.position.skippedSteps <= 10 || s.position.skippedSteps % 100 == 0)
            s.recorder.log("warn", "step " + std::to_string(s.progress.step) + " skipped: the loss term" +
                                       (nonFiniteTerms.size() > 1 ? "s " : " ") + names + " not finite (" +
                                       std::to_string(s.position.skippedSteps) + " steps skipped so far)",
                           s.progress.step);
    }
    s.imagesSinceThroughputStart += batchSize * (options_.parallel ? options_.parallel->worldSize() : 1);

    if (s.progress.step % spec_.logEvery == 0 || b + 1 == setup.stepsPerEpoch) endLogWindow(s, epoch, b, lr);
    if (Session::secondsSince(s.lastReport) >= options_.progressIntervalSeconds) {
        s.heartbeat.setProgress(double(s.progress.step) / setup.totalSteps);
        report(s);
    }
    // checkpoint_minutes bounds the work a kill can lose; the epoch's end checkpoints anyway. (Several
    // processes agree on it at the start of the next step.)
    if (!options_.parallel && spec_.checkpointMinutes > 0 && b + 1 < setup.stepsPerEpoch &&
        Session::secondsSince(s.lastCheckpoint) >= spec_.checkpointMinutes * 60.0)
        saveLast(s, epoch, b + 1);
}

void Trainer::startTeacherOutputCache(Session& s) {
    const TrainingSetup& setup = s.setup;
    const methods::Distiller& method = *setup.distiller;
    const int64_t images = setup.splits.train.size(), classes = setup.splits.train.numClasses;
    const bool pooled = method.needsFeatures() && !method.readsTeacherStages();
    // A TorchScript teacher without stages has no pooled features to keep.
    if (pooled && setup.teacher->numStages() == 0) return;
    const int64_t pooledWidth = pooled ? setup.teacher->stageChannels(setup.teacher->numStages() - 1) : 0;
    if (const auto why = TeacherOutputCache::unusable(spec_.data.augment, method.readsTeacherStages(), images,
                                                      classes + pooledWidth)) {
        // Only a cache too large is news to a reader; augmentation and feature methods are the usual case.
        if (!spec_.data.augment && !method.readsTeacherStages())
            s.recorder.log("info", "the teacher runs at every step: " + *why);
        return;
    }
    s.teacherOutputs.emplace(images, classes, pooledWidth, setup.device);
    char megabytes[32];
    std::snprintf(megabytes, sizeof megabytes, "%.1f", double(s.teacherOutputs->bytes()) / (1 << 20));
    s.recorder.log("info", std::string("the teacher's logits") + (pooled ? " and pooled features" : "") +
                               " are kept per training image (" + std::to_string(images) + " × " +
                               std::to_string(classes + pooledWidth) + " values, " + megabytes +
                               " MB): an image seen before in a batch of its size skips the teacher's forward pass, "
                               "with the same numbers");
}

void Trainer::noteBadImages(Session& s) {
    const auto& train = s.setup.splits.train;
    if (!train.streamed()) return;
    for (const data::BadImage& bad : train.files->bad->takeNew())
        s.recorder.log("warn", "skipped image " + bad.path + ": " + bad.reason, s.progress.step);
}

void Trainer::endLogWindow(Session& s, int64_t epoch, int64_t b, double lr) {
    // The only host synchronisation of the loop: once per logging window.
    if (DataParallel* parallel = options_.parallel) {
        const bool mine = s.nonFinite.firstProblem().has_value();
        if (parallel->anyOf({mine})[0] && !mine)
            throw std::runtime_error("another process of this run saw a non-finite loss (epoch " +
                                     std::to_string(epoch + 1) + "); the run stops with it. Lower optim.lr, check "
                                     "the data, or set \"on_nonfinite\": \"skip_step\"");
        s.window.combine([parallel](at::Tensor& t) { parallel->group().allReduceSum(t); }, parallel->worldSize());
    }
    if (const auto problem = s.nonFinite.firstProblem()) {
        char rate[32];
        std::snprintf(rate, sizeof rate, "%g", lr);
        throw std::runtime_error(*problem + " (epoch " + std::to_string(epoch + 1) + "); lower optim.lr (now " + rate +
                                 "), check the data, or set \"on_nonfinite\": \"skip_step\" to skip such steps. The "
                                 "metrics logged before it are kept.");
    }
    const int64_t step = s.progress.step;
    const double epochPosition = epoch + double(b + 1) / s.setup.stepsPerEpoch;
    if (!s.window.empty()) {   // empty when every step of the window was skipped
        const LogWindow::Means means = s.window.means();
        s.recorder.metric(store::metric::kTrainLoss, step, epochPosition, means.total);
        for (const auto& [name, value] : means.terms)
            s.recorder.metric(store::metric::trainLossTerm(name), step, epochPosition, value);
        s.recorder.metric(store::metric::kTrainAcc1, step, epochPosition, means.accuracy);
        s.progress.loss = means.total;
        s.progress.trainAcc = means.accuracy;
    }
    s.recorder.metric(store::metric::kLearningRate, step, epochPosition, lr);
    if (s.skipNonFinite) s.recorder.metric(store::metric::kSkippedSteps, step, epochPosition, s.position.skippedSteps);
    s.window.reset();
    s.recorder.flushIfDue();
}

std::optional<std::string> Trainer::endEpoch(Session& s, int64_t epoch) {
    DataParallel* parallel = options_.parallel;
    if (parallel && !parallel->isFirst()) {
        // Rank 0 evaluates and decides; this process keeps its own checkpoint for a resume.
        writeFileAtomically(s.lastPath, checkpointHere(s, epoch + 1, 0), /*keepPrevious=*/true);
        s.lastCheckpoint = Clock::now();
        if (parallel->fromFirst(0) == 0) return std::nullopt;
        return "pruned by its study's stopping rule (decided by process 0)";
    }
    std::optional<std::string> pruned = evaluateEpoch(s, epoch);
    if (parallel) parallel->fromFirst(pruned ? 1 : 0);
    return pruned;
}

std::optional<std::string> Trainer::evaluateEpoch(Session& s, int64_t epoch) {
    const TrainingSetup& setup = s.setup;
    const auto& splits = setup.splits;
    s.progress.phase = "eval";
    report(s);
    if (setup.teacher && !s.teacherPredictions.val.defined()) {
        s.teacherPredictions.val = predictions(*setup.teacher, splits.val, setup.device, spec_.evalBatchSize,
                                               setup.precision);
        s.teacherPredictions.test = predictions(*setup.teacher, splits.test, setup.device, spec_.evalBatchSize,
                                                setup.precision);
    }
    // The teacher never changes: its per-class results are recorded once, at the run's first
    // evaluation (a resume after it keeps those rows, so a resumed run writes what an uninterrupted one does).
    if (setup.teacher && epoch == 0) {
        if (splits.val.size() > 0)
            s.recorder.teacherConfusion("val", confusionMatrix(s.teacherPredictions.val, splits.val.labels,
                                                               splits.val.numClasses), s.progress.step);
        s.recorder.teacherConfusion("test", confusionMatrix(s.teacherPredictions.test, splits.test.labels,
                                                            splits.test.numClasses), s.progress.step);
    }
    const EvalResult val = evaluate(*setup.student, setup.teacher ? &s.teacherPredictions.val : nullptr, splits.val,
                                    setup.device, spec_.evalBatchSize, setup.precision);
    crashPoint("eval");
    const EvalResult test = evaluate(*setup.student, setup.teacher ? &s.teacherPredictions.test : nullptr,
                                     splits.test, setup.device, spec_.evalBatchSize, setup.precision);
    const int64_t step = s.progress.step;
    if (setup.teacher && setup.distiller->observesEvaluation())
        s.recorder.diagnostics(observeEvaluation(*setup.distiller, *setup.student, *setup.teacher,
                                                 splits.val.size() > 0 ? splits.val : splits.test, setup.device,
                                                 spec_.evalBatchSize),
                               step, double(epoch + 1));
    const double epochDone = epoch + 1;
    noteBadImages(s);
    if (splits.train.streamed() && splits.train.files->bad->count() > 0)
        s.recorder.log("warn", std::to_string(splits.train.files->bad->count()) +
                                   " image files skipped so far: they cannot be decoded (data.on_bad_image: skip)",
                       step);
    if (splits.val.size() > 0) s.recorder.evaluation("val", val, step, epochDone);
    s.recorder.evaluation("test", test, step, epochDone);
    s.recorder.metric(store::metric::kEpochTime, step, epochDone, s.recorder.wall());
    s.progress.valAcc = splits.val.size() > 0 ? val.acc1 : test.acc1;

    // Model selection uses the validation split; the test set is only reported.
    const double selection = splits.val.size() > 0 ? val.acc1 : -test.loss;
    const bool improved = epoch == 0 || selection > s.position.bestValAcc;
    if (improved) s.position.bestValAcc = selection;
    char line[240];
    std::snprintf(line, sizeof line, "epoch %lld/%lld: val acc %.2f%%, test acc %.2f%% (top-5 %.2f%%), train loss %.4f",
                  static_cast<long long>(epoch + 1), static_cast<long long>(spec_.epochs), val.acc1, test.acc1,
                  test.acc5, s.progress.loss);
    s.recorder.log("info", line, step);
    if (s.position.skippedSteps > 0 && s.skipNonFinite)
        s.recorder.log("warn", std::to_string(s.position.skippedSteps) + " steps skipped so far for a non-finite loss",
                       step);
    s.recorder.noteSkippedRows(step);

    // The epoch's rows, then the files (best before last: a kill between them resumes from the
    // older last and writes the same best again), then their rows.
    const std::string bytes = checkpointHere(s, epoch + 1, 0);
    if (improved) writeFileAtomically(s.bestPath, bytes, /*keepPrevious=*/true);
    writeFileAtomically(s.lastPath, bytes, /*keepPrevious=*/true);
    s.lastCheckpoint = Clock::now();
    const bool periodic = spec_.checkpointEvery > 0 && (epoch + 1) % spec_.checkpointEvery == 0;
    const std::string periodicPath = options_.checkpointDir + "/epoch-" + std::to_string(epoch + 1) + ".pt";
    if (periodic) writeFileAtomically(periodicPath, bytes);
    store_.addCheckpoint({0, runId_, step, epoch + 1, s.lastPath, kLast, s.position.bestValAcc, 0});
    if (improved) store_.addCheckpoint({0, runId_, step, epoch + 1, s.bestPath, kBest, selection, 0});
    if (periodic) store_.addCheckpoint({0, runId_, step, epoch + 1, periodicPath, kPeriodic, selection, 0});
    crashPoint("epoch_end");
    s.heartbeat.setProgress(double(step) / setup.totalSteps);
    checkOwnership(s);
    // The median rule compares validation accuracy only: the test set never decides anything.
    if (!s.stopping || splits.val.size() == 0 || epoch + 1 >= spec_.epochs) return std::nullopt;
    return spec::medianStopReason(*s.stopping, epoch + 1, val.acc1,
                                  store_.studyValuesAtEpoch(s.stopping->studyId, store::metric::kValAcc1, epoch + 1,
                                                            runId_));
}

Outcome Trainer::pruneHere(Session& s, const std::string& reason) {
    s.recorder.log("info", reason, s.progress.step);
    s.recorder.flush();
    store_.finishRun(runId_, store::RunStatus::Pruned, reason);
    s.progress.phase = "pruned";
    if (options_.progress) options_.progress->finish(s.progress);
    return Outcome::Pruned;
}

Outcome Trainer::stopHere(Session& s, int64_t epoch, int64_t b) {
    saveLast(s, epoch, b);
    const std::string where = "epoch " + std::to_string(epoch + 1) + ", step " + std::to_string(s.progress.step);
    s.recorder.event("info", "cancelled at " + where + "; checkpoint " + s.lastPath);
    s.recorder.flush();
    store_.finishRun(runId_, store::RunStatus::Killed,
                     "cancelled at " + where + "; continue with: distillery-engine resume --db " + store_.path() +
                         " --run " + std::to_string(runId_));
    s.progress.phase = "killed";
    if (options_.progress) options_.progress->finish(s.progress);
    return Outcome::Killed;
}

// A checkpoint claims that everything up to its step is in the store: the recorder's rows are
// committed first. A kill after the commit and before the checkpoint is harmless, since a resume
// removes what lies after the checkpoint it continues from and computes it again.
std::string Trainer::checkpointHere(Session& s, int64_t epoch, int64_t batchInEpoch) {
    s.recorder.flush();
    const TrainingPosition here{epoch, batchInEpoch, s.progress.step, s.position.bestValAcc, s.recorder.wall(),
                                s.position.skippedSteps};
    return checkpointBytes(s.trainingState, here);
}

void Trainer::saveLast(Session& s, int64_t epoch, int64_t batchInEpoch) {
    writeFileAtomically(s.lastPath, checkpointHere(s, epoch, batchInEpoch), /*keepPrevious=*/true);
    store_.addCheckpoint({0, runId_, s.progress.step, epoch, s.lastPath, kLast, s.position.bestValAcc, 0});
    s.lastCheckpoint = Clock::now();
}

void Trainer::checkOwnership(Session& s) {
    if (!s.heartbeat.lost()) return;
    s.recorder.discard();
    throw OwnershipLost("run " + std::to_string(runId_) + " was taken over by another engine or marked failed "
                        "while this engine trained it; this engine stopped at step " +
                        std::to_string(s.progress.step) + " without writing more");
}

void Trainer::report(Session& s) {
    if (!options_.progress) return;
    Progress& progress = s.progress;
    const double elapsed = s.recorder.secondsOfThisAttempt();
    const int64_t done = progress.step - s.stepsAtStart;
    const int64_t totalSteps = s.setup.totalSteps;
    progress.fraction = totalSteps > 0 ? double(progress.step) / totalSteps : 1.0;
    progress.etaSeconds = done > 0 ? elapsed / done * double(totalSteps - progress.step) : 0;
    const double span = Session::secondsSince(s.throughputStart);
    if (span > 0.5) {
        progress.imagesPerSecond = s.imagesSinceThroughputStart / span;
        s.throughputStart = Clock::now();
        s.imagesSinceThroughputStart = 0;
    }
    options_.progress->report(progress);
    s.lastReport = Clock::now();
}

}  // namespace distillery::engine
