#pragma once
// Golden values written by the independent Python references in tests/fixtures/ (golden_*.py).
#include <fstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

inline nlohmann::json readGoldenFixture(const std::string& fileName, const std::string& script) {
    const std::string path = std::string(DISTILLERY_SOURCE_DIR) + "/tests/fixtures/golden/" + fileName;
    std::ifstream in(path);
    if (!in) throw std::runtime_error(path + " is missing; regenerate it with /usr/bin/python3 tests/fixtures/" + script);
    return nlohmann::json::parse(in);
}
