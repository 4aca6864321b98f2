#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and builds the optimised targets given, build/casserole by default,
# in build/. Shared by the scripts that run something.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
script=build.sh
# shellcheck source=scripts/common.sh
source "$repo/scripts/common.sh"

for argument in "$@"; do
  case $argument in
    -h | --help)
      echo "Usage: scripts/build.sh [TARGET...]"
      echo
      echo "Installs what is missing (scripts/setup.sh) and builds the CMake targets given"
      echo "(default: casserole) in build/, optimised with debug information."
      exit 0
      ;;
    -*) bad_option "$argument: unknown option" ;;
  esac
done
"$repo/scripts/setup.sh"
cmake -S "$repo" -B "$repo/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build "$repo/build" --target "${@:-casserole}"
