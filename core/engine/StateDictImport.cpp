#include "engine/StateDictImport.h"

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <vector>

#include "engine/CheckpointFile.h"
#include "engine/TorchSaveFile.h"
#include "spec/FieldError.h"

namespace distillery::engine {

namespace {

constexpr size_t kListed = 20;   // names listed per kind of mismatch; the rest are counted

// The fix for a file that holds something other than a torch.save file: the field that takes it (a
// teacher's), or how to make a state dict of it (a student's start).
std::string otherFileFix(const std::string& field, TorchSaveError::Reason reason, bool distilleryCheckpoint) {
    const bool teacher = field.rfind("teacher", 0) == 0;
    const std::string makeOne = "save the weights in PyTorch with torch.save(model.state_dict(), \"FILE.pth\")";
    if (distilleryCheckpoint)
        return teacher ? "give it as teacher.checkpoint (with teacher.model) instead"
                       : makeOne + ", or export a run's with distillery-engine export --format state-dict";
    if (reason == TorchSaveError::Reason::TorchScript)
        return teacher ? "give a TorchScript file as teacher.torchscript, a checkpoint the engine wrote as "
                         "teacher.checkpoint (with teacher.model)"
                       : makeOne;
    return makeOne;
}

bool holdsOnlyTensors(const PickleValue& dict) {
    if (dict.kind != PickleValue::Kind::Dict || dict.entries.empty()) return false;
    for (const auto& [key, value] : dict.entries)
        if (key->kind != PickleValue::Kind::String || value->kind != PickleValue::Kind::Tensor) return false;
    return true;
}

std::string topLevelKeys(const PickleValue& dict) {
    std::string keys;
    size_t shown = 0;
    for (const auto& entry : dict.entries) {
        if (shown++ == kListed) return keys + ", …";
        keys += (keys.empty() ? "" : ", ") +
                (entry.first->kind == PickleValue::Kind::String ? entry.first->text : entry.first->describe());
    }
    return keys.empty() ? "none" : keys;
}

std::string shapeText(at::IntArrayRef sizes) {
    std::ostringstream s;
    s << sizes;
    return s.str();
}

// "2 missing from the file: a, b" with at most kListed names.
std::string listed(const std::vector<std::string>& names, const std::string& what) {
    std::string text = std::to_string(names.size()) + " " + what + ": ";
    for (size_t i = 0; i < names.size() && i < kListed; ++i) text += (i ? ", " : "") + names[i];
    if (names.size() > kListed) text += ", … (" + std::to_string(names.size() - kListed) + " more)";
    return text;
}

}  // namespace

std::string ImportedStateDict::describe(const std::string& path) const {
    std::string text = "state dict \"" + path + "\" (";
    if (!container.empty()) text += "under \"" + container + "\", ";
    if (strippedModulePrefix) text += "\"module.\" prefix removed, ";
    return text + std::to_string(tensors) + " tensors)";
}

ImportedStateDict importStateDict(torch::nn::Module& module, const std::string& network, const std::string& path,
                                  const std::string& field) {
    auto fail = [&](const std::string& text) { return spec::FieldError::prefixed(field, text); };
    if (!std::filesystem::exists(path)) throw fail("file \"" + path + "\" does not exist");
    if (verifiedCheckpointStep(path))
        throw fail("\"" + path + "\" is a Distillery checkpoint, not a torch.save file; " +
                   otherFileFix(field, TorchSaveError::Reason::TorchScript, true));

    PickleValue top;
    try {
        top = readTorchSaveFile(path);
    } catch (const TorchSaveError& e) {
        // The legacy format's message says how to convert the file.
        const bool saysHow = e.reason() == TorchSaveError::Reason::LegacyFormat;
        throw fail(std::string(e.what()) + (saysHow ? "" : "; " + otherFileFix(field, e.reason(), false)));
    }

    // The state dict: the file's top level, or a dict under one of the keys research code uses.
    ImportedStateDict imported;
    const PickleValue* stateDict = holdsOnlyTensors(top) ? &top : nullptr;
    for (const char* key : {"model", "state_dict", "net"}) {
        if (stateDict) break;
        const PickleValue* inner = top.at(key);
        if (inner && holdsOnlyTensors(*inner)) {
            stateDict = inner;
            imported.container = key;
        }
    }
    if (!stateDict)
        throw fail("\"" + path + "\" holds no state dict: expected a dict of tensors by parameter name, or one under "
                   "\"model\", \"state_dict\" or \"net\"; it holds " + top.describe() +
                   (top.kind == PickleValue::Kind::Dict ? " with keys " + topLevelKeys(top) : std::string()));

    // DataParallel and DistributedDataParallel save every name under "module.".
    const std::string prefix = "module.";
    imported.strippedModulePrefix = true;
    for (const auto& entry : stateDict->entries)
        if (entry.first->text.rfind(prefix, 0) != 0) imported.strippedModulePrefix = false;
    std::map<std::string, at::Tensor> file;
    for (const auto& [key, value] : stateDict->entries)
        file[imported.strippedModulePrefix ? key->text.substr(prefix.size()) : key->text] = value->tensor;

    std::vector<std::pair<at::Tensor, at::Tensor>> copies;   // (network's tensor, file's tensor)
    std::vector<std::string> missing, unexpected, misshapen;
    std::map<std::string, bool> known;
    auto match = [&](const std::string& name, const at::Tensor& target) {
        known[name] = true;
        const auto found = file.find(name);
        if (found == file.end()) {
            // PyTorch itself loads state dicts of before 0.4.1 without the batch-norm step counters;
            // the count only matters to a norm without momentum, which the zoo has none of.
            const std::string counter = "num_batches_tracked";
            const bool isCounter = name.size() >= counter.size() &&
                                   name.compare(name.size() - counter.size(), counter.size(), counter) == 0;
            if (!isCounter) missing.push_back(name);
            return;
        }
        if (found->second.sizes() != target.sizes()) {
            misshapen.push_back(name + " " + shapeText(found->second.sizes()) + " in the file, " +
                                shapeText(target.sizes()) + " in " + network);
            return;
        }
        copies.emplace_back(target, found->second);
    };
    for (const auto& p : module.named_parameters(/*recurse=*/true)) match(p.key(), p.value());
    for (const auto& b : module.named_buffers(/*recurse=*/true)) match(b.key(), b.value());
    for (const auto& entry : file)
        if (!known.count(entry.first)) unexpected.push_back(entry.first);

    if (!missing.empty() || !unexpected.empty() || !misshapen.empty()) {
        std::vector<std::string> parts;
        if (!missing.empty()) parts.push_back(listed(missing, "missing from the file"));
        if (!unexpected.empty()) parts.push_back(listed(unexpected, "in the file but not in " + network));
        if (!misshapen.empty()) parts.push_back(listed(misshapen, "of another shape"));
        std::string text = "the state dict of \"" + path + "\"" +
                           (imported.container.empty() ? "" : " (under \"" + imported.container + "\")") +
                           " does not fit " + network + ": ";
        for (size_t i = 0; i < parts.size(); ++i) text += (i ? "; " : "") + parts[i];
        throw fail(text + ". Name the network the weights were trained as, on a data set with the same input "
                          "channels and classes");
    }
    torch::NoGradGuard noGrad;
    for (auto& [target, source] : copies) target.copy_(source);
    imported.tensors = int64_t(copies.size());
    return imported;
}

}  // namespace distillery::engine
