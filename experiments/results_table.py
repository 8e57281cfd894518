#!/usr/bin/python3
"""Prints the results table of docs/results.md from a store written by an experiment or a study.

For every configuration (run name without its "-s<seed>" suffix): the number of finished runs, the
test accuracy at the epoch of best validation accuracy (model selection on the validation split),
the test accuracy after the last epoch, both as mean +- sample standard deviation over the seeds,
the mean training time of a run (its epoch_time at the end, which a resumed run continues), and,
for every baseline given, the Holm-corrected p-value of the difference in the first accuracy: the
paired t-test over the seeds both configurations have (scipy.stats.ttest_rel) when there are at
least 2, else Welch's (ttest_ind, equal_var=False); Holm over the student configurations compared
with that baseline. This is SciPy's computation, independent of Distillery's own statistics (the
app's Compare > Statistics and `distillery report`), so the two can be checked against each other.

    /usr/bin/python3 experiments/results_table.py laptop.distillery [BASELINE ...]
    /usr/bin/python3 experiments/results_table.py laptop.distillery laptop-vanilla laptop-kd
"""
import math
import re
import sqlite3
import statistics
import sys

from scipy import stats


def accuracy_at_best_val(db, run_id):
    val = db.execute("SELECT step, value FROM metrics WHERE run_id = ? AND key = 'val/acc1' ORDER BY step",
                     (run_id,)).fetchall()
    test = dict(db.execute("SELECT step, value FROM metrics WHERE run_id = ? AND key = 'test/acc1'", (run_id,)))
    if not val or not test:
        return None, None
    best_step = max(val, key=lambda row: (row[1], -row[0]))[0]   # the earliest step of the best value
    return test.get(best_step), test[max(test)]


def training_seconds(db, run_id):
    row = db.execute("SELECT value FROM metrics WHERE run_id = ? AND key = 'epoch_time' ORDER BY step DESC LIMIT 1",
                     (run_id,)).fetchone()
    return row[0] if row else None


def mean_std(values):
    if not values:
        return "–"
    if len(values) == 1:
        return "%.2f" % values[0]
    return "%.2f ± %.2f" % (statistics.mean(values), statistics.stdev(values))


def p_value(candidate, baseline):
    """candidate, baseline: {seed: value}. The test and its two-sided p, or None when impossible."""
    common = sorted(set(candidate) & set(baseline))
    if len(common) >= 2:
        differences = [candidate[s] - baseline[s] for s in common]
        if statistics.pstdev(differences) == 0:
            return None
        return "paired", stats.ttest_rel([candidate[s] for s in common], [baseline[s] for s in common]).pvalue
    a, b = list(candidate.values()), list(baseline.values())
    if len(a) < 2 or len(b) < 2 or (statistics.pstdev(a) == 0 and statistics.pstdev(b) == 0):
        return None
    return "Welch", stats.ttest_ind(a, b, equal_var=False).pvalue


def holm(p_values):
    """Holm's step-down adjustment of a {key: p} map (statsmodels' multipletests(method="holm"))."""
    order = sorted(p_values, key=lambda k: p_values[k])
    adjusted, running = {}, 0.0
    for i, key in enumerate(order):
        running = max(running, min(1.0, (len(order) - i) * p_values[key]))
        adjusted[key] = running
    return adjusted


def main(path, baselines):
    db = sqlite3.connect(path)
    groups = {}
    for run_id, name, method, status, seed in db.execute(
            "SELECT id, name, method, status, seed FROM runs ORDER BY id"):
        config = re.sub(r"-s\d+$", "", name)
        group = groups.setdefault(config, {"method": method, "best": {}, "last": [], "wall": [], "other": 0})
        if status != "finished":
            group["other"] += 1
            continue
        best, last = accuracy_at_best_val(db, run_id)
        group["best"][seed] = best
        group["last"].append(last)
        seconds = training_seconds(db, run_id)
        if seconds is not None:
            group["wall"].append(seconds)
    for baseline in baselines:
        if baseline not in groups:
            sys.exit("no configuration %r; the configurations are: %s" % (baseline, ", ".join(groups)))
    adjusted = {}
    for baseline in baselines:
        tests = {config: p_value(g["best"], groups[baseline]["best"]) for config, g in groups.items()
                 if config != baseline and "teacher" not in config}
        corrected = holm({config: test[1] for config, test in tests.items() if test})
        adjusted[baseline] = {config: (tests[config][0], tests[config][1], corrected[config]) for config in corrected}

    header = ["configuration", "method", "runs", "test acc. at best val. (%)", "test acc. last epoch (%)",
              "training time / run"] + ["p vs %s (Holm)" % b for b in baselines]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for config, g in groups.items():
        runs = str(len(g["best"])) + (" (+%d not finished)" % g["other"] if g["other"] else "")
        wall = "%.0f s" % statistics.mean(g["wall"]) if g["wall"] else "–"
        cells = [config, g["method"], runs, mean_std(list(g["best"].values())), mean_std(g["last"]), wall]
        for baseline in baselines:
            if config == baseline:
                cells.append("baseline")
            elif config in adjusted[baseline]:
                kind, raw, corrected = adjusted[baseline][config]
                mark = "**" if corrected < 0.05 else ""
                cells.append("%s%.3g%s (%s, raw %.3g)" % (mark, corrected, mark, kind, raw))
            else:
                cells.append("–")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: results_table.py STORE [BASELINE ...]")
    main(sys.argv[1], sys.argv[2:])
