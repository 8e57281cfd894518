#pragma once
// Golden values written by the independent Python references in tests/fixtures/ (golden_*.py).
#include <fstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include <torch/torch.h>

#include <vector>

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
