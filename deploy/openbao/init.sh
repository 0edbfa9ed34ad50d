#!/bin/sh
# Prepares the compose stack's OpenBao: the project's least-privilege policies (policies/*.hcl) and one token per
# service, with the fixed ids docker-compose.yml hands to those services. Idempotent: it runs on every
# `docker compose up`. Development only: fixed token ids are a convenience of a throwaway dev-mode server; a real
# deployment logs services in with an auth method (AppRole, Kubernetes) instead.
#
# Environment: BAO_ADDR, BAO_TOKEN (root), POLICY_DIR, WORKER_VAULT_TOKEN, CODEC_SERVER_VAULT_TOKEN,
# KEY_ADMIN_VAULT_TOKEN; optional BAO_BIN (default `bao`), TOKEN_TTL (default 768h, dev mode's maximum).
set -eu

: "${BAO_ADDR:?}" "${BAO_TOKEN:?}" "${POLICY_DIR:?}"
: "${WORKER_VAULT_TOKEN:?}" "${CODEC_SERVER_VAULT_TOKEN:?}" "${KEY_ADMIN_VAULT_TOKEN:?}"
bao="${BAO_BIN:-bao}"
ttl="${TOKEN_TTL:-768h}"

# Dev mode mounts KV v2 at secret/; a server started otherwise gets the same mount here.
if ! "$bao" secrets list -format=json | grep -q '"secret/"'; then
  "$bao" secrets enable -path=secret -version=2 kv
fi

for policy in worker codec-server key-admin; do
  "$bao" policy write "temporal-codec-$policy" "$POLICY_DIR/$policy.hcl"
done

# Token ids are chosen by compose; creating one that exists fails, so look it up first (a re-run keeps it).
ensure_token() {
  if "$bao" token lookup "$1" >/dev/null 2>&1; then
    echo "token for $2: exists"
  else
    "$bao" token create -id="$1" -policy="temporal-codec-$2" -no-default-policy -orphan -ttl="$ttl" \
      -display-name="$2" >/dev/null
    echo "token for $2: created"
  fi
}
ensure_token "$WORKER_VAULT_TOKEN" worker
ensure_token "$CODEC_SERVER_VAULT_TOKEN" codec-server
ensure_token "$KEY_ADMIN_VAULT_TOKEN" key-admin
