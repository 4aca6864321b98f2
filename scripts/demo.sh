#!/usr/bin/env bash
# The point of Casserole in one command. Sets up and builds what is missing, then starts on
# loopback ports picked at run time: an origin (a private foreground nginx serving generated
# objects, each connection paced like a remote object store's) and a 3-node cluster
# (scripts/cluster.sh: etcd and the nodes). Downloads the large object directly from the origin,
# cold through node 1 while a second client reads it through node 2, and hot through node 3,
# checks every digest against the origin's file, and prints a report. Then leaves it all running
# until Ctrl-C or SIGTERM (or exits at once with --no-wait) and stops exactly the processes it
# started, by pid. Exit code 0 when every digest matched, 1 on a failure, 2 for a bad option.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/demo.sh [OPTIONS]

Shows what Casserole is for: a large object downloaded directly from a slow origin, then cold
through a 3-node cluster by two clients at once, then hot; each byte crosses the origin's link
once. Prints times, speeds, digests, bytes served against bytes fetched from the origin and
where the bytes came from, then keeps the origin and the cluster running until Ctrl-C.

Options take their value as --opt=VALUE or --opt VALUE; sizes take K, M, G (powers of 1024).

  --size=SIZE      Size of the large object (default 1G; about 21 s directly at 50M)
  --rate=SIZE      What the origin sends per second on each connection (default 50M)
  --dir=DIR        Directory for the origin, the cluster and the logs (default build/demo;
                   cleared at start; the objects and disk caches are removed at exit, the
                   logs kept). Needs twice --size free.
  --binary=FILE    Run this casserole binary instead of setting up and building
                   build/casserole
  --no-wait        Stop everything and exit after the report
  -h, --help       Print this help
EOF
}

repo=$(cd "$(dirname "$0")/.." && pwd)
script=demo.sh
# shellcheck source=scripts/common.sh
source "$repo/scripts/common.sh"
# Decimal points in the figures, whatever the user's locale.
export LC_ALL=C

# Not on the PATH of users other than root on Debian.
readonly nginx=/usr/sbin/nginx
# The direct download's User-Agent, which tells its bytes apart in the origin's access log.
readonly direct_agent=casserole-demo-direct
# One node for each download through the cluster.
readonly nodes=3
# A download that moves less than this many bytes a second for 30 s has stalled.
readonly stalled_rate=1024

# Sets `bytes` from the size $2 given to option $1.
parse_size() {
  [[ $2 =~ ^([1-9][0-9]*)([KMG]?)$ ]] || bad_option "$1: invalid size '$2'"
  local -A scale=([K]=1024 [M]=$((1 << 20)) [G]=$((1 << 30)))
  bytes=$((BASH_REMATCH[1] * ${scale[${BASH_REMATCH[2]}]:-1}))
}

size=$((1 << 30))
rate=$((50 << 20))
dir=$repo/build/demo
binary=
wait_for_interrupt=true
while (($#)); do
  taken=1
  case $1 in
    --size | --size=*)
      option_value "$@"
      parse_size --size "$value"
      size=$bytes
      ;;
    --rate | --rate=*)
      option_value "$@"
      parse_size --rate "$value"
      rate=$bytes
      ;;
    --dir | --dir=*)
      option_value "$@"
      dir=$(realpath -m -- "$value")
      ;;
    --binary | --binary=*)
      option_value "$@"
      binary=$(realpath -m -- "$value")
      ;;
    --no-wait) wait_for_interrupt=false ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) bad_option "$1: unknown option" ;;
  esac
  shift "$taken"
done

resolve_binary
[[ -x $nginx ]] || fail "$nginx not found: scripts/setup.sh installs it (nginx-light)"
command -v etcd > /dev/null || fail "etcd not found: scripts/setup.sh installs it (etcd-server)"

origin=$dir/origin
www=$origin/www
cluster=$dir/cluster
downloads=$dir/downloads
rm -rf "$origin" "$cluster" "$downloads" "$dir/cluster.out"
mkdir -p "$www" "$origin/tmp" "$downloads"
available=$(df --output=avail -B1 "$dir" | tail -n 1)
((available >= 2 * size)) || fail "$dir has $available bytes free; the demo needs $((2 * size))"

origin_pid=
cluster_pid=

# The cluster first: its nodes would log errors about an origin that vanished before them. The
# downloads still running (after a Ctrl-C) end once the servers they read from are gone.
# shellcheck disable=SC2317  # shellcheck 0.9 takes functions only a trap calls for unreachable
stop_demo() {
  trap '' INT TERM
  if [[ -n $cluster_pid ]]; then stop_pids "$cluster_pid"; fi
  if [[ -n $origin_pid ]]; then stop_pids "$origin_pid"; fi
  wait
  rm -rf "$www" "$cluster/etcd" "$cluster"/node*/data
}
trap stop_demo EXIT
trap 'exit 1' INT TERM

# Prints a byte count the way people read it: 1.0 GiB, 8.0 MiB, 512 B.
human() {
  awk -v n="$1" 'BEGIN {
    split("B KiB MiB GiB TiB", unit); i = 1
    while (n >= 1024 && i < 5) { n /= 1024; i++ }
    printf(i == 1 ? "%d %s" : "%.1f %s", n, unit[i])
  }'
}

echo "Generating a $(human "$size") object and a 64 KiB one for the origin..."
origin_sha256=$(head -c "$size" /dev/urandom | tee "$www/large.bin" | sha256sum | cut -d' ' -f1)
head -c 65536 /dev/urandom > "$www/small.bin"

# The origin paces each connection with limit_rate as a remote object store would, and says
# its objects stay fresh for an hour: files just written have a Last-Modified of now, from which
# no cache may infer a lifetime.
pick_port
origin_url=http://127.0.0.1:$picked
cat > "$origin/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid "$origin/nginx.pid";
error_log "$origin/error.log" notice;
events { worker_connections 1024; }
http {
  default_type application/octet-stream;
  client_body_temp_path "$origin/tmp/client_body";
  proxy_temp_path "$origin/tmp/proxy";
  fastcgi_temp_path "$origin/tmp/fastcgi";
  uwsgi_temp_path "$origin/tmp/uwsgi";
  scgi_temp_path "$origin/tmp/scgi";
  log_format demo '\$body_bytes_sent \$http_user_agent';
  access_log "$origin/access.log" demo;
  server {
    listen 127.0.0.1:$picked;
    root "$www";
    location / {
      limit_rate $rate;
      expires 1h;
    }
  }
}
EOF
start "$origin/nginx.out" "$nginx" -p "$origin" -c "$origin/nginx.conf" -e "$origin/error.log"
origin_pid=$started
wait_for_port origin "$origin_pid" "$picked" "$origin/error.log"

start "$dir/cluster.out" "$repo/scripts/cluster.sh" --nodes="$nodes" --dir="$cluster" \
  --binary="$binary" --mirror-url="$origin_url"
cluster_pid=$started
deadline=$((SECONDS + 2 * start_timeout))
until grep -q 'Ctrl-C stops the cluster' "$dir/cluster.out"; do
  kill -0 "$cluster_pid" 2> /dev/null || fail "$(exit_report scripts/cluster.sh "$cluster_pid" \
    "$dir/cluster.out")"
  ((SECONDS < deadline)) || fail "no cluster after $((2 * start_timeout))s; see $dir/cluster.out"
  sleep 0.1
done
mapfile -t node_urls < <(sed -nE 's|^node [0-9]+ +(http://[^ ]+) .*|\1|p' "$dir/cluster.out")
mapfile -t peering_ports < <(sed -nE 's|^node [0-9]+ .*peering on port ([0-9]+).*|\1|p' \
  "$dir/cluster.out")

# Nodes listen before they have heard of each other through etcd, and a node that knows no
# other yet fetches what it is asked for itself: the demo would show the origin sending twice.
for port in "${peering_ports[@]}"; do
  until [[ $(curl --silent --noproxy '*' "http://127.0.0.1:$port/_casserole/members" |
    grep -o '"members":\[[^]]*\]' | grep -o 'http://' | wc -l) == "$nodes" ]]; do
    ((SECONDS < deadline)) || fail "the nodes do not see each other; see $cluster/node*/*.log"
    sleep 0.1
  done
done

# Downloads $2 as download $1 in the background, keeping the response header, curl's time and
# byte count, and the body's digest in $downloads. Extra arguments go to curl.
download_pids=()
download() {
  local out=$downloads/$1 url=$2
  shift 2
  (curl --silent --show-error --fail --noproxy '*' --speed-limit "$stalled_rate" --speed-time 30 \
    --dump-header "$out.header" --write-out '%{stderr}%{time_total} %{size_download}\n' "$@" \
    "$url" 2> "$out.curl" | sha256sum | cut -d' ' -f1 > "$out.sha256") &
  download_pids+=($!)
}

# Waits for the downloads started, failing with curl's message if one failed.
finish_downloads() {
  local pid
  for pid in "${download_pids[@]}"; do
    wait "$pid" || fail "a download failed: $(cat "$downloads"/*.curl)"
  done
  download_pids=()
}

echo "Downloading it directly from the origin at $(human "$rate")/s, then through the cluster..."
download direct "$origin_url/large.bin" --user-agent "$direct_agent"
finish_downloads
download node1 "${node_urls[0]}/large.bin"
download node2 "${node_urls[1]}/large.bin"
finish_downloads
download node3 "${node_urls[2]}/large.bin"
finish_downloads

# Prints one line of the report for download $1, described as $2, and fails the demo (at the
# end) if its digest is not the origin's.
mismatches=0
report_line() {
  local out=$downloads/$1 time received digest=ok source
  read -r time received < "$out.curl"
  [[ $(< "$out.sha256") == "$origin_sha256" ]] || digest=MISMATCH mismatches=$((mismatches + 1))
  source=$(tr -d '\r' < "$out.header" | sed -nE 's/^x-casserole-source: *//Ip')
  printf '  %-32s %8.2f s %9s/s  %-8s %s\n' "$2" "$time" \
    "$(human "$(awk -v b="$received" -v t="$time" 'BEGIN { printf "%d", b / t }')")" \
    "$digest" "${source:--}"
}

served=$((3 * size))
fetched=$(awk -v agent="$direct_agent" '$2 != agent { bytes += $1 } END { print bytes + 0 }' \
  "$origin/access.log")
once=$([[ $fetched == "$size" ]] && echo "each byte once" || echo "not each byte once")
echo
echo "Casserole demo: a $(human "$size") object from an origin sending $(human "$rate")/s" \
  "per connection"
echo
printf '  %-32s %10s %11s  %-8s %s\n' download time speed sha256 'X-Casserole-Source'
report_line direct 'direct from the origin'
report_line node1 'cold through node 1'
report_line node2 'cold through node 2, meanwhile'
report_line node3 'hot through node 3'
echo
echo "  the cluster served $served bytes ($(human "$served")) and fetched $fetched bytes"
echo "  ($(human "$fetched")) from the origin: $once"
echo
echo "Running (logs under $dir):"
print_started origin "$origin_url" "$origin_pid" "$origin/access.log" \
  "(objects /large.bin, /small.bin)"
grep -E '^(etcd|node [0-9]+) ' "$dir/cluster.out"
echo "scripts/cluster.sh, pid $cluster_pid, runs etcd and the nodes; its output is in" \
  "$dir/cluster.out"
((mismatches == 0)) || fail "$mismatches downloads differ from the origin's object"
$wait_for_interrupt || exit 0

echo "Try: curl -sI ${node_urls[2]}/small.bin. Ctrl-C stops them all."
trap 'exit 0' INT TERM
wait -n || true
kill -0 "$origin_pid" 2> /dev/null || fail "$(exit_report origin "$origin_pid" "$origin/error.log")"
fail "$(exit_report scripts/cluster.sh "$cluster_pid" "$dir/cluster.out")"
