import { CodecError, ERROR_CODES } from '../codec/index.js';
import { ADMIN_ERROR_CODES, AdminError } from './admin-error.js';

/** The CLI's exit codes: documented in docs/key-management.md, stable for scripts. */
export const EXIT_CODES = {
  ok: 0,
  /** Bad flags or configuration. */
  usage: 1,
  /** The key or version does not exist. */
  notFound: 2,
  /** Vault refused: the token lacks a policy, or the login failed. */
  denied: 3,
  /** Vault (or the keyring file) could not be reached. */
  unreachable: 4,
  /** The source refused the change (the key exists, a Transit ordering rule, a destroyed version), or `--yes` is missing. */
  refused: 5,
  /** `schedules reencrypt`: some schedules were not re-encrypted (each is named in the output). */
  incomplete: 6,
  /** Interrupted (SIGINT/SIGTERM); nothing was left half-changed. */
  interrupted: 130,
} as const;

/** One of {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** The exit code for an error thrown while running a command. */
export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof AdminError) return adminExitCode(err);
  if (!(err instanceof CodecError)) return EXIT_CODES.usage;
  switch (err.code) {
    case ERROR_CODES.unknownKey:
    case ERROR_CODES.unknownKeyVersion:
      return EXIT_CODES.notFound;
    case ERROR_CODES.keySourceDenied:
      return EXIT_CODES.denied;
    case ERROR_CODES.keySourceUnavailable:
      return EXIT_CODES.unreachable;
    case ERROR_CODES.invalidArgument:
    case ERROR_CODES.keyVersionDestroyed:
      return EXIT_CODES.refused;
    default:
      return EXIT_CODES.usage;
  }
}

function adminExitCode(err: AdminError): ExitCode {
  switch (err.code) {
    case ADMIN_ERROR_CODES.temporalNotFound:
      return EXIT_CODES.notFound;
    case ADMIN_ERROR_CODES.temporalDenied:
      return EXIT_CODES.denied;
    case ADMIN_ERROR_CODES.temporalUnavailable:
      return EXIT_CODES.unreachable;
    case ADMIN_ERROR_CODES.interrupted:
      return EXIT_CODES.interrupted;
    case ADMIN_ERROR_CODES.keyVersionInUse:
    case ADMIN_ERROR_CODES.keyVersionEncrypting:
    case ADMIN_ERROR_CODES.scheduleConflict:
      return EXIT_CODES.refused;
  }
}
