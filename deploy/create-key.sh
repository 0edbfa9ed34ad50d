#!/bin/sh
# Creates the namespace's first key version with the project's key administration CLI (`temporal-codec keys`),
# unless the key exists already. Run by docker-compose.yml's `create-key` service in the project's image.
#
# Environment: TEMPORAL_NAMESPACE, plus the CLI's own (KEY_SOURCE, VAULT_ADDR, VAULT_TOKEN, ...); optional ADMIN_CLI
# (default dist/admin/main.js).
set -eu

: "${TEMPORAL_NAMESPACE:?}"
cli="${ADMIN_CLI:-dist/admin/main.js}"

status=0
node "$cli" keys create --namespace "$TEMPORAL_NAMESPACE" || status=$?
case "$status" in
  0) echo "key for namespace $TEMPORAL_NAMESPACE: created" ;;
  # 5 = refused: for `create`, the key exists (e.g. `docker compose up` run again on a running OpenBao).
  5) echo "key for namespace $TEMPORAL_NAMESPACE: exists" ;;
  *) exit "$status" ;;
esac
