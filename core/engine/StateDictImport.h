#pragma once
// Weights from PyTorch: a file written by torch.save holding a state dict (plainly, or under "model",
// "state_dict" or "net", as RepDistiller and mdistiller save their checkpoints), copied into a zoo
// network by name. The zoo uses RepDistiller's parameter names (torchvision's for resnet18/34/50), so
// such files load without renaming; DataParallel's "module." prefix is removed. Used for the
// teacher (teacher.state_dict) and for the student's initial weights (student.init).
#include <torch/nn/module.h>

#include <cstdint>
#include <string>

namespace distillery::engine {

struct ImportedStateDict {
    std::string container;           // "" for a plain state dict, else the key it was under ("model")
    bool strippedModulePrefix = false;
    int64_t tensors = 0;             // tensors copied into the network
    // `state dict "FILE" (under "model", "module." prefix removed, 62 tensors)`, for the run's log.
    std::string describe(const std::string& path) const;
};

// Copies the state dict of the file at path into module. Throws spec::FieldError at field
// ("teacher.state_dict", "student.init") when the file is missing, is not a torch.save file (naming
// the field that takes what it is instead), holds no state dict, or does not fit module: every missing
// and unexpected name and every shape mismatch, the first 20 of each with the count. network names
// the module in those messages ("resnet8 (3 input channels, 10 classes)"). Nothing is copied unless
// everything fits.
ImportedStateDict importStateDict(torch::nn::Module& module, const std::string& network, const std::string& path,
                                  const std::string& field);

}  // namespace distillery::engine
