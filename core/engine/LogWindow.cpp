#include "engine/LogWindow.h"

#include <torch/torch.h>

#include <cmath>

namespace distillery::engine {

void LogWindow::add(const std::vector<methods::LossTerm>& terms, const at::Tensor& total, const at::Tensor& correct,
                    int64_t images) {
    for (const auto& term : terms) {
        auto& sum = termSums_[term.name];
        sum = sum.defined() ? sum + term.value.detach() : term.value.detach().to(at::kFloat).clone();
    }
    total_ = total_.defined() ? total_ + total.detach() : total.detach().to(at::kFloat).clone();
    correct_ = correct_.defined() ? correct_ + correct : correct.clone();
    ++steps_;
    images_ += images;
}

LogWindow::Means LogWindow::means() const {
    Means m;
    if (steps_ == 0) return m;
    m.total = total_.item<double>() / steps_;
    for (const auto& [name, sum] : termSums_) m.terms[name] = sum.item<double>() / steps_;
    m.accuracy = 100.0 * correct_.item<int64_t>() / std::max<int64_t>(1, images_);
    return m;
}

void LogWindow::reset() { *this = LogWindow(); }

void LogWindow::combine(const std::function<void(at::Tensor&)>& sumOverProcesses, int64_t processes) {
    if (steps_ == 0) return;   // every process skipped the same steps: nothing to combine anywhere
    // One all-reduce: [total, correct, images, the terms in name order] in float64 (counts stay exact).
    std::vector<at::Tensor> parts = {total_.to(at::kDouble).reshape({1}), correct_.to(at::kDouble).reshape({1}),
                                     at::full({1}, double(images_), total_.options().dtype(at::kDouble))};
    for (const auto& [name, sum] : termSums_) parts.push_back(sum.to(at::kDouble).reshape({1}));
    at::Tensor packed = at::cat(parts);
    sumOverProcesses(packed);
    const double share = 1.0 / double(processes);
    total_ = (packed[0] * share).to(total_.options());
    correct_ = packed[1].round().to(correct_.options());
    images_ = int64_t(std::llround(packed[2].item<double>()));
    int64_t i = 3;
    for (auto& [name, sum] : termSums_) sum = (packed[i++] * share).to(sum.options());
}

void LogWindow::save(torch::serialize::OutputArchive& archive) const {
    archive.write("steps", torch::tensor(steps_));
    archive.write("images", torch::tensor(images_));
    if (steps_ == 0) return;
    archive.write("total", total_.cpu());
    archive.write("correct", correct_.cpu());
    torch::serialize::OutputArchive terms;
    for (const auto& [name, sum] : termSums_) terms.write(name, sum.cpu());
    archive.write("terms", terms);
}

void LogWindow::load(torch::serialize::InputArchive& archive, const c10::Device& device) {
    reset();
    at::Tensor steps, images;
    archive.read("steps", steps);
    archive.read("images", images);
    steps_ = steps.item<int64_t>();
    images_ = images.item<int64_t>();
    if (steps_ == 0) return;
    archive.read("total", total_);
    archive.read("correct", correct_);
    total_ = total_.to(device);
    correct_ = correct_.to(device);
    torch::serialize::InputArchive terms;
    archive.read("terms", terms);
    for (const auto& name : terms.keys()) {
        at::Tensor sum;
        terms.read(name, sum);
        termSums_[name] = sum.to(device);
    }
}

}  // namespace distillery::engine
