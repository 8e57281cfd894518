#!/usr/bin/env bash
# The Debian package, installed as a user installs it: builds it (packaging/build-deb.sh: lintian,
# AppStream and desktop-file checks included), installs it with apt-get, trains a few steps of the
# installed default experiment with the installed engine, writes a report of the result with the
# installed app, checks what the package put where, and removes it again (also when a step fails).
#   test-package.sh SOURCE_DIR BUILD_DIR
# Needs root or password-less sudo; exits 77 (CTest: skipped) without either.
set -euo pipefail
source_dir="$1" build_dir="$2"

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if ! sudo -n true 2>/dev/null; then
    echo "test-package: skipped, installing a package needs root or password-less sudo" >&2
    exit 77
  fi
  sudo_cmd=(sudo -n)
fi
if dpkg-query -W -f='${Status}' distillery 2>/dev/null | grep -q "install ok installed"; then
  echo "test-package: a distillery package is already installed; remove it first (apt-get remove distillery)" >&2
  exit 1
fi

work="$(mktemp -d)"
remove_package() {
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq distillery >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap remove_package EXIT

deb="$(DISTILLERY_BUILD_DIR="$build_dir" bash "$source_dir/packaging/build-deb.sh" | tail -n 1)"
echo "test-package: installing $deb"
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >/dev/null

fail() { echo "test-package: FAIL: $*" >&2; exit 1; }
for file in /usr/bin/distillery /usr/bin/distillery-engine /usr/share/applications/distillery.desktop \
            /usr/share/icons/hicolor/scalable/apps/distillery.svg \
            /usr/share/metainfo/io.github.distillery.Distillery.metainfo.xml \
            /usr/share/mime/packages/distillery.xml /usr/share/man/man1/distillery.1.gz \
            /usr/share/man/man1/distillery-engine.1.gz /usr/share/distillery/experiments/default.json \
            /usr/share/doc/distillery/copyright /usr/share/doc/distillery/changelog.gz; do
  [ -f "$file" ] || fail "the package does not install $file"
done
dpkg-query -W -f='${Depends}' distillery | grep -q "libtorch" || fail "Depends does not name LibTorch"
zcat /usr/share/man/man1/distillery-engine.1.gz | grep -q "resume" || fail "the engine's man page lacks its sub-commands"
/usr/bin/distillery-engine --version | grep -q "^distillery-engine " || fail "distillery-engine --version"
# shared-mime-info's trigger has compiled the type into the system's database.
grep -q "application/x-distillery-store" /usr/share/mime/globs2 || fail "the MIME type is not in /usr/share/mime/globs2"

# A few steps of the installed default experiment: every run, 3 steps of one epoch, a small validation split.
spec="$work/default-few-steps.json"
python3 - /usr/share/distillery/experiments/default.json "$spec" <<'PY'
import json, sys
experiment = json.load(open(sys.argv[1]))
for run in experiment["runs"]:
    run.update(epochs=1, max_steps_per_epoch=3, threads=1)
    run.pop("schedule", None)   # its milestones are epochs of the full schedule
    run["data"].update(train_subset=512, val_size=256)
json.dump(experiment, open(sys.argv[2], "w"), indent=1)
PY
cd "$work"
/usr/bin/distillery-engine run --spec "$spec" --db "$work/runs.distillery" --progress json > engine.out
sqlite3_count() {
  python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$@"
}
[ "$(sqlite3_count "$work/runs.distillery" "select count(*) from runs where status = 'finished'")" = 3 ] ||
  fail "the installed engine did not finish the 3 runs of the default experiment"
[ "$(sqlite3_count "$work/runs.distillery" "pragma application_id")" = 1146311756 ] ||
  fail "the store lacks Distillery's application_id"

/usr/bin/distillery report --db "$work/runs.distillery" --runs 1-3 --out "$work/report.html"
grep -q "fmnist-kd-resnet8" "$work/report.html" || fail "the report does not show the KD run"
echo "test-package: the installed engine trained the default experiment's 3 runs and the app reported on them"
