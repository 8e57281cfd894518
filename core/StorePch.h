#pragma once
// Precompiled for distillery_store (the store and the specs) and the test suites that reuse it: the
// json and logging headers most of its files include.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
