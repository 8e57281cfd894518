#!/usr/bin/python3
"""Prints the results table of docs/results.md from a store written by an experiment.

For every configuration (run name without its "-s<seed>" suffix): the number of finished runs, the
test accuracy at the epoch of best validation accuracy (model selection on the validation split),
the test accuracy after the last epoch, both as mean +- sample standard deviation over the seeds,
and the mean wall time of a run.

    /usr/bin/python3 experiments/results_table.py laptop.sqlite
"""
import re
import sqlite3
import statistics
import sys


def accuracy_at_best_val(db, run_id):
    val = db.execute("SELECT step, value FROM metrics WHERE run_id = ? AND key = 'val/acc1' ORDER BY step",
                     (run_id,)).fetchall()
    test = dict(db.execute("SELECT step, value FROM metrics WHERE run_id = ? AND key = 'test/acc1'", (run_id,)))
    if not val or not test:
        return None, None
    best_step = max(val, key=lambda row: (row[1], -row[0]))[0]   # the earliest step of the best value
    return test[best_step], test[max(test)]


def mean_std(values):
    if not values:
        return "–"
    if len(values) == 1:
        return "%.2f" % values[0]
    return "%.2f ± %.2f" % (statistics.mean(values), statistics.stdev(values))


def main(path):
    db = sqlite3.connect(path)
    groups = {}
    for run_id, name, method, status, started, finished in db.execute(
            "SELECT id, name, method, status, started_at, finished_at FROM runs ORDER BY id"):
        config = re.sub(r"-s\d+$", "", name)
        group = groups.setdefault(config, {"method": method, "best": [], "last": [], "wall": [], "other": 0})
        if status != "finished":
            group["other"] += 1
            continue
        best, last = accuracy_at_best_val(db, run_id)
        group["best"].append(best)
        group["last"].append(last)
        group["wall"].append(finished - started)
    print("| configuration | method | runs | test acc. at best val. (%) | test acc. last epoch (%) | wall time / run |")
    print("|---|---|---|---|---|---|")
    for config, g in groups.items():
        runs = str(len(g["best"])) + (" (+%d not finished)" % g["other"] if g["other"] else "")
        wall = "%.0f s" % statistics.mean(g["wall"]) if g["wall"] else "–"
        print("| %s | %s | %s | %s | %s | %s |" % (config, g["method"], runs, mean_std(g["best"]),
                                                   mean_std(g["last"]), wall))
    total = db.execute("SELECT min(started_at), max(finished_at) FROM runs").fetchone()
    if total[0] and total[1]:
        print("\nFirst run started to last run finished: %.1f min." % ((total[1] - total[0]) / 60))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: results_table.py STORE.sqlite")
    main(sys.argv[1])
