#!/usr/bin/env bash
# Containers (compose.yaml, Containerfile, scripts/containers): where this machine can run
# a container, builds the images from Debian packages (debootstrap, podman import, podman
# build), starts three nodes and a gateway with podman-compose, stores a secret through the
# gateway and reads it back, and stops them. Where it cannot, it says why and exits 77
# (skip): it never passes silently.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
if ! why=$("$repo/scripts/containers" probe); then
  echo "SKIP: containers cannot run on this machine: $why"
  exit 77
fi
work=$(mktemp -d /tmp/pss-containers.XXXXXX)
export PSS_COMPOSE_DIR=$work
trap '"$repo/scripts/containers" down >/dev/null 2>&1; rm -rf "$work"' EXIT
"$repo/scripts/containers" up || { echo "FAIL: scripts/containers up"; exit 1; }
KEY=$(cat "$work/compose-cluster/client/gateway.key")
for _ in $(seq 60); do curl -sf -m 2 -o /dev/null http://127.0.0.1:8200/v1/sys/health && break; sleep 1; done
curl -sf -X PUT -H "Authorization: Bearer $KEY" -d '{"value":"aW4gYSBjb250YWluZXI="}' \
  http://127.0.0.1:8200/v1/secrets/db/root >/dev/null || { echo "FAIL: put through the gateway container"; exit 1; }
got=$(curl -sf -H "Authorization: Bearer $KEY" http://127.0.0.1:8200/v1/secrets/db/root | jq -r .value | base64 -d)
[ "$got" = "in a container" ] || { echo "FAIL: read back '$got'"; exit 1; }
echo "containers: 3 nodes and a gateway ran under podman-compose; a secret round-tripped"
