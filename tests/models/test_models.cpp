// The model zoo: every registered StagedNet's stages, shapes and stage-wise composition; the CIFAR
// ResNets' sizes and parameter names against RepDistiller; initialisation; save/load; the tiny CNN
// learning the synthetic data set.
#include <torch/torch.h>

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "data/DataLoading.h"
#include "models/ModelRegistry.h"
#include "models/StagedNet.h"

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
        const std::vector<std::string> expected{"resnet8",   "resnet20",  "resnet32",   "resnet56",
                                                "resnet110", "resnet8x4", "resnet32x4", "tinycnn"};
        QCOMPARE(names, expected);
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
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, createModel("resnet8", 0, 10));
    }

    void stagesAndShapes_data() {
        QTest::addColumn<QString>("name");
        for (const auto& info : modelInfos()) QTest::newRow(info.name.c_str()) << QString::fromStdString(info.name);
    }

    void stagesAndShapes() {
        QFETCH(QString, name);
        const std::string model = name.toStdString();
        const bool tiny = model == "tinycnn";
        const int64_t expectedStages = tiny ? 2 : 3;
        std::vector<int64_t> expectedChannels{8, 16};
        if (!tiny) expectedChannels = model.find("x4") != std::string::npos ? std::vector<int64_t>{64, 128, 256}
                                                                              : std::vector<int64_t>{16, 32, 64};

        struct Case {
            int64_t channels, size, classes;
        };
        for (const Case c : {Case{1, 28, 10}, Case{3, 32, 100}}) {
            auto net = createModel(model, c.channels, c.classes);
            net->eval();
            QCOMPARE(net->numStages(), expectedStages);
            QCOMPARE(net->numClasses(), c.classes);
            for (int64_t s = 0; s < expectedStages; ++s) {
                QCOMPARE(net->stageChannels(s), expectedChannels[s]);
                QCOMPARE(net->stageStride(s), int64_t(1) << s);
            }
            const at::Tensor x = torch::randn({2, c.channels, c.size, c.size});
            torch::NoGradGuard noGrad;
            const models::FeatureSet f = net->forwardFeatures(x);
            QCOMPARE(f.stem.dim(), 4);
            QCOMPARE(f.stem.size(0), 2);
            QCOMPARE(f.stem.size(2), c.size);
            QCOMPARE(f.stem.size(3), c.size);
            QCOMPARE(int64_t(f.stages.size()), expectedStages);
            QCOMPARE(int64_t(f.preReLU.size()), expectedStages);
            for (int64_t s = 0; s < expectedStages; ++s) {
                const int64_t side = (c.size + net->stageStride(s) - 1) / net->stageStride(s);   // 28,14,7 / 32,16,8
                const std::vector<int64_t> expected{2, expectedChannels[s], side, side};
                QVERIFY2(f.stages[s].sizes().vec() == expected, qPrintable(shape(f.stages[s])));
                QVERIFY2(f.preReLU[s].sizes().vec() == expected, qPrintable(shape(f.preReLU[s])));
                // The stage output is the ReLU of its pre-activation, which has negative entries.
                QVERIFY(close(at::relu(f.preReLU[s]), f.stages[s]));
                QVERIFY(f.preReLU[s].min().item<double>() < 0);
            }
            QCOMPARE(f.pooled.sizes().vec(), (std::vector<int64_t>{2, expectedChannels.back()}));
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

    void parameterCountsMatchRepDistiller() {
        // Expected numbers printed by tests/fixtures/repdistiller_param_counts.py (an independent
        // PyTorch re-definition of RepDistiller's models/resnet.py), 3 input channels, 100 classes:
        // params, parameter tensors, buffers.
        struct Expected {
            int64_t params, tensors, buffers;
        };
        const std::map<std::string, Expected> expected{
            {"resnet8", {83892, 29, 27}},       {"resnet20", {278324, 65, 63}},
            {"resnet32", {472756, 101, 99}},    {"resnet56", {861620, 173, 171}},
            {"resnet110", {1736564, 335, 333}}, {"resnet8x4", {1233540, 32, 30}},
            {"resnet32x4", {7433860, 104, 102}},
        };
        for (const auto& [name, e] : expected) {
            auto net = createModel(name, 3, 100);
            QCOMPARE(parameterCount(*net), e.params);
            QCOMPARE(int64_t(net->named_parameters().size()), e.tensors);
            QCOMPARE(int64_t(net->named_buffers().size()), e.buffers);
        }
        // One input channel removes 2 × 9 × filters[0] stem weights.
        QCOMPARE(parameterCount(*createModel("resnet8", 1, 100)), 83892 - 2 * 9 * 16);
    }

    void parameterNamesMatchRepDistiller() {
        // As printed by tests/fixtures/repdistiller_param_counts.py for resnet8.
        const QString expected =
            "conv1.weight bn1.weight bn1.bias layer1.0.conv1.weight layer1.0.bn1.weight layer1.0.bn1.bias "
            "layer1.0.conv2.weight layer1.0.bn2.weight layer1.0.bn2.bias layer2.0.conv1.weight layer2.0.bn1.weight "
            "layer2.0.bn1.bias layer2.0.conv2.weight layer2.0.bn2.weight layer2.0.bn2.bias "
            "layer2.0.downsample.0.weight layer2.0.downsample.1.weight layer2.0.downsample.1.bias "
            "layer3.0.conv1.weight layer3.0.bn1.weight layer3.0.bn1.bias layer3.0.conv2.weight layer3.0.bn2.weight "
            "layer3.0.bn2.bias layer3.0.downsample.0.weight layer3.0.downsample.1.weight "
            "layer3.0.downsample.1.bias fc.weight fc.bias";
        QStringList names;
        auto net = createModel("resnet8", 3, 100);
        for (const auto& p : net->named_parameters()) names << QString::fromStdString(p.key());
        QCOMPARE(names.join(' '), expected);
        QVERIFY(net->named_buffers().contains("layer3.0.downsample.1.running_var"));
        // resnet32's last block of stage 3 and resnet8x4's widened first stage (downsample at 32→64).
        QVERIFY(createModel("resnet32", 3, 10)->named_parameters().contains("layer3.4.conv2.weight"));
        QVERIFY(createModel("resnet8x4", 3, 10)->named_parameters().contains("layer1.0.downsample.0.weight"));
        QVERIFY(!createModel("resnet8", 3, 10)->named_parameters().contains("layer1.0.downsample.0.weight"));
    }

    void initialisationAsRepDistiller() {
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
