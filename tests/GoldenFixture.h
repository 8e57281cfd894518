#pragma once
// Golden values written by the independent Python references in tests/fixtures/ (golden_*.py), and
// what the method suites do with them.
#include <QtTest>

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "methods/Distiller.h"
#include "models/ModelRegistry.h"
#include "spec/RunSpec.h"

inline nlohmann::json readGoldenFixture(const std::string& fileName, const std::string& script) {
    const std::string path = std::string(DISTILLERY_SOURCE_DIR) + "/tests/fixtures/golden/" + fileName;
    std::ifstream in(path);
    if (!in) throw std::runtime_error(path + " is missing; regenerate it with /usr/bin/python3 tests/fixtures/" + script);
    return nlohmann::json::parse(in);
}

// The case named `name` of a golden file's "cases".
inline const nlohmann::json& goldenCase(const nlohmann::json& golden, const std::string& name) {
    for (const auto& c : golden["cases"])
        if (c["name"] == name) return c;
    throw std::runtime_error("no golden case " + name);
}

// A float32 tensor written by a reference script as {"shape": […], "data": […]}.
inline torch::Tensor tensorOf(const nlohmann::json& j) {
    return torch::tensor(j["data"].get<std::vector<double>>(), torch::kDouble)
        .to(torch::kFloat)
        .reshape(j["shape"].get<std::vector<int64_t>>());
}

// A QTest "name" column with one data row per golden case, named after the case.
inline void addGoldenCaseRows(const nlohmann::json& golden) {
    QTest::addColumn<QString>("name");
    for (const auto& c : golden["cases"]) {
        const std::string name = c["name"];
        QTest::newRow(name.c_str()) << QString::fromStdString(name);
    }
}

// A method spec with the given parameters; the others take their declared defaults.
inline distillery::spec::MethodSpec methodSpec(const std::string& name,
                                               const nlohmann::json& params = nlohmann::json::object()) {
    distillery::spec::MethodSpec m;
    m.name = name;
    m.params = params;
    return m;
}

// A teacher and a student of the zoo, a batch of two images (1×28×28 for one channel, else 3×32×32)
// with labels, and the teacher's features computed without gradient. A frozen teacher is in eval
// mode with no parameter gradients, as the trainer holds it.
struct ZooPair {
    std::shared_ptr<distillery::models::StagedNet> teacher, student;
    int64_t size = 0;
    torch::Tensor images, labels;
    distillery::models::FeatureSet teacherFeatures;
};

inline ZooPair makeZooPair(const QString& teacher, const QString& student, int channels, bool frozen = false) {
    ZooPair pair;
    pair.size = channels == 1 ? 28 : 32;
    pair.teacher = distillery::models::createModel(teacher.toStdString(), channels, 10);
    pair.student = distillery::models::createModel(student.toStdString(), channels, 10);
    if (frozen) {
        for (auto& p : pair.teacher->parameters()) p.set_requires_grad(false);
        pair.teacher->eval();
    }
    pair.images = torch::randn({2, channels, pair.size, pair.size});
    pair.labels = torch::tensor(std::vector<int64_t>{3, 7});
    torch::NoGradGuard noGrad;
    pair.teacherFeatures = pair.teacher->forwardFeatures(pair.images);
    return pair;
}

// The context of a 10-step run on a 64-image training set of one-channel pixels×pixels images.
inline distillery::methods::DistillerContext tinyRunContext(int64_t pixels, uint64_t seed) {
    distillery::methods::DistillerContext context;
    context.trainSize = 64;
    context.channels = 1;
    context.height = context.width = pixels;
    context.totalSteps = 10;
    context.seed = seed;
    return context;
}

// A random batch of images and labels (10 classes) with both nets' features, the teacher's computed
// without a graph.
struct RandomBatch {
    torch::Tensor images, labels;
    distillery::models::FeatureSet student, teacher;
};

inline RandomBatch batchFor(distillery::models::StagedNet& teacher, distillery::models::StagedNet& student,
                            int64_t size, int64_t channels, int64_t pixels) {
    RandomBatch b;
    b.images = torch::randn({size, channels, pixels, pixels});
    b.labels = torch::randint(0, 10, {size}, torch::kLong);
    {
        torch::NoGradGuard noGrad;
        b.teacher = teacher.forwardFeatures(b.images);
    }
    b.student = student.forwardFeatures(b.images);
    return b;
}

// The data of a zoo-pairs test: columns teacher, student and channels, one row per pair of a set
// that mixes channel counts, strides, stage counts and families (ResNet, WRN, VGG, MobileNet,
// ShuffleNet), on 1×28×28 and 3×32×32 inputs.
inline void addZooPairRows() {
    QTest::addColumn<QString>("teacher");
    QTest::addColumn<QString>("student");
    QTest::addColumn<int>("channels");
    const struct {
        const char *teacher, *student;
        int channels;
    } pairs[] = {{"resnet20", "resnet8", 1},  {"resnet32x4", "resnet8x4", 3}, {"wrn_40_2", "shufflenetv1", 3},
                 {"vgg13", "mobilenetv2", 3}, {"vgg13", "resnet8", 1},        {"resnet20", "mobilenetv2", 1}};
    for (const auto& p : pairs)
        QTest::newRow((std::string(p.teacher) + "->" + p.student + (p.channels == 1 ? " 1x28x28" : " 3x32x32")).c_str())
            << QString(p.teacher) << QString(p.student) << p.channels;
}
