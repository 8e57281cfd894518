#include "engine/ExportManifest.h"

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>

#include "BuildInfo.h"
#include "data/DataLoading.h"
#include "engine/TrainingSetup.h"
#include "models/ModelRegistry.h"
#include "spec/Catalog.h"
#include "store/Results.h"

namespace distillery::engine {

using nlohmann::json;

namespace {

// Which Python code defines a zoo network under the same parameter names, and how to build it.
struct PythonSource {
    std::string imports;       // the import lines
    std::string constructor;   // an expression of num_classes K, "{K}" standing for it
    std::string origin;        // "RepDistiller models/resnet.py", for the JSON
    bool globalPool = true;    // false: the Python network pools with a window fixed for 32×32 input
    std::string poolFix;       // a line that makes it pool globally, when an attribute holds the pool
};

const char* kRepDistiller = "from models import model_dict   # RepDistiller's models/ "
                            "(github.com/HobbitLong/RepDistiller), run from its root folder";

std::optional<PythonSource> pythonSource(const std::string& model) {
    std::string family;
    for (const auto& info : models::modelInfos())
        if (info.name == model) family = info.family;
    const std::string quoted = "\"" + model + "\"";
    if (family == "resnet")
        return PythonSource{kRepDistiller, "model_dict[" + quoted + "](num_classes={K})", "RepDistiller models/resnet.py",
                            false, "model.avgpool = torch.nn.AdaptiveAvgPool2d(1)"};
    if (family == "wrn")
        return PythonSource{kRepDistiller, "model_dict[" + quoted + "](num_classes={K})", "RepDistiller models/wrn.py",
                            false, ""};
    if (family == "vgg")
        return PythonSource{kRepDistiller, "model_dict[" + quoted + "](num_classes={K})", "RepDistiller models/vgg.py",
                            true, ""};
    if (family == "mobilenet")
        return PythonSource{kRepDistiller, "model_dict[\"MobileNetV2\"](num_classes={K})",
                            "RepDistiller models/mobilenetv2.py (mobile_half)", false,
                            "model.avgpool = torch.nn.AdaptiveAvgPool2d(1)"};
    if (family == "shufflenet") {
        const std::string name = model == "shufflenetv1" ? "ShuffleV1" : "ShuffleV2";
        return PythonSource{kRepDistiller, "model_dict[\"" + name + "\"](num_classes={K})",
                            "RepDistiller models/ShuffleNetv" + std::string(model == "shufflenetv1" ? "1" : "2") + ".py",
                            false, ""};
    }
    if (family == "resnet-cifar-wide") {
        if (model == "resnet50_cifar")
            return PythonSource{kRepDistiller, "model_dict[\"ResNet50\"](num_classes={K})",
                                "RepDistiller models/resnetv2.py (ResNet50)", true, ""};
        return PythonSource{"from models.resnetv2 import ResNet18   # RepDistiller's models/ "
                            "(github.com/HobbitLong/RepDistiller), run from its root folder",
                            "ResNet18(num_classes={K})", "RepDistiller models/resnetv2.py (ResNet18)", true, ""};
    }
    if (family == "resnet-imagenet")
        return PythonSource{"import torchvision", "torchvision.models." + model + "(num_classes={K})",
                            "torchvision.models." + model, true, ""};
    return std::nullopt;   // Distillery's own test network
}

std::string replaceK(std::string text, int64_t classes) {
    const auto at = text.find("{K}");
    if (at != std::string::npos) text.replace(at, 3, std::to_string(classes));
    return text;
}

// "conv1.0" -> "model.conv1[0]": a module path as Python attribute and index access.
std::string pythonAccess(const std::string& path) {
    std::string out = "model";
    size_t start = 0;
    while (start <= path.size()) {
        const size_t end = std::min(path.find('.', start), path.size());
        const std::string part = path.substr(start, end - start);
        const bool index = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
        out += index ? "[" + part + "]" : "." + part;
        start = end + 1;
    }
    return out;
}

// The first convolution: its path and weight shape.
std::pair<std::string, std::vector<int64_t>> firstConvolution(const models::StagedNet& net) {
    for (const auto& item : net.named_modules("", /*include_self=*/false))
        if (const auto* conv = item.value()->as<torch::nn::Conv2dImpl>())
            return {item.key(), conv->weight.sizes().vec()};
    return {"", {}};
}

json optionalNumber(const std::optional<double>& value) { return value ? json(*value) : json(nullptr); }

std::string numbers(const std::vector<double>& values) { return json(values).dump(); }

}  // namespace

std::string manifestPath(const std::string& statePath) {
    return std::filesystem::path(statePath).replace_extension(".json").string();
}

ExportManifest describeExport(const store::Store& store, const store::RunRow& run, const spec::RunSpec& spec,
                              const models::StagedNet& net, const std::string& statePath,
                              const std::string& checkpointKind) {
    const spec::DataShape shape = spec::dataShape(spec.data);
    // The data set's constants where the table has them, else the training split's own statistics.
    std::vector<double> mean, stddev;
    std::string normalisation = "the data set's constants";
    const data::DatasetEntry* entry = data::findDataset(spec.data.name);
    if (entry && !entry->mean.empty()) {
        mean = entry->mean;
        stddev = entry->stddev;
    } else {
        const data::DatasetSplits splits = loadRunData(spec);
        mean = splits.train.mean;
        stddev = splits.train.std;
        normalisation = "the training split's own statistics";
    }
    const store::ValidationSelection selected = store::selectByValidation(store, run.id);
    const auto source = pythonSource(spec.studentModel);

    ExportManifest out;
    json& j = out.json;
    j["model"] = spec.studentModel;
    j["python_definition"] = source ? json(source->origin) : json(nullptr);
    j["state_dict"] = std::filesystem::path(statePath).filename().string();
    j["input_shape"] = {shape.channels, shape.height, shape.width};
    j["num_classes"] = shape.numClasses;
    j["normalize"] = {{"mean", mean},
                      {"std", stddev},
                      {"of", "pixel / 255, per channel: (pixel / 255 - mean) / std"},
                      {"source", normalisation}};
    j["class_names"] = spec::classNames(spec.data);
    j["run"] = {{"id", run.id},        {"name", run.name},     {"uuid", run.uuid},
                {"method", run.method}, {"teacher", run.teacher}, {"dataset", spec.data.name},
                {"seed", run.seed},    {"checkpoint", checkpointKind}};
    j["metrics"] = {{"val_acc1_best", optionalNumber(selected.bestVal)},
                    {"test_acc1_at_best_val", optionalNumber(selected.testAtBestVal)},
                    {"test_acc1_last", optionalNumber(selected.lastTest)}};
    j["distillery_version"] = versionDetails();
    if (!run.distilleryVersion.empty()) j["trained_with"] = run.distilleryVersion;

    // The Python that rebuilds the model and its transform.
    std::string& py = out.python;
    py += "import torch\nimport torchvision.transforms as T\n";
    if (source) {
        py += source->imports + "\n";
        py += "model = " + replaceK(source->constructor, shape.numClasses) + "\n";
    } else {
        py += "# " + spec.studentModel + " is Distillery's own test network (core/models/): no Python module defines "
              "it; define a torch.nn.Module with the state dict's names\n";
    }
    const auto [convPath, convShape] = firstConvolution(net);
    if (source && shape.channels != 3 && convShape.size() == 4) {
        // The Python definitions take RGB input; the run's images have another channel count.
        std::string sizes;
        for (size_t i = 0; i < convShape.size(); ++i) sizes += (i ? ", " : "") + std::to_string(convShape[i]);
        const std::string conv = pythonAccess(convPath);
        py += "# trained on " + std::to_string(shape.channels) + "-channel images: the first convolution takes " +
              std::to_string(shape.channels) + " channels\n";
        py += conv + ".in_channels = " + std::to_string(shape.channels) + "\n";
        py += conv + ".weight = torch.nn.Parameter(torch.empty(" + sizes + "))\n";
    }
    if (source && !source->globalPool && (shape.height != 32 || shape.width != 32)) {
        if (!source->poolFix.empty())
            py += source->poolFix + "   # Distillery pools globally; the Python model's window fits 32x32 input\n";
        else
            py += "# Distillery pools globally; this Python model pools with a window fixed for 32x32 input: make its "
                  "forward pool globally for " + std::to_string(shape.height) + "x" + std::to_string(shape.width) +
                  " images\n";
    }
    py += "model.load_state_dict(torch.load(\"" + statePath + "\", map_location=\"cpu\"))\n";
    py += "model.eval()\n";
    py += "transform = T.Compose([T.ToTensor(), T.Normalize(mean=" + numbers(mean) + ", std=" + numbers(stddev) +
          ")])   # images of " + std::to_string(shape.height) + "x" + std::to_string(shape.width) + " pixels, " +
          std::to_string(shape.channels) + " channel" + (shape.channels == 1 ? "" : "s") + "\n";
    return out;
}

void writeManifest(const ExportManifest& manifest, const std::string& path) {
    std::ofstream out(path);
    out << manifest.json.dump(2) << "\n";
    if (!out) throw std::runtime_error("export: cannot write \"" + path + "\" (folder missing, not writable, or disk full?)");
}

}  // namespace distillery::engine
