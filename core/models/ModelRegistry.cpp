#include "models/ModelRegistry.h"

#include <array>
#include <functional>

#include "models/CifarResNet.h"
#include "models/MobileNetV2.h"
#include "models/ShuffleNetV1.h"
#include "models/ShuffleNetV2.h"
#include "models/TinyCnn.h"
#include "models/TorchvisionResNet.h"
#include "models/Vgg.h"
#include "models/WideResNet.h"

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

// Sizes in the descriptions are those of RepDistiller's (and torchvision's) models, checked in
// tests/models/test_models.cpp: 3 input channels and 100 classes (ImageNet ResNets: 1000 classes).
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
        resnet("resnet14", 14, narrow, "0.18M");
        resnet("resnet20", 20, narrow, "0.28M");
        resnet("resnet32", 32, narrow, "0.47M");
        resnet("resnet44", 44, narrow, "0.67M");
        resnet("resnet56", 56, narrow, "0.86M");
        resnet("resnet110", 110, narrow, "1.74M");
        resnet("resnet8x4", 8, wide, "1.23M");
        resnet("resnet32x4", 32, wide, "7.43M");

        auto wrn = [&](const char* name, int64_t depth, int64_t widen, const char* size) {
            e.push_back({{name, "wrn",
                          "wide ResNet (pre-activation), depth " + std::to_string(depth) + ", widen factor " +
                              std::to_string(widen) + ", " + size +
                              " parameters at 3 channels and 100 classes (RepDistiller)"},
                         [depth, widen](int64_t in, int64_t classes) {
                             return std::make_shared<WideResNet>(depth, widen, in, classes);
                         }});
        };
        wrn("wrn_16_2", 16, 2, "0.70M");
        wrn("wrn_40_2", 40, 2, "2.26M");

        auto vgg = [&](const char* name, Vgg::Config config, const char* layout, const char* size) {
            e.push_back({{name, "vgg",
                          std::string("VGG with batch norm, convs ") + layout + ", one linear layer, " + size +
                              " parameters at 3 channels and 100 classes (RepDistiller)"},
                         [config](int64_t in, int64_t classes) { return std::make_shared<Vgg>(config, in, classes); }});
        };
        vgg("vgg8", {{{64}, {128}, {256}, {512}, {512}}}, "64/128/256/512/512", "3.97M");
        vgg("vgg11", {{{64}, {128}, {256, 256}, {512, 512}, {512, 512}}}, "64/128/256x2/512x2/512x2", "9.28M");
        vgg("vgg13", {{{64, 64}, {128, 128}, {256, 256}, {512, 512}, {512, 512}}}, "64x2/128x2/256x2/512x2/512x2",
            "9.46M");

        e.push_back({{"mobilenetv2", "mobilenet",
                      "MobileNetV2, expansion 6, width 0.5 (RepDistiller's mobile_half), 0.81M parameters at 3 "
                      "channels and 100 classes"},
                     [](int64_t in, int64_t classes) { return std::make_shared<MobileNetV2>(6, 0.5, in, classes); }});
        e.push_back({{"shufflenetv1", "shufflenet",
                      "ShuffleNet v1, 3 groups, widths 240/480/960, 4/8/4 units, 0.95M parameters at 3 channels and "
                      "100 classes (RepDistiller)"},
                     [](int64_t in, int64_t classes) {
                         return std::make_shared<ShuffleNetV1>(std::array<int64_t, 3>{240, 480, 960},
                                                               std::array<int64_t, 3>{4, 8, 4}, 3, in, classes);
                     }});
        e.push_back({{"shufflenetv2", "shufflenet",
                      "ShuffleNet v2 1x, widths 116/232/464, 3/7/3 units, 1024 last, 1.36M parameters at 3 channels "
                      "and 100 classes (RepDistiller)"},
                     [](int64_t in, int64_t classes) {
                         return std::make_shared<ShuffleNetV2>(std::array<int64_t, 4>{116, 232, 464, 1024},
                                                               std::array<int64_t, 3>{3, 7, 3}, in, classes);
                     }});

        auto imagenetResNet = [&](const char* name, TorchvisionResNet::Block block, std::array<int64_t, 4> blocks,
                                  const char* size) {
            const bool bottleneck = block == TorchvisionResNet::Block::Bottleneck;
            e.push_back({{name, "resnet-imagenet",
                          std::string("ImageNet ResNet (torchvision layout, 7x7/2 stem + max-pool), ") +
                              (bottleneck ? "bottleneck" : "basic") + " blocks " + std::to_string(blocks[0]) + "-" +
                              std::to_string(blocks[1]) + "-" + std::to_string(blocks[2]) + "-" +
                              std::to_string(blocks[3]) + ", " + size + " parameters at 3 channels and 1000 classes"},
                         [block, blocks](int64_t in, int64_t classes) {
                             return std::make_shared<TorchvisionResNet>(block, blocks, in, classes);
                         }});
        };
        imagenetResNet("resnet18", TorchvisionResNet::Block::Basic, {2, 2, 2, 2}, "11.69M");
        imagenetResNet("resnet34", TorchvisionResNet::Block::Basic, {3, 4, 6, 3}, "21.80M");
        imagenetResNet("resnet50", TorchvisionResNet::Block::Bottleneck, {3, 4, 6, 3}, "25.56M");

        // SAKD's ResNet50 (RepDistiller resnetv2.py) and Adaptive Distillation's ResNet_CIFAR 18/50.
        auto cifarResNetV2 = [&](const char* name, TorchvisionResNet::Block block, std::array<int64_t, 4> blocks,
                                 const char* size) {
            const bool bottleneck = block == TorchvisionResNet::Block::Bottleneck;
            e.push_back({{name, "resnet-cifar-wide",
                          std::string("CIFAR ResNet with ImageNet widths (RepDistiller resnetv2.py, mmcls "
                                      "ResNet_CIFAR: 3x3/1 stem, no max-pool), ") +
                              (bottleneck ? "bottleneck" : "basic") + " blocks " + std::to_string(blocks[0]) + "-" +
                              std::to_string(blocks[1]) + "-" + std::to_string(blocks[2]) + "-" +
                              std::to_string(blocks[3]) + ", " + size + " parameters at 3 channels and 100 classes"},
                         [block, blocks](int64_t in, int64_t classes) {
                             return std::make_shared<TorchvisionResNet>(block, blocks, in, classes,
                                                                        TorchvisionResNet::Stem::Cifar);
                         }});
        };
        cifarResNetV2("resnet18_cifar", TorchvisionResNet::Block::Basic, {2, 2, 2, 2}, "11.22M");
        cifarResNetV2("resnet50_cifar", TorchvisionResNet::Block::Bottleneck, {3, 4, 6, 3}, "23.71M");

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
