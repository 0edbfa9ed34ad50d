# Key administrator (the temporal-codec CLI): create, rotate, list, describe, deactivate, activate and destroy key
# versions. It cannot read key material or decrypt anything, cannot delete a whole key, and cannot make a Transit key
# exportable, backed up in plaintext, deletable or imported.
#
# Paths assume the defaults (see worker.hcl).

# --- Vault KV v2 mode ---
# Write new versions. No "read": the CLI generates each version's bytes and never reads existing ones back.
path "secret/data/temporal-codec/*" {
  capabilities = ["create", "update"]
}

# Versions, creation times and states (deactivated versions live in custom metadata); max_versions; listing keys.
path "secret/metadata/temporal-codec/*" {
  capabilities = ["create", "read", "update", "list"]
}

# Destroy a version (crypto-shredding).
path "secret/destroy/temporal-codec/*" {
  capabilities = ["update"]
}

# --- Vault Transit mode ---
# Create keys, and (sub-paths) config, rotate and trim: Transit's deactivate/destroy/auto-rotation controls. No
# "delete". The denied parameters keep key material inside Vault for good: no export or plaintext backup, no
# deletion switch, and no import of material someone already knows (import takes "ciphertext" or "public_key").
path "transit/keys/temporal-codec-*" {
  capabilities = ["read", "update"]
  denied_parameters = {
    "exportable"             = []
    "allow_plaintext_backup" = []
    "deletion_allowed"       = []
    "ciphertext"             = []
    "public_key"             = []
  }
}

path "transit/keys" {
  capabilities = ["list"]
}

# --- Token renewal. ---
path "auth/token/lookup-self" {
  capabilities = ["read"]
}

path "auth/token/renew-self" {
  capabilities = ["update"]
}
