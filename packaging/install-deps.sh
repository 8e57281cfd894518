#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing and running Distillery needs.
# Idempotent: packages already present are left alone. Uses sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ccache
  qt6-base-dev qt6-svg-dev libqcustomplot-dev libgl-dev
  libtorch-dev libopenblas0-openmp libgloo-dev
  libsqlite3-dev libspdlog-dev nlohmann-json3-dev libcli11-dev zlib1g-dev
  libjpeg62-turbo-dev libpng-dev   # image folders: JPEG and PNG decoding
  dataset-fashion-mnist
  xvfb xauth
  python3-torch python3-numpy python3-scipy
  python3-pil python3-torchvision   # tests/fixtures: the image-folder fixture and its references, .pth teachers
  clang libclang-rt-14-dev   # tests/fuzz: clang++ and its libFuzzer, ASan and UBSan runtimes
  cmark-gfm
  slurm-wlm munge   # tests/cluster: a one-node Slurm cluster (packaging/slurm-local.sh)
  lintian help2man appstream desktop-file-utils shared-mime-info   # packaging/build-deb.sh and its checks
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
