# Sourced by the scripts, never run: options taken the way the node takes them, one-line errors,
# and processes started on free loopback ports and stopped again by pid. The sourcing script sets
# `script`, its name in messages, and `repo`, the checkout it runs from, first.
# shellcheck shell=bash disable=SC2034,SC2154  # shares variables with the sourcing script

# Generous for a cold start under the sanitizers; a process that exits is reported at once.
readonly start_timeout=30
# Nodes finish pending disk writes for up to 5 s when stopped.
readonly stop_timeout=10

fail() {
  echo "$script: $*" >&2
  exit 1
}

# A bad command line, said as the node says it: one line, exit code 2.
bad_option() {
  echo "$script: $* (see --help)" >&2
  exit 2
}

# For an option that takes a value, given the remaining arguments from the option on: sets
# `value` from "--opt=value" or "--opt value", and `taken` to the number of arguments used.
option_value() {
  if [[ $1 == *=* ]]; then
    value=${1#*=} taken=1
  elif (($# >= 2)); then
    value=$2 taken=2
  else
    bad_option "$1: needs a value"
  fi
}

# Sets `binary` to build/casserole, set up and built, unless the user named one with --binary;
# fails unless it is an executable.
resolve_binary() {
  if [[ -z $binary ]]; then
    "$repo/scripts/build.sh" casserole
    binary=$repo/build/casserole
  fi
  [[ -x $binary ]] || fail "$binary is not an executable"
}

# True if something accepts connections on 127.0.0.1:$1.
port_listens() {
  (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null
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

# Starts a command in the background with its output in log $1 and sets `started` to its pid.
# setsid puts it in a session of its own, so that Ctrl-C in the terminal reaches only the script,
# which stops what it started in its own order. (A background job is never a process group
# leader, so setsid execs the command itself and $! is the command's pid.)
start() {
  local log=$1
  shift
  setsid "$@" < /dev/null > "$log" 2>&1 &
  started=$!
}

# Sends SIGTERM to the given pids and waits until they are gone, with SIGKILL for any still
# running after stop_timeout. Bash reaps its children by itself; `wait PID` is avoided because,
# once bash has collected PID's status in `wait -n`, it blocks until another child ends.
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

# One line saying where a started process is: name, URL, pid, log, and any note after.
print_started() {
  printf '%-7s %-24s pid %-8s log %s%s\n' "$1" "$2" "$3" "$4" "${5:+ $5}"
}
