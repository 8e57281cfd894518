#include "engine/StateDictExport.h"

#include <torch/torch.h>

#include <fstream>

namespace distillery::engine {

void exportStateDict(const torch::nn::Module& module, const std::string& path) {
    c10::Dict<std::string, at::Tensor> stateDict;
    // Parameters, then buffers (BatchNorm's running statistics and num_batches_tracked), as PyTorch.
    for (const auto& p : module.named_parameters(/*recurse=*/true)) stateDict.insert(p.key(), p.value().detach().cpu());
    for (const auto& b : module.named_buffers(/*recurse=*/true)) stateDict.insert(b.key(), b.value().detach().cpu());
    const std::vector<char> bytes = torch::pickle_save(c10::IValue(stateDict));
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("export: cannot write \"" + path + "\" (folder missing, not writable, or disk full?)");
}

}  // namespace distillery::engine
