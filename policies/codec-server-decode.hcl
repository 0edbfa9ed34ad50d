# Codec server that only decodes (the Temporal Web UI and CLI show payloads; nothing is encoded).
#
# Transit mode: a real boundary. This policy can unwrap data keys (transit/decrypt) but cannot obtain new ones
# (transit/datakey), so a compromised codec server cannot produce payloads that workers would accept as genuine.
#
# KV mode: a weaker boundary, by construction. Decoding needs the key bytes, and the bytes that decrypt a version also
# encrypt with it, so this policy grants what an encoder needs too. It still denies writing, rotating, destroying and
# listing keys. Use Transit mode where decode-only must mean decode-only.
#
# Paths assume the defaults (see worker.hcl).

# --- Vault KV v2 mode: read key versions to decode. ---
path "secret/data/temporal-codec/*" {
  capabilities = ["read"]
}

# --- Vault Transit mode: unwrap data keys carried by payloads. No datakey: cannot encode. ---
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
