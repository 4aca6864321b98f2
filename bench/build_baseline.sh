#!/usr/bin/env bash
# Builds Casserole as it was at an earlier commit, for the benchmark's scenario 2b, which
# measures the current node against it in the same run (bench/README.md). The commit's tree comes
# from `git archive`, so the checkout, its index and its worktree list are left alone. Prints the
# binary's path on stdout, and only that, for `--baseline=$(bench/build_baseline.sh)`.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
script=build_baseline.sh
# shellcheck source=scripts/common.sh
source "$repo/scripts/common.sh"

# The last commit before the node counted requests (Cache-Status, metrics, the admin listener).
readonly default_commit=f6bccc0

usage() {
  cat << EOF
Usage: bench/build_baseline.sh [--commit=REV] [--dir=DIR]

Builds build/casserole as it was at REV (default $default_commit, the last commit before
observability) into DIR (default build/baseline): optimised with debug information, tests off,
through ccache. Prints the binary's path, DIR/casserole. Does nothing but print it when DIR
already holds a build of REV.
EOF
}

rev=$default_commit
dir=$repo/build/baseline
while (($#)); do
  taken=1
  case $1 in
    --commit | --commit=*)
      option_value "$@"
      rev=$value
      ;;
    --dir | --dir=*)
      option_value "$@"
      dir=$value
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) bad_option "$1: unknown option" ;;
  esac
  shift "$taken"
done

commit=$(git -C "$repo" rev-parse --verify --quiet "$rev^{commit}") ||
  bad_option "--commit=$rev: not a commit of $repo"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
binary=$dir/casserole

# The stamp is written last, so an interrupted build is never taken for a finished one.
if [[ -x $binary && $(cat "$dir/commit" 2> /dev/null) == "$commit" ]]; then
  echo "$binary"
  exit 0
fi

"$repo/scripts/setup.sh" >&2
# A fresh tree each time: files extracted from an older commit could look older than the
# objects built from a newer one, and Ninja would keep those objects.
rm -rf "$dir/commit" "$binary" "$dir/source" "$dir/build"
mkdir "$dir/source"
git -C "$repo" archive "$commit" | tar -x -C "$dir/source"
# Objects whose sources did not change since the commit come from ccache, when it is installed;
# the launcher is named here as well as in CMakeLists.txt for commits older than that line.
launcher=()
if command -v ccache > /dev/null; then
  export CCACHE_BASEDIR=$dir/source CCACHE_NOHASHDIR=1
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
echo "$script: building casserole at ${commit:0:12} in $dir" >&2
cmake -S "$dir/source" -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCASSEROLE_TESTS=OFF "${launcher[@]}" >&2
cmake --build "$dir/build" --target casserole >&2
cp "$dir/build/casserole" "$binary"
echo "$commit" > "$dir/commit"
echo "$binary"
