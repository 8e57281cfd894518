#include "methods/HintonKd.h"

#include <torch/torch.h>

namespace distillery::methods {

HintonKd::HintonKd(double temperature, double gamma, double alpha)
    : temperature_(temperature), gamma_(gamma), alpha_(alpha) {}

at::Tensor HintonKd::klDivergence(const at::Tensor& studentLogits, const at::Tensor& teacherLogits,
                                  double temperature) {
    // Computed in float32 whatever the autocast precision: a softmax at high T is a small difference.
    const auto logStudent = torch::log_softmax(studentLogits.to(at::kFloat) / temperature, 1);
    const auto logTeacher = torch::log_softmax(teacherLogits.to(at::kFloat) / temperature, 1);
    const auto kl = (logTeacher.exp() * (logTeacher - logStudent)).sum(1).mean();
    return kl * (temperature * temperature);
}

std::vector<LossTerm> HintonKd::losses(const StepInputs& inputs) {
    const auto& student = inputs.student.logits;
    return {{"ce", gamma_ * labelLoss(student, inputs.labels)},
            {"kd", alpha_ * klDivergence(student, inputs.teacher->logits.detach(), temperature_)}};
}

std::shared_ptr<Distiller> makeHintonKd(const MethodBuild& build) {
    const auto& m = build.method;
    return std::make_shared<HintonKd>(m.param("T"), m.param("gamma"), m.param("alpha"));
}

}  // namespace distillery::methods
