#!/usr/bin/python3
"""Writes the seed-method experiment specs of experiments/laptop/ and experiments/cifar100/.

The specs are plain JSON for distillery-engine; this script only keeps their many runs consistent.
Run it after changing a recipe:   /usr/bin/python3 experiments/make_experiments.py

laptop/   Fashion-MNIST, resnet20 -> resnet8, sized so that laptop/all-seeds.json (every method and
          baseline, 3 seeds) trains in about 90 minutes on 2 CPU cores; one file per seed method with
          its baselines (seed 1) for a quick look.
cifar100/ The paper-scale recipes of the official code (pairs, schedules, weights), for a GPU machine
          with the CIFAR-100 binary batches in data/cifar-100-binary (edit data.root).
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
}

# Each seed method with the baselines it is compared against.
SEED_METHODS = {
    "adain": ["kd", "stat_l2", "adain"],
    "sakd": ["kd", "at", "at+kd", "sakd"],
    "channel": ["kd", "fitnet", "channel"],
    "multipath": ["kd", "at", "multipath-equal", "multipath"],
    "amap": ["kd", "at", "amap"],
}


def laptop_run(config, seed, method=None):
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
            run["teacher"] = {"run_name": "fmnist-teacher-s%d" % seed}
    return run


def laptop_set(configs, seeds):
    runs = [laptop_run("teacher", s) for s in seeds]
    for s in seeds:
        runs += [laptop_run(c, s, LAPTOP_METHODS[c]) for c in ["vanilla"] + [c for c in configs if c != "vanilla"]]
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
    # Adaptive Distillation's configs (equal, hand_tuned, adaptive_at_st, adaptive_all, layer-wise).
    # The official pair is a CIFAR ResNet-50 -> ResNet-18 (mmcls); Distillery's zoo has the CRD
    # CIFAR nets, so the nearest pair of the zoo stands in: resnet32x4 -> resnet8x4.
    "multipath": (ADAPTIVE, "resnet32x4", "resnet8x4", {
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


def cifar_set(recipe, teacher, student, methods):
    def run(name, model, method=None):
        r = {"name": "cifar100-%s" % name, "student": {"model": model}, "seed": 1, "data": dict(CIFAR_DATA),
             "log_every": 50, "diagnostics_every": 50}
        r.update(json.loads(json.dumps(recipe)))
        if method is not None:
            r["method"] = method
            if method["name"] != "ce":
                r["teacher"] = {"run_name": "cifar100-teacher-%s" % teacher}
        return r
    runs = [run("teacher-%s" % teacher, teacher)]
    runs += [run("%s-%s" % (name, student), student, method) for name, method in methods.items()]
    return runs


def write(path, name, description, runs):
    with open(os.path.join(HERE, path), "w") as f:
        json.dump({"name": name, "description": description, "runs": runs}, f, indent=2)
        f.write("\n")


def main():
    scale = "Fashion-MNIST, %d training images (5k validation, 10k test), %d epochs, batch 128, %s -> %s" % (
        LAPTOP_SUBSET, LAPTOP_EPOCHS, LAPTOP_TEACHER, LAPTOP_STUDENT)
    write("laptop/all-seeds.json", "laptop-all-seeds",
          "Every baseline and seed method of docs/results.md, seeds 1-3 (%s). About 90 minutes on 2 cores." % scale,
          laptop_set(list(LAPTOP_METHODS), [1, 2, 3]))
    for method, configs in SEED_METHODS.items():
        write("laptop/%s.json" % method, "laptop-%s" % method,
              "%s and its baselines, seed 1 (%s)." % (method, scale), laptop_set(configs, [1]))
    kd_runs = []
    for precision in ["fp32", "bf16"]:
        for seed in [1, 2, 3]:
            run = laptop_run("kd-%s" % precision, seed, LAPTOP_METHODS["kd"])
            run["precision"] = precision
            kd_runs.append(run)
    write("laptop/precision.json", "laptop-precision",
          "KD in fp32 and in bf16 (autocast, channels-last), seeds 1-3 (%s). Its teachers are those of "
          "all-seeds.json: run it in the same store, after that set." % scale, kd_runs)
    for method, (recipe, teacher, student, methods) in CIFAR_SETS.items():
        write("cifar100/%s.json" % method, "cifar100-%s" % method,
              "Paper scale: %s and its baselines on CIFAR-100, %s -> %s, the official recipe (see the comments "
              "in experiments/make_experiments.py). Set data.root to the CIFAR-100 binary batches." % (
                  method, teacher, student), cifar_set(recipe, teacher, student, methods))


if __name__ == "__main__":
    main()
