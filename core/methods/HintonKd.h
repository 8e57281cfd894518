#pragma once
#include "methods/Distiller.h"

namespace distillery::methods {

// kd (Hinton et al. 2015): gamma*CE(z_s, y) + alpha*T^2*KL(softmax(z_t/T) || softmax(z_s/T)),
// KL summed over classes and averaged over the batch, as RepDistiller and mdistiller do.
class HintonKd : public Distiller {
public:
    HintonKd(double temperature, double gamma, double alpha);
    std::string name() const override { return "kd"; }
    bool needsTeacher() const override { return true; }
    std::vector<LossTerm> losses(const StepInputs& inputs) override;

    // The unweighted T^2-scaled KL term alone, shared by methods that add KD to their own terms.
    static at::Tensor klDivergence(const at::Tensor& studentLogits, const at::Tensor& teacherLogits, double temperature);

protected:
    std::vector<Spot> ownSpots() const override { return {{"logits", Spot::kLogits, Spot::kLogits, ""}}; }

private:
    double temperature_, gamma_, alpha_;
};

// kd from its parameters T, gamma and alpha.
std::shared_ptr<Distiller> makeHintonKd(const MethodBuild& build);

}  // namespace distillery::methods
