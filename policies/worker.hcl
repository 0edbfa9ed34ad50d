# Temporal worker or client: encode and decode payloads.
#
# Paths assume the defaults: KV v2 mounted at secret/ with keys under temporal-codec/<namespace>, and Transit mounted
# at transit/ with keys named temporal-codec-<namespace>. Edit them if you changed --vault-kv-mount,
# --vault-key-prefix, --vault-transit-mount or --vault-transit-key-prefix. Keep only the block of the mode you use.
# To limit a worker to its own namespaces, replace the trailing * with the namespace names.

# --- Vault KV v2 mode: read key material (newest version to encode, exact versions to decode). ---
path "secret/data/temporal-codec/*" {
  capabilities = ["read"]
}

# --- Vault Transit mode: new data keys to encode, unwrapping to decode. The key-encryption key never leaves Vault. ---
path "transit/datakey/plaintext/temporal-codec-*" {
  capabilities = ["update"]
}

path "transit/decrypt/temporal-codec-*" {
  capabilities = ["update"]
}

# --- Token renewal (also in Vault's default policy; listed for tokens created without it). ---
path "auth/token/lookup-self" {
  capabilities = ["read"]
}

path "auth/token/renew-self" {
  capabilities = ["update"]
}
