#!/usr/bin/env bash
# Installs everything gradviz needs on Debian/Ubuntu: system packages, then a virtual
# environment in .venv with torch (CPU build, pinned) and gradviz itself.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(
  graphviz xvfb xauth fonts-dejavu-core python3-venv
  libegl1 libgl1 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
  libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-randr0 libxcb-render-util0
  libxcb-shape0 libxcb-xinerama0 libxcb-image0 libxcb-xkb1
)

missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "Installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# torch first and pinned: this version is the CPU wheel here; anything else pulls a CUDA build.
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e ".[${GRADVIZ_EXTRAS:-test}]"
# Bytecode for gradviz's own modules now (pip compiles what it installs into the environment,
# not an editable project's source): the first start then imports as fast as every later one.
.venv/bin/python -m compileall -q gradviz > /dev/null
