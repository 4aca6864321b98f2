#!/usr/bin/env bash
# Runs a local Casserole cluster for demos and tests: a private etcd and N nodes on loopback
# ports picked at start, each node with its own disk cache, peering address and log under the
# cluster directory. Stays in the foreground; Ctrl-C or SIGTERM stops the nodes, then etcd.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/cluster.sh [OPTIONS] [-- NODE-FLAGS...]

Starts etcd and N casserole nodes on 127.0.0.1, prints where they are, and stops them all on
Ctrl-C or SIGTERM. NODE-FLAGS are passed to every node (e.g. -- --max-memory-usage=1G).

Options take their value as --opt=VALUE or --opt VALUE.

  --nodes=N          Number of nodes (default 3)
  --dir=DIR          Directory for etcd's data, each node's disk cache and the logs
                     (default build/cluster; etcd's data is cleared at each start, the disk
                     caches are kept)
  --mirror-url=URL   Upstream URL root every node mirrors (default http://localhost:9000)
  --binary=FILE      Run this casserole binary instead of setting up and building
                     build/casserole
  --dry-run          Print the commands, one per line, etcd first, and start nothing
  -h, --help         Print this help
EOF
}

repo=$(cd "$(dirname "$0")/.." && pwd)
script=cluster.sh
# shellcheck source=scripts/common.sh
source "$repo/scripts/common.sh"

nodes=3
dir=$repo/build/cluster
mirror_url=http://localhost:9000
binary=
dry_run=false
node_flags=()

while (($#)); do
  taken=1
  case $1 in
    --nodes | --nodes=*)
      option_value "$@"
      nodes=$value
      ;;
    --dir | --dir=*)
      option_value "$@"
      dir=$(realpath -m -- "$value")
      ;;
    --mirror-url | --mirror-url=*)
      option_value "$@"
      mirror_url=$value
      ;;
    --binary | --binary=*)
      option_value "$@"
      binary=$(realpath -m -- "$value")
      ;;
    --dry-run) dry_run=true ;;
    -h | --help)
      usage
      exit 0
      ;;
    --)
      shift
      node_flags=("$@")
      break
      ;;
    *) bad_option "$1: unknown option" ;;
  esac
  shift "$taken"
done
[[ $nodes =~ ^[1-9][0-9]*$ ]] || bad_option "--nodes takes a whole number above zero, not '$nodes'"

pick_port
etcd_url=http://127.0.0.1:$picked
pick_port
etcd_peer_url=http://127.0.0.1:$picked
etcd_command=(
  etcd --name=casserole-cluster --data-dir="$dir/etcd"
  --listen-client-urls="$etcd_url" --advertise-client-urls="$etcd_url"
  --listen-peer-urls="$etcd_peer_url" --initial-advertise-peer-urls="$etcd_peer_url"
  --initial-cluster="casserole-cluster=$etcd_peer_url"
  --logger=zap --log-outputs=stderr
)

node_ports=()
peering_ports=()
admin_ports=()
for ((i = 0; i < nodes; i++)); do
  pick_port
  node_ports+=("$picked")
  pick_port
  peering_ports+=("$picked")
  pick_port
  admin_ports+=("$picked")
done

# Sets `node_command` to the command line of node $1 (from 1).
make_node_command() {
  node_command=(
    "${binary:-$repo/build/casserole}" --address="127.0.0.1:${node_ports[$1 - 1]}"
    --peering-address="http://127.0.0.1:${peering_ports[$1 - 1]}" --etcd="$etcd_url"
    --admin-address="127.0.0.1:${admin_ports[$1 - 1]}"
    --disk-cache-dir="$dir/node$1/data" --mirror-url="$mirror_url" "${node_flags[@]}"
  )
}

# Prints its arguments quoted for the shell, as one line.
print_command() {
  local quoted
  printf -v quoted '%q ' "$@"
  echo "${quoted% }"
}

if $dry_run; then
  print_command "${etcd_command[@]}"
  for ((i = 1; i <= nodes; i++)); do
    make_node_command "$i"
    print_command "${node_command[@]}"
  done
  exit 0
fi

command -v etcd > /dev/null || fail "etcd not found: scripts/setup.sh installs it (etcd-server)"
resolve_binary

node_pids=()
etcd_pid=

# The nodes first, so that none of them sees etcd vanish and logs errors while stopping.
# shellcheck disable=SC2317  # shellcheck 0.9 takes functions only a trap calls for unreachable
stop_cluster() {
  trap '' INT TERM
  if ((${#node_pids[@]})); then stop_pids "${node_pids[@]}"; fi
  if [[ -n $etcd_pid ]]; then stop_pids "$etcd_pid"; fi
}
trap stop_cluster EXIT
trap 'exit 0' INT TERM

mkdir -p "$dir"
rm -rf "$dir/etcd"
start "$dir/etcd.log" "${etcd_command[@]}"
etcd_pid=$started
wait_for_port etcd "$etcd_pid" "${etcd_url##*:}" "$dir/etcd.log"
print_started etcd "$etcd_url" "$etcd_pid" "$dir/etcd.log"

for ((i = 1; i <= nodes; i++)); do
  mkdir -p "$dir/node$i"
  make_node_command "$i"
  start "$dir/node$i/casserole.log" "${node_command[@]}"
  node_pids+=("$started")
done
for ((i = 1; i <= nodes; i++)); do
  log=$dir/node$i/casserole.log
  wait_for_port "node $i" "${node_pids[i - 1]}" "${node_ports[i - 1]}" "$log"
  wait_for_port "node $i" "${node_pids[i - 1]}" "${peering_ports[i - 1]}" "$log"
  print_started "node $i" "http://127.0.0.1:${node_ports[i - 1]}" "${node_pids[i - 1]}" "$log" \
    "(peering on port ${peering_ports[i - 1]}, admin at http://127.0.0.1:${admin_ports[i - 1]}/)"
done
echo "Mirroring $mirror_url. Ctrl-C stops the cluster."

# A process that ends by itself is reported and the rest keep running, since stopping a node by
# hand is how to watch the cluster carry on without it; with none left, the script fails.
declare -A reported=()
while :; do
  wait -n || true
  running=0
  for ((i = 0; i <= nodes; i++)); do
    if ((i == 0)); then
      name=etcd pid=$etcd_pid log=$dir/etcd.log
    else
      name="node $i" pid=${node_pids[i - 1]} log=$dir/node$i/casserole.log
    fi
    if kill -0 "$pid" 2> /dev/null; then
      running=$((running + 1))
    elif [[ -z ${reported[$pid]:-} ]]; then
      reported[$pid]=1
      echo "cluster.sh: $(exit_report "$name" "$pid" "$log")" >&2
    fi
  done
  ((running)) || fail "every process of the cluster has exited"
done
