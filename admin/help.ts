/** The CLI's usage text (the reference is docs/key-management.md). */
export const HELP = `Usage: temporal-codec keys <command> [options]

Commands:
  create           --namespace <ns> [--auto-rotate 30d]   create version 1 (--auto-rotate: Transit only)
  rotate           --namespace <ns>                       add a version; it encrypts from now on
  list             [--namespace <ns>]                     list keys, or one key's versions
  describe         --namespace <ns>                       versions, creation times, states, encrypting version
  deactivate       --namespace <ns> --version <n>         decrypt only, never used to encrypt
  activate         --namespace <ns> --version <n>         undo deactivate
  destroy          --namespace <ns> --version <n> --yes   crypto-shred: its payloads become unreadable, for good
  rotate-if-older  (--namespace <ns> | --all) --max-age <30d>   rotate when the encrypting version is older

Key source (flag [environment variable]):
  --source local|vault-kv|vault-transit [KEY_SOURCE]       default local
  --keyring <path> [KEYRING_PATH]                          local keyring file (default .codec-keyring.json)
  --vault-addr <url> [VAULT_ADDR]                          Vault/OpenBao address
  --vault-namespace <ns> [VAULT_NAMESPACE]                 Vault Enterprise/OpenBao namespace
  --vault-kv-mount <path> [VAULT_KV_MOUNT]                 default secret
  --vault-key-prefix <prefix> [VAULT_KEY_PREFIX]           KV path prefix (default temporal-codec/)
  --vault-transit-mount <path> [VAULT_TRANSIT_MOUNT]       default transit
  --vault-transit-key-prefix <p> [VAULT_TRANSIT_KEY_PREFIX] Transit key name prefix (default temporal-codec-)

Vault auth:
  --vault-auth token|approle|kubernetes [VAULT_AUTH_METHOD] default token, from VAULT_TOKEN
  --vault-auth-mount <path> [VAULT_AUTH_MOUNT]             default approle / kubernetes
  --vault-role-id <id> [VAULT_ROLE_ID], --vault-role-id-file <path> [VAULT_ROLE_ID_FILE]
  --vault-secret-id-file <path> [VAULT_SECRET_ID_FILE], or VAULT_SECRET_ID (never a flag)
  --vault-k8s-role <role> [VAULT_K8S_ROLE], --vault-k8s-jwt-file <path> [VAULT_K8S_JWT_FILE]

Output: human-readable tables, or --json. -y/--yes confirms destroy. -h/--help prints this.
Exit codes: 0 ok, 1 usage, 2 not found, 3 permission denied, 4 key source unreachable, 5 refused.
`;
