#pragma once
// The model zoo by name.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/StagedNet.h"

namespace distillery::models {

struct ModelInfo {
    std::string name;
    std::string family;        // "resnet", "wrn", "vgg", "mobilenet", "shufflenet", "resnet-imagenet",
                               // "resnet-cifar-wide", "cnn"
    std::string description;   // one line for `distillery-engine models`
};

// Throws std::invalid_argument naming the unknown model and listing the known ones.
std::shared_ptr<StagedNet> createModel(const std::string& name, int64_t inChannels, int64_t numClasses);
std::vector<ModelInfo> modelInfos();

}  // namespace distillery::models
