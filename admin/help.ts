import { KEY_SOURCE_SETTINGS, type SettingSpec } from '../codec/index.js';

// The key source lines come from the library's settings table, shared with the codec server, so that flags,
// variables and defaults are written once.
const keySourceLines = Object.values(KEY_SOURCE_SETTINGS).map((spec: SettingSpec) => {
  const flag = spec.flag === undefined ? '' : `--${spec.flag}${spec.flag === 'key-source' ? ' (or --source)' : ''} `;
  return `  ${`${flag}[${spec.env ?? ''}]`.padEnd(54)} ${spec.help}`;
});

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

Key source and Vault auth (flag [environment variable]; the codec server's settings, read by the same rules):
${keySourceLines.join('\n')}

Output: human-readable tables, or --json. -y/--yes confirms destroy. -h/--help prints this.
Exit codes: 0 ok, 1 usage, 2 not found, 3 permission denied, 4 key source unreachable, 5 refused.
`;
