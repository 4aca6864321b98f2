#!/usr/bin/env bash
# Sets up, builds and runs the benchmark against nginx's slice cache (bench/README.md). Extra
# arguments go to casserole_bench; the table is printed and written to bench-results.md in the
# current directory unless --out says otherwise.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/build.sh" casserole casserole_bench
exec "$repo/build/bench/casserole_bench" "$@"
