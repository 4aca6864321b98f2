#!/usr/bin/env bash
# Sets up, builds and runs the benchmark against nginx's slice cache (bench/README.md). Extra
# arguments go to casserole_bench; the table is printed and written to bench-results.md in the
# current directory unless --out says otherwise. A bare --baseline builds the pre-observability
# node first (bench/build_baseline.sh) and passes it on for scenario 2b.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/build.sh" casserole casserole_bench
arguments=()
for argument in "$@"; do
  if [[ $argument == --baseline ]]; then
    argument=--baseline=$("$repo/bench/build_baseline.sh")
  fi
  arguments+=("$argument")
done
exec "$repo/build/bench/casserole_bench" "${arguments[@]}"
