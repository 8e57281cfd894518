// The model zoo: every registered StagedNet's stages, shapes and stage-wise composition; every
// model's size and parameter names against an independent PyTorch re-definition of RepDistiller's and
// torchvision's models (tests/fixtures/repdistiller_param_counts.py; resnetv2_param_counts.py copies
// RepDistiller's resnetv2.py verbatim) and against published sizes; initialisation; save/load; the tiny
// CNN learning the synthetic data set.
#include <torch/torch.h>

#include <QCryptographicHash>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "data/DataLoading.h"
#include "models/FoldableBatchNorm.h"
#include "models/MobileNetV2.h"
#include "models/ModelRegistry.h"
#include "models/ShuffleNetV1.h"
#include "models/ShuffleNetV2.h"
#include "models/StagedNet.h"
#include "models/TorchvisionResNet.h"
#include "models/Vgg.h"
#include "models/WideResNet.h"
#include "spec/Catalog.h"

using namespace distillery;
using models::createModel;
using models::modelInfos;

namespace {

int64_t parameterCount(torch::nn::Module& m) {
    int64_t n = 0;
    for (const auto& p : m.parameters()) n += p.numel();
    return n;
}

bool close(const at::Tensor& a, const at::Tensor& b) {
    return a.sizes() == b.sizes() && at::allclose(a, b, 1e-5, 1e-5);
}

QString shape(const at::Tensor& t) {
    QStringList dims;
    for (auto d : t.sizes()) dims << QString::number(d);
    return dims.join("x");
}

QString sha1(const QStringList& names) {
    return QCryptographicHash::hash(names.join(' ').toUtf8(), QCryptographicHash::Sha1).toHex();
}

QStringList parameterNames(torch::nn::Module& m) {
    QStringList names;
    for (const auto& p : m.named_parameters()) names << QString::fromStdString(p.key());
    return names;
}

QStringList bufferNames(torch::nn::Module& m) {
    QStringList names;
    for (const auto& b : m.named_buffers()) names << QString::fromStdString(b.key());
    return names;
}

// What each model's stages look like, written from the reference architectures (see the comments in
// core/models/*.h for the stage boundaries): channels and total stride per stage, the stem's stride,
// and whether each stage ends in a ReLU (then preReLU is its pre-activation; else the output itself).
struct StageLayout {
    std::vector<int64_t> channels, strides;
    int64_t stemStride;
    std::vector<bool> endsInReLU;
};

StageLayout layoutOf(const std::string& model) {
    const std::vector<bool> all3{true, true, true}, all4{true, true, true, true};
    if (model == "tinycnn") return {{8, 16}, {1, 2}, 1, {true, true}};
    if (model == "resnet8x4" || model == "resnet32x4") return {{64, 128, 256}, {1, 2, 4}, 1, all3};
    if (model.rfind("wrn_", 0) == 0) return {{32, 64, 128}, {1, 2, 4}, 1, {false, false, true}};
    if (model.rfind("vgg", 0) == 0) return {{128, 256, 512, 512}, {2, 4, 8, 8}, 1, all4};
    if (model == "mobilenetv2") return {{12, 16, 48, 1280}, {2, 4, 8, 16}, 2, {false, false, false, true}};
    if (model == "shufflenetv1") return {{240, 480, 960}, {2, 4, 8}, 1, all3};
    if (model == "shufflenetv2") return {{116, 232, 1024}, {2, 4, 8}, 1, all3};
    if (model == "resnet18" || model == "resnet34") return {{64, 128, 256, 512}, {4, 8, 16, 32}, 4, all4};
    if (model == "resnet50") return {{256, 512, 1024, 2048}, {4, 8, 16, 32}, 4, all4};
    if (model == "resnet18_cifar") return {{64, 128, 256, 512}, {1, 2, 4, 8}, 1, all4};
    if (model == "resnet50_cifar") return {{256, 512, 1024, 2048}, {1, 2, 4, 8}, 1, all4};
    return {{16, 32, 64}, {1, 2, 4}, 1, all3};   // the CIFAR ResNets
}

const std::vector<std::string> kAllModels{"resnet8",      "resnet14",     "resnet20", "resnet32", "resnet44",
                                          "resnet56",     "resnet110",    "resnet8x4", "resnet32x4", "wrn_16_2",
                                          "wrn_40_2",     "vgg8",         "vgg11",    "vgg13",    "mobilenetv2",
                                          "shufflenetv1", "shufflenetv2", "resnet18", "resnet34", "resnet50",
                                          "resnet18_cifar", "resnet50_cifar", "tinycnn"};

bool isImageNetModel(const std::string& name) { return name == "resnet18" || name == "resnet34" || name == "resnet50"; }

}  // namespace

class TestModels : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::manual_seed(0); }

    void registryNames() {
        std::vector<std::string> names;
        for (const auto& info : modelInfos()) {
            names.push_back(info.name);
            QVERIFY(!info.family.empty());
            QVERIFY(!info.description.empty());
        }
        QCOMPARE(names, kAllModels);
        // The spec layer validates model names without torch, from its own list: the same names.
        QCOMPARE(spec::modelNames(), kAllModels);
    }

    void unknownModelListsKnownNames() {
        try {
            createModel("resnet9", 3, 10);
            QFAIL("no exception");
        } catch (const std::invalid_argument& e) {
            const QString message = e.what();
            QVERIFY2(message.contains("resnet9"), qPrintable(message));
            for (const auto& info : modelInfos())
                QVERIFY2(message.contains(QString::fromStdString(info.name)), qPrintable(message));
        }
        for (const auto& name : kAllModels) {
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument, createModel(name, 0, 10));
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument, createModel(name, 3, 0));
        }
        // Architectures built with impossible settings say so.
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, models::WideResNet(15, 2, 3, 10));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, models::WideResNet(16, 0, 3, 10));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, models::Vgg({{{64}, {}, {256}, {512}, {512}}}, 3, 10));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, models::MobileNetV2(0, 0.5, 3, 10));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 models::ShuffleNetV1({240, 480, 960}, {4, 0, 4}, 3, 3, 10));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, models::ShuffleNetV2({116, 231, 464, 1024}, {3, 7, 3}, 3, 10));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 models::TorchvisionResNet(models::TorchvisionResNet::Block::Basic, {2, 2, 0, 2}, 3, 10));
    }

    void stagesAndShapes_data() {
        QTest::addColumn<QString>("name");
        for (const auto& info : modelInfos()) QTest::newRow(info.name.c_str()) << QString::fromStdString(info.name);
    }

    void stagesAndShapes() {
        QFETCH(QString, name);
        const std::string model = name.toStdString();
        const StageLayout layout = layoutOf(model);
        const int64_t stages = int64_t(layout.channels.size());

        struct Case {
            int64_t channels, size, classes;
        };
        for (const Case c : {Case{1, 28, 10}, Case{3, 32, 100}}) {
            auto net = createModel(model, c.channels, c.classes);
            net->eval();
            QCOMPARE(net->numStages(), stages);
            QCOMPARE(net->numClasses(), c.classes);
            for (int64_t s = 0; s < stages; ++s) {
                QCOMPARE(net->stageChannels(s), layout.channels[s]);
                QCOMPARE(net->stageStride(s), layout.strides[s]);
            }
            const at::Tensor x = torch::randn({2, c.channels, c.size, c.size});
            torch::NoGradGuard noGrad;
            const models::FeatureSet f = net->forwardFeatures(x);
            // A side of `size` pixels after a total stride: exact for 32 px; convolutions round odd sides
            // up, max-pools down (VGG: 7 → 3).
            auto sideOk = [&](int64_t side, int64_t stride) {
                return side == (c.size + stride - 1) / stride || side == std::max<int64_t>(1, c.size / stride);
            };
            QCOMPARE(f.stem.dim(), 4);
            QCOMPARE(f.stem.size(0), 2);
            QVERIFY2(sideOk(f.stem.size(2), layout.stemStride) && f.stem.size(3) == f.stem.size(2),
                     qPrintable(shape(f.stem)));
            QCOMPARE(int64_t(f.stages.size()), stages);
            QCOMPARE(int64_t(f.preReLU.size()), stages);
            for (int64_t s = 0; s < stages; ++s) {
                const at::Tensor& out = f.stages[s];
                const QString what = QString("stage %1: %2").arg(s).arg(shape(out));
                QVERIFY2(out.dim() == 4 && out.size(0) == 2 && out.size(1) == layout.channels[s], qPrintable(what));
                QVERIFY2(sideOk(out.size(2), layout.strides[s]) && out.size(3) == out.size(2), qPrintable(what));
                if (c.size == 32) QVERIFY2(out.size(2) == 32 / layout.strides[s], qPrintable(what));
                QVERIFY2(f.preReLU[s].sizes() == out.sizes(), qPrintable(what));
                if (layout.endsInReLU[s]) {
                    // The stage output is the ReLU of its pre-activation, which has negative entries.
                    QVERIFY2(close(at::relu(f.preReLU[s]), out), qPrintable(what));
                    QVERIFY2(f.preReLU[s].min().item<double>() < 0, qPrintable(what));
                } else {
                    // No final ReLU: the output itself, negative entries included.
                    QVERIFY2(f.preReLU[s].equal(out), qPrintable(what));
                    QVERIFY2(out.min().item<double>() < 0, qPrintable(what));
                }
            }
            QCOMPARE(f.pooled.sizes().vec(), (std::vector<int64_t>{2, layout.channels.back()}));
            QCOMPARE(f.logits.sizes().vec(), (std::vector<int64_t>{2, c.classes}));
            QVERIFY(close(f.pooled, f.stages.back().mean({2, 3})));
            QVERIFY(close(net->forward(x), f.logits));
            QVERIFY(close(net->head(f.stages.back()), f.logits));
            QVERIFY(close(net->forwardStages(x, 0, 0), f.stem));
        }
    }

    void stagewiseCompositionEqualsForward_data() { stagesAndShapes_data(); }

    void stagewiseCompositionEqualsForward() {
        QFETCH(QString, name);
        auto net = createModel(name.toStdString(), 3, 10);
        net->eval();
        torch::NoGradGuard noGrad;
        const at::Tensor x = torch::randn({2, 3, 32, 32});
        const at::Tensor reference = net->forward(x);
        const int64_t n = net->numStages();
        // begin == 0 always takes the image, so the split points are 1..n (n: all stages, then nothing).
        for (int64_t k = 1; k <= n; ++k) {
            const at::Tensor front = net->forwardStages(x, 0, k);
            const at::Tensor back = net->forwardStages(front, k, n);
            QVERIFY2(close(net->head(back), reference), qPrintable(QString("split at %1").arg(k)));
        }
        // Stage by stage, one at a time.
        at::Tensor h = net->forwardStages(x, 0, 1);
        for (int64_t s = 1; s < n; ++s) h = net->forwardStages(h, s, s + 1);
        QVERIFY(close(net->head(h), reference));
    }

    void foldedBatchNormComputesTheSameFeatures_data() { stagesAndShapes_data(); }

    // The frozen teacher's batch norms folded into their convolutions: every feature a method reads
    // (stem, stages, pre-ReLU maps, pooled, logits) is unchanged. Norm statistics and affine parameters
    // are made non-trivial first, or a fold that skipped them would pass.
    void foldedBatchNormComputesTheSameFeatures() {
        QFETCH(QString, name);
        auto net = createModel(name.toStdString(), 3, 10);
        net->eval();
        torch::NoGradGuard noGrad;
        int64_t foldable = 0, plain = 0;
        for (const auto& module : net->modules()) {
            const auto randomise = [](auto& norm) {
                norm.running_mean.normal_(0, 0.2);
                norm.running_var.uniform_(0.5, 2.0);
                norm.weight.normal_(1, 0.3);
                norm.bias.normal_(0, 0.2);
            };
            if (auto* norm = module->as<models::FoldableBatchNorm2dImpl>()) {
                randomise(*norm);
                ++foldable;
            } else if (auto* norm = module->as<torch::nn::BatchNorm2d>()) {
                randomise(*norm);
                ++plain;
            }
        }
        // Every norm that follows a convolution is foldable; only WRN's pre-activation norms are not.
        if (name.startsWith("wrn")) QCOMPARE(foldable, int64_t(0));
        else QCOMPARE(plain, int64_t(0));

        const at::Tensor x = torch::randn({2, 3, 32, 32});
        const models::FeatureSet before = net->forwardFeatures(x);
        QCOMPARE(models::foldBatchNorm(*net), foldable);
        QCOMPARE(models::foldBatchNorm(*net), int64_t(0));   // folded once only
        const models::FeatureSet after = net->forwardFeatures(x);
        const auto same = [](const at::Tensor& a, const at::Tensor& b) {
            const double scale = std::max(1.0, a.abs().max().item<double>());
            return a.sizes() == b.sizes() && at::allclose(a, b, 1e-4, 1e-5 * scale);
        };
        QVERIFY(same(before.stem, after.stem));
        for (size_t s = 0; s < before.stages.size(); ++s) {
            QVERIFY2(same(before.stages[s], after.stages[s]), qPrintable(QString("stage %1").arg(s)));
            QVERIFY2(same(before.preReLU[s], after.preReLU[s]), qPrintable(QString("stage %1 pre-ReLU").arg(s)));
        }
        QVERIFY(same(before.pooled, after.pooled));
        QVERIFY(same(before.logits, after.logits));
    }

    void parameterCountsMatchReference() {
        // Printed by tests/fixtures/repdistiller_param_counts.py, an independent PyTorch re-definition of
        // RepDistiller's models/*.py and torchvision's ImageNet ResNets: parameters, parameter tensors,
        // buffers, and the SHA-1 of the space-joined parameter names and of the buffer names, in
        // registration order. 3 input channels; 100 classes, 1000 for the ImageNet ResNets.
        struct Expected {
            int64_t params, tensors, buffers;
            const char* namesSha1;
            const char* buffersSha1;
        };
        const std::map<std::string, Expected> expected{
            {"resnet8",
             {83892, 29, 27, "26d4bfe154fcdc13fb1b109f2bd1ae4923e4ceec",
              "b6101b0339320636fec4c356d4a43f86cabac46e"}},
            {"resnet14",
             {181108, 47, 45, "a30bd42e089c2482612c75ce31321621fe457c0a",
              "97ddb0d8b8c9bbc6d41e1ec58d75e6a3ef789e2e"}},
            {"resnet20",
             {278324, 65, 63, "e1e7da409f5e2f2338c069a15e6191c03e328075",
              "b4f7b3dd25b6a49c4cb5b22e826ed14f1e948370"}},
            {"resnet32",
             {472756, 101, 99, "36ba52a4195940fa3f6f8c1a132ee58811b40e75",
              "086007b14bc636b85c7feb4602adbf2224fc7737"}},
            {"resnet44",
             {667188, 137, 135, "fcf9ad8f9ccf19484ab201c5c8fc147553bb38a1",
              "7bddee35bc8089ba753569649a4cac3b9cd12e50"}},
            {"resnet56",
             {861620, 173, 171, "a37c3c686b857b1c2e4598b2e89f81132522e5cd",
              "2abcf02d05e39b673826c4b4486b016343d01b67"}},
            {"resnet110",
             {1736564, 335, 333, "b1e9778f04046335ab5894f132db1ef05c322d44",
              "e64983f76c54889d9e01f769ce96c6dfa201799b"}},
            {"resnet8x4",
             {1233540, 32, 30, "8ab80927f9ca3597dce93e6f44e3de074ec91684",
              "419bde889cced24360ff9dd662782c71d9e40ec7"}},
            {"resnet32x4",
             {7433860, 104, 102, "7d64e8ef441ce409273389dc16472aef62f115f5",
              "afb0b7efbb0e3affcae8309d24b56f9144034895"}},
            {"wrn_16_2",
             {703284, 44, 39, "305ce8c1d69183d5cf77a6c849197a25b251e3b7",
              "048b318524a76151993a5d78e1efdf1a31df236a"}},
            {"wrn_40_2",
             {2255156, 116, 111, "490fd57d6708df3d23d8cf7232cda8e00f07326c",
              "263a8e30e6607bdaffb96d9284925e39876c6ea3"}},
            {"vgg8",
             {3965028, 22, 15, "da131d6982cdf47294ea34663d34a023809a1e46",
              "b4f197265bd820eec7c39fc4db25f71bf332247f"}},
            {"vgg11",
             {9277284, 34, 24, "7b17ded4417a253849c60a6991aed1b232e61f23",
              "3a2cef50be968ed399e8d449c58ddc5b4e9198f4"}},
            {"vgg13",
             {9462180, 42, 30, "f36c9e30580042d3fb4eb81096a52d9e79edb01b",
              "f2869d826e3292d243fb59a30c195e3e9ae4aedf"}},
            {"mobilenetv2",
             {812836, 161, 159, "e3fb4bfc9d1e2971f336229fa541998ca8d91f68",
              "1985f8444346900df184a9d7c32d4e5055987cfd"}},
            {"shufflenetv1",
             {949258, 149, 147, "0a7345dccbec3a55455d712e0279b3e17ae390ba",
              "f019e843c5cb839229aa55bdf7442ee49088ade7"}},
            {"shufflenetv2",
             {1355528, 170, 168, "552bd036966d98455d88c7754cf2fe04896e9607",
              "a59d4f855ee77caafb3774641381aa2d40b172ff"}},
            {"resnet18",
             {11689512, 62, 60, "3a6fb06f8ea65f405686d5dc6e755d21cdccd279",
              "187edb9e58d26f37b71e53fc65758ea299601a69"}},
            {"resnet34",
             {21797672, 110, 108, "29c7800dbb47dc1ecdf0bdcc778764c5a4cf06ac",
              "73684e132ff0f5d9316ace0123bcceb89f4c8c2a"}},
            {"resnet50",
             {25557032, 161, 159, "e7dcd77902eaae598ff8441820f2d52d1d0ffcd5",
              "4e7143f5beae2d05069cde6ce2bfbb6713f5556f"}},
            // tests/fixtures/resnetv2_param_counts.py: RepDistiller's resnetv2.py, verbatim, with its
            // shortcut/linear renamed downsample/fc (so the names equal torchvision's at other sizes).
            {"resnet18_cifar",
             {11220132, 62, 60, "3a6fb06f8ea65f405686d5dc6e755d21cdccd279",
              "187edb9e58d26f37b71e53fc65758ea299601a69"}},
            {"resnet50_cifar",
             {23705252, 161, 159, "e7dcd77902eaae598ff8441820f2d52d1d0ffcd5",
              "4e7143f5beae2d05069cde6ce2bfbb6713f5556f"}},
        };
        QCOMPARE(int64_t(expected.size()), int64_t(kAllModels.size()) - 1);   // all but tinycnn
        for (const auto& [name, e] : expected) {
            auto net = createModel(name, 3, isImageNetModel(name) ? 1000 : 100);
            qInfo("%-12s %9lld parameters", name.c_str(), static_cast<long long>(parameterCount(*net)));
            QCOMPARE(parameterCount(*net), e.params);
            QCOMPARE(int64_t(net->named_parameters().size()), e.tensors);
            QCOMPARE(int64_t(net->named_buffers().size()), e.buffers);
            QVERIFY2(sha1(parameterNames(*net)) == e.namesSha1, name.c_str());
            QVERIFY2(sha1(bufferNames(*net)) == e.buffersSha1, name.c_str());
        }
        // One input channel removes the stem weights of two channels (and nothing else).
        QCOMPARE(parameterCount(*createModel("resnet8", 1, 100)), 83892 - 2 * 9 * 16);
        QCOMPARE(parameterCount(*createModel("wrn_16_2", 1, 100)), 703284 - 2 * 9 * 16);
        QCOMPARE(parameterCount(*createModel("vgg8", 1, 100)), 3965028 - 2 * 9 * 64);
        QCOMPARE(parameterCount(*createModel("mobilenetv2", 1, 100)), 812836 - 2 * 9 * 16);
        QCOMPARE(parameterCount(*createModel("shufflenetv1", 1, 100)), 949258 - 2 * 24);
        QCOMPARE(parameterCount(*createModel("shufflenetv2", 1, 100)), 1355528 - 2 * 24);
        QCOMPARE(parameterCount(*createModel("resnet18", 1, 1000)), 11689512 - 2 * 49 * 64);
    }

    void cifarWideResNetsMatchReference() {
        // Stage and logit shapes of RepDistiller's resnetv2.py ResNet18/ResNet50 on a 2×3×32×32 batch, as
        // tests/fixtures/resnetv2_param_counts.py prints them (feats f1..f4 of forward(is_feat=True)):
        // the 3×3/1 stem without max-pool keeps stage 1 at 32×32, where the ImageNet resnet50 is at 8×8.
        const std::map<std::string, std::vector<std::vector<int64_t>>> expected{
            {"resnet18_cifar", {{2, 64, 32, 32}, {2, 128, 16, 16}, {2, 256, 8, 8}, {2, 512, 4, 4}}},
            {"resnet50_cifar", {{2, 256, 32, 32}, {2, 512, 16, 16}, {2, 1024, 8, 8}, {2, 2048, 4, 4}}},
        };
        torch::NoGradGuard noGrad;
        const at::Tensor x = torch::randn({2, 3, 32, 32});
        for (const auto& [name, shapes] : expected) {
            auto net = createModel(name, 3, 100);
            net->eval();
            const models::FeatureSet f = net->forwardFeatures(x);
            QCOMPARE(f.stem.sizes().vec(), (std::vector<int64_t>{2, 64, 32, 32}));
            QCOMPARE(int64_t(f.stages.size()), int64_t(shapes.size()));
            for (size_t s = 0; s < shapes.size(); ++s) QCOMPARE(f.stages[s].sizes().vec(), shapes[s]);
            QCOMPARE(f.logits.sizes().vec(), (std::vector<int64_t>{2, 100}));
        }
        QCOMPARE(createModel("resnet50", 3, 100)->forwardFeatures(x).stages[0].size(2), int64_t(8));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, models::TorchvisionResNet(models::TorchvisionResNet::Block::Bottleneck,
                                                                                  {3, 4, 0, 3}, 3, 100,
                                                                                  models::TorchvisionResNet::Stem::Cifar));
    }

    void parameterCountsMatchPublishedSizes() {
        // Sizes as the CRD paper and torchvision list them, in millions (rounded to 0.01M).
        const std::map<std::string, double> published{
            {"wrn_40_2", 2.26},   {"wrn_16_2", 0.70},     {"vgg13", 9.46},        {"vgg8", 3.97},
            {"mobilenetv2", 0.81}, {"shufflenetv1", 0.95}, {"shufflenetv2", 1.36}, {"resnet18", 11.69},
            {"resnet34", 21.80},  {"resnet50", 25.56},    {"resnet56", 0.86},     {"resnet32x4", 7.43},
        };
        for (const auto& [name, millions] : published) {
            auto net = createModel(name, 3, isImageNetModel(name) ? 1000 : 100);
            const double actual = parameterCount(*net) / 1e6;
            QVERIFY2(std::abs(actual - millions) < 0.005, qPrintable(QString("%1: %2M").arg(name.c_str()).arg(actual)));
        }
    }

    void parameterNamesMatchReference() {
        // As printed by tests/fixtures/repdistiller_param_counts.py. Full lists for three families; the
        // other models' full lists are compared through their SHA-1 in parameterCountsMatchReference.
        const QString resnet8 =
            "conv1.weight bn1.weight bn1.bias layer1.0.conv1.weight layer1.0.bn1.weight layer1.0.bn1.bias "
            "layer1.0.conv2.weight layer1.0.bn2.weight layer1.0.bn2.bias layer2.0.conv1.weight layer2.0.bn1.weight "
            "layer2.0.bn1.bias layer2.0.conv2.weight layer2.0.bn2.weight layer2.0.bn2.bias "
            "layer2.0.downsample.0.weight layer2.0.downsample.1.weight layer2.0.downsample.1.bias "
            "layer3.0.conv1.weight layer3.0.bn1.weight layer3.0.bn1.bias layer3.0.conv2.weight layer3.0.bn2.weight "
            "layer3.0.bn2.bias layer3.0.downsample.0.weight layer3.0.downsample.1.weight "
            "layer3.0.downsample.1.bias fc.weight fc.bias";
        QCOMPARE(parameterNames(*createModel("resnet8", 3, 100)).join(' '), resnet8);
        const QString vgg8 =
            "block0.0.weight block0.0.bias block0.1.weight block0.1.bias block1.0.weight block1.0.bias "
            "block1.1.weight block1.1.bias block2.0.weight block2.0.bias block2.1.weight block2.1.bias "
            "block3.0.weight block3.0.bias block3.1.weight block3.1.bias block4.0.weight block4.0.bias "
            "block4.1.weight block4.1.bias classifier.weight classifier.bias";
        QCOMPARE(parameterNames(*createModel("vgg8", 3, 100)).join(' '), vgg8);
        const QString wrn16 =
            "conv1.weight block1.layer.0.bn1.weight block1.layer.0.bn1.bias block1.layer.0.conv1.weight "
            "block1.layer.0.bn2.weight block1.layer.0.bn2.bias block1.layer.0.conv2.weight "
            "block1.layer.0.convShortcut.weight block1.layer.1.bn1.weight block1.layer.1.bn1.bias "
            "block1.layer.1.conv1.weight block1.layer.1.bn2.weight block1.layer.1.bn2.bias "
            "block1.layer.1.conv2.weight block2.layer.0.bn1.weight block2.layer.0.bn1.bias "
            "block2.layer.0.conv1.weight block2.layer.0.bn2.weight block2.layer.0.bn2.bias "
            "block2.layer.0.conv2.weight block2.layer.0.convShortcut.weight block2.layer.1.bn1.weight "
            "block2.layer.1.bn1.bias block2.layer.1.conv1.weight block2.layer.1.bn2.weight "
            "block2.layer.1.bn2.bias block2.layer.1.conv2.weight block3.layer.0.bn1.weight "
            "block3.layer.0.bn1.bias block3.layer.0.conv1.weight block3.layer.0.bn2.weight "
            "block3.layer.0.bn2.bias block3.layer.0.conv2.weight block3.layer.0.convShortcut.weight "
            "block3.layer.1.bn1.weight block3.layer.1.bn1.bias block3.layer.1.conv1.weight "
            "block3.layer.1.bn2.weight block3.layer.1.bn2.bias block3.layer.1.conv2.weight bn1.weight bn1.bias "
            "fc.weight fc.bias";
        QCOMPARE(parameterNames(*createModel("wrn_16_2", 3, 100)).join(' '), wrn16);

        // First and last names of the others, as the script prints them.
        struct Ends {
            const char* model;
            const char* first;
            const char* last;
        };
        const Ends ends[] = {
            {"mobilenetv2",
             "conv1.0.weight conv1.1.weight conv1.1.bias blocks.0.0.conv.0.weight blocks.0.0.conv.1.weight "
             "blocks.0.0.conv.1.bias blocks.0.0.conv.3.weight blocks.0.0.conv.4.weight blocks.0.0.conv.4.bias "
             "blocks.0.0.conv.6.weight blocks.0.0.conv.7.weight blocks.0.0.conv.7.bias",
             "blocks.6.0.conv.7.bias conv2.0.weight conv2.1.weight conv2.1.bias classifier.0.weight classifier.0.bias"},
            {"shufflenetv1",
             "conv1.weight bn1.weight bn1.bias layer1.0.conv1.weight layer1.0.bn1.weight layer1.0.bn1.bias "
             "layer1.0.conv2.weight layer1.0.bn2.weight layer1.0.bn2.bias layer1.0.conv3.weight layer1.0.bn3.weight "
             "layer1.0.bn3.bias",
             "layer3.3.bn2.bias layer3.3.conv3.weight layer3.3.bn3.weight layer3.3.bn3.bias linear.weight linear.bias"},
            {"shufflenetv2",
             "conv1.weight bn1.weight bn1.bias layer1.0.conv1.weight layer1.0.bn1.weight layer1.0.bn1.bias "
             "layer1.0.conv2.weight layer1.0.bn2.weight layer1.0.bn2.bias layer1.0.conv3.weight layer1.0.bn3.weight "
             "layer1.0.bn3.bias",
             "layer3.3.bn3.bias conv2.weight bn2.weight bn2.bias linear.weight linear.bias"},
            {"resnet50",
             "conv1.weight bn1.weight bn1.bias layer1.0.conv1.weight layer1.0.bn1.weight layer1.0.bn1.bias "
             "layer1.0.conv2.weight layer1.0.bn2.weight layer1.0.bn2.bias layer1.0.conv3.weight layer1.0.bn3.weight "
             "layer1.0.bn3.bias",
             "layer4.2.bn2.bias layer4.2.conv3.weight layer4.2.bn3.weight layer4.2.bn3.bias fc.weight fc.bias"},
        };
        for (const Ends& e : ends) {
            const QStringList names = parameterNames(*createModel(e.model, 3, 100));
            QCOMPARE(names.mid(0, 12).join(' '), QString(e.first));
            QCOMPARE(names.mid(names.size() - 6).join(' '), QString(e.last));
        }

        auto net = createModel("resnet8", 3, 100);
        QVERIFY(net->named_buffers().contains("layer3.0.downsample.1.running_var"));
        // resnet32's last block of stage 3 and resnet8x4's widened first stage (downsample at 32→64).
        QVERIFY(createModel("resnet32", 3, 10)->named_parameters().contains("layer3.4.conv2.weight"));
        QVERIFY(createModel("resnet8x4", 3, 10)->named_parameters().contains("layer1.0.downsample.0.weight"));
        QVERIFY(!createModel("resnet8", 3, 10)->named_parameters().contains("layer1.0.downsample.0.weight"));
        QVERIFY(createModel("resnet18", 3, 10)->named_parameters().contains("layer2.0.downsample.0.weight"));
        QVERIFY(!createModel("resnet18", 3, 10)->named_parameters().contains("layer1.0.downsample.0.weight"));
        QVERIFY(createModel("resnet50", 3, 10)->named_parameters().contains("layer1.0.downsample.0.weight"));
    }

    void initialisationAsReference() {
        // Kaiming normal, fan_out, ReLU gain: std = sqrt(2 / (out_channels × 3 × 3)).
        auto net = createModel("resnet32x4", 3, 100);
        const auto params = net->named_parameters();
        const at::Tensor w = params["layer3.0.conv2.weight"];
        const double expectedStd = std::sqrt(2.0 / (256 * 9));
        QVERIFY(std::abs(w.std().item<double>() / expectedStd - 1.0) < 0.01);
        QVERIFY(std::abs(w.mean().item<double>()) < 0.001);
        const at::Tensor stem = params["conv1.weight"];   // fan_out = 32 × 9
        QVERIFY(std::abs(stem.std().item<double>() / std::sqrt(2.0 / (32 * 9)) - 1.0) < 0.15);
        for (const auto& p : params) {
            if (p.key().find("bn") != std::string::npos || p.key().find("downsample.1") != std::string::npos) {
                const bool weight = p.key().size() > 6 && p.key().substr(p.key().size() - 6) == "weight";
                QVERIFY2(p.value().equal(weight ? at::ones_like(p.value()) : at::zeros_like(p.value())),
                         p.key().c_str());
            }
        }
        auto relativeStdError = [](const at::Tensor& t, double expected) {
            return std::abs(t.std().item<double>() / expected - 1.0);
        };
        // RepDistiller vgg.py: conv biases zero, classifier weight normal(0, 0.01), bias zero.
        auto vgg = createModel("vgg8", 3, 100)->named_parameters();
        QVERIFY(relativeStdError(vgg["block3.0.weight"], std::sqrt(2.0 / (512 * 9))) < 0.01);
        QVERIFY(vgg["block3.0.bias"].eq(0).all().item<bool>());
        QVERIFY(relativeStdError(vgg["classifier.weight"], 0.01) < 0.02);
        QVERIFY(vgg["classifier.bias"].eq(0).all().item<bool>());
        // mobilenetv2.py: the same for the convs (here depthwise, fan_out = 480 × 9) and the classifier.
        auto mobile = createModel("mobilenetv2", 3, 100)->named_parameters();
        QVERIFY(relativeStdError(mobile["blocks.6.0.conv.3.weight"], std::sqrt(2.0 / (480 * 9))) < 0.05);
        QVERIFY(relativeStdError(mobile["classifier.0.weight"], 0.01) < 0.02);
        // wrn.py: the linear layer keeps its default weight (uniform ±1/sqrt(128)) with a zero bias.
        auto wrn = createModel("wrn_40_2", 3, 100)->named_parameters();
        QVERIFY(wrn["fc.bias"].eq(0).all().item<bool>());
        QVERIFY(wrn["fc.weight"].abs().max().item<double>() <= 1.0 / std::sqrt(128.0));
        QVERIFY(relativeStdError(wrn["block3.layer.5.conv2.weight"], std::sqrt(2.0 / (128 * 9))) < 0.01);
        // torchvision: Kaiming normal (fan_out) convs; the fc keeps its default (non-zero) bias.
        auto r50 = createModel("resnet50", 3, 1000)->named_parameters();
        QVERIFY(relativeStdError(r50["layer4.0.conv2.weight"], std::sqrt(2.0 / (512 * 9))) < 0.01);
        QVERIFY(r50["fc.bias"].ne(0).any().item<bool>());
        // ShuffleNets: PyTorch's default, Kaiming uniform with a = sqrt(5): ±1/sqrt(fan_in), std bound/sqrt(3).
        auto shuffle = createModel("shufflenetv2", 3, 100)->named_parameters();
        const at::Tensor pw = shuffle["layer3.1.conv1.weight"];   // 232 → 232 inputs per output
        const double bound = 1.0 / std::sqrt(232.0);
        QVERIFY(pw.abs().max().item<double>() <= bound);
        QVERIFY(relativeStdError(pw, bound / std::sqrt(3.0)) < 0.02);
    }

    void trainEvalAndSaveLoad() {
        auto net = createModel("resnet8", 1, 10);
        net->train();
        // A training-mode step moves BN running statistics; eval mode leaves them alone.
        const at::Tensor x = torch::randn({4, 1, 28, 28});
        net->forward(x);
        net->eval();
        for (const auto& m : net->modules()) QVERIFY(!m->is_training());
        const at::Tensor before = net->forward(x).detach();

        QTemporaryDir dir;
        const std::string file = dir.filePath("resnet8.pt").toStdString();
        {
            torch::serialize::OutputArchive archive;
            net->save(archive);
            archive.save_to(file);
        }
        torch::manual_seed(123);
        auto fresh = createModel("resnet8", 1, 10);
        fresh->eval();
        QVERIFY(!close(fresh->forward(x), before));
        torch::serialize::InputArchive archive;
        archive.load_from(file);
        fresh->load(archive);
        QVERIFY(close(fresh->forward(x), before));
        QVERIFY(fresh->named_buffers()["bn1.num_batches_tracked"].item<int64_t>() == 1);
    }

    void tinyCnnLearnsSynthetic() {
        // The synthetic data set is made to be learnt by the tiny CNN in a few dozen SGD steps.
        data::SyntheticOptions o;
        o.seed = 4;
        const data::DatasetSplits d = data::makeSynthetic(o, 0);
        torch::manual_seed(4);
        auto net = createModel("tinycnn", 1, 10);
        net->train();
        torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9).weight_decay(5e-4));
        at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(4);
        std::vector<double> losses;
        for (int step = 0; step < 30; ++step) {
            const at::Tensor idx = at::randint(0, d.train.size(), {64}, gen, at::kLong);
            const at::Tensor x = data::normalise(d.train.images.index_select(0, idx), d.train, at::kCPU);
            const at::Tensor loss = torch::cross_entropy_loss(net->forward(x), d.train.labels.index_select(0, idx));
            opt.zero_grad();
            loss.backward();
            opt.step();
            losses.push_back(loss.item<double>());
        }
        const double first = losses.front();
        const double last = (losses[25] + losses[26] + losses[27] + losses[28] + losses[29]) / 5;
        net->eval();
        torch::NoGradGuard noGrad;
        const at::Tensor logits = net->forward(data::normalise(d.test.images, d.test, at::kCPU));
        const double accuracy = logits.argmax(1).eq(d.test.labels).to(at::kDouble).mean().item<double>();
        qInfo("tinycnn on synthetic: loss %.3f -> %.3f, test accuracy %.3f", first, last, accuracy);
        QVERIFY(first > 1.9);
        QVERIFY(last < 1.5);
        QVERIFY(accuracy > 0.4);   // chance: 0.1; seeds 0..9 give 0.52..1.0
    }
};

QTEST_GUILESS_MAIN(TestModels)
#include "test_models.moc"
