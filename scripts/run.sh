#!/usr/bin/env bash
# Sets up, builds and runs one Casserole node; extra arguments are passed to the node.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build --target casserole
exec build/casserole "$@"
