#pragma once
#include <torch/nn/modules/linear.h>

#include "methods/Distiller.h"

namespace distillery::methods {

// crd: Contrastive Representation Distillation (Tian et al., ICLR 2020), after RepDistiller's
// crd/criterion.py (CRDLoss, ContrastLoss, Embed) and crd/memory.py (ContrastMemory).
//   CE(z_s, y) + beta·(L_s + L_t) (+ the optional KD block, off by default as in RepDistiller's -a 0)
// Embeddings: v_s = l2norm(W_s·pooled_s + b_s), v_t = l2norm(W_t·pooled_t + b_t), feat_dim wide; both
// linear layers are trained with the student. Two memory banks of trainSize×feat_dim (buffers, no
// gradient): memory_v1 holds student embeddings, memory_v2 teacher embeddings, initialised uniform in
// [−stdv, stdv], stdv = 1/sqrt(feat_dim/3). For each sample, index 0 is its own position in the
// training split (the positive) and nce_k indices are drawn uniformly at random (RepDistiller's
// AliasMethod over uniform unigrams = uniform sampling with replacement; the positive itself may be
// drawn as a negative, as there). Scores: out_t = exp(memory_v1[idx]·v_t/τ)/Z_t (teacher anchor),
// out_s = exp(memory_v2[idx]·v_s/τ)/Z_s (student anchor); each Z is set once, on the first batch,
// to mean(exp(·/τ))·trainSize and kept (buffer "z"). ContrastLoss with Pn = 1/trainSize, m = nce_k:
//   L = −[Σ_b log(P_pos/(P_pos + m·Pn + 1e−7)) + Σ_b Σ_k log(m·Pn/(P_neg + m·Pn + 1e−7))]/B.
// After scoring, the banks' rows at the batch's indices become l2norm(momentum·row + (1−momentum)·v).
// Negative indices come from a private CPU generator seeded from torch's global generator at
// construction (the trainer seeds it from the run seed); its full state is the buffer
// "sampler_state", so a checkpoint carries it and a resumed run draws the same negatives.
// nce_k is capped at trainSize−1 when the training split is smaller than nce_k+1.
// Gated by sakd (its spotLoss): the banks are indexed by the samples' positions in the training split,
// which a feature set does not carry, so the caller names the positions of the rows it passes with
// setSpotIndices() just before spotLoss(). As in the SAKD code (train.py:245-248, index[choose_index]
// and contrast_idx[choose_index]), only the open samples are scored, they are the positives, their K
// negatives are drawn for them alone, and only their bank rows are updated; Z is set by the first call,
// whatever its number of samples. spotLoss without positions for exactly its rows throws.
// Several processes (shareWith): the banks, Z and the sampler stay the same in every process. Each
// process draws the negatives of the whole batch and keeps its rows' (so the draws are one process's),
// Z is the mean over every process's scores, and every process applies every process's bank updates
// (all-gathered embeddings and positions). A process's loss is the mean over its own rows; the
// averaged gradients are then the whole batch's. A share without rows (sakd) adds 0 and still takes
// part in the collectives.
class Crd : public Distiller {
public:
    struct Options {
        int64_t featDim = 128;
        int64_t nceK = 16384;
        double nceT = 0.07;
        double momentum = 0.5;
        double beta = 0.8;
    };
    Crd(int64_t studentDim, int64_t teacherDim, int64_t trainSize, const Options& options);
    std::string name() const override { return "crd"; }
    bool needsTeacher() const override { return true; }
    bool needsFeatures() const override { return true; }
    bool readsTeacherStages() const override { return false; }   // the pooled embedding alone
    std::vector<LossTerm> losses(const StepInputs& inputs) override;
    // beta·contrastLoss on the given rows, at the positions set by setSpotIndices() (used once).
    at::Tensor spotLoss(size_t spot, const models::FeatureSet& student, const models::FeatureSet& teacher) override;
    // The training-split positions (int64, one per row) of the samples the next spotLoss() call gets.
    void setSpotIndices(const at::Tensor& positions) { spotIndices_ = positions; }

    // The unweighted CRD loss (L_s + L_t) for explicit sample indices: contrastIndices is B×(K+1),
    // column 0 the positives. Sets Z on the first call and updates the memory banks at `indices`.
    // losses() calls it with drawn indices; tests call it with given ones.
    at::Tensor contrastLoss(const at::Tensor& studentPooled, const at::Tensor& teacherPooled,
                            const at::Tensor& indices, const at::Tensor& contrastIndices);
    // B×(K+1) int64 on the banks' device: the positives, then K uniform draws from the sampler.
    at::Tensor sampleContrastIndices(const at::Tensor& indices);

    int64_t nceK() const { return nceK_; }
    int64_t requestedNceK() const { return requestedNceK_; }
    torch::nn::Linear& embedStudent() { return embedStudent_; }
    torch::nn::Linear& embedTeacher() { return embedTeacher_; }
    at::Tensor& memoryStudent() { return memoryV1_; }   // memory_v1
    at::Tensor& memoryTeacher() { return memoryV2_; }   // memory_v2
    at::Tensor& normalisers() { return z_; }            // [Z_s (for out_v1), Z_t (for out_v2)]; < 0 = unset

protected:
    std::vector<Spot> ownSpots() const override {
        return {{"pooled", Spot::kPooled, Spot::kPooled,
                 "linear embeddings to " + std::to_string(featDim_) + "-d, contrasted through a memory bank"}};
    }

private:
    int64_t trainSize_, featDim_, requestedNceK_, nceK_;
    double nceT_, momentum_, beta_;
    bool zKnownSet_ = false;
    torch::nn::Linear embedStudent_{nullptr}, embedTeacher_{nullptr};
    at::Tensor memoryV1_, memoryV2_, z_, samplerState_;
    at::Tensor spotIndices_;   // set by setSpotIndices, consumed by spotLoss
};

// crd: embeddings from the pooled features (the last stage's channels) and a bank row per training
// image (context.trainSize).
std::shared_ptr<Distiller> makeCrd(const MethodBuild& build);

}  // namespace distillery::methods
