#!/bin/sh
# The container's entry point: runs casserole with its arguments. Peers must reach each node at
# an address of its own, which a static image cannot name, so unless the deployment sets
# CASSEROLE_PEERING_ADDRESS it is the container's first address, port 8000.
set -eu
if [ -z "${CASSEROLE_PEERING_ADDRESS:-}" ]; then
  ip=$(hostname -i | cut -d ' ' -f 1)
  case $ip in
    *:*) ip="[$ip]" ;;
  esac
  CASSEROLE_PEERING_ADDRESS="http://$ip:8000"
  export CASSEROLE_PEERING_ADDRESS
fi
exec casserole "$@"
