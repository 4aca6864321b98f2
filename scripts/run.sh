#!/usr/bin/env bash
# Sets up, builds and runs one Casserole node in the foreground, in the current directory (so
# its default disk cache is ./data); every argument but its own --binary goes to the node.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/run.sh [--binary=FILE] [NODE-OPTIONS...]

Installs what is missing (scripts/setup.sh), builds build/casserole and runs it with
NODE-OPTIONS; with --binary=FILE (or --binary FILE), runs FILE and builds nothing.
The node's options follow.

EOF
}

repo=$(cd "$(dirname "$0")/.." && pwd)
script=run.sh
# shellcheck source=scripts/common.sh
source "$repo/scripts/common.sh"

binary=
help=false
node_options=()
while (($#)); do
  taken=1
  case $1 in
    --binary | --binary=*)
      option_value "$@"
      binary=$value
      ;;
    -h | --help) help=true ;;
    *) node_options+=("$1") ;;
  esac
  shift "$taken"
done

resolve_binary
if $help; then
  usage
  exec "$binary" --help
fi
exec "$binary" "${node_options[@]}"
