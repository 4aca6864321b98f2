#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite: unit and integration tests on an optimised build,
# the same tests under AddressSanitizer + UndefinedBehaviorSanitizer, and a short fuzzing run of
# the parsers that read untrusted bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

# Tests mostly wait on sockets and child processes, so more tests than cores run at once.
parallel=$(( $(nproc) * 2 ))
# ccache (installed by setup.sh) shares objects between checkouts in different directories.
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1

run_suite() {
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja -DCASSEROLE_WERROR=ON "$@" > /dev/null
  cmake --build "$dir"
  ctest --test-dir "$dir" -j "$parallel" --output-on-failure --timeout 300
}

run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCASSEROLE_SANITIZE=ON

CXX=clang++-14 cmake -S fuzz -B build-fuzz -G Ninja > /dev/null
cmake --build build-fuzz
rm -rf build-fuzz/corpus && cp -r fuzz/corpus build-fuzz/corpus
for fuzzer in build-fuzz/fuzz_*; do
  name=$(basename "$fuzzer")
  "$fuzzer" -max_total_time="${CASSEROLE_FUZZ_SECONDS:-30}" "build-fuzz/corpus/$name" 2>&1 | tail -n 3
done
echo "fuzzing: no crashes"
