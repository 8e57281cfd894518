#include "store/Schema.h"

namespace distillery::store {

namespace {
// Version 1: every table of DESIGN.md. Diagnostic tables exist from the start so that a file
// written by any engine opens in any GUI of the same schema.
const char* kVersion1 = R"SQL(
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    uuid        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('queued','running','finished','failed','killed')),
    created_at  REAL NOT NULL,
    started_at  REAL,
    finished_at REAL,
    heartbeat   REAL,
    spec        TEXT NOT NULL,
    teacher     TEXT NOT NULL DEFAULT '',
    student     TEXT NOT NULL DEFAULT '',
    method      TEXT NOT NULL DEFAULT '',
    dataset     TEXT NOT NULL DEFAULT '',
    seed        INTEGER NOT NULL DEFAULT 0,
    device      TEXT NOT NULL DEFAULT '',
    host        TEXT NOT NULL DEFAULT '',
    pid         INTEGER,
    error       TEXT NOT NULL DEFAULT '',
    progress    REAL NOT NULL DEFAULT 0
);
CREATE INDEX runs_by_name ON runs(name, status);

CREATE TABLE metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key    TEXT NOT NULL,
    step   INTEGER NOT NULL,
    epoch  REAL NOT NULL,
    value  REAL NOT NULL,
    wall   REAL NOT NULL,
    PRIMARY KEY (run_id, key, step)
) WITHOUT ROWID;

CREATE TABLE run_summary (
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    last_step  INTEGER NOT NULL,
    last_value REAL NOT NULL,
    min_value  REAL NOT NULL,
    max_value  REAL NOT NULL,
    count      INTEGER NOT NULL,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

CREATE TABLE gates (
    run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step      INTEGER NOT NULL,
    spot      TEXT NOT NULL,
    open_rate REAL NOT NULL,
    PRIMARY KEY (run_id, step, spot)
) WITHOUT ROWID;

CREATE TABLE gate_classes (
    run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step      INTEGER NOT NULL,
    spot      TEXT NOT NULL,
    class     INTEGER NOT NULL,
    open_rate REAL NOT NULL,
    PRIMARY KEY (run_id, step, spot, class)
) WITHOUT ROWID;

CREATE TABLE channel_stats (
    run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step         INTEGER NOT NULL,
    spot         TEXT NOT NULL,
    channel      INTEGER NOT NULL,
    teacher_mean REAL NOT NULL,
    teacher_std  REAL NOT NULL,
    student_mean REAL NOT NULL,
    student_std  REAL NOT NULL,
    PRIMARY KEY (run_id, spot, step, channel)
) WITHOUT ROWID;

CREATE TABLE path_weights (
    run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step     INTEGER NOT NULL,
    path     TEXT NOT NULL,
    weight   REAL NOT NULL,
    raw_loss REAL NOT NULL,
    PRIMARY KEY (run_id, step, path)
) WITHOUT ROWID;

CREATE TABLE checkpoints (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step       INTEGER NOT NULL,
    epoch      INTEGER NOT NULL,
    path       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    metric     REAL NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX checkpoints_by_run ON checkpoints(run_id);

CREATE TABLE events (
    id      INTEGER PRIMARY KEY,
    run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    time    REAL NOT NULL,
    level   TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX events_by_run ON events(run_id, id);
)SQL";

// Version 2: the channel method's per-channel alignment error.
const char* kVersion2 = R"SQL(
ALTER TABLE channel_stats ADD COLUMN alignment_error REAL;
)SQL";

// Version 3: what a run actually computed with (issue 7): intra-op threads, precision, memory format.
const char* kVersion3 = R"SQL(
ALTER TABLE runs ADD COLUMN threads INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN precision TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN memory_format TEXT NOT NULL DEFAULT '';
)SQL";
// Version 4 (issue 13): the training step an event describes (NULL for events about the run's
// lifecycle), so a resume can drop the progress events of an attempt it discards; and one
// checkpoint row per run for "last" and for "best" (the files are overwritten in place, so older
// rows pointed at files that no longer held what they described).
const char* kVersion4 = R"SQL(
ALTER TABLE events ADD COLUMN step INTEGER;
DELETE FROM checkpoints WHERE kind IN ('last', 'best')
    AND id NOT IN (SELECT max(id) FROM checkpoints WHERE kind IN ('last', 'best') GROUP BY run_id, kind);
)SQL";
// Version 5 (issue 16): the build that trained a run (Distillery's version and git commit, the
// LibTorch and Qt versions), so a result can be traced to the code that produced it.
const char* kVersion5 = R"SQL(
ALTER TABLE runs ADD COLUMN distillery_version TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN git_commit TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN torch_version TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN qt_version TEXT NOT NULL DEFAULT '';
)SQL";
// Version 6 (issue 17): studies. A run may belong to a study (with its role and configuration
// there, and the values the study varied for it), runs and studies carry tags and a note, a run may
// end "pruned" by its study's early-stopping rule, and each evaluation records the confusion matrix
// and the per-class agreement with the teacher. SQLite cannot change a CHECK constraint in place, so
// the runs table is rebuilt (the 12-step procedure of SQLite's ALTER TABLE page; the store turns
// foreign keys off while migrating so that dropping the old table cascades nowhere).
const char* kVersion6 = R"SQL(
CREATE TABLE studies (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    spec        TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    created_at  REAL NOT NULL,
    note        TEXT NOT NULL DEFAULT ''
);
CREATE TABLE runs_version6 (
    id          INTEGER PRIMARY KEY,
    uuid        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('queued','running','finished','failed','killed','pruned')),
    created_at  REAL NOT NULL,
    started_at  REAL,
    finished_at REAL,
    heartbeat   REAL,
    spec        TEXT NOT NULL,
    teacher     TEXT NOT NULL DEFAULT '',
    student     TEXT NOT NULL DEFAULT '',
    method      TEXT NOT NULL DEFAULT '',
    dataset     TEXT NOT NULL DEFAULT '',
    seed        INTEGER NOT NULL DEFAULT 0,
    device      TEXT NOT NULL DEFAULT '',
    host        TEXT NOT NULL DEFAULT '',
    pid         INTEGER,
    error       TEXT NOT NULL DEFAULT '',
    progress    REAL NOT NULL DEFAULT 0,
    threads     INTEGER NOT NULL DEFAULT 0,
    precision   TEXT NOT NULL DEFAULT '',
    memory_format TEXT NOT NULL DEFAULT '',
    distillery_version TEXT NOT NULL DEFAULT '',
    git_commit  TEXT NOT NULL DEFAULT '',
    torch_version TEXT NOT NULL DEFAULT '',
    qt_version  TEXT NOT NULL DEFAULT '',
    study_id    INTEGER REFERENCES studies(id) ON DELETE SET NULL,
    study_role  TEXT NOT NULL DEFAULT '' CHECK (study_role IN ('', 'teacher', 'student')),
    configuration TEXT NOT NULL DEFAULT '',
    study_fields TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT ''
);
INSERT INTO runs_version6 (id, uuid, name, status, created_at, started_at, finished_at, heartbeat, spec, teacher,
    student, method, dataset, seed, device, host, pid, error, progress, threads, precision, memory_format,
    distillery_version, git_commit, torch_version, qt_version)
  SELECT id, uuid, name, status, created_at, started_at, finished_at, heartbeat, spec, teacher, student, method,
    dataset, seed, device, host, pid, error, progress, threads, precision, memory_format, distillery_version,
    git_commit, torch_version, qt_version FROM runs;
DROP TABLE runs;
ALTER TABLE runs_version6 RENAME TO runs;
CREATE INDEX runs_by_name ON runs(name, status);
CREATE INDEX runs_by_study ON runs(study_id, study_role, status);

CREATE TABLE run_tags (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    tag    TEXT NOT NULL,
    PRIMARY KEY (run_id, tag)
) WITHOUT ROWID;
CREATE INDEX run_tags_by_tag ON run_tags(tag);
CREATE TABLE study_tags (
    study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    tag      TEXT NOT NULL,
    PRIMARY KEY (study_id, tag)
) WITHOUT ROWID;

CREATE TABLE confusion (
    run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step      INTEGER NOT NULL,
    split     TEXT NOT NULL,
    model     TEXT NOT NULL CHECK (model IN ('student', 'teacher')),
    actual    INTEGER NOT NULL,
    predicted INTEGER NOT NULL,
    count     INTEGER NOT NULL,
    PRIMARY KEY (run_id, split, model, step, actual, predicted)
) WITHOUT ROWID;
CREATE TABLE class_agreement (
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step        INTEGER NOT NULL,
    split       TEXT NOT NULL,
    class_index INTEGER NOT NULL,
    agree       INTEGER NOT NULL,
    total       INTEGER NOT NULL,
    PRIMARY KEY (run_id, split, step, class_index)
) WITHOUT ROWID;
)SQL";
// Version 7 (issue 18): the class names a run trained with, as a JSON array, for data sets whose classes are
// not known from their name (an image folder's are its folder names, which may change after the run); "" = the
// data set's own (spec::classNames).
const char* kVersion7 = R"SQL(
ALTER TABLE runs ADD COLUMN class_names TEXT NOT NULL DEFAULT '';
)SQL";
// Version 8 (issue 19): runs submitted to a Slurm cluster. Such a run stays queued in this store until
// its shard is merged; the desktop queue leaves it alone. shared_root is the submission's folder on the
// shared file system (its shard is shared_root/runs/<uuid>/shard.sqlite); slurm_task is the array task
// ("JOB_INDEX"), "" between queueing and sbatch. Kept out of the shards (store/Shards.cpp): it is this
// store's own record of where its runs went.
const char* kVersion8 = R"SQL(
CREATE TABLE cluster_jobs (
    run_id       INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    shared_root  TEXT NOT NULL,
    slurm_task   TEXT NOT NULL DEFAULT '',
    submitted_at REAL NOT NULL
);
)SQL";
}  // namespace

const std::vector<const char*>& migrations() {
    static const std::vector<const char*> all = {kVersion1, kVersion2, kVersion3, kVersion4, kVersion5,
                                                kVersion6, kVersion7, kVersion8};
    return all;
}

}  // namespace distillery::store
