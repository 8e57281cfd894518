#pragma once
#include "methods/Distiller.h"

namespace distillery::methods {

// ce: the student alone on the labels ("vanilla"); also how a teacher is trained.
class CrossEntropy : public Distiller {
public:
    std::string name() const override { return "ce"; }
    bool needsTeacher() const override { return false; }
    std::vector<LossTerm> losses(const StepInputs& inputs) override;
};

// ce has no parameters.
std::shared_ptr<Distiller> makeCrossEntropy(const MethodBuild& build);

}  // namespace distillery::methods
