#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and builds the optimised targets given, build/casserole by default,
# in build/. Shared by the scripts that run something.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/setup.sh"
cmake -S "$repo" -B "$repo/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build "$repo/build" --target "${@:-casserole}"
