#pragma once
#include "methods/Connector.h"
#include "methods/Distiller.h"

namespace distillery::methods {

// fitnet (Romero et al. 2015, after RepDistiller's HintLoss + ConvReg):
// CE(z_s, y) + beta·MSE(r(F_s^k), F_t^j), r a Connector (conv + BN + ReLU), MSE averaged over every
// element. F are the stages' outputs after their final activation, not preReLU: RepDistiller's
// hint is feat[hint_layer] of its post-activation feature list, and r ends in a ReLU, so it could
// never reproduce a preReLU target's negative values — the loss would carry a constant floor.
class FitNet : public Distiller {
public:
    // Distils student stage studentStage against teacher stage teacherStage; the connector maps
    // (studentChannels, studentStride) to (teacherChannels, teacherStride).
    FitNet(double beta, int64_t studentStage, int64_t teacherStage, int64_t studentChannels, int64_t studentStride,
           int64_t teacherChannels, int64_t teacherStride);
    std::string name() const override { return "fitnet"; }
    bool needsTeacher() const override { return true; }
    bool needsFeatures() const override { return true; }
    std::vector<LossTerm> losses(const StepInputs& inputs) override { return spotTerms(inputs); }
    at::Tensor spotLoss(size_t spot, const models::FeatureSet& student, const models::FeatureSet& teacher) override;

    int64_t studentStage() const { return studentStage_; }
    int64_t teacherStage() const { return teacherStage_; }
    Connector connector() const { return connector_; }

    // The unweighted hint loss: MSE(r(studentMap), teacherMap), spatially aligned if a pixel off.
    static at::Tensor hintLoss(Connector& connector, const at::Tensor& studentMap, const at::Tensor& teacherMap);

protected:
    std::vector<Spot> ownSpots() const override {
        return {{"stage " + std::to_string(studentStage_ + 1), studentStage_, teacherStage_, connector_->describe()}};
    }

private:
    double beta_;
    int64_t studentStage_, teacherStage_;
    Connector connector_{nullptr};
};

// fitnet: param stage is the student's stage (-1 = the middle one, (S_s-1)/2, RepDistiller's hint_layer 2
// on 3- and 4-stage nets); the teacher's stage is the one at the same relative depth (stageAtDepth).
// A stage the student lacks throws spec::FieldError at method.stage.
std::shared_ptr<Distiller> makeFitNet(const MethodBuild& build);

}  // namespace distillery::methods
