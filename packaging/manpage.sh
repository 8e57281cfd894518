#!/usr/bin/env bash
# Writes a gzipped man page for one of Distillery's programs from its --help and --version (help2man),
# with a section per sub-command from "PROGRAM SUB --help".
#   manpage.sh PROGRAM OUTPUT.1.gz "ONE-LINE DESCRIPTION" [SUB-COMMAND…]
set -euo pipefail
program="$1" output="$2" name="$3"
shift 3
include="$(mktemp)"
trap 'rm -f "$include" "${output%.gz}"' EXIT
if [ $# -gt 0 ]; then
  echo "[COMMANDS]" > "$include"
  for sub in "$@"; do
    echo ".SS $sub" >> "$include"
    # Each line of the sub-command's help as a literal line of the page.
    echo ".nf" >> "$include"
    # (The usage line names the program as it was started: its build path, replaced by its name.)
    "$program" "$sub" --help | sed -e "s|$program|$(basename "$program")|g" \
      -e 's/\\/\\e/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\&'/" >> "$include"
    echo ".fi" >> "$include"
  done
fi
cat >> "$include" <<'SEEALSO'
[SEE ALSO]
.BR distillery (1),
.BR distillery\-engine (1).
The README and the example experiments are in /usr/share/doc/distillery and /usr/share/distillery.
SEEALSO
# The GUI's --help needs no display; QT_QPA_PLATFORM keeps Qt quiet where there is none.
QT_QPA_PLATFORM=offscreen help2man --locale=C.UTF-8 --no-info --no-discard-stderr --section 1 --name "$name" \
  --include "$include" --output "${output%.gz}" "$program"
gzip -9n -c "${output%.gz}" > "$output"
