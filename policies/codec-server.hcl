# Codec server that decodes and encodes (e.g. for `temporal workflow start` with --codec-endpoint, or for clients
# that encode through the server). Same rights as a worker, kept as its own policy so each role can be revoked,
# audited and narrowed separately.
#
# Paths assume the defaults (see worker.hcl).

# --- Vault KV v2 mode ---
path "secret/data/temporal-codec/*" {
  capabilities = ["read"]
}

# --- Vault Transit mode ---
path "transit/datakey/plaintext/temporal-codec-*" {
  capabilities = ["update"]
}

path "transit/decrypt/temporal-codec-*" {
  capabilities = ["update"]
}

# --- Token renewal. ---
path "auth/token/lookup-self" {
  capabilities = ["read"]
}

path "auth/token/renew-self" {
  capabilities = ["update"]
}
