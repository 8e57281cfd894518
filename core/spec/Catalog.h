#pragma once
// What the engine offers, declared once without torch: the models' names and every method's
// parameters with defaults, ranges and help. The engine validates against it, `distillery-engine
// methods` prints it, and the GUI can build its forms from it.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace distillery::spec {

// Most parameters are numbers in [min, max]. A few pick among names: one (SAKD's base method) or a
// list (multipath's paths, "at@stages"), or are a list of numbers (multipath's fixed weights).
enum class ParamKind { Number, Choice, Names, Numbers };

struct ParamDecl {
    ParamDecl() = default;
    // A number parameter, the common case.
    ParamDecl(std::string name, double defaultValue, double min, double max, std::string help)
        : name(std::move(name)), defaultValue(defaultValue), min(min), max(max), help(std::move(help)) {}

    std::string name;
    double defaultValue = 0;
    double min = 0;                  // inclusive; for Numbers, of every element
    double max = 0;                  // inclusive
    std::string help;
    ParamKind kind = ParamKind::Number;
    std::vector<std::string> choices;        // Choice: the allowed values; Names: allowed names before any '@'
    std::vector<std::string> defaultNames;   // Choice: one element; Names: the default list
};

ParamDecl choiceParam(std::string name, std::string defaultValue, std::vector<std::string> choices, std::string help);
ParamDecl namesParam(std::string name, std::vector<std::string> defaults, std::vector<std::string> choices,
                     std::string help);
// A list of numbers in [min, max]; empty by default.
ParamDecl numbersParam(std::string name, double min, double max, std::string help);

struct MethodDecl {
    std::string name;
    std::string summary;
    bool needsTeacher = false;
    std::vector<ParamDecl> params;
    const ParamDecl* param(const std::string& name) const;
};

const std::vector<MethodDecl>& methodCatalog();
// A feature method's parameters plus kd_alpha (0 = no KD term) and kd_T: the optional KD block.
std::vector<ParamDecl> withKdOption(std::vector<ParamDecl> params);
const MethodDecl* findMethod(const std::string& name);

const std::vector<std::string>& modelNames();
bool isKnownModel(const std::string& name);

const std::vector<std::string>& datasetNames();

// The image shape and class count a data spec yields, known without reading its files.
struct DataShape {
    int64_t channels = 1, height = 28, width = 28, numClasses = 10;
};
struct DataSpec;
DataShape dataShape(const DataSpec& data);
// The names of the data set's classes, by label index (dataShape(data).numClasses of them). The
// orders are the data sets' own: Fashion-MNIST's README (0 T-shirt/top … 9 Ankle boot), MNIST's
// digits, CIFAR-10's batches.meta.txt (0 airplane … 9 truck). CIFAR-100 (its 100 fine labels) and the
// synthetic set get "class 0" … "class N-1"; an image folder its class folders' names (imageFolderClasses of
// root/train, as the folder holds them now: a run stores the names it trained with, store::RunRow::classNames).
std::vector<std::string> classNames(const DataSpec& data);
// An image folder's classes: the sorted names of the folders in trainDir (root/train), hidden ones (".name") left
// out; empty when trainDir cannot be listed. Byte order, as Python's sorted() orders torchvision's ImageFolder classes.
std::vector<std::string> imageFolderClasses(const std::string& trainDir);

// The images in the data set's training files (the validation split and any subset come from them):
// 60,000 for fashion-mnist and mnist, 50,000 for cifar10 and cifar100, train_size for synthetic;
// 0 for an unknown name.
int64_t trainImageCount(const DataSpec& data);

// "a, b, c" for error messages.
std::string joinNames(const std::vector<std::string>& names);

}  // namespace distillery::spec
