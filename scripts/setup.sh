#!/usr/bin/env bash
# Installs every Debian package that building, testing and running Casserole needs.
# Idempotent: apt-get skips what is already installed.
set -euo pipefail
script=setup.sh
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

case ${1:-} in
  "") ;;
  -h | --help)
    echo "Usage: scripts/setup.sh"
    echo
    echo "Installs the Debian packages that building, testing and running Casserole need"
    echo "(with sudo unless root); does nothing when they are all installed."
    exit 0
    ;;
  *) bad_option "$1: unknown option" ;;
esac

packages=(
  # build
  g++ cmake ninja-build pkg-config ccache
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-program-options1.81-dev
  libssl-dev libxxhash-dev
  # tests and benchmarks
  libgtest-dev libcurl4-openssl-dev curl nginx-light openssl clang-14 libclang-rt-14-dev wrk
  etcd-server libyaml-cpp-dev shellcheck chromium
)

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  sudo_if_needed apt-get update -q
  sudo_if_needed apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
