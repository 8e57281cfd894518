#!/usr/bin/env bash
# Builds the Debian package build/distillery_VERSION_ARCH.deb (or in $DISTILLERY_BUILD_DIR): the two
# programs (built when needed, not the tests), their man pages, then CPack, with the dependencies
# dpkg-shlibdeps finds. Then checks it: lintian (no errors), the AppStream metadata and the desktop
# file. Prints the package's path last.
#   packaging/build-deb.sh
#   sudo apt-get install ./build/distillery_0.1.0_amd64.deb
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DISTILLERY_BUILD_DIR:-$here/build}"

bash "$here/packaging/build.sh" distillery-engine distillery package-files
cd "$build"
rm -f distillery_*.deb
cpack -G DEB >/dev/null
deb="$(ls "$build"/distillery_*.deb)"

echo "build-deb: checking $(basename "$deb")" >&2
appstreamcli validate --no-net "$here/resources/io.github.distillery.Distillery.metainfo.xml" >&2
desktop-file-validate "$here/resources/distillery.desktop" >&2
# lintian: its errors fail the build; warnings and notes are printed.
lintian --fail-on error "$deb" >&2 || {
  echo "build-deb: lintian reports errors in $deb (above)" >&2
  exit 1
}
echo "$deb"
