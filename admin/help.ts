import { KEY_SOURCE_SETTINGS, type SettingSpec } from '../codec/index.js';

// The key source lines come from the library's settings table, shared with the codec server, so that flags,
// variables and defaults are written once.
const keySourceLines = Object.values(KEY_SOURCE_SETTINGS).map((spec: SettingSpec) => {
  const flag = spec.flag === undefined ? '' : `--${spec.flag}${spec.flag === 'key-source' ? ' (or --source)' : ''} `;
  return `  ${`${flag}[${spec.env ?? ''}]`.padEnd(54)} ${spec.help}`;
});

/** The CLI's usage text (the reference is docs/key-management.md). */
export const HELP = `Usage: temporal-codec keys <command> [options]
       temporal-codec schedules reencrypt [options]

Commands:
  create           --namespace <ns> [--auto-rotate 30d]   create version 1 (--auto-rotate: Transit only)
  rotate           --namespace <ns>                       add a version; it encrypts from now on
  list             [--namespace <ns>]                     list keys, or one key's versions
  describe         --namespace <ns>                       versions, creation times, states, encrypting version
  usage            --namespace <ns> [--include-closed]    which versions open workflows, schedules (and closed
                                                          workflows within retention) still need, read from Temporal
  deactivate       --namespace <ns> --version <n>         decrypt only, never used to encrypt
  activate         --namespace <ns> --version <n>         undo deactivate
  destroy          --namespace <ns> --version <n> --yes   crypto-shred: its payloads become unreadable, for good
  rotate-if-older  (--namespace <ns> | --all) --max-age <30d>   rotate when the encrypting version is older
  schedules reencrypt --namespace <ns> [--schedule-id <id>]  seal schedules' inputs and memos under the newest version

deactivate / destroy refuse, unless --force:
  - the version that encrypts (destroy), or the last active version (deactivate);
  - a version open workflows or schedules still need, when a Temporal address is configured.
  --dry-run shows what would change and changes nothing (also for schedules reencrypt).
  --include-closed also reads closed workflows within retention (destroy warns about them).
  --concurrency <n> histories read at once (default 8).

Temporal (flag [environment variable], as the temporal CLI):
  --temporal-address <host:port> [TEMPORAL_ADDRESS]        usage/reencrypt default localhost:7233
  --namespace also from [TEMPORAL_NAMESPACE] for usage and schedules reencrypt
  --tls [TEMPORAL_TLS]                                     implied by an API key or any TLS option
  --tls-cert-path <path> [TEMPORAL_TLS_CLIENT_CERT_PATH], --tls-key-path <path> [TEMPORAL_TLS_CLIENT_KEY_PATH]
  --tls-ca-path <path> [TEMPORAL_TLS_SERVER_CA_CERT_PATH], --tls-server-name <name> [TEMPORAL_TLS_SERVER_NAME]
  API key: TEMPORAL_API_KEY or --api-key-file <path> [TEMPORAL_API_KEY_FILE] (never a flag)

Key source and Vault auth (flag [environment variable]; the codec server's settings, read by the same rules):
${keySourceLines.join('\n')}

Output: human-readable tables, or --json; progress on stderr. -y/--yes confirms destroy. -h/--help prints this.
Exit codes: 0 ok, 1 usage, 2 not found, 3 permission denied, 4 key source or Temporal unreachable, 5 refused,
  6 some schedules not re-encrypted, 130 interrupted.
`;
