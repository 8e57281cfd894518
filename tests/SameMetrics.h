#pragma once
// Whether two runs of a store wrote the same metrics: every key, step and value, bit for bit, the wall-clock rows
// (epoch_time) aside. What a resumed run must share with an uninterrupted one of the same spec.
#include <cstdint>
#include <cstdio>
#include <string>

#include "store/Store.h"

namespace distillery::testing {

// "" when the metrics are the same, else the first difference.
inline std::string metricsDifference(const store::Store& storeA, int64_t a, const store::Store& storeB, int64_t b) {
    const auto keys = storeA.metricKeys(a);
    if (storeB.metricKeys(b) != keys) return "the runs wrote different metric keys";
    for (const auto& key : keys) {
        if (key == "epoch_time") continue;   // wall clock
        const auto x = storeA.metrics(a, key), y = storeB.metrics(b, key);
        if (x.size() != y.size())
            return key + ": " + std::to_string(x.size()) + " rows against " + std::to_string(y.size());
        for (size_t i = 0; i < x.size(); ++i) {
            if (x[i].step == y[i].step && x[i].value == y[i].value) continue;
            char text[200];
            std::snprintf(text, sizeof text, "%s, row %zu: step %lld value %.17g against step %lld value %.17g",
                          key.c_str(), i, static_cast<long long>(x[i].step), x[i].value,
                          static_cast<long long>(y[i].step), y[i].value);
            return text;
        }
    }
    return {};
}

inline std::string metricsDifference(const store::Store& db, int64_t a, int64_t b) { return metricsDifference(db, a, db, b); }

}  // namespace distillery::testing
