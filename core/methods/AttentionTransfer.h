#pragma once
#include <utility>

#include "methods/Distiller.h"

namespace distillery::methods {

// at (Zagoruyko & Komodakis 2017, after RepDistiller's Attention):
// CE(z_s, y) + beta·Σ_k mean((a(F_s^k) − a(F_t^k))²), a(F) = L2-normalise(flatten(mean_c F^p)), p = 2.
// F are the stages' post-activation outputs (RepDistiller's feat[1:-1]); when the two maps of a pair
// differ in size, the larger is adaptive-average-pooled to the smaller before a() (RepDistiller pools
// the student's). Channel counts need not match: a() averages them away.
class AttentionTransfer : public Distiller {
public:
    // Each pair is (student stage, teacher stage).
    AttentionTransfer(double beta, double p, std::vector<std::pair<int64_t, int64_t>> pairs);
    std::string name() const override { return "at"; }
    bool needsTeacher() const override { return true; }
    bool needsFeatures() const override { return true; }
    std::vector<LossTerm> losses(const StepInputs& inputs) override { return spotTerms(inputs); }
    at::Tensor spotLoss(size_t spot, const models::FeatureSet& student, const models::FeatureSet& teacher) override;

    const std::vector<std::pair<int64_t, int64_t>>& pairs() const { return pairs_; }
    // B×(H·W) attention map of one N×C×H×W feature.
    static at::Tensor attention(const at::Tensor& feature, double p);
    // The unweighted loss of one pair.
    static at::Tensor pairLoss(const at::Tensor& studentMap, const at::Tensor& teacherMap, double p);

protected:
    std::vector<Spot> ownSpots() const override {
        std::vector<Spot> spots;
        for (const auto& [student, teacher] : pairs_)
            spots.push_back({"stage " + std::to_string(student + 1), student, teacher,
                             "attention maps, the larger pooled to the smaller size"});
        return spots;
    }

private:
    double beta_, p_;
    std::vector<std::pair<int64_t, int64_t>> pairs_;
};

// at: one spot per stage of the net with fewer stages, each paired by relative depth (stageAtDepth).
std::shared_ptr<Distiller> makeAttentionTransfer(const MethodBuild& build);

}  // namespace distillery::methods
