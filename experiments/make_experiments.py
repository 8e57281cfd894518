#!/usr/bin/python3
"""Writes the seed-method experiment specs of experiments/laptop/, experiments/cifar100/ and experiments/cifar10/.

The specs are plain JSON for distillery-engine; this script only keeps their many runs consistent.
Run it after changing a recipe:   /usr/bin/python3 experiments/make_experiments.py

laptop/   Fashion-MNIST, resnet20 -> resnet8. The whole set (every method and baseline, 3 seeds, about
          90 minutes on 2 CPU cores) is the study file laptop/study.json, written by hand: a study
          expands itself (distillery-engine plan experiments/laptop/study.json), so it is not generated
          here; LAPTOP_METHODS below mirrors its "grid.method" blocks. This script writes one file per
          seed method with its baselines (seed 1) for a quick look, the issue-15 changes and precision.
cifar100/ The paper-scale recipes of the official code (pairs, schedules, weights), for a GPU machine
          with the CIFAR-100 binary batches in data/cifar-100-binary (edit data.root).
cifar10/  amap on CIFAR-10, its paper's only data set (data/cifar-10-batches-bin).
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- laptop scale ---------------------------------------------------------------------------------
LAPTOP_SUBSET = 15000       # training images (of Fashion-MNIST's 60k); 5k validation, 10k test
LAPTOP_EPOCHS = 6
LAPTOP_TEACHER, LAPTOP_STUDENT = "resnet20", "resnet8"

# Every student configuration of the laptop set: name -> method block. "+kd" adds Hinton KD
# (alpha 1, T 4) to a feature method: SAKD's baseline; the method alone is RepDistiller's.
LAPTOP_METHODS = {
    "vanilla": {"name": "ce"},
    "kd": {"name": "kd", "T": 4, "gamma": 0.1, "alpha": 0.9},
    "fitnet": {"name": "fitnet", "beta": 100},
    "at": {"name": "at", "beta": 1000},
    "sp": {"name": "sp", "beta": 3000},
    "rkd": {"name": "rkd", "beta": 1},
    "pkt": {"name": "pkt", "beta": 30000},
    # the DKD warm-up is 20 of mdistiller's 240 epochs; here one epoch of six
    "dkd": {"name": "dkd", "warmup": 1},
    # 4096 negatives instead of 16384: the memory banks hold only LAPTOP_SUBSET rows
    "crd": {"name": "crd", "nce_k": 4096},
    "at+kd": {"name": "at", "beta": 1000, "kd_alpha": 1, "kd_T": 4},
    "adain": {"name": "adain"},
    "stat_l2": {"name": "stat_l2"},
    "sakd": {"name": "sakd", "base": "at"},
    "channel": {"name": "channel"},
    "multipath": {"name": "multipath", "weighting": "uncertainty", "paths": ["kd@logits", "at@stages"]},
    "multipath-equal": {"name": "multipath", "weighting": "equal", "paths": ["kd@logits", "at@stages"]},
    "amap": {"name": "amap"},
    # the official SAKD code's other distillers, at RepDistiller's weights (the catalogue defaults)
    "nst": {"name": "nst"},
    "vid": {"name": "vid"},
    "cc": {"name": "cc"},
    "ft": {"name": "ft"},
}

# What issue 15 changed, each beside the behaviour it replaced: sakd's prior fading over 2% of the run
# against the official prior in the bias; stat_l2 on variances against stds; amap with its warm-up
# against none. With vanilla and at+kd as the references, and the new bases.
CHANGED_METHODS = {
    "sakd-official-prior": {"name": "sakd", "base": "at", "prior_decay": 0},
    "stat_l2-std": {"name": "stat_l2", "spread": "std"},
    "amap-no-warmup": {"name": "amap", "warmup": 0, "beta_ramp": 0},
}
# What adain's cost buys (issue 21): with spots after every stage, re-running the teacher's later
# stages costs about one more teacher forward and backward per step. Cheaper spot sets and the
# next-stage evaluation, beside the default. stages [2] is the spot of the closest official code
# (SRRL, layer4 only), where the re-normalised map reduces to the student's means.
ADAIN_VARIANTS = {
    "adain-stages12": {"name": "adain", "stages": [1, 2]},
    "adain-last": {"name": "adain", "stages": [2]},
    "adain-next": {"name": "adain", "eval": "next", "distance": "mse"},
}
ADAIN_COST_SET = ["kd", "stat_l2", "adain", "adain-stages12", "adain-last", "adain-next"]
CHANGES_SET = ["vanilla", "at+kd", "sakd", "sakd-official-prior", "stat_l2", "stat_l2-std", "amap",
               "amap-no-warmup", "nst", "vid", "cc", "ft"]

# Each seed method with the baselines it is compared against.
SEED_METHODS = {
    "adain": ["kd", "stat_l2", "adain"],
    "sakd": ["kd", "at", "at+kd", "sakd"],
    "channel": ["kd", "fitnet", "channel"],
    "multipath": ["kd", "at", "multipath-equal", "multipath"],
    "amap": ["kd", "at", "amap"],
}


# The teacher runs of the laptop study (study.json) are named <study>-teacher-<key>-s<seed>.
STUDY_TEACHER = "laptop-teacher-resnet20-s%d"


def laptop_run(config, seed, method=None, teacher="fmnist-teacher-s%d"):
    milestones = [round(LAPTOP_EPOCHS * 0.6), round(LAPTOP_EPOCHS * 0.8)]
    run = {
        "name": "fmnist-%s-s%d" % (config, seed),
        "student": {"model": LAPTOP_TEACHER if method is None else LAPTOP_STUDENT},
        "epochs": LAPTOP_EPOCHS,
        "seed": seed,
        "batch_size": 128,
        "threads": 2,
        "log_every": 20,
        "diagnostics_every": 20,
        "data": {"name": "fashion-mnist", "train_subset": LAPTOP_SUBSET, "augment": False},
        "optim": {"lr": 0.1, "momentum": 0.9, "weight_decay": 5e-4},
        "schedule": {"name": "multistep", "milestones": milestones, "gamma": 0.1},
    }
    if method is not None:
        run["method"] = method
        if method["name"] != "ce":
            run["teacher"] = {"run_name": teacher % seed}
    return run


def laptop_set(configs, seeds):
    runs = [laptop_run("teacher", s) for s in seeds]
    for s in seeds:
        runs += [laptop_run(c, s, {**LAPTOP_METHODS, **CHANGED_METHODS, **ADAIN_VARIANTS}[c])
                 for c in ["vanilla"] + [c for c in configs if c != "vanilla"]]
    return runs


# ---- paper scale (CIFAR-100) ----------------------------------------------------------------------
CIFAR_DATA = {"name": "cifar100", "root": "data/cifar-100-binary", "augment": True, "pad": 4}
# RepDistiller / SAKD recipe: SGD 0.05, momentum 0.9, wd 5e-4, batch 64, 240 epochs, x0.1 at 150/180/210.
REPDISTILLER = {"epochs": 240, "batch_size": 64,
                "optim": {"lr": 0.05, "momentum": 0.9, "weight_decay": 5e-4},
                "schedule": {"name": "multistep", "milestones": [150, 180, 210], "gamma": 0.1}}
# Adaptive Distillation (mmcls) recipe: SGD 0.1, wd 1e-4, batch 128, 200 epochs, x0.2 at 60/120/160.
ADAPTIVE = {"epochs": 200, "batch_size": 128,
            "optim": {"lr": 0.1, "momentum": 0.9, "weight_decay": 1e-4},
            "schedule": {"name": "multistep", "milestones": [60, 120, 160], "gamma": 0.2}}

CIFAR_SETS = {
    # SAKD's released CIFAR-100 configs: resnet32x4 -> resnet8x4, each distiller + KD (alpha 1), the
    # official beta per distiller (fitnet 1 in SAKD, not RepDistiller's 100), with and without SAKD.
    "sakd": (REPDISTILLER, "resnet32x4", "resnet8x4", {
        "vanilla": {"name": "ce"},
        "kd": {"name": "kd", "T": 4, "gamma": 0.1, "alpha": 0.9},
        "at+kd": {"name": "at", "beta": 1000, "kd_alpha": 1, "kd_T": 4},
        "sakd-at": {"name": "sakd", "base": "at"},
        "fitnet+kd": {"name": "fitnet", "beta": 1, "kd_alpha": 1, "kd_T": 4},
        "sakd-fitnet": {"name": "sakd", "base": "fitnet"},
        "sp+kd": {"name": "sp", "beta": 3000, "kd_alpha": 1, "kd_T": 4},
        "sakd-sp": {"name": "sakd", "base": "sp"},
        "pkt+kd": {"name": "pkt", "beta": 30000, "kd_alpha": 1, "kd_T": 4},
        "sakd-pkt": {"name": "sakd", "base": "pkt"},
        "sakd-random": {"name": "sakd", "base": "at", "gate": "random"},
        "sakd-reverse": {"name": "sakd", "base": "at", "gate": "reverse"},
    }),
    # Adaptive Distillation's configs (equal, hand_tuned, adaptive_at_st, adaptive_all, layer-wise,
    # srrl_fm_equal, adaptive_srrl_fm) on its pair, the CIFAR ResNet-50 -> ResNet-18 of mmcls's ResNet_CIFAR
    # (resnet50_cifar, resnet18_cifar). FeatureMap is the "mean" path; nst, mean and softmax_regression
    # read the always-on adaptation, as there.
    "multipath": (ADAPTIVE, "resnet50_cifar", "resnet18_cifar", {
        "vanilla": {"name": "ce"},
        "at": {"name": "at", "beta": 1000},
        "st": {"name": "kd", "T": 4, "gamma": 1, "alpha": 0.1},
        "equal": {"name": "multipath", "weighting": "equal", "paths": ["at@stages", "kd@logits"]},
        "hand-tuned": {"name": "multipath", "weighting": "fixed", "paths": ["at@stages", "kd@logits"],
                       "weights": [1000, 0.1]},
        "adaptive-at-st": {"name": "multipath", "weighting": "uncertainty", "paths": ["at@stages", "kd@logits"]},
        "adaptive-all": {"name": "multipath", "weighting": "uncertainty",
                         "paths": ["nst@stages", "logits_mse@logits", "at@stages", "kd@logits"]},
        "adaptive-all-layerwise": {"name": "multipath", "weighting": "uncertainty_layerwise",
                                   "paths": ["nst@stages", "logits_mse@logits", "at@stages", "kd@logits"]},
        "gradnorm": {"name": "multipath", "weighting": "gradnorm", "paths": ["at@stages", "kd@logits"]},
        "dwa": {"name": "multipath", "weighting": "dwa", "paths": ["at@stages", "kd@logits"]},
        "srrl-fm-equal": {"name": "multipath", "weighting": "equal", "paths": ["mean@stages", "softmax_regression"]},
        "adaptive-srrl-fm": {"name": "multipath", "weighting": "uncertainty",
                             "paths": ["mean@stages", "softmax_regression"]},
    }),
    # No official code for the other three papers: RepDistiller's recipe on its standard pair.
    "adain": (REPDISTILLER, "resnet32x4", "resnet8x4", {
        "vanilla": {"name": "ce"},
        "kd": {"name": "kd", "T": 4, "gamma": 0.1, "alpha": 0.9},
        "stat_l2": {"name": "stat_l2"},
        "adain": {"name": "adain"},
        "adain+kd": {"name": "adain", "kd_alpha": 0.9, "kd_T": 4},
    }),
    "channel": (REPDISTILLER, "resnet32x4", "resnet8x4", {
        "vanilla": {"name": "ce"},
        "kd": {"name": "kd", "T": 4, "gamma": 0.1, "alpha": 0.9},
        "fitnet": {"name": "fitnet", "beta": 100},
        "channel": {"name": "channel"},
    }),
    "amap": (REPDISTILLER, "resnet32x4", "resnet8x4", {
        "vanilla": {"name": "ce"},
        "kd": {"name": "kd", "T": 4, "gamma": 0.1, "alpha": 0.9},
        "at": {"name": "at", "beta": 1000},
        "amap": {"name": "amap"},
    }),
}


def cifar_set(recipe, teacher, student, methods, data=CIFAR_DATA, prefix="cifar100"):
    def run(name, model, method=None):
        r = {"name": "%s-%s" % (prefix, name), "student": {"model": model}, "seed": 1, "data": dict(data),
             "log_every": 50, "diagnostics_every": 50}
        r.update(json.loads(json.dumps(recipe)))
        if method is not None:
            r["method"] = method
            if method["name"] != "ce":
                r["teacher"] = {"run_name": "%s-teacher-%s" % (prefix, teacher)}
        return r
    runs = [run("teacher-%s" % teacher, teacher)]
    runs += [run("%s-%s" % (name, student), student, method) for name, method in methods.items()]
    return runs


# ---- amap on CIFAR-10 -----------------------------------------------------------------------------
# The amap paper (Wu et al. 2020, arXiv 2010.13500) reports CIFAR-10 only (+0.6% student accuracy). Its
# pairs, schedule and weights are not public (shared/reference/seed-methods-research.md section 5), so
# this set uses RepDistiller's recipe and its classic CIFAR pair resnet56 -> resnet20, with amap's
# options beside its defaults: the old no-warm-up behaviour, the feature hint and every stage replaced.
CIFAR10_DATA = {"name": "cifar10", "root": "data/cifar-10-batches-bin", "augment": True, "pad": 4}
CIFAR10_AMAP = (REPDISTILLER, "resnet56", "resnet20", {
    "vanilla": {"name": "ce"},
    "kd": {"name": "kd", "T": 4, "gamma": 0.1, "alpha": 0.9},
    "at": {"name": "at", "beta": 1000},
    "amap": {"name": "amap"},
    "amap-no-warmup": {"name": "amap", "warmup": 0, "beta_ramp": 0},
    "amap-feature": {"name": "amap", "hint": "feature", "beta": 100},
    "amap-all-stages": {"name": "amap", "stages": [0, 1, 2]},
})


# SAKD's heterogeneous rows with the CRD code base's CIFAR ResNet50 (resnetv2.py) as teacher: its configs
# configs/cifar-100/seed-1029/at/ResNet50-{MobileNetV2,vgg8}.yml (lr 0.01 for MobileNetV2, 0.05 for vgg8;
# agent lr half the student's). Appended to the sakd set; the teacher is trained once, at lr 0.05 as in
# configs/cifar-100/seed-1029/single/ResNet50.yml.
SAKD_RESNET50_PAIRS = [("mobilenetv2", 0.01), ("vgg8", 0.05)]
SAKD_RESNET50_METHODS = {
    "vanilla": {"name": "ce"},
    "kd": {"name": "kd", "T": 4, "gamma": 0.1, "alpha": 0.9},
    "at+kd": {"name": "at", "beta": 1000, "kd_alpha": 1, "kd_T": 4},
    "sakd-at": {"name": "sakd", "base": "at"},
}


def sakd_resnet50_runs():
    runs = []
    for student, lr in SAKD_RESNET50_PAIRS:
        recipe = json.loads(json.dumps(REPDISTILLER))
        recipe["optim"]["lr"] = lr
        runs += cifar_set(recipe, "resnet50_cifar", student, SAKD_RESNET50_METHODS)[1:]
    return cifar_set(REPDISTILLER, "resnet50_cifar", "", {}) + runs


def write(path, name, description, runs):
    with open(os.path.join(HERE, path), "w") as f:
        json.dump({"name": name, "description": description, "runs": runs}, f, indent=2)
        f.write("\n")


def main():
    scale = "Fashion-MNIST, %d training images (5k validation, 10k test), %d epochs, batch 128, %s -> %s" % (
        LAPTOP_SUBSET, LAPTOP_EPOCHS, LAPTOP_TEACHER, LAPTOP_STUDENT)
    for method, configs in SEED_METHODS.items():
        write("laptop/%s.json" % method, "laptop-%s" % method,
              "%s and its baselines, seed 1 (%s)." % (method, scale), laptop_set(configs, [1]))
    write("laptop/seed-changes.json", "laptop-seed-changes",
          "What the seed-method changes of issue 15 did, each beside the behaviour it replaced, with the new "
          "bases, seeds 1-3 (%s). About 95 minutes on 2 cores." % scale, laptop_set(CHANGES_SET, [1, 2, 3]))
    write("laptop/adain-cost.json", "laptop-adain-cost",
          "What adain's cost buys: its default (spots after every stage, each evaluated by the rest of the "
          "teacher) beside cheaper spot sets (stages 1-2; stage 2 alone) and the next-stage evaluation, with "
          "kd and stat_l2, seeds 1-3 (%s). About 50 minutes on 2 cores." % scale,
          laptop_set(ADAIN_COST_SET, [1, 2, 3]))
    write("laptop/speed-check.json", "laptop-speed-check",
          "Accuracy after a change made for speed: KD and SAKD with their teachers, seeds 1-3 (%s). Compare "
          "with the laptop-kd and laptop-sakd rows of docs/results.md (same recipes and seeds)." % scale,
          [laptop_run("teacher", s) for s in [1, 2, 3]] +
          [laptop_run(c, s, LAPTOP_METHODS[c]) for s in [1, 2, 3] for c in ["kd", "sakd"]])
    # Short runs, so that the engines before and after a change can both run them in minutes.
    bit_runs = [dict(laptop_run("teacher", 1), epochs=2)]
    for config in ["kd"] + list(SEED_METHODS):
        for precision in ["fp32", "bf16"]:
            run = dict(laptop_run(config, 1, LAPTOP_METHODS[config]), epochs=2, precision=precision)
            run["name"] = "fmnist-%s-%s-s1" % (config, precision)
            bit_runs.append(run)
    for run in bit_runs:
        run["data"] = dict(run["data"], train_subset=4000)
        run["schedule"] = dict(run["schedule"], milestones=[1])
    write("laptop/bit-check.json", "laptop-bit-check",
          "Bit-equality after a change made for speed: a teacher, then kd and every seed method in fp32 and "
          "bf16, seed 1, 2 epochs on 4000 training images (5k validation, 10k test). Run it with the engine "
          "before the change and with the engine after it, each into its own store, and compare the two "
          "with experiments/compare_bits.py. About 5 minutes per engine on 2 cores.", bit_runs)
    kd_runs = []
    for precision in ["fp32", "bf16"]:
        for seed in [1, 2, 3]:
            run = laptop_run("kd-%s" % precision, seed, LAPTOP_METHODS["kd"], STUDY_TEACHER)
            run["precision"] = precision
            kd_runs.append(run)
    write("laptop/precision.json", "laptop-precision",
          "KD in fp32 and in bf16 (autocast, channels-last), seeds 1-3 (%s). Its teachers are those of "
          "the laptop study (study.json): run it in the same store, after that study." % scale, kd_runs)
    for method, (recipe, teacher, student, methods) in CIFAR_SETS.items():
        write("cifar100/%s.json" % method, "cifar100-%s" % method,
              "Paper scale: %s and its baselines on CIFAR-100, %s -> %s%s, the official recipe (see the comments "
              "in experiments/make_experiments.py). Set data.root to the CIFAR-100 binary batches." % (
                  method, teacher, student,
                  " (and SAKD's ResNet50 rows: resnet50_cifar -> mobilenetv2, vgg8)" if method == "sakd" else ""),
              cifar_set(recipe, teacher, student, methods) + (sakd_resnet50_runs() if method == "sakd" else []))
    recipe, teacher, student, methods = CIFAR10_AMAP
    os.makedirs(os.path.join(HERE, "cifar10"), exist_ok=True)
    write("cifar10/amap.json", "cifar10-amap",
          "amap on CIFAR-10, its paper's only data set, %s -> %s. The paper's pairs, schedule and weights are "
          "not public: RepDistiller's recipe (240 epochs, SGD 0.05, batch 64), amap's defaults beside the "
          "no-warm-up, feature-hint and all-stages options. Set data.root to the CIFAR-10 binary batches." % (
              teacher, student), cifar_set(recipe, teacher, student, methods, CIFAR10_DATA, "cifar10"))


if __name__ == "__main__":
    main()
