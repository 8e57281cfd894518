#include "engine/NonFiniteWatch.h"

#include <cmath>

namespace distillery::engine {

void NonFiniteWatch::observe(const std::vector<methods::LossTerm>& terms, const at::Tensor& total, int64_t step) {
    std::vector<at::Tensor> values;
    std::vector<std::string> names;
    for (const auto& term : terms) {
        values.push_back(term.value.detach().to(at::kFloat).reshape({}));
        names.push_back(term.name);
    }
    values.push_back(total.detach().to(at::kFloat).reshape({}));
    names.push_back("total");
    const at::Tensor now = at::stack(values);
    if (names != names_ || !firstStep_.defined()) {
        names_ = names;
        firstStep_ = at::full({static_cast<int64_t>(names.size())}, -1, now.options().dtype(at::kLong));
        firstValue_ = at::zeros_like(now);
    }
    const at::Tensor fresh = now.isfinite().logical_not().logical_and(firstStep_.lt(0));
    firstStep_ = at::where(fresh, at::full_like(firstStep_, step), firstStep_);
    firstValue_ = at::where(fresh, now, firstValue_);
}

std::optional<std::string> NonFiniteWatch::firstProblem() const {
    if (!firstStep_.defined()) return std::nullopt;
    const at::Tensor steps = firstStep_.cpu(), values = firstValue_.cpu();
    const int64_t* step = steps.data_ptr<int64_t>();
    const float* value = values.data_ptr<float>();
    const int64_t count = steps.numel();
    int64_t first = -1;
    for (int64_t i = 0; i < count; ++i)
        if (step[i] >= 0 && (first < 0 || step[i] < step[first] || (step[i] == step[first] && names_[first] == "total")))
            first = i;
    if (first < 0) return std::nullopt;
    auto describe = [](float v) { return std::isnan(v) ? std::string("nan") : v > 0 ? std::string("inf") : std::string("-inf"); };
    std::string text = names_[first] == "total"
                           ? "the training loss became " + describe(value[first])
                           : "the loss term " + names_[first] + " became " + describe(value[first]);
    text += " at step " + std::to_string(step[first]);
    std::string others;
    for (int64_t i = 0; i < count; ++i)
        if (i != first && step[i] == step[first] && names_[i] != "total") others += (others.empty() ? "" : ", ") + names_[i];
    if (!others.empty()) text += " (" + others + " too)";
    return text;
}

void NonFiniteWatch::reset() {
    names_.clear();
    firstStep_ = at::Tensor();
    firstValue_ = at::Tensor();
}

std::vector<std::string> NonFiniteWatch::nonFiniteTerms(const std::vector<methods::LossTerm>& terms,
                                                        const at::Tensor& total) {
    // A finite total implies finite terms (a NaN or an infinity in any term reaches the sum), so the
    // usual step costs one synchronisation; only a bad step looks at each term.
    std::vector<std::string> names;
    if (total.detach().isfinite().all().item<bool>()) return names;
    for (const auto& term : terms)
        if (!term.value.detach().isfinite().all().item<bool>()) names.push_back(term.name);
    if (names.empty()) names.push_back("total");
    return names;
}

}  // namespace distillery::engine
