#!/usr/bin/env bash
# Sets up, builds and runs one Casserole node; extra arguments are passed to the node.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh casserole
exec build/casserole "$@"
