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

# Generous for a cold start under the sanitizers; a process that exits is reported at once.
readonly start_timeout=30
# Nodes finish pending disk writes for up to 5 s when stopped.
readonly stop_timeout=10

repo=$(cd "$(dirname "$0")/.." && pwd)
nodes=3
dir=$repo/build/cluster
mirror_url=http://localhost:9000
binary=
dry_run=false
node_flags=()

fail() {
  echo "cluster.sh: $*" >&2
  exit 1
}

while (($#)); do
  case $1 in
    --nodes=*) nodes=${1#*=} ;;
    --dir=*) dir=$(realpath -m -- "${1#*=}") ;;
    --mirror-url=*) mirror_url=${1#*=} ;;
    --binary=*) binary=$(realpath -m -- "${1#*=}") ;;
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
    *)
      usage >&2
      fail "unknown option $1"
      ;;
  esac
  shift
done
[[ $nodes =~ ^[1-9][0-9]*$ ]] || fail "--nodes takes a whole number above zero, not '$nodes'"

# True if something accepts connections on 127.0.0.1:$1.
port_listens() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Sets `picked` to a port that nothing listens on and that this run has not handed out. Ports
# come from below Linux's ephemeral range, where outgoing connections take theirs.
declare -A handed_out=()
pick_port() {
  while :; do
    picked=$((20000 + RANDOM % 12000))
    if [[ -z ${handed_out[$picked]:-} ]] && ! port_listens "$picked"; then break; fi
  done
  handed_out[$picked]=1
}

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

build=false
if [[ -z $binary ]]; then
  binary=$repo/build/casserole
  build=true
fi
node_ports=()
peering_ports=()
for ((i = 0; i < nodes; i++)); do
  pick_port
  node_ports+=("$picked")
  pick_port
  peering_ports+=("$picked")
done

# Sets `node_command` to the command line of node $1 (from 1).
make_node_command() {
  node_command=(
    "$binary" --address="127.0.0.1:${node_ports[$1 - 1]}"
    --peering-address="http://127.0.0.1:${peering_ports[$1 - 1]}" --etcd="$etcd_url"
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
if $build; then
  "$repo/scripts/build.sh" casserole
fi
[[ -x $binary ]] || fail "$binary is not an executable"

node_pids=()
etcd_pid=

# Sends SIGTERM to the given pids and waits until they are gone, with SIGKILL for any still
# running after stop_timeout. Bash reaps its children by itself; `wait PID` is avoided because,
# once bash has collected PID's status in `wait -n`, it blocks until another child (etcd) ends.
# shellcheck disable=SC2317  # shellcheck 0.9 takes functions only a trap calls for unreachable
stop_pids() {
  local pid deadline=$((SECONDS + stop_timeout))
  kill -TERM "$@" 2> /dev/null || true
  for pid in "$@"; do
    while kill -0 "$pid" 2> /dev/null; do
      if ((SECONDS >= deadline)); then kill -KILL "$pid" 2> /dev/null || true; fi
      sleep 0.1
    done
  done
}

# The nodes first, so that none of them sees etcd vanish and logs errors while stopping.
# shellcheck disable=SC2317  # as above
stop_cluster() {
  trap '' INT TERM
  if ((${#node_pids[@]})); then stop_pids "${node_pids[@]}"; fi
  if [[ -n $etcd_pid ]]; then stop_pids "$etcd_pid"; fi
}
trap stop_cluster EXIT
trap 'exit 0' INT TERM

# Starts a command in the background with its output in log $1 and sets `started` to its pid.
# setsid puts it in a session of its own, so that Ctrl-C in the terminal reaches only this
# script, which stops the nodes before etcd. (A background job is never a process group leader,
# so setsid execs the command itself and $! is the command's pid.)
start() {
  local log=$1
  shift
  setsid "$@" < /dev/null > "$log" 2>&1 &
  started=$!
}

# Says that process $2 ($1) has exited, with the end of its log $3.
exit_report() {
  printf '%s (pid %s) exited; the end of %s:\n%s' "$1" "$2" "$3" "$(tail -n 20 "$3")"
}

# Waits until process $2 ($1 in messages) listens on port $3, failing with the end of its log
# $4 if it exits first or start_timeout passes.
wait_for_port() {
  local deadline=$((SECONDS + start_timeout))
  until port_listens "$3"; do
    if ! kill -0 "$2" 2> /dev/null; then
      fail "$(exit_report "$1" "$2" "$4")"
    fi
    ((SECONDS < deadline)) || fail "$1 is not listening on port $3 after ${start_timeout}s; see $4"
    sleep 0.1
  done
}

mkdir -p "$dir"
rm -rf "$dir/etcd"
start "$dir/etcd.log" "${etcd_command[@]}"
etcd_pid=$started
wait_for_port etcd "$etcd_pid" "${etcd_url##*:}" "$dir/etcd.log"
printf '%-7s %-24s pid %-8s log %s\n' etcd "$etcd_url" "$etcd_pid" "$dir/etcd.log"

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
  printf '%-7s %-24s pid %-8s log %s (peering on port %s)\n' "node $i" \
    "http://127.0.0.1:${node_ports[i - 1]}" "${node_pids[i - 1]}" "$log" "${peering_ports[i - 1]}"
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
