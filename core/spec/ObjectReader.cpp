#include "spec/ObjectReader.h"

#include <cmath>
#include <iomanip>
#include <sstream>

namespace distillery::spec {

using nlohmann::json;

std::string formatNumber(double x) {
    std::ostringstream s;
    s << std::setprecision(15) << x;
    return s.str();
}

std::string describeValue(const json& value) {
    if (value.is_number_float()) return formatNumber(value.get<double>());
    // replace: a string built in code (not parsed) may hold invalid UTF-8, which dump() would throw on.
    std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
    return text.size() > 40 ? text.substr(0, 37) + "..." : text;
}

// The value as a whole number in [lo, hi], or nothing. A float is compared as a double before it is
// cast: casting 1e20 to int64_t is undefined behaviour, and a wrapped value would pass later checks.
std::optional<int64_t> wholeNumber(const json& v, int64_t lo, int64_t hi) {
    if (v.is_number_unsigned()) {   // nlohmann keeps 2^63..2^64-1 as unsigned: get<int64_t> would wrap
        const uint64_t u = v.get<uint64_t>();
        if (hi < 0 || u > static_cast<uint64_t>(hi)) return std::nullopt;
        const auto i = static_cast<int64_t>(u);
        return i < lo ? std::nullopt : std::optional<int64_t>(i);
    }
    if (v.is_number_integer()) {
        const auto i = v.get<int64_t>();
        return i < lo || i > hi ? std::nullopt : std::optional<int64_t>(i);
    }
    if (v.is_number_float()) {
        const double x = v.get<double>();
        constexpr double kTwoTo63 = 9223372036854775808.0;
        if (!std::isfinite(x) || std::floor(x) != x || x < -kTwoTo63 || x >= kTwoTo63) return std::nullopt;
        const auto i = static_cast<int64_t>(x);
        return i < lo || i > hi ? std::nullopt : std::optional<int64_t>(i);
    }
    return std::nullopt;
}

std::string range(int64_t lo, int64_t hi) { return "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]"; }

std::string shortNumber(double x) {
    std::ostringstream s;
    s << x;
    return s.str();
}

}  // namespace distillery::spec
