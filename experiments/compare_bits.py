#!/usr/bin/python3
"""Checks that a change made for speed left every number of a run bit for bit as it was.

Run the same experiment (experiments/laptop/bit-check.json) with the engine before the change and
with the engine after it, each into a store of its own, then compare the two stores:

    git worktree add /tmp/before <commit before the change>
    DISTILLERY_BUILD_DIR=/tmp/before/build /tmp/before/packaging/build.sh distillery-engine
    /tmp/before/build/bin/distillery-engine run --spec experiments/laptop/bit-check.json --db before.sqlite --progress none
    build/bin/distillery-engine run --spec experiments/laptop/bit-check.json --db after.sqlite --progress none
    /usr/bin/python3 experiments/compare_bits.py before.sqlite after.sqlite

For every run name both stores have, it compares each logged value (the metrics other than wall
times, and the gates, gate classes, channel statistics, path weights, class agreement and confusion
rows) by its 64 bits, and prints per run how many values it compared and the first ones that
differ. The exit status is 0 when every value is equal, 1 when one differs, 2 on bad input.
"""
import sqlite3
import struct
import sys

# The per-run tables of logged values, with the columns that identify a row (besides run_id).
# Wall-clock columns (metrics.wall, and the metrics whose key names a time) measure the machine,
# not the computation, and are left out.
TABLES = {
    "metrics": ["key", "step"],
    "gates": ["step", "spot"],
    "gate_classes": ["step", "spot", "class"],
    "channel_stats": ["spot", "step", "channel"],
    "path_weights": ["step", "path"],
    "class_agreement": ["split", "step", "class_index"],
    "confusion": ["split", "model", "step", "actual", "predicted"],
}
LEFT_OUT_COLUMNS = {"run_id", "wall"}


def bits(value):
    """A value as it is stored: a float by its 64 bits, anything else as it is."""
    return struct.pack("<d", value).hex() if isinstance(value, float) else value


def logged_columns(db):
    """{table: its columns other than run_id and wall} for the tables of TABLES this store has."""
    present = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {table: [row[1] for row in db.execute("PRAGMA table_info(%s)" % table) if row[1] not in LEFT_OUT_COLUMNS]
            for table in TABLES if table in present}


def logged_values(db, columns_of, run_id):
    """{(table, identifying values…, column): value} for everything the run logged."""
    values = {}
    for table, columns in columns_of.items():
        key_columns = TABLES[table]
        for row in db.execute("SELECT %s FROM %s WHERE run_id = ?" % (", ".join(columns), table), (run_id,)):
            record = dict(zip(columns, row))
            if table == "metrics" and "time" in record["key"]:
                continue
            identity = tuple(record[c] for c in key_columns)
            for column in columns:
                if column not in key_columns:
                    values[(table,) + identity + (column,)] = record[column]
    return values


def runs_by_name(db):
    runs = {}
    for run_id, name, status in db.execute("SELECT id, name, status FROM runs ORDER BY id"):
        runs[name] = (run_id, status)   # a name run twice: its last run
    return runs


def open_store(path):
    try:
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        db.execute("SELECT 1 FROM runs LIMIT 1")
        return db
    except sqlite3.Error as error:
        print("compare_bits: %s is not a Distillery store (%s); pass two stores written by "
              "distillery-engine run" % (path, error), file=sys.stderr)
        sys.exit(2)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    before, after = open_store(sys.argv[1]), open_store(sys.argv[2])
    runs_before, runs_after = runs_by_name(before), runs_by_name(after)
    names = [n for n in runs_before if n in runs_after]
    if not names:
        print("compare_bits: the two stores have no run name in common", file=sys.stderr)
        return 2
    columns_before, columns_after = logged_columns(before), logged_columns(after)
    all_equal = True
    for name in names:
        (id_before, status_before), (id_after, status_after) = runs_before[name], runs_after[name]
        a, b = logged_values(before, columns_before, id_before), logged_values(after, columns_after, id_after)
        differing = sorted((k for k in a.keys() | b.keys() if bits(a.get(k)) != bits(b.get(k))), key=str)
        equal = not differing and status_before == status_after
        all_equal &= equal
        verdict = "bit-equal" if equal else "DIFFERS in %d of them" % len(differing)
        print("%-28s %6d values  %s" % (name, len(a.keys() | b.keys()), verdict))
        if status_before != status_after:
            print("    status: %s before, %s after" % (status_before, status_after))
        for key in differing[:5]:
            print("    %s: %r before, %r after" % (" / ".join(map(str, key)), a.get(key), b.get(key)))
    for name in sorted(runs_before.keys() ^ runs_after.keys()):
        print("%-28s in one store only, not compared" % name)
    return 0 if all_equal else 1


if __name__ == "__main__":
    sys.exit(main())
