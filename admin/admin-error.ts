/**
 * Error codes of the key-admin CLI's own refusals and of its Temporal calls. They are public like the library's
 * `ERR_*` codes (scripts read them from `--json` output) but belong to the CLI, not to the codec.
 */
export const ADMIN_ERROR_CODES = {
  /** Open workflows or schedules still reference the key version (override with `--force`). */
  keyVersionInUse: 'ERR_KEY_VERSION_IN_USE',
  /** The change would stop or silently move encryption: the version encrypts new payloads (override with `--force`). */
  keyVersionEncrypting: 'ERR_KEY_VERSION_ENCRYPTING',
  /** Temporal could not be reached, or did not answer in time. */
  temporalUnavailable: 'ERR_TEMPORAL_UNAVAILABLE',
  /** Temporal refused the call (authentication or authorization). */
  temporalDenied: 'ERR_TEMPORAL_DENIED',
  /** Temporal does not know the namespace or the schedule. */
  temporalNotFound: 'ERR_TEMPORAL_NOT_FOUND',
  /** A schedule kept changing while it was being re-encrypted (each round lost the conflict token). */
  scheduleConflict: 'ERR_SCHEDULE_CONFLICT',
  /** The command was interrupted (SIGINT/SIGTERM) before it finished; nothing was changed by the unfinished part. */
  interrupted: 'ERR_INTERRUPTED',
} as const;

/** One of {@link ADMIN_ERROR_CODES}. */
export type AdminErrorCode = (typeof ADMIN_ERROR_CODES)[keyof typeof ADMIN_ERROR_CODES];

/** Identifiers of what failed (never secrets). */
export interface AdminErrorContext {
  readonly keyId?: string;
  readonly version?: number;
  readonly namespace?: string;
  readonly scheduleId?: string;
}

/** Thrown when the CLI refuses a change or a Temporal call fails; `code` is one of {@link ADMIN_ERROR_CODES}. */
export class AdminError extends Error {
  readonly code: AdminErrorCode;
  readonly context: AdminErrorContext;

  constructor(code: AdminErrorCode, message: string, options: { cause?: unknown; context?: AdminErrorContext } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AdminError';
    this.code = code;
    this.context = Object.freeze({ ...options.context });
  }
}
