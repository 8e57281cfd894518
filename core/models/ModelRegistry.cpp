#include "models/ModelRegistry.h"

#include <array>
#include <functional>

#include "models/CifarResNet.h"
#include "models/TinyCnn.h"

namespace distillery::models {
namespace {

using Factory = std::function<std::shared_ptr<StagedNet>(int64_t inChannels, int64_t numClasses)>;

struct Entry {
    ModelInfo info;
    Factory make;
};

Factory cifarResNet(int64_t depth, std::array<int64_t, 4> filters) {
    return [depth, filters](int64_t in, int64_t classes) {
        return std::make_shared<CifarResNet>(depth, filters, in, classes);
    };
}

const std::vector<Entry>& registry() {
    static const std::vector<Entry> entries = [] {
        constexpr std::array<int64_t, 4> narrow{16, 16, 32, 64};
        constexpr std::array<int64_t, 4> wide{32, 64, 128, 256};
        std::vector<Entry> e;
        auto resnet = [&](const char* name, int64_t depth, std::array<int64_t, 4> filters, const char* size) {
            const int64_t n = (depth - 2) / 6;
            e.push_back({{name, "resnet",
                          "CIFAR ResNet, depth " + std::to_string(depth) + " (" + std::to_string(n) +
                              " blocks per stage), widths " + std::to_string(filters[1]) + "/" +
                              std::to_string(filters[2]) + "/" + std::to_string(filters[3]) + ", " + size +
                              " parameters at 3 channels and 100 classes (RepDistiller)"},
                         cifarResNet(depth, filters)});
        };
        resnet("resnet8", 8, narrow, "0.08M");
        resnet("resnet20", 20, narrow, "0.28M");
        resnet("resnet32", 32, narrow, "0.47M");
        resnet("resnet56", 56, narrow, "0.86M");
        resnet("resnet110", 110, narrow, "1.74M");
        resnet("resnet8x4", 8, wide, "1.23M");
        resnet("resnet32x4", 32, wide, "7.43M");
        e.push_back({{"tinycnn", "cnn", "tiny 2-stage CNN (8/16 channels, ~2k parameters) for tests and demos"},
                     [](int64_t in, int64_t classes) { return std::make_shared<TinyCnn>(in, classes); }});
        return e;
    }();
    return entries;
}

}  // namespace

std::shared_ptr<StagedNet> createModel(const std::string& name, int64_t inChannels, int64_t numClasses) {
    if (inChannels < 1 || numClasses < 1) {
        throw std::invalid_argument("model " + name + ": input channels and classes must be positive, got " +
                                    std::to_string(inChannels) + " and " + std::to_string(numClasses));
    }
    for (const Entry& entry : registry()) {
        if (entry.info.name == name) return entry.make(inChannels, numClasses);
    }
    std::string known;
    for (const Entry& entry : registry()) known += (known.empty() ? "" : ", ") + entry.info.name;
    throw std::invalid_argument("unknown model '" + name + "'; known models: " + known);
}

std::vector<ModelInfo> modelInfos() {
    std::vector<ModelInfo> infos;
    for (const Entry& entry : registry()) infos.push_back(entry.info);
    return infos;
}

}  // namespace distillery::models
