#include "engine/Checkpoint.h"

#include <torch/torch.h>

#include <filesystem>
#include <sstream>

namespace distillery::engine {

namespace {

torch::Tensor scalar(double v) { return torch::tensor(v, torch::kDouble); }
torch::Tensor scalar(int64_t v) { return torch::tensor(v, torch::kLong); }

// Mirrors the archive layout of torch::nn::Module::save (one nested archive per child), but checks
// every tensor's presence and shape instead of silently replacing a parameter with a differently
// shaped one.
void loadChecked(torch::nn::Module& module, torch::serialize::InputArchive& archive, const std::string& prefix,
                 const std::string& what, const std::string& path) {
    auto readInto = [&](const std::string& name, torch::Tensor& target, bool isBuffer) {
        torch::Tensor stored;
        if (!archive.try_read(name, stored, isBuffer))
            throw std::runtime_error(what + ": checkpoint \"" + path + "\" has no tensor \"" + prefix + name +
                                     "\"; it was written for a different network");
        if (stored.sizes() != target.sizes()) {
            std::ostringstream s;
            s << what << ": tensor \"" << prefix << name << "\" of checkpoint \"" << path << "\" has shape "
              << stored.sizes() << " but the network expects " << target.sizes()
              << "; the checkpoint belongs to another model, data set (input channels) or class count";
            throw std::runtime_error(s.str());
        }
        torch::NoGradGuard noGrad;
        target.copy_(stored);
    };
    for (auto& p : module.named_parameters(/*recurse=*/false)) readInto(p.key(), p.value(), false);
    for (auto& b : module.named_buffers(/*recurse=*/false)) readInto(b.key(), b.value(), true);
    for (auto& child : module.named_children()) {
        torch::serialize::InputArchive childArchive;
        if (!archive.try_read(child.key(), childArchive))
            throw std::runtime_error(what + ": checkpoint \"" + path + "\" has no module \"" + prefix + child.key() +
                                     "\"; it was written for a different network");
        loadChecked(*child.value(), childArchive, prefix + child.key() + ".", what, path);
    }
}

torch::serialize::InputArchive openArchive(const std::string& path, const std::string& what) {
    if (!std::filesystem::exists(path))
        throw std::runtime_error(what + ": checkpoint \"" + path + "\" does not exist");
    torch::serialize::InputArchive archive;
    try {
        archive.load_from(path);
    } catch (const c10::Error& e) {
        throw std::runtime_error(what + ": checkpoint \"" + path + "\" cannot be read (" +
                                 std::string(e.what_without_backtrace()).substr(0, 200) + ")");
    }
    return archive;
}

}  // namespace

void saveCheckpoint(const std::string& path, const TrainingState& state, const TrainingPosition& position) {
    torch::serialize::OutputArchive archive, studentArchive, distillerArchive, optimizerArchive, windowArchive;
    state.student.save(studentArchive);
    state.distiller.save(distillerArchive);
    state.optimizer.save(optimizerArchive);
    state.window.save(windowArchive);
    archive.write("student", studentArchive);
    archive.write("distiller", distillerArchive);
    archive.write("optimizer", optimizerArchive);
    archive.write("log_window", windowArchive);
    if (state.methodOptimizer) {
        torch::serialize::OutputArchive methodOptimizerArchive;
        state.methodOptimizer->save(methodOptimizerArchive);
        archive.write("method_optimizer", methodOptimizerArchive);
    }
    archive.write("epoch", scalar(position.epoch));
    archive.write("batch_in_epoch", scalar(position.batchInEpoch));
    archive.write("step", scalar(position.step));
    archive.write("best_val_acc", scalar(position.bestValAcc));
    archive.write("wall_time", scalar(position.wallTime));
    archive.write("augment_rng", state.augmentGenerator.get_state());
    // A crash while writing must not destroy the previous checkpoint.
    const std::string temporary = path + ".tmp";
    archive.save_to(temporary);
    std::filesystem::rename(temporary, path);
}

TrainingPosition loadCheckpoint(const std::string& path, const TrainingState& state, const c10::Device& device) {
    auto archive = openArchive(path, "resume");
    torch::serialize::InputArchive studentArchive, distillerArchive, optimizerArchive, windowArchive;
    archive.read("student", studentArchive);
    archive.read("distiller", distillerArchive);
    archive.read("optimizer", optimizerArchive);
    archive.read("log_window", windowArchive);
    loadChecked(state.student, studentArchive, "", "resume", path);
    loadChecked(state.distiller, distillerArchive, "", "resume", path);
    state.optimizer.load(optimizerArchive);
    if (state.methodOptimizer) {
        torch::serialize::InputArchive methodOptimizerArchive;
        if (!archive.try_read("method_optimizer", methodOptimizerArchive))
            throw std::runtime_error("resume: checkpoint \"" + path + "\" has no state for the method's own optimiser");
        state.methodOptimizer->load(methodOptimizerArchive);
    }
    state.window.load(windowArchive, device);
    auto read = [&](const char* key) {
        torch::Tensor t;
        archive.read(key, t);
        return t;
    };
    TrainingPosition position;
    position.epoch = read("epoch").item<int64_t>();
    position.batchInEpoch = read("batch_in_epoch").item<int64_t>();
    position.step = read("step").item<int64_t>();
    position.bestValAcc = read("best_val_acc").item<double>();
    position.wallTime = read("wall_time").item<double>();
    state.augmentGenerator.set_state(read("augment_rng"));
    return position;
}

void loadModuleWeights(torch::nn::Module& module, const std::string& path, const std::string& what) {
    auto archive = openArchive(path, what);
    torch::serialize::InputArchive studentArchive;
    if (!archive.try_read("student", studentArchive))
        throw std::runtime_error(what + ": \"" + path + "\" is not a Distillery checkpoint (no \"student\" entry)");
    loadChecked(module, studentArchive, "", what, path);
}

}  // namespace distillery::engine
