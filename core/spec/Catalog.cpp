#include "spec/Catalog.h"

#include <algorithm>
#include <filesystem>

#include "spec/RunSpec.h"

namespace distillery::spec {

const ParamDecl* MethodDecl::param(const std::string& wanted) const {
    for (const auto& p : params)
        if (p.name == wanted) return &p;
    return nullptr;
}

ParamDecl choiceParam(std::string name, std::string defaultValue, std::vector<std::string> choices, std::string help) {
    ParamDecl p{std::move(name), 0, 0, 0, std::move(help)};
    p.kind = ParamKind::Choice;
    p.choices = std::move(choices);
    p.defaultNames = {std::move(defaultValue)};
    return p;
}

ParamDecl namesParam(std::string name, std::vector<std::string> defaults, std::vector<std::string> choices,
                     std::string help) {
    ParamDecl p{std::move(name), 0, 0, 0, std::move(help)};
    p.kind = ParamKind::Names;
    p.choices = std::move(choices);
    p.defaultNames = std::move(defaults);
    return p;
}

ParamDecl numbersParam(std::string name, double min, double max, std::string help) {
    ParamDecl p{std::move(name), 0, min, max, std::move(help)};
    p.kind = ParamKind::Numbers;
    return p;
}

std::vector<ParamDecl> withKdOption(std::vector<ParamDecl> params) {
    params.push_back({"kd_alpha", 0.0, 0.0, 100.0,
                      "weight of an added Hinton KD term on the logits; 0 leaves it out (the method alone)"});
    params.push_back({"kd_T", 4.0, 0.5, 100.0, "temperature of the added KD term"});
    return params;
}

const std::vector<MethodDecl>& methodCatalog() {
    static const std::vector<MethodDecl> methods = {
        {"ce", "Cross-entropy on the labels only: the student alone (\"vanilla\"), or a teacher's own training.",
         false, {}},
        {"kd",
         "Hinton KD: gamma*CE(z_s, y) + alpha*T^2*KL(softmax(z_t/T) || softmax(z_s/T)), batch mean.",
         true,
         {{"T", 4.0, 0.5, 100.0, "softmax temperature; larger T exposes more of the teacher's dark knowledge"},
          {"gamma", 0.1, 0.0, 10.0, "weight of the cross-entropy on the labels"},
          {"alpha", 0.9, 0.0, 100.0, "weight of the T^2-scaled KL divergence to the teacher"}}},
        {"fitnet",
         "FitNets hints: CE + beta*MSE(r(F_s^k), F_t^k), r = conv (1x1, strided 3x3 or transposed 4x4 by the stride "
         "ratio) + BN + ReLU, at one student stage and the teacher stage at the same relative depth.",
         true,
         withKdOption({{"beta", 100.0, 0.0, 1e6, "weight of the hint MSE"},
                       {"stage", -1.0, -1.0, 16.0,
                        "student stage whose output is hinted (0-based); -1 = the middle stage, (stages-1)/2"}})},
        {"at",
         "Attention transfer: CE + beta*sum_k mean((a_s^k - a_t^k)^2), a = L2-normalise(flatten(mean_c F^p)), at "
         "every stage; the larger map of a pair is average-pooled to the smaller.",
         true,
         withKdOption({{"beta", 1000.0, 0.0, 1e7, "weight of the summed attention losses"},
                       {"p", 2.0, 1.0, 4.0, "power of the activations in the attention map"}})},
        {"sp",
         "Similarity-preserving KD: CE + beta*||G_s - G_t||_F^2 / B^2, G = row-L2-normalise(f f^T), f the "
         "flattened last-stage features.",
         true, withKdOption({{"beta", 3000.0, 0.0, 1e7, "weight of the similarity loss"}})},
        {"rkd",
         "Relational KD: CE + beta*(w_d*distance + w_a*angle), smooth-L1 between student and teacher of the "
         "mean-normalised pairwise distances and the triplet angle cosines of the pooled features.",
         true,
         withKdOption({{"beta", 1.0, 0.0, 1e6, "weight of the relational loss"},
                       {"w_d", 25.0, 0.0, 1e4, "weight of the distance term"},
                       {"w_a", 50.0, 0.0, 1e4, "weight of the angle term"}})},
        {"pkt",
         "Probabilistic KT: CE + beta*mean(P_t*log((P_t+eps)/(P_s+eps))), P the row-normalised (cos+1)/2 "
         "similarities of the pooled features, eps=1e-7.",
         true, withKdOption({{"beta", 30000.0, 0.0, 1e8, "weight of the probability-matching loss"}})},
        {"dkd",
         "Decoupled KD (mdistiller): ce_weight*CE + min(epoch/warmup, 1)*(alpha*TCKD + beta*NCKD); TCKD = T^2*KL of "
         "the binary target/non-target probabilities, NCKD = T^2*KL over the non-target classes (target logit "
         "masked by -1000); epochs count from 1 as in mdistiller. Terms ce, tckd, nckd.",
         true,
         {{"alpha", 1.0, 0.0, 100.0, "weight of TCKD (target-class KD)"},
          {"beta", 8.0, 0.0, 100.0, "weight of NCKD (non-target-class KD)"},
          {"T", 4.0, 0.5, 100.0, "softmax temperature of both parts"},
          {"warmup", 20.0, 0.0, 1000.0, "epochs over which the KD weight ramps up linearly; 0 = no warm-up"},
          {"ce_weight", 1.0, 0.0, 10.0, "weight of the cross-entropy on the labels"}}},
        {"crd",
         "Contrastive representation distillation (RepDistiller): CE + beta*(L_s + L_t), NCE losses of the "
         "L2-normalised linear embeddings of the pooled features against momentum memory banks (one row per "
         "training image), nce_k uniformly drawn negatives per sample, Z estimated on the first batch.",
         true,
         withKdOption({{"beta", 0.8, 0.0, 100.0, "weight of the contrastive loss (RepDistiller's -b)"},
                       {"feat_dim", 128.0, 1.0, 4096.0, "width of the embeddings and of the memory banks"},
                       {"nce_k", 16384.0, 1.0, 1e6,
                        "negatives per sample; capped at the training split's size - 1 when that is smaller "
                        "(logged). Each step gathers 2*B*(nce_k+1)*feat_dim floats from the banks (about 1 GB "
                        "at B=64 and the defaults, as in RepDistiller); lower it on small machines"},
                       {"nce_t", 0.07, 0.001, 10.0, "temperature of the contrastive scores"},
                       {"nce_m", 0.5, 0.0, 1.0, "momentum of the memory-bank update (1 = never updated)"}})},
        {"nst",
         "Neuron selectivity transfer (RepDistiller's NST): CE + beta*sum_k MMD^2 with the polynomial kernel "
         "(a.b)^2 between the channels of student and teacher, each channel of a stage output flattened and "
         "L2-normalised over H*W, at every stage (paired by relative depth); the larger map is average-pooled "
         "to the smaller; channel counts may differ.",
         true, withKdOption({{"beta", 50.0, 0.0, 1e7, "weight of the summed MMD losses (RepDistiller's -b)"}})},
        {"vid",
         "Variational information distillation (RepDistiller's VIDLoss): CE + beta*sum_k mean(0.5*((mu(F_s) - "
         "F_t)^2/var + log var)) at every stage (paired by relative depth), mu three 1x1 convs (no bias, ReLU "
         "between) to the teacher's channels, var = softplus(log_scale) + 1e-5 learnt per teacher channel; "
         "regressors and variances are trained with the student.",
         true,
         withKdOption({{"beta", 1.0, 0.0, 1e6, "weight of the summed VID losses (RepDistiller's -b)"},
                       {"init_var", 5.0, 0.01, 1e4, "the variance every channel starts at (init_pred_var)"}})},
        {"cc",
         "Correlation congruence (RepDistiller's Correlation): CE + beta*mean_b sum_d |e_s - e_t|_b*|e_s - "
         "e_t|_(b+1), e = linear embeddings (not normalised) of the pooled last stages, consecutive samples of "
         "the batch paired; both embeddings trained with the student (the SAKD code detaches the teacher's, "
         "leaving it at its random init).",
         true,
         withKdOption({{"beta", 0.02, 0.0, 1e6, "weight of the correlation loss (RepDistiller's -b)"},
                       {"feat_dim", 128.0, 1.0, 4096.0, "width of both embeddings"}})},
        {"ft",
         "Factor transfer (RepDistiller's FactorTransfer, Paraphraser, Translator) at the last stage: CE + "
         "beta*mean|phi(translator(F_s)) - phi(paraphraser(F_t))|, phi = L2-normalise(flatten(mean_c f^2)). "
         "Unlike the official code, which pre-trains the paraphraser for 30 epochs before the student's 240, "
         "the paraphraser (reconstruction MSE, its own SGD: paraphraser_lr, momentum 0.9, weight decay 5e-4) "
         "takes its updates inside the run: the first paraphraser_share of the run's steps, one update per "
         "loss call (under sakd only on steps with an open gate, on the open samples), during which the FT "
         "term is 0 and the student learns from CE (and the kd block) alone; then it is frozen.",
         true,
         withKdOption({{"beta", 200.0, 0.0, 1e7, "weight of the factor loss (RepDistiller's -b)"},
                       {"paraphraser_share", 0.11, 0.0, 0.9,
                        "fraction of the run's steps spent training the paraphraser before the FT term starts; "
                        "0.11 = the official 30 of 270 epochs; 0 = a random, frozen paraphraser"},
                       {"paraphraser_lr", 0.01, 0.0, 10.0,
                        "learning rate of the paraphraser's SGD (official: 0.01)"}})},
        {"adain",
         "KD via adaptive instance normalisation (Yang et al. 2020): at each spot the teacher's feature is "
         "re-normalised with the student's per-channel mean and std (student first projected to the teacher's "
         "channels by 1x1 conv + BN when they differ), F~_t = sigma_s*(F_t - mu_t)/sigma_t + mu_s, and the teacher "
         "evaluates it: eval=rest runs its remaining stages and head and compares z~_t with its own logits, "
         "T^2*KL(softmax(z_t/T) || softmax(z~_t/T)) or MSE(z~_t, z_t) (distance=mse, the form of the authors' SRRL "
         "code), or with the labels, CE(z~_t, y) (target=label); eval=next runs the next teacher stage only and "
         "compares its map with the teacher's own there by MSE. Loss beta*sum_k L_AdaIN^k (+ stat_weight*sum_k "
         "L_stat^k). Gradients reach the student only through its statistics. At the teacher's last stage only "
         "the head follows, and GAP(F~_t) = mu_s exactly: z~_t = fc_t(mu_s), so that spot transfers the channel "
         "means alone (sigma_s gets no gradient, the teacher's map plays no part; SRRL's softmax regression). "
         "Workbench interpretation: the paper's spots, evaluation depth, distance and weights are not public.",
         true,
         withKdOption({{"beta", 1.0, 0.0, 1e6, "weight of the summed AdaIN losses"},
                       {"T", 4.0, 0.5, 100.0,
                        "temperature of the KL between the teacher's own and re-normalised logits (distance=kl)"},
                       {"stage", -1.0, -1.0, 16.0,
                        "student stage distilled (0-based), paired with the teacher stage at the same relative "
                        "depth; -1 = every stage (unless stages lists them)"},
                       numbersParam("stages", 0.0, 16.0,
                                    "student stages distilled (0-based list, each paired by relative depth); empty "
                                    "= as stage says. Give stage or stages, not both. Each spot costs the teacher "
                                    "stages after it, forward and backward: on a 3-stage pair, [1, 2] costs 1.3-1.4x "
                                    "a kd step and [2] about 1x, against 2.1-2.4x for every stage "
                                    "(docs/results.md)"),
                       choiceParam("eval", "rest", {"rest", "next"},
                                   "how far the teacher evaluates the re-normalised feature: its remaining stages "
                                   "and head (rest), or the next stage only (next; its map is compared by MSE, so "
                                   "it needs distance=mse; at the last stage both are the head)"),
                       choiceParam("distance", "kl", {"kl", "mse"},
                                   "how z~_t is compared with the teacher's logits: T^2-scaled KL, or MSE (mean over "
                                   "samples and classes, as SRRL's F.mse_loss(pred_sc, pred_t)); target=teacher only"),
                       choiceParam("target", "teacher", {"teacher", "label"},
                                   "what the re-normalised teacher output is compared with: the teacher's own logits "
                                   "or the labels (CE; eval=rest only)"),
                       {"stat_weight", 0.0, 0.0, 1e6,
                        "weight of an added L_stat at the same spots, the L2 on statistics of stat_l2 (L_AdaIN + "
                        "L_stat, the term \"stat\"); 0 leaves it out"},
                       choiceParam("spread", "variance", {"variance", "std", "none"},
                                   "what L_stat compares besides the means: variances (the paper's \"mean and "
                                   "variance\"), stds, or nothing (means only, as SRRL's statm_loss)")})},
        {"stat_l2",
         "L2 on channel statistics, the baseline AdaIN-KD improves on: CE + beta*sum_k mean((mu_s-mu_t)^2 + "
         "(var_s-var_t)^2) over samples and channels, var = sigma^2 the per-sample, per-channel variance (the "
         "paper's \"mean and variance\"; spread=std compares sigma instead), student projected to the teacher's "
         "channels as in adain.",
         true,
         withKdOption({{"beta", 1.0, 0.0, 1e6, "weight of the summed statistics losses"},
                       {"stage", -1.0, -1.0, 16.0,
                        "student stage distilled (0-based), paired by relative depth; -1 = every stage (unless "
                        "stages lists them)"},
                       numbersParam("stages", 0.0, 16.0,
                                    "student stages distilled (0-based list, each paired by relative depth); empty "
                                    "= as stage says. Give stage or stages, not both"),
                       choiceParam("spread", "variance", {"variance", "std", "none"},
                                   "what is compared besides the means: variances (the paper's \"mean and "
                                   "variance\"), stds (sqrt(var + 1e-5)), or nothing (means only, as SRRL's "
                                   "statm_loss)")})},
        {"channel",
         "Feature distillation via channel-wise transformation (Liu et al. 2023): g(F_s) = conv1x1 -> ReLU -> "
         "conv1x1 to the teacher's channels, loss alpha*sum((g(F_s) - F_t)^2)/B summed over C*H*W, teacher "
         "untouched. g never mixes positions: when the strides differ the student's map is first brought to the "
         "teacher's size without weights (adaptive average pooling down, bilinear interpolation up). "
         "Workbench interpretation: alpha, hidden width, spots and normalisation are not public.",
         true,
         withKdOption({{"alpha", 5e-3, 0.0, 1e3,
                        "weight of the squared error (the method's one hyper-parameter); 5e-3 with reduction=sum "
                        "follows an unofficial re-implementation"},
                       {"stage", -1.0, -1.0, 16.0,
                        "student stage distilled (0-based), paired by relative depth; -1 = the last stage (unless "
                        "stages lists them)"},
                       numbersParam("stages", 0.0, 16.0,
                                    "student stages distilled (0-based list, each paired by relative depth, one "
                                    "transform each); empty = as stage says. Give stage or stages, not both"),
                       {"hidden", 0.0, 0.0, 8192.0,
                        "hidden width of the transformation (transform=mlp); 0 = the teacher's channels"},
                       choiceParam("transform", "mlp", {"mlp", "linear", "conv1x1", "none"},
                                   "g: the paper's MLP (1x1 conv, ReLU, 1x1 conv); linear = one 1x1 conv, no ReLU; "
                                   "conv1x1 = FitNet's 1x1 conv + BN + ReLU; none = no transform (channel counts "
                                   "must agree)"),
                       choiceParam("reduction", "sum", {"sum", "mean"},
                                   "sum: sum over C*H*W, mean over the batch, as the paper's equation (as summarised) "
                                   "writes it and its alpha implies, so alpha's effect grows with the map's size; "
                                   "mean: mean over every element, so one alpha means the same on any pair (to keep "
                                   "a sum run's weight, multiply alpha by C*H*W of the teacher's map)"),
                       choiceParam("target", "post_relu", {"post_relu", "pre_relu"},
                                   "the teacher's map matched: its stage output (post_relu), or the same before the "
                                   "stage's final ReLU (pre_relu; a TorchScript teacher gives its stage output)")})},
        {"multipath",
         "Adaptive aggregation of distillation paths (Chennupati et al. 2021): CE + distill_weight*sum_p "
         "weight_p*L_p over paths loss@spot. Weightings: equal, fixed (the weights list), uncertainty (the paper's "
         "code: exp(-a_p)*L_p + a_p, a_p learnt by the student's optimiser), uncertainty_layerwise (one a per stage "
         "of multi-stage paths), and, beyond the paper's code, gradnorm and dwa. As in the official code, nst, mean "
         "and softmax_regression read each student stage through an always-on adaptation trained with the student "
         "(1x1 conv without bias + BN to the teacher stage's width, also at equal widths), one per stage shared "
         "by those paths; at reads the raw features. Diagnostics: raw a per path (multipath/alpha/...), and at the "
         "student's stem convolution weight each term's gradient norm (multipath/grad_norm/...) and each path's "
         "gradient cosine with CE's (multipath/grad_cos_ce/...; below 0 the path works against the labels).",
         true,
         {choiceParam("weighting", "uncertainty", {"equal", "fixed", "uncertainty", "uncertainty_layerwise", "gradnorm", "dwa"},
                      "how the paths' losses are weighted"),
          namesParam("paths", {"kd@logits", "at@stages"},
                     {"kd", "logits_mse", "at", "nst", "fitnet", "channel", "mean", "softmax_regression"},
                     "distillation paths loss@spot; spot = logits, stages (every stage), or stageN (1-based); "
                     "without a spot: kd and logits_mse at the logits, at and nst at every stage, fitnet at the "
                     "middle stage, channel, mean and softmax_regression at the last. mean is the official "
                     "FeatureMap loss (MSE of channel means); softmax_regression (SRRL) feeds the adapted last "
                     "student stage, pooled, to the teacher's classifier: MSE to the teacher's logits"),
          numbersParam("weights", 0.0, 1e7, "one fixed weight per path (w_p, used by every weighting); empty = 1 each"),
          {"distill_weight", 1.0, 0.0, 1e4, "weight of the whole distillation sum (the paper code's alpha_distill)"},
          {"T", 4.0, 0.5, 100.0, "temperature of the kd path"},
          {"gradnorm_alpha", 1.5, 0.0, 10.0, "gradnorm: strength of the pull toward equal training rates"},
          {"gradnorm_lr", 0.025, 0.0, 10.0, "gradnorm: learning rate of the path weights"},
          {"dwa_T", 2.0, 0.01, 100.0, "dwa: temperature of the softmax over the paths' loss ratios"}}},
        {"amap",
         "Activation-map adaptation (Wu et al. 2020), workbench interpretation (only the paper's abstract is "
         "public; its module, blocks, losses and schedule are not): adaptive modules (conv3x3-BN-ReLU x2 at the "
         "student's width) replace \"some blocks of the teacher\", one per chosen stage, all in one hybrid "
         "teacher, trained online with CE + hybrid_alpha*KD(T) to the original teacher (modules only, the "
         "teacher stays frozen). Each module's output is the hint for its student stage: CE + "
         "beta(step)*sum_k hint(student stage k, module output). The modules train alone during a warm-up, "
         "then beta ramps up linearly.",
         true,
         withKdOption({{"beta", 1000.0, 0.0, 1e7,
                        "weight of the hint loss once the ramp is done; 1000 is AT's weight for hint=attention; "
                        "FitNets uses 100 for a feature MSE (hint=feature)"},
                       choiceParam("hint", "attention", {"attention", "feature"},
                                   "attention: AT loss between the attention maps of the student stage and the "
                                   "module output; feature: MSE between the student's feature (through a FitNets "
                                   "connector, conv + BN + ReLU, when channels differ) and the module output, the "
                                   "abstract's \"hidden layer output\" read literally; sizes aligned by pooling"),
                       {"stage", -1.0, -1.0, 16.0,
                        "student stage (0-based) whose map is hinted; the teacher stage at the same relative depth "
                        "is replaced; -1 = the last stage"},
                       numbersParam("stages", 0.0, 16.0,
                                    "several student stages (0-based) instead of stage: one module per teacher "
                                    "stage at the same relative depth, all replaced jointly in one hybrid teacher "
                                    "(the abstract's \"replace some blocks\"); the hint losses are summed; empty = "
                                    "use stage"),
                       {"warmup", 0.05, 0.0, 1.0,
                        "fraction of the run's steps in which the modules train alone (no hint term): a module "
                        "starts random, so a hint at once makes the student chase noise; 0.05 is 10 epochs of a "
                        "200-epoch CIFAR run and ~35 steps of the 700-step laptop run (workbench choice, "
                        "the paper gives none)"},
                       {"beta_ramp", 0.1, 0.0, 1.0,
                        "fraction of the run's steps over which beta rises linearly from 0 after the warm-up "
                        "(0 = full beta at once), so the student follows the modules as they improve; the default "
                        "reaches full beta at 15% of the run (workbench choice)"},
                       {"hybrid_alpha", 1.0, 0.0, 100.0, "weight of the hybrid teacher's KD to the original teacher"},
                       {"hybrid_T", 4.0, 0.5, 100.0, "temperature of the hybrid teacher's KD"}})},
        {"sakd",
         "Spot-adaptive KD (Song et al. 2022, after the official code): a policy (one linear layer on the detached "
         "pooled features of both nets) decides per sample at each spot of the base method and at the logits "
         "whether to distil (hard Gumbel-softmax, straight-through); an agent optimiser trains it and the "
         "adaptors of a multi-path teacher/student forward; the student learns CE + beta*sum_k (n_k/B)*L_base^k "
         "+ alpha*(n_out/B)*KD on the selected samples.",
         true,
         {choiceParam("base", "at", {"at", "fitnet", "sp", "rkd", "pkt", "crd", "nst", "vid", "cc", "ft", "adain", "channel"},
                      "the distiller whose spots are gated"),
          choiceParam("gate", "policy", {"policy", "random", "reverse", "all", "none"},
                      "policy: learnt; random: Bernoulli(0.5); reverse: distil where the policy would not; "
                      "all: every spot always; none: no distillation"),
          {"beta", -1.0, -1.0, 1e8,
           "weight of the base loss; -1 = the official code's value for the base (at 1000, fitnet 1, sp 3000, "
           "rkd 1, pkt 30000, crd 0.8, nst 50, vid 1, cc 0.02, ft 200; adain 1, channel 5e-3 are Distillery's)"},
          {"alpha", 1.0, 0.0, 100.0, "weight of the KD term on the samples distilled at the logits"},
          {"T", 4.0, 0.5, 100.0, "temperature of the KD term"},
          {"tau", 5.0, 0.01, 100.0,
           "Gumbel-softmax temperature (the official code: 5, fixed); it scales only the straight-through gradient: "
           "the hard decision argmax(logits + Gumbel noise) does not depend on it"},
          choiceParam("tau_schedule", "constant", {"constant", "linear", "exponential"},
                      "annealing of tau to tau_final over the run (not in the official code). It cannot close a gate: "
                      "it only sharpens the straight-through gradient; prior_decay is what lets gates close early"),
          {"tau_final", 0.5, 0.01, 100.0, "tau at the last step when tau_schedule anneals"},
          {"gamma", -1.0, -1.0, 100.0,
           "classify weight of the routing loss; -1 = the official value (2 for at, rkd and vid, 1 otherwise)"},
          {"agent_lr_scale", 0.5, 0.0, 10.0, "the agent's learning rate as a fraction of the student's"},
          {"agent_momentum", 0.9, 0.0, 1.0, "momentum of the agent's SGD"},
          {"agent_weight_decay", 1e-3, 0.0, 1.0, "weight decay of the agent's SGD"},
          {"init_bias", 10.0, -100.0, 100.0, "the start-up prior on every 'distil' logit: +10 opens nearly every gate"},
          choiceParam("prior", "pair", {"pair", "always", "never"},
                      "which pairs start with the init_bias prior: pair = homogeneous pairs only (equal channel counts "
                      "at every gated spot, which reproduces the official homo flag of all 15 released pairs; "
                      "heterogeneous pairs start from the default init, about half the gates open), always, never"),
          {"prior_decay", 0.02, 0.0, 10.0,
           "time constant of the prior's decay as a fraction of the run's steps. The official prior fades only "
           "through the agent's weight decay (rate lr*wd/(1-m) per step, a time constant of ~4,000 steps, 2% of its 240 epochs); "
           "0.02 keeps that proportion at any run length. 0 = the official mechanism: the prior sits in the "
           "learnt bias and fades by weight decay alone (at 700 steps it never fades)"}}},
    };
    return methods;
}

const MethodDecl* findMethod(const std::string& name) {
    for (const auto& m : methodCatalog())
        if (m.name == name) return &m;
    return nullptr;
}

const std::vector<std::string>& modelNames() {
    // The model registry's names (core/models/ModelRegistry.cpp), in its order; tests/models checks it.
    static const std::vector<std::string> names = {
        "resnet8",     "resnet14",     "resnet20",     "resnet32", "resnet44", "resnet56", "resnet110",
        "resnet8x4",   "resnet32x4",   "wrn_16_2",     "wrn_40_2", "vgg8",     "vgg11",    "vgg13",
        "mobilenetv2", "shufflenetv1", "shufflenetv2", "resnet18", "resnet34", "resnet50", "resnet18_cifar",
        "resnet50_cifar", "tinycnn"};
    return names;
}

bool isKnownModel(const std::string& name) {
    const auto& names = modelNames();
    return std::find(names.begin(), names.end(), name) != names.end();
}

const std::vector<std::string>& datasetNames() {
    static const std::vector<std::string> names = {"fashion-mnist", "mnist", "cifar10", "cifar100", "synthetic",
                                                   "folder"};
    return names;
}

DataShape dataShape(const DataSpec& data) {
    if (data.name == "synthetic") return {data.channels, data.height, data.width, data.numClasses};
    if (data.name == "cifar10") return {3, 32, 32, 10};
    if (data.name == "cifar100") return {3, 32, 32, 100};
    if (data.name == "folder")
        return {3, data.imageSize, data.imageSize,
                int64_t(classNames(data).size())};
    return {1, 28, 28, 10};   // fashion-mnist, mnist
}

std::vector<std::string> classNames(const DataSpec& data) {
    // Label order as each data set documents it; the engine's readers keep the files' labels as they are.
    if (data.name == "fashion-mnist")
        return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    if (data.name == "cifar10")
        return {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
    if (data.name == "folder")   // no root: no classes known yet
        return data.root.empty() ? std::vector<std::string>{}
                                 : imageFolderClasses((std::filesystem::path(data.root) / "train").string());
    const int64_t classes = dataShape(data).numClasses;
    std::vector<std::string> names;
    names.reserve(size_t(std::max<int64_t>(0, classes)));
    for (int64_t c = 0; c < classes; ++c)
        names.push_back(data.name == "mnist" ? std::to_string(c) : "class " + std::to_string(c));
    return names;
}

std::vector<std::string> imageFolderClasses(const std::string& trainDir) {
    std::vector<std::string> names;
    std::error_code error;
    if (trainDir.empty()) return names;
    for (std::filesystem::directory_iterator it(trainDir, error), end; !error && it != end; it.increment(error)) {
        const std::string name = it->path().filename().string();
        if (!name.empty() && name[0] != '.' && it->is_directory(error)) names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
}

int64_t trainImageCount(const DataSpec& data) {
    if (data.name == "synthetic") return data.trainSize;
    if (data.name == "cifar10" || data.name == "cifar100") return 50'000;
    if (data.name == "fashion-mnist" || data.name == "mnist") return 60'000;
    return 0;
}

std::string joinNames(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

}  // namespace distillery::spec
