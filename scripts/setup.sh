#!/usr/bin/env bash
# setup.sh: install the Debian packages pss needs to build, test and run.
#
# Idempotent: it asks dpkg what is already installed, runs `apt-get update`
# only when something is missing, and prints what it did. Uses sudo when not
# run as root.
set -euo pipefail

packages=(
  g++ meson ninja-build pkg-config
  libcaf-dev libsodium-dev doctest-dev libtomlplusplus-dev
  libboost-program-options-dev libbenchmark-dev nlohmann-json3-dev
  libssl-dev openssl iproute2 procps jq libcpp-httplib-dev curl python3-requests python3-yaml
  prometheus-cpp-dev prometheus chromium help2man man-db systemd
  podman podman-compose debootstrap
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed; nothing to do"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "setup: missing packages (${missing[*]}) and not root, and sudo is not available" >&2
    echo "setup: run this script as root, or install them by hand with apt-get" >&2
    exit 1
  fi
fi

echo "setup: installing ${#missing[@]} missing package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: installed ${missing[*]}"
