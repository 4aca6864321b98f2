#!/bin/bash
# The container's health check (deploy/compose.yaml): exit 0 when the node's admin listener
# answers GET /readyz with 200, else 1 (Docker reserves 2). The image has no HTTP client, so
# bash's /dev/tcp asks. It asks where CASSEROLE_ADMIN_ADDRESS says, from inside the container:
# a wildcard host is asked on loopback.
set -u
address=${CASSEROLE_ADMIN_ADDRESS:-127.0.0.1:9190}
port=${address##*:}
host=${address%:*}
host=${host#[}
host=${host%]}
case $host in
  0.0.0.0) host=127.0.0.1 ;;
  ::) host=::1 ;;
esac
exec 3<>"/dev/tcp/$host/$port" || exit 1
printf 'GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
read -r _ status _ <&3 && [ "$status" = 200 ]
