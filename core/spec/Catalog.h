#pragma once
// What the engine offers, declared once without torch: the models' names and every method's
// parameters with defaults, ranges and help. The engine validates against it, `distillery-engine
// methods` prints it, and the GUI can build its forms from it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace distillery::spec {

struct ParamDecl {
    std::string name;
    double defaultValue = 0;
    double min = 0;                  // inclusive
    double max = 0;                  // inclusive
    std::string help;
};

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

// "a, b, c" for error messages.
std::string joinNames(const std::vector<std::string>& names);

}  // namespace distillery::spec
